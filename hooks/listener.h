/*
 * listener.h - the client's MQMessageListener, wrapped (issue 12): the C
 * side of hooks/listener_cxx.cc, and the batch entry of the pipeline
 * (hooks/batch.c).
 *
 * The flow:
 *   registerMessageListener(consumer, L)        shim/entry.c (interposed)
 *     -> rc_listener_register(consumer, L) = W   hooks/batch.c: a wrapper of
 *        L's kind, or L itself (see there for when)
 *     -> real registerMessageListener(consumer, W)
 *   the client's consume service: W->consumeMessage(msgs)  (listener_cxx.cc)
 *     -> rc_deliver_batch(reg, consumer, &msgs[0], stride, n)
 *          for each message: rc_deliver(...) with the registration's call
 *          target rc_listener_call_cb: L->consumeMessage(msgs[i] alone)
 *     <- the batch's status goes to the client
 * W->getMessageListenerType() returns L's (the client picks its orderly or
 * concurrent service from it, at start()).
 */
#ifndef RECONSUME_HOOKS_LISTENER_H
#define RECONSUME_HOOKS_LISTENER_H

#include <stddef.h>

#include "client/api.h"

#ifdef __cplusplus
extern "C" {
#endif

struct rc_registration;

/* rocketmq::MessageListenerType (both builds). The orderly service's
 * SUSPEND_CURRENT_QUEUE_A_MOMENT has RECONSUME_LATER's value, 1. */
enum { RC_LST_TYPE_DEFAULT = 0, RC_LST_TYPE_ORDERLY = 1, RC_LST_TYPE_CONCURRENTLY = 2 };

/* ---- listener_cxx.cc ------------------------------------------------------ */

/* A new wrapper of `listener` delivering through reg (element size stride,
 * elements starting with vptr), or NULL when out of memory. Never freed: the
 * client never deletes a listener (LISTENER_NOTES.md). */
void *rc_listener_new(void *consumer, void *listener, struct rc_registration *reg, size_t stride,
                      const void *vptr);

/* L->getMessageListenerType(). */
int rc_listener_type(void *listener);

/* 1 if `listener` is one of the shim's wrappers. */
int rc_listener_is_wrapper(const void *listener);

/*
 * A registration's call target for a wrapped listener, shaped like a C
 * callback so that every stage of the pipeline (guards, injection, the
 * journal, timing) calls it as it calls one: m is an element of the batch
 * being delivered on this thread, and the application's listener is called
 * with a one-message vector viewing it (nothing copied or allocated). An
 * exception propagates to the guard the call kind chose. Only valid inside
 * rc_deliver_batch, on its thread.
 */
int rc_listener_call_cb(CPushConsumer *c, CMessageExt *m);

/* ---- batch.c ---------------------------------------------------------------- */

/* What to hand the real registerMessageListener for `listener` (see batch.c). */
void *rc_listener_register(CPushConsumer *consumer, void *listener, const void *real_fn);

/*
 * One batch, as the client handed it to the wrapper: n elements of stride
 * bytes from begin, each a CMessageExt* for the C accessors. Runs the
 * pipeline once per message; returns the ConsumeStatus for the whole batch.
 */
int rc_deliver_batch(const struct rc_registration *reg, CPushConsumer *c, char *begin, size_t stride,
                     size_t n);

#ifdef __cplusplus
}
#endif

#endif
