/*
 * cbs.h - the benchmark's application callbacks (bench/cbs.cc).
 */
#ifndef RECONSUME_BENCH_CBS_H
#define RECONSUME_BENCH_CBS_H

#include "bench/fakeclient.h"

#ifdef __cplusplus
extern "C" {
#endif

extern volatile int bench_later_status; /* what bench_cb_later returns (1, or 0 to reset) */
extern volatile int bench_throwing;     /* bench_cb_throw throws while set, else returns 0 */
extern volatile unsigned long bench_sink;

int bench_cb_ok(CPushConsumer *c, CMessageExt *m);    /* returns 0 */
int bench_cb_later(CPushConsumer *c, CMessageExt *m); /* returns bench_later_status */
int bench_cb_throw(CPushConsumer *c, CMessageExt *m); /* throws std::runtime_error */

/* cb(c, m) inside try/catch: the exception floor without the shim. */
int bench_call_catching(MessageCallBack cb, CPushConsumer *c, CMessageExt *m);

#ifdef __cplusplus
}
#endif
#endif
