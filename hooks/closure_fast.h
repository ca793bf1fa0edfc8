/*
 * closure_fast.h - what the default plain handler (closure_cxx.cc: C++, so
 * that its exception guard is inline, no frame of its own) shares with
 * closure.c. C and C++; no C11 atomics in sight.
 */
#ifndef RECONSUME_HOOKS_CLOSURE_FAST_H
#define RECONSUME_HOOKS_CLOSURE_FAST_H

#include <ffi.h>
#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

struct rc_stats;

/* rc_rt.tracked (the attempt table's entry count), copied at registration. */
extern const size_t *rc_closure_tracked __attribute__((visibility("hidden")));

/* obs/counters.h: this thread's counters, NULL until its first count; this
 * thread's success count is the first word (closure.c asserts it). */
extern __thread struct rc_stats *rc_stats_mine
    __attribute__((tls_model("initial-exec"), visibility("hidden")));

/* A success counted by a thread with no counters of its own yet. */
void rc_closure_count_first(void) __attribute__((visibility("hidden")));

/* Everything but "a success, nothing tracked": the pipeline, with the call's
 * status (RC_STATUS_CAUGHT: what rc_call_take_caught holds). */
ffi_sarg rc_closure_rest(void *reg, void **args, int st, long long elapsed_ns)
    __attribute__((visibility("hidden")));

/* The plain handler of the catching kind (RECONSUME_CATCH's default). */
void rc_closure_catching(ffi_cif *cif, void *ret, void **args, void *user)
    __attribute__((visibility("hidden")));

#ifdef __cplusplus
}
#endif
#endif
