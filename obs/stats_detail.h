/*
 * stats_detail.h - detailed statistics, kept only with RECONSUME_STATS set
 * (obs/stats_detail.c): callback calls per group and topic, a callback
 * latency histogram and an attempts histogram. Written on the delivery path
 * without a lock (a mutex only to claim a new group/topic pair, once per
 * pair); read by the export.
 */
#ifndef RECONSUME_OBS_STATS_DETAIL_H
#define RECONSUME_OBS_STATS_DETAIL_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>

#include "policy/outcome.h"

/* One callback call. */
void rc_stats_detail(const char *group, const char *topic, enum rc_outcome o, bool injected,
                     long long elapsed_ns);

/* A message resolved (acked or diverted) at attempt n. */
void rc_stats_attempts(int n);

/* ---- the reader side, for the export ------------------------------------ */

/* Slots 0 .. RC_DETAIL_SLOTS - 1 hold one pair each; slot RC_DETAIL_SLOTS is
 * the overflow, "(other)", for pairs beyond the table. */
#define RC_DETAIL_SLOTS 256

struct rc_detail_row {
    const char *group, *topic; /* NULL for the overflow slot */
    atomic_ulong *real;        /* [RC_OUT_COUNT] */
    atomic_ulong *injected;    /* [RC_OUT_COUNT] */
};

/* Slot i (0 .. RC_DETAIL_SLOTS): false for a slot not claimed yet. */
bool rc_detail_row(unsigned i, struct rc_detail_row *row);

/* A histogram: n upper bounds (either as doubles or as ints), n + 1 buckets,
 * not cumulative (the last is +Inf). */
struct rc_histogram {
    const double *bounds_d;
    const int *bounds_i;
    size_t n;
    atomic_ulong *buckets;
    atomic_ulong *sum;   /* the value is sum / sum_div */
    double sum_div;
    atomic_ulong *count;
};

/* Callback time in seconds (the sum is kept in microseconds). */
const struct rc_histogram *rc_detail_latency(void);

/* Attempts a message took. */
const struct rc_histogram *rc_detail_attempts(void);

#endif
