/*
 * stats_detail.c - the per group/topic table and the histograms (see
 * stats_detail.h).
 */
#include "obs/stats_detail.h"

#include "obs/counters.h"

#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

/* ---- per group and topic ------------------------------------------------ */

/*
 * A fixed open-addressing table, filled as new (group, topic) pairs appear.
 * Readers find a slot without a lock: a slot's names are written before its
 * hash is published (release), and never change after. Claiming a slot takes
 * a mutex (once per pair). Pairs beyond the table go to one overflow slot.
 */
#define SLOTS RC_DETAIL_SLOTS
#define NAME_MAX_LEN 128

struct slot {
    _Atomic uint64_t hash; /* 0 = free */
    char group[NAME_MAX_LEN];
    char topic[NAME_MAX_LEN];
    atomic_ulong real[RC_OUT_COUNT];
    atomic_ulong injected[RC_OUT_COUNT];
};

static struct slot slots[SLOTS + 1]; /* the last one is the overflow */
static pthread_mutex_t claim_lock = PTHREAD_MUTEX_INITIALIZER;

static uint64_t hash_pair(const char *g, const char *t)
{
    uint64_t h = 1469598103934665603ULL; /* FNV-1a */
    for (const unsigned char *p = (const unsigned char *)g; *p; p++)
        h = (h ^ *p) * 1099511628211ULL;
    h = (h ^ 0xff) * 1099511628211ULL;
    for (const unsigned char *p = (const unsigned char *)t; *p; p++)
        h = (h ^ *p) * 1099511628211ULL;
    return h ? h : 1;
}

static bool same(const struct slot *s, const char *g, const char *t)
{
    return strncmp(s->group, g, NAME_MAX_LEN - 1) == 0 && strncmp(s->topic, t, NAME_MAX_LEN - 1) == 0;
}

static struct slot *slot_for(const char *g, const char *t)
{
    uint64_t h = hash_pair(g, t);
    for (unsigned i = 0; i < SLOTS; i++) {
        struct slot *s = &slots[(h + i) % SLOTS];
        uint64_t sh = atomic_load_explicit(&s->hash, memory_order_acquire);
        if (sh == h && same(s, g, t))
            return s;
        if (sh != 0)
            continue;
        pthread_mutex_lock(&claim_lock);
        sh = atomic_load_explicit(&s->hash, memory_order_acquire);
        if (sh == 0) {
            snprintf(s->group, sizeof s->group, "%s", g);
            snprintf(s->topic, sizeof s->topic, "%s", t);
            atomic_store_explicit(&s->hash, h, memory_order_release);
            pthread_mutex_unlock(&claim_lock);
            return s;
        }
        pthread_mutex_unlock(&claim_lock);
        if (sh == h && same(s, g, t))
            return s;
    }
    return &slots[SLOTS];
}

bool rc_detail_row(unsigned i, struct rc_detail_row *row)
{
    if (i > SLOTS)
        return false;
    struct slot *s = &slots[i];
    if (i < SLOTS && atomic_load_explicit(&s->hash, memory_order_acquire) == 0)
        return false;
    row->group = i < SLOTS ? s->group : NULL;
    row->topic = i < SLOTS ? s->topic : NULL;
    row->real = s->real;
    row->injected = s->injected;
    return true;
}

/* ---- histograms --------------------------------------------------------- */

static const double latency_bounds[] = {0.0001, 0.0005, 0.001, 0.005, 0.01, 0.05,
                                        0.1,    0.5,    1,     5,     10,   60};
#define NLAT (sizeof latency_bounds / sizeof *latency_bounds)
static atomic_ulong latency_buckets[NLAT + 1]; /* not cumulative; the last is +Inf */
static atomic_ulong latency_sum_us, latency_count;

static const int attempt_bounds[] = {1, 2, 3, 4, 6, 8, 12, 17, 32};
#define NATT (sizeof attempt_bounds / sizeof *attempt_bounds)
static atomic_ulong attempt_buckets[NATT + 1];
static atomic_ulong attempt_sum, attempt_count;

static const struct rc_histogram latency = {latency_bounds, NULL, NLAT, latency_buckets,
                                            &latency_sum_us, 1e6, &latency_count};
static const struct rc_histogram attempts = {NULL, attempt_bounds, NATT, attempt_buckets,
                                             &attempt_sum, 1, &attempt_count};

const struct rc_histogram *rc_detail_latency(void) { return &latency; }
const struct rc_histogram *rc_detail_attempts(void) { return &attempts; }

void rc_stats_detail(const char *group, const char *topic, enum rc_outcome o, bool injected,
                     long long elapsed_ns)
{
    struct slot *s = slot_for(group ? group : "", topic ? topic : "");
    rc_count(injected ? &s->injected[o] : &s->real[o]);
    if (elapsed_ns < 0)
        return;
    double sec = (double)elapsed_ns / 1e9;
    size_t b = 0;
    while (b < NLAT && sec > latency_bounds[b])
        b++;
    rc_count(&latency_buckets[b]);
    atomic_fetch_add_explicit(&latency_sum_us, (unsigned long)(elapsed_ns / 1000), memory_order_relaxed);
    rc_count(&latency_count);
}

void rc_stats_attempts(int n)
{
    size_t b = 0;
    while (b < NATT && n > attempt_bounds[b])
        b++;
    rc_count(&attempt_buckets[b]);
    atomic_fetch_add_explicit(&attempt_sum, (unsigned long)n, memory_order_relaxed);
    rc_count(&attempt_count);
}
