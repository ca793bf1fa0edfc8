/*
 * counters.c - the counters (see counters.h): storage, the per-thread
 * copies, and their sums.
 */
#include "obs/counters.h"

#include <string.h>

struct rc_stats rc_stats;
struct rc_stats rc_stats_local[RC_THREAD_SLOTS];

__thread struct rc_stats *rc_stats_mine __attribute__((tls_model("initial-exec")));

void rc_count_slow(atomic_ulong *c)
{
    size_t off = rc_stats_offset(c);
    if (off != (size_t)-1 && !rc_stats_mine) {
        unsigned i = rc_thread_slot_claim();
        if (i != 0)
            rc_stats_mine = &rc_stats_local[i - 1]; /* this thread's alone from now on */
    }
    if (off != (size_t)-1 && rc_stats_mine) {
        atomic_ulong *d = (atomic_ulong *)(void *)((char *)rc_stats_mine + off);
        atomic_store_explicit(d, atomic_load_explicit(d, memory_order_relaxed) + 1,
                              memory_order_relaxed);
        return;
    }
    atomic_fetch_add_explicit(c, 1, memory_order_relaxed);
}

static unsigned long counter_sum(size_t off)
{
    unsigned long n = atomic_load_explicit((atomic_ulong *)(void *)((char *)&rc_stats + off),
                                           memory_order_relaxed);
    unsigned claimed = rc_thread_slots_claimed();
    for (unsigned i = 0; i < claimed; i++)
        n += atomic_load_explicit((atomic_ulong *)(void *)((char *)&rc_stats_local[i] + off),
                                  memory_order_relaxed);
    return n;
}

unsigned long rc_counter_get(atomic_ulong *c)
{
    size_t off = rc_stats_offset(c);
    if (off != (size_t)-1)
        return counter_sum(off);
    return atomic_load_explicit(c, memory_order_relaxed);
}

void rc_stats_reset(void)
{
    memset(&rc_stats, 0, sizeof rc_stats);
    memset(rc_stats_local, 0, sizeof rc_stats_local);
}

unsigned long rc_stats_outcome(enum rc_outcome o) { return rc_counter_get(&rc_stats.deliveries[o]); }

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
