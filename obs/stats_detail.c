/*
 * stats_detail.c - the per group/topic table and the histograms (see
 * stats_detail.h).
 */
#include "obs/stats_detail.h"

#include "obs/counters.h"
#include "obs/thread_slot.h"

#include <stdint.h>
#include <stdio.h>
#include <string.h>

/* ---- per group and topic ------------------------------------------------ */

/*
 * A fixed open-addressing table, filled as new (group, topic) pairs appear,
 * without a lock. A free slot (hash 0) is claimed by a compare-and-swap to
 * BUSY; the claimer writes the names, then publishes the hash (release), and
 * the names never change after. A reader that meets a BUSY slot waits for it
 * a bounded while (two short copies), and if it is still BUSY (its claimer
 * preempted, or gone with a fork) counts this call in the overflow slot
 * rather than wait longer or claim the pair twice. Pairs beyond the table go
 * to the overflow slot too.
 */
#define SLOTS RC_DETAIL_SLOTS
#define NAME_MAX_LEN RC_DETAIL_NAME_MAX
#define BUSY 1
#define BUSY_SPINS 4096

struct rc_detail_slot {
    _Atomic uint64_t hash; /* 0 = free, BUSY = being claimed */
    char group[NAME_MAX_LEN];
    char topic[NAME_MAX_LEN];
    atomic_ulong real[RC_OUT_COUNT];
    atomic_ulong injected[RC_OUT_COUNT];
};

static struct rc_detail_slot slots[SLOTS + 1]; /* the last one is the overflow */

static uint64_t hash_pair(const char *g, const char *t)
{
    uint64_t h = 1469598103934665603ULL; /* FNV-1a */
    for (const unsigned char *p = (const unsigned char *)g; *p; p++)
        h = (h ^ *p) * 1099511628211ULL;
    h = (h ^ 0xff) * 1099511628211ULL;
    for (const unsigned char *p = (const unsigned char *)t; *p; p++)
        h = (h ^ *p) * 1099511628211ULL;
    return h > BUSY ? h : h + BUSY + 1;
}

static bool same_topic(const struct rc_detail_slot *s, const char *t)
{
    return strncmp(s->topic, t, NAME_MAX_LEN - 1) == 0;
}

static bool same(const struct rc_detail_slot *s, const char *g, const char *t)
{
    return strncmp(s->group, g, NAME_MAX_LEN - 1) == 0 && same_topic(s, t);
}

static inline void relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#endif
}

static inline __attribute__((always_inline)) struct rc_detail_slot *slot_for(const char *g, const char *t)
{
    uint64_t h = hash_pair(g, t);
    for (unsigned i = 0; i < SLOTS; i++) {
        struct rc_detail_slot *s = &slots[(h + i) % SLOTS];
        uint64_t sh = atomic_load_explicit(&s->hash, memory_order_acquire);
        if (sh == 0) {
            if (atomic_compare_exchange_strong_explicit(&s->hash, &sh, BUSY, memory_order_acquire,
                                                        memory_order_acquire)) {
                snprintf(s->group, sizeof s->group, "%s", g);
                snprintf(s->topic, sizeof s->topic, "%s", t);
                atomic_store_explicit(&s->hash, h, memory_order_release);
                return s;
            }
            /* Lost the race: sh is now what the winner stored. */
        }
        for (int spin = 0; sh == BUSY && spin < BUSY_SPINS; spin++) {
            relax();
            sh = atomic_load_explicit(&s->hash, memory_order_acquire);
        }
        if (sh == BUSY)
            break;
        if (sh == h && same(s, g, t))
            return s;
    }
    return &slots[SLOTS];
}

struct rc_detail_slot *rc_detail_slot_find(const char *group, const char *topic)
{
    return slot_for(group ? group : "", topic ? topic : "");
}

bool rc_detail_row(unsigned i, struct rc_detail_row *row)
{
    if (i > SLOTS)
        return false;
    struct rc_detail_slot *s = &slots[i];
    uint64_t h = i < SLOTS ? atomic_load_explicit(&s->hash, memory_order_acquire) : 0;
    if (i < SLOTS && (h == 0 || h == BUSY))
        return false;
    row->group = i < SLOTS ? s->group : NULL;
    row->topic = i < SLOTS ? s->topic : NULL;
    row->real = s->real;
    row->injected = s->injected;
    return true;
}

void rc_detail_cache_init(struct rc_detail_cache *c, const char *group, const char *topic)
{
    snprintf(c->group, sizeof c->group, "%s", group ? group : "");
    atomic_init(&c->last, NULL);
    if (topic)
        (void)rc_detail_cache_slot(c, topic);
}

