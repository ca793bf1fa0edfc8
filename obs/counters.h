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
    atomic_ulong inprocess_retries; /* broadcasting: extra calls made by the shim */
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
 * The plain success count, the one counter every delivery bumps, is striped:
 * each thread adds to its own cache line, so consume threads on different
 * cores do not bounce one line between them. Summed when read.
 */
#define RC_STRIPES 64
struct rc_stripe {
    atomic_ulong n;
    char pad[64 - sizeof(atomic_ulong)];
};
extern struct rc_stripe rc_success_stripes[RC_STRIPES];
extern __thread unsigned rc_stripe_ix __attribute__((tls_model("initial-exec")));
unsigned rc_stripe_assign(void);

static inline void rc_count_success(void)
{
    unsigned i = rc_stripe_ix;
    if (__builtin_expect(i == 0, 0))
        i = rc_stripe_assign();
    atomic_fetch_add_explicit(&rc_success_stripes[i - 1].n, 1, memory_order_relaxed);
}

/* Deliveries of outcome o so far (the success stripes summed). */
unsigned long rc_stats_outcome(enum rc_outcome o);

/* Callback calls with an injected fault, all outcomes. */
unsigned long rc_stats_injected_total(void);

/* Total callback calls seen. */
unsigned long rc_stats_total(void);

#endif
