/*
 * percall.h - what the modes of the per-call driver (build/bench/percall)
 * share: the callbacks under test and the loop that calls them
 * (percall_setup.c), the rows of modes time and callgrind (percall_rows.c),
 * and one entry point per mode, each in a file of its own. The rows and
 * the modes are described in percall.c.
 */
#ifndef RECONSUME_BENCH_PERCALL_H
#define RECONSUME_BENCH_PERCALL_H

#include "bench/fakeclient.h"

#ifdef BENCH_STATIC_SHIM
/* hooks/closure.h, declared here: its client/api.h and this driver's
 * tests/capi/rocketmq_c.h each declare the client's types. */
#include <stdbool.h>
struct rc_registration;
struct rc_registration *rc_closure_wrap(CPushConsumer *c, int (*cb)(CPushConsumer *, CMessageExt *),
                                        bool orderly);
void rc_closure_call(struct rc_registration *reg, void *ret, void **args);
#include "state/attempts.h"
#endif

#define RING 1024 /* distinct messages the failure rows cycle over */

typedef int (*deliver_fn)(CPushConsumer *, CMessageExt *);

/* ---- percall_setup.c: what is called, and the loop ---------------------- */
extern CPushConsumer *cons_ok, *cons_later, *cons_throw, *cons_mt;
extern deliver_fn fn_direct, fn_ffi, fn_ok, fn_later, fn_throw, fn_mt;
extern deliver_fn fn_thunk; /* row f, NULL outside build/bench/percall_static */
extern CMessageExt msg_one; /* the success rows' message */
extern CMessageExt *ring;   /* RING messages with distinct ids */
extern int shim_loaded;     /* every callback came back wrapped */

double now_ns(void);
void die(const char *what) __attribute__((noreturn));
void set_id(CMessageExt *m, unsigned long long i);
void fill_msg(CMessageExt *m, unsigned long long i);
void setup(void);

/* The loop under test, the same for every row: calls loop_fn. */
extern volatile deliver_fn loop_fn;
unsigned long loop(CPushConsumer *c, CMessageExt *msgs, unsigned mask, long calls);
unsigned long loop_catching(CPushConsumer *c, CMessageExt *msgs, unsigned mask, long calls);
void reset_ring(CPushConsumer *c, deliver_fn fn);

double minimum(const double *v, int n);
double median(double *v, int n);

/* ---- percall_rows.c: rows a .. ct ------------------------------------------ */
enum row { R_A, R_B, R_C, R_D, R_E, R_E0, R_F, R_CT, R_COUNT };
extern const char *row_name[R_COUNT];
long calls_for(enum row r, long calls);
void track_other(int on);
double trial(enum row r, long calls, unsigned long *acc);

/* ---- the modes, one file each ---------------------------------------------- */
int mode_time(int trials, long calls, int threads);        /* percall_time.c */
int mode_callgrind(const char *name, long calls);          /* percall_callgrind.c */
int mode_scale(long fill, long calls);                     /* percall_scale.c */
int mode_check(long calls);                                /* percall_check.c */
int mode_mtfail(int trials, long calls, const char *list); /* percall_mtfail.c */
int cb_later_mt(CPushConsumer *c, CMessageExt *m);         /* percall_mtfail.c: row dN's callback */

#endif
