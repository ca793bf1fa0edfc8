/*
 * stats_detail.h - detailed statistics, kept only with RECONSUME_STATS set
 * (obs/stats_detail.c): callback calls per group and topic, a callback
 * latency histogram and an attempts histogram. Written on the delivery path
 * without a lock (a mutex only to claim a new group/topic pair, once per
 * pair); read by the export.
 *
 * Two ways in:
 * - rc_stats_detail(group, topic, ...) finds the pair's slot on each call
 *   (a hash of both names and a compare);
 * - the found-once way, for the stats-on success path: a registration keeps
 *   a struct rc_detail_cache, set up once (rc_detail_cache_init, at
 *   registration), and each delivery counts with rc_stats_detail_cached,
 *   which compares the topic with the cached slot's (no hash, no lock) and
 *   looks up only when the topic changes. The histograms are single-writer
 *   per-thread counters (obs/thread_slot.h): no lock prefix.
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

/* ---- found once ---------------------------------------------------------- */

/* Names are kept to this many bytes (RocketMQ's own topic limit is 127). */
#define RC_DETAIL_NAME_MAX 128

/* One (group, topic) pair's counters. Never moves and never goes away. */
struct rc_detail_slot;

/* The slot of (group, topic) (NULL counts as ""), claimed if new; the
 * overflow slot when the table is full. Never NULL. May take the claim
 * mutex (a new pair); otherwise lock-free. */
struct rc_detail_slot *rc_detail_slot_find(const char *group, const char *topic);

/* One callback call, counted in slot s: what rc_stats_detail does once it
 * has found the slot. No lock, no allocation, no system call. */
void rc_stats_detail_at(struct rc_detail_slot *s, enum rc_outcome o, bool injected,
                        long long elapsed_ns);

/* A registration's cache: its group and the slot of the last topic its
 * deliveries had. Shared by the consume threads of the registration. */
struct rc_detail_cache {
    char group[RC_DETAIL_NAME_MAX];
    _Atomic(struct rc_detail_slot *) last;
};

/* Set up once, at registration: group (NULL = ""), and the first topic's
 * slot found now when topic is known (else at the first delivery). */
void rc_detail_cache_init(struct rc_detail_cache *c, const char *group, const char *topic);

/* The slot for topic: the cached one when it is topic's (one bounded string
 * compare), else found (rc_detail_slot_find) and cached. */
struct rc_detail_slot *rc_detail_cache_slot(struct rc_detail_cache *c, const char *topic);

/* rc_stats_detail through the cache: the stats-on success path. */
static inline void rc_stats_detail_cached(struct rc_detail_cache *c, const char *topic,
                                          enum rc_outcome o, bool injected, long long elapsed_ns)
{
    rc_stats_detail_at(rc_detail_cache_slot(c, topic), o, injected, elapsed_ns);
}

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

/* A histogram as read now (the per-thread counts summed): n upper bounds
 * (either as doubles or as ints) and n + 1 buckets, not cumulative (the
 * last is +Inf); count is the sum of the buckets. */
#define RC_HISTOGRAM_MAX 16
struct rc_histogram {
    const double *bounds_d;
    const int *bounds_i;
    size_t n;
    unsigned long buckets[RC_HISTOGRAM_MAX + 1];
    unsigned long count;
    double sum;
};

/* Callback time in seconds. */
void rc_detail_latency(struct rc_histogram *h);

/* Attempts a message took. */
void rc_detail_attempts(struct rc_histogram *h);

#endif
