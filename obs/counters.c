/*
 * counters.c - the hot counters (see counters.h): storage, the per-thread
 * success counts, and their sums.
 */
#include "obs/counters.h"

struct rc_stats rc_stats;
struct rc_success_local rc_success_local[RC_THREAD_SLOTS + 1] __attribute__((aligned(64)));

__thread atomic_ulong *rc_success_mine __attribute__((tls_model("initial-exec")));

void rc_count_success_slow(void)
{
    unsigned i = rc_thread_slot_claim();
    if (i != 0)
        rc_success_mine = &rc_success_local[i].n; /* this thread's alone from now on */
    rc_local_add(&rc_success_local[i].n, i, 1);
}

unsigned long rc_stats_outcome(enum rc_outcome o)
{
    unsigned long n = rc_counter_get(&rc_stats.deliveries[o]);
    if (o == RC_OUT_SUCCESS)
        for (int i = 0; i <= RC_THREAD_SLOTS; i++)
            n += rc_counter_get(&rc_success_local[i].n);
    return n;
}

unsigned long rc_stats_injected_total(void)
{
    unsigned long n = 0;
    for (int o = 0; o < RC_OUT_COUNT; o++)
        n += rc_counter_get(&rc_stats.injected[o]);
    return n;
}

unsigned long rc_stats_total(void)
{
    unsigned long n = 0;
    for (int o = 0; o < RC_OUT_COUNT; o++)
        n += rc_stats_outcome((enum rc_outcome)o) + rc_counter_get(&rc_stats.injected[o]);
    return n;
}