struct rc_detail_slot *rc_detail_cache_slot(struct rc_detail_cache *c, const char *topic)
{
    const char *t = topic ? topic : "";
    /* Acquire: the slot's names were published (release) before whoever
     * cached it could find it. */
    struct rc_detail_slot *s = atomic_load_explicit(&c->last, memory_order_acquire);
    if (__builtin_expect(s != NULL && same_topic(s, t), 1))
        return s;
    s = rc_detail_slot_find(c->group, t);
    /* The overflow slot holds no names to compare with: never cached. */
    if (s != &slots[SLOTS])
        atomic_store_explicit(&c->last, s, memory_order_release);
    return s;
}

/* ---- histograms, per thread ---------------------------------------------- */

static const double latency_bounds[] = {0.0001, 0.0005, 0.001, 0.005, 0.01, 0.05,
                                        0.1,    0.5,    1,     5,     10,   60};
#define NLAT (sizeof latency_bounds / sizeof *latency_bounds)
/* The same bounds in nanoseconds: "seconds > bound" is "ns > bound_ns" for
 * every whole number of nanoseconds (tests/unit/test_stats_slots.c), with no
 * division on the delivery path. */
static const long long latency_bounds_ns[NLAT] = {
    100000LL,     500000LL,      1000000LL,     5000000LL,     10000000LL,    50000000LL,
    100000000LL,  500000000LL,   1000000000LL,  5000000000LL,  10000000000LL, 60000000000LL};
static const int attempt_bounds[] = {1, 2, 3, 4, 6, 8, 12, 17, 32};
#define NATT (sizeof attempt_bounds / sizeof *attempt_bounds)
_Static_assert(NLAT <= RC_HISTOGRAM_MAX && NATT <= RC_HISTOGRAM_MAX, "RC_HISTOGRAM_MAX");

/* Entry i is written only by the thread that owns index i (entry 0 is shared). */
struct local {
    atomic_ulong latency[NLAT + 1]; /* not cumulative; the last is +Inf */
    atomic_ulong latency_sum_us;
    atomic_ulong attempts[NATT + 1];
    atomic_ulong attempt_sum;
} __attribute__((aligned(64)));
static struct local local[RC_THREAD_SLOTS + 1];

static inline void count_at(struct rc_detail_slot *s, enum rc_outcome o, bool injected,
                            long long elapsed_ns)
{
    rc_count_shared(injected ? &s->injected[o] : &s->real[o]);
    if (elapsed_ns < 0)
        return;
    size_t b = 0;
    while (b < NLAT && elapsed_ns > latency_bounds_ns[b])
        b++;
    unsigned ix = rc_thread_slot();
    rc_local_add(&local[ix].latency[b], ix, 1);
    rc_local_add(&local[ix].latency_sum_us, ix, (unsigned long)(elapsed_ns / 1000));
}

void rc_stats_detail_at(struct rc_detail_slot *s, enum rc_outcome o, bool injected,
                        long long elapsed_ns)
{
    count_at(s, o, injected, elapsed_ns);
}

void rc_stats_detail(const char *group, const char *topic, enum rc_outcome o, bool injected,
                     long long elapsed_ns)
{
    count_at(slot_for(group ? group : "", topic ? topic : ""), o, injected, elapsed_ns);
}

void rc_stats_attempts(int n)
{
    size_t b = 0;
    while (b < NATT && n > attempt_bounds[b])
        b++;
    unsigned ix = rc_thread_slot();
    rc_local_add(&local[ix].attempts[b], ix, 1);
    rc_local_add(&local[ix].attempt_sum, ix, (unsigned long)n);
}

static void sum_histogram(struct rc_histogram *h, size_t n, size_t buckets_off, size_t sum_off,
                          double sum_div)
{
    memset(h->buckets, 0, sizeof h->buckets);
    h->n = n;
    h->count = 0;
    unsigned long sum = 0;
    for (unsigned t = 0; t <= RC_THREAD_SLOTS; t++) {
        atomic_ulong *b = (atomic_ulong *)((char *)&local[t] + buckets_off);
        for (size_t i = 0; i <= n; i++) {
            unsigned long v = rc_counter_get(&b[i]);
            h->buckets[i] += v;
            h->count += v;
        }
        sum += rc_counter_get((atomic_ulong *)((char *)&local[t] + sum_off));
    }
    h->sum = (double)sum / sum_div;
}

void rc_detail_latency(struct rc_histogram *h)
{
    h->bounds_d = latency_bounds;
    h->bounds_i = NULL;
    sum_histogram(h, NLAT, offsetof(struct local, latency), offsetof(struct local, latency_sum_us), 1e6);
}

void rc_detail_attempts(struct rc_histogram *h)
{
    h->bounds_d = NULL;
    h->bounds_i = attempt_bounds;
    sum_histogram(h, NATT, offsetof(struct local, attempts), offsetof(struct local, attempt_sum), 1);
}
