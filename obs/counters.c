/*
 * counters.c - the hot counters (see counters.h): storage, the success
 * stripes, and their sums.
 */
#include "obs/counters.h"

struct rc_stats rc_stats;
struct rc_stripe rc_success_stripes[RC_STRIPES] __attribute__((aligned(64)));
__thread unsigned rc_stripe_ix __attribute__((tls_model("initial-exec")));
static atomic_uint next_stripe;

unsigned rc_stripe_assign(void)
{
    rc_stripe_ix = atomic_fetch_add_explicit(&next_stripe, 1, memory_order_relaxed) % RC_STRIPES + 1;
    return rc_stripe_ix;
}

unsigned long rc_stats_outcome(enum rc_outcome o)
{
    unsigned long n = rc_counter_get(&rc_stats.deliveries[o]);
    if (o == RC_OUT_SUCCESS)
        for (int i = 0; i < RC_STRIPES; i++)
            n += rc_counter_get(&rc_success_stripes[i].n);
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
