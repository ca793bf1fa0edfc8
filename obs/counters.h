/*
 * counters.h - the process-wide hot counters (obs/counters.c).
 *
 * Relaxed atomics: the plain success path pays one atomic add and nothing
 * else. Everything that reads them (the export, the exit summary) sums them
 * when it reads.
 */
#ifndef RECONSUME_OBS_COUNTERS_H
#define RECONSUME_OBS_COUNTERS_H

#include <stdatomic.h>

#include "obs/thread_slot.h"
#include "policy/inject.h"
#include "policy/outcome.h"

#define RC_INJ_ACTIONS 4

struct rc_stats {
    atomic_ulong deliveries[RC_OUT_COUNT]; /* real callback calls, by outcome */
    atomic_ulong injected[RC_OUT_COUNT];   /* calls with an injected fault, by outcome */
    atomic_ulong injected_faults[RC_INJ_ACTIONS]; /* by action */
    atomic_ulong crash_loops;
    atomic_ulong timeouts;
    atomic_ulong diverted;
    atomic_ulong divert_failures;
    atomic_ulong track_evictions;   /* the shim's own counts: entries evicted at the bound */
    atomic_ulong track_refused;     /* failures it could not track (id too long, table full) */
    atomic_ulong inprocess_retries; /* broadcasting: extra calls made by the shim */
    atomic_ulong retry_copies;      /* RECONSUME_RETRY=copy: copies the broker confirmed */
    atomic_ulong retry_copy_failures; /* copies not confirmed (the client's reconsume later) */
    atomic_ulong signal_recoveries;
    atomic_ulong would_divert;      /* observe mode */
    atomic_ulong registrations;
    atomic_ulong passthrough_registrations;
};

extern struct rc_stats rc_stats;

static inline void rc_count(atomic_ulong *c)
{
    atomic_fetch_add_explicit(c, 1, memory_order_relaxed);
}

/* A counter's value, for the readers. */
static inline unsigned long rc_counter_get(atomic_ulong *c)
{
    return atomic_load_explicit(c, memory_order_relaxed);
}

/*
 * The plain success count, the one counter every delivery bumps, is kept per
 * thread (obs/thread_slot.h): each consume thread adds to its own cache line,
 * with no lock prefix, so threads on different cores neither bounce a line
 * nor pay for an atomic read-modify-write. Summed when read.
 */
struct rc_success_local {
    atomic_ulong n;
    char pad[64 - sizeof(atomic_ulong)];
};
extern struct rc_success_local rc_success_local[RC_THREAD_SLOTS + 1]
    __attribute__((visibility("hidden")));

/* The first count of a thread, and every count of a thread beyond
 * RC_THREAD_SLOTS. */
void rc_count_success_slow(void);

/* This thread's own success count, once it has one (set by the slow path):
 * the hot path is one thread-local load and a plain add. NULL for a thread
 * that counts in the shared entry. */
extern __thread atomic_ulong *rc_success_mine
    __attribute__((tls_model("initial-exec"), visibility("hidden")));

static inline void rc_count_success(void)
{
    atomic_ulong *c = rc_success_mine;
    if (__builtin_expect(c != NULL, 1))
        atomic_store_explicit(c, atomic_load_explicit(c, memory_order_relaxed) + 1,
                              memory_order_relaxed);
    else
        rc_count_success_slow();
}

/* Deliveries of outcome o so far (the per-thread success counts summed). */
unsigned long rc_stats_outcome(enum rc_outcome o);

/* Callback calls with an injected fault, all outcomes. */
unsigned long rc_stats_injected_total(void);

/* Total callback calls seen. */
unsigned long rc_stats_total(void);

#endif
