/*
 * test_stats_slots.c - the found-once statistics of the stats-on success
 * path (issue 16): per-thread single-writer counters, the per-registration
 * slot cache, the lock-free slot table, the integer latency bounds.
 *
 * obs/ is not among the objects the unit tests link (it holds process
 * state), so the parts under test are included here as sources; their
 * static state is then in reach of the checks. The tests share that state
 * and run in order; the one that fills the table runs last.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "obs/thread_slot.c"
#include "obs/counters.c"
#include "obs/stats_detail.c"
#include "obs/stats_export.c"
#include "obs/shim_state.c"
#include "obs/stats_writer.c"
#include "obs/log.c"

static unsigned long row_count(const char *g, const char *t, enum rc_outcome o, bool injected)
{
    struct rc_detail_row r;
    unsigned long n = 0;
    for (unsigned i = 0; i < RC_DETAIL_SLOTS; i++)
        if (rc_detail_row(i, &r) && !strcmp(r.group, g) && !strcmp(r.topic, t))
            n += rc_counter_get(injected ? &r.injected[o] : &r.real[o]);
    return n;
}

static unsigned long overflow_count(enum rc_outcome o)
{
    struct rc_detail_row r;
    assert_true(rc_detail_row(RC_DETAIL_SLOTS, &r));
    assert_null(r.group);
    return rc_counter_get(&r.real[o]);
}

/* ---- per-thread counters ---------------------------------------------------- */

/* Every outcome counter, not only success's, is this thread's own (issue 16:
 * a failure storm from threads on two cores bounced rc_stats' shared lines):
 * a thread with an index leaves the shared entry alone, and the readers
 * still see every count. */
#define FAILING 1000
static void *failing_thread(void *arg)
{
    (void)arg;
    for (int i = 0; i < FAILING; i++) {
        rc_count(&rc_stats.deliveries[RC_OUT_RECONSUME]);
        rc_count(&rc_stats.injected[RC_OUT_EXCEPTION]);
        rc_count(&rc_stats.track_evictions);
    }
    return (void *)(uintptr_t)rc_thread_slot();
}

static void failure_counts_are_the_threads_own(void **state)
{
    (void)state;
    unsigned long shared_before = atomic_load(&rc_stats.deliveries[RC_OUT_RECONSUME]) +
                                  atomic_load(&rc_stats.injected[RC_OUT_EXCEPTION]) +
                                  atomic_load(&rc_stats.track_evictions);
    unsigned long r0 = rc_stats_outcome(RC_OUT_RECONSUME), i0 = rc_stats_injected_total(),
                  e0 = rc_counter_get(&rc_stats.track_evictions);
    pthread_t th[2];
    void *ix[2];
    for (int k = 0; k < 2; k++)
        assert_int_equal(pthread_create(&th[k], NULL, failing_thread, NULL), 0);
    for (int k = 0; k < 2; k++)
        pthread_join(th[k], &ix[k]);
    assert_true((uintptr_t)ix[0] != 0 && (uintptr_t)ix[1] != 0 && ix[0] != ix[1]);
    /* not one write to the shared lines */
    assert_int_equal(atomic_load(&rc_stats.deliveries[RC_OUT_RECONSUME]) +
                         atomic_load(&rc_stats.injected[RC_OUT_EXCEPTION]) +
                         atomic_load(&rc_stats.track_evictions),
                     shared_before);
    /* each thread's own copy holds its counts, whole lines apart */
    for (int k = 0; k < 2; k++)
        assert_int_equal(rc_stats_local[(uintptr_t)ix[k] - 1].deliveries[RC_OUT_RECONSUME], FAILING);
    assert_true(sizeof(struct rc_stats) % 64 == 0 && (uintptr_t)&rc_stats_local[0] % 64 == 0);
    /* and the readers sum them */
    assert_int_equal(rc_stats_outcome(RC_OUT_RECONSUME) - r0, 2 * FAILING);
    assert_int_equal(rc_stats_injected_total() - i0, 2 * FAILING);
    assert_int_equal(rc_counter_get(&rc_stats.track_evictions) - e0, 2 * FAILING);
}

#define THREADS (RC_THREAD_SLOTS + 40)
#define PER_THREAD 2000
/* The threads sharing entry 0 count long enough to overlap on two cores:
 * there a non-atomic add would lose some. */
#define PER_SHARED 400000

static pthread_barrier_t barrier;
static unsigned got_ix[THREADS];

static void *counting_thread(void *arg)
{
    unsigned k = (unsigned)(uintptr_t)arg;
    got_ix[k] = rc_thread_slot();
    pthread_barrier_wait(&barrier); /* all alive at once, then all count at once */
    int n = got_ix[k] == 0 ? PER_SHARED : PER_THREAD;
    for (int i = 0; i < n; i++) {
        rc_count_success();
        rc_stats_attempts(1 + i % 40);
    }
    return NULL;
}

static void threads_get_their_own_slot_and_no_count_is_lost(void **state)
{
    (void)state;
    unsigned before_claimed = atomic_load(&last_claimed);
    unsigned long before = rc_stats_outcome(RC_OUT_SUCCESS);
    struct rc_histogram h0;
    rc_detail_attempts(&h0);
    pthread_barrier_init(&barrier, NULL, THREADS);
    pthread_t th[THREADS];
    pthread_attr_t a;
    pthread_attr_init(&a);
    pthread_attr_setstacksize(&a, 64 * 1024);
    for (unsigned k = 0; k < THREADS; k++)
        assert_int_equal(pthread_create(&th[k], &a, counting_thread, (void *)(uintptr_t)k), 0);
    for (unsigned k = 0; k < THREADS; k++)
        pthread_join(th[k], NULL);
    pthread_attr_destroy(&a);
    pthread_barrier_destroy(&barrier);

    /* Every index handed out once; the threads beyond them share entry 0. */
    unsigned char seen[RC_THREAD_SLOTS + 1] = {0};
    unsigned shared = 0;
    for (unsigned k = 0; k < THREADS; k++) {
        assert_true(got_ix[k] <= RC_THREAD_SLOTS);
        if (got_ix[k] == 0) {
            shared++;
        } else {
            assert_true(got_ix[k] > before_claimed);
            assert_int_equal(seen[got_ix[k]], 0);
            seen[got_ix[k]] = 1;
        }
    }
    assert_int_equal(shared, THREADS - (RC_THREAD_SLOTS - before_claimed));
    assert_true(shared >= 40);
    assert_int_equal(atomic_load(&last_claimed), RC_THREAD_SLOTS); /* stopped, no wrap */

    /* Exact sums: a shared entry updated without an atomic add would lose some. */
    unsigned long calls = (unsigned long)(THREADS - shared) * PER_THREAD + (unsigned long)shared * PER_SHARED;
    assert_int_equal(rc_stats_outcome(RC_OUT_SUCCESS) - before, calls);
    struct rc_histogram h;
    rc_detail_attempts(&h);
    assert_int_equal(h.count - h0.count, calls);
    unsigned long sum_own = 0, sum_shared = 0;
    for (int i = 0; i < PER_SHARED; i++)
        *(i < PER_THREAD ? &sum_own : &sum_shared) += 1 + (unsigned long)(i % 40);
    sum_shared += sum_own;
    assert_true(h.sum - h0.sum == (double)(sum_own * (THREADS - shared) + sum_shared * shared));
    unsigned long buckets = 0;
    for (size_t i = 0; i <= h.n; i++)
        buckets += h.buckets[i] - h0.buckets[i];
    assert_int_equal(buckets, h.count - h0.count);
}

/* ---- the cache ------------------------------------------------------------ */

static void cache_finds_the_slot_once_and_counts_where_the_lookup_does(void **state)
{
    (void)state;
    struct rc_detail_cache c;
    rc_detail_cache_init(&c, "G-cache", "Orders");
    struct rc_detail_slot *s = atomic_load(&c.last);
    assert_non_null(s);
    assert_ptr_equal(s, rc_detail_slot_find("G-cache", "Orders"));
    assert_string_equal(c.group, "G-cache");

    for (int i = 0; i < 1000; i++) {
        assert_ptr_equal(rc_detail_cache_slot(&c, "Orders"), s);
        rc_stats_detail_cached(&c, "Orders", RC_OUT_SUCCESS, false, 1000);
    }
    rc_stats_detail("G-cache", "Orders", RC_OUT_SUCCESS, false, 1000); /* the old way in */
    rc_stats_detail_cached(&c, "Orders", RC_OUT_EXCEPTION, true, -1);
    assert_int_equal(row_count("G-cache", "Orders", RC_OUT_SUCCESS, false), 1001);
    assert_int_equal(row_count("G-cache", "Orders", RC_OUT_EXCEPTION, true), 1);

    /* Another topic: another slot, cached in its turn; then back. */
    rc_stats_detail_cached(&c, "Refunds", RC_OUT_RECONSUME, false, 5);
    struct rc_detail_slot *r = atomic_load(&c.last);
    assert_ptr_not_equal(r, s);
    assert_ptr_equal(r, rc_detail_slot_find("G-cache", "Refunds"));
    rc_stats_detail_cached(&c, "Orders", RC_OUT_SUCCESS, false, 5);
    assert_ptr_equal(atomic_load(&c.last), s);
    assert_int_equal(row_count("G-cache", "Refunds", RC_OUT_RECONSUME, false), 1);
    assert_int_equal(row_count("G-cache", "Orders", RC_OUT_SUCCESS, false), 1002);

    /* The same topic of another group is another row. */
    struct rc_detail_cache other;
    rc_detail_cache_init(&other, "G-other", NULL);
    assert_null(atomic_load(&other.last)); /* no topic yet: found at the first delivery */
    rc_stats_detail_cached(&other, "Orders", RC_OUT_SUCCESS, false, 5);
    assert_ptr_not_equal(atomic_load(&other.last), s);
    assert_int_equal(row_count("G-other", "Orders", RC_OUT_SUCCESS, false), 1);
    assert_int_equal(row_count("G-cache", "Orders", RC_OUT_SUCCESS, false), 1002);

    /* NULL names count as "". */
    assert_ptr_equal(rc_detail_slot_find(NULL, NULL), rc_detail_slot_find("", ""));
}

/* The export shows what the cached path counted, and a histogram's +Inf
 * bucket equals its count. */
static void export_shows_the_cached_counts(void **state)
{
    (void)state;
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    assert_non_null(f);
    rc_stats_prometheus(f);
    fclose(f);
    assert_non_null(strstr(text, "reconsume_topic_deliveries_total{group=\"G-cache\",topic=\"Orders\","
                                 "outcome=\"success\",injected=\"false\"} 1002\n"));
    const char *inf = strstr(text, "reconsume_callback_duration_seconds_bucket{le=\"+Inf\"} ");
    const char *cnt = strstr(text, "reconsume_callback_duration_seconds_count ");
    assert_non_null(inf);
    assert_non_null(cnt);
    assert_int_equal(strtoul(inf + strlen("reconsume_callback_duration_seconds_bucket{le=\"+Inf\"} "), NULL, 10),
                     strtoul(cnt + strlen("reconsume_callback_duration_seconds_count "), NULL, 10));
    free(text);
}

/* ---- latency bounds ---------------------------------------------------------- */

static size_t bucket_by_seconds(long long ns)
{
    double sec = (double)ns / 1e9;
    size_t b = 0;
    while (b < NLAT && sec > latency_bounds[b])
        b++;
    return b;
}

static size_t bucket_by_ns(long long ns)
{
    size_t b = 0;
    while (b < NLAT && ns > latency_bounds_ns[b])
        b++;
    return b;
}

static void integer_bounds_bucket_as_the_seconds_did(void **state)
{
    (void)state;
    for (size_t i = 0; i < NLAT; i++) {
        assert_true((double)latency_bounds_ns[i] == latency_bounds[i] * 1e9);
        for (long long d = -3; d <= 3; d++)
            assert_int_equal(bucket_by_ns(latency_bounds_ns[i] + d),
                             bucket_by_seconds(latency_bounds_ns[i] + d));
    }
    unsigned long long x = 88172645463325252ULL; /* xorshift: many magnitudes */
    for (int i = 0; i < 200000; i++) {
        x ^= x << 13, x ^= x >> 7, x ^= x << 17;
        long long ns = (long long)(x % 100000000000ULL) >> (x % 37);
        assert_int_equal(bucket_by_ns(ns), bucket_by_seconds(ns));
    }
    assert_int_equal(bucket_by_ns(0), 0);
    assert_int_equal(bucket_by_ns(61000000000LL), NLAT);
}

/* ---- the table without a lock ---------------------------------------------------- */

/* A slot left BUSY (its claimer preempted, or gone with a fork) is waited for
 * a bounded while, then the call goes to the overflow slot: never a hang. */
static void a_slot_left_busy_is_not_waited_for_for_ever(void **state)
{
    (void)state;
    const char *g = "G-busy", *t = "T-busy";
    /* Where the pair would be claimed: the first free slot of its probe. */
    uint64_t h = hash_pair(g, t);
    struct rc_detail_slot *home = NULL;
    for (unsigned i = 0; i < SLOTS && !home; i++)
        if (atomic_load(&slots[(h + i) % SLOTS].hash) == 0)
            home = &slots[(h + i) % SLOTS];
    assert_non_null(home);
    atomic_store(&home->hash, BUSY);
    unsigned long before = overflow_count(RC_OUT_SUCCESS);
    rc_stats_detail(g, t, RC_OUT_SUCCESS, false, -1);
    assert_int_equal(overflow_count(RC_OUT_SUCCESS), before + 1);
    struct rc_detail_row r;
    assert_false(rc_detail_row((unsigned)(home - slots), &r)); /* not exported half-made */
    struct rc_detail_cache c;
    rc_detail_cache_init(&c, g, t);
    assert_null(atomic_load(&c.last)); /* the overflow slot is never cached */
    atomic_store(&home->hash, 0);
    rc_stats_detail(g, t, RC_OUT_SUCCESS, false, -1);
    assert_int_equal(row_count(g, t, RC_OUT_SUCCESS, false), 1);
}

/* Many threads claiming the same new pairs at once: one row per pair, and
 * every call counted in it. */
#define CLAIMERS 8
#define PAIRS 24
static void *claiming_thread(void *arg)
{
    (void)arg;
    pthread_barrier_wait(&barrier);
    for (int round = 0; round < 50; round++)
        for (int p = 0; p < PAIRS; p++) {
            char t[32];
            snprintf(t, sizeof t, "race-%d", p);
            rc_stats_detail("G-race", t, RC_OUT_SUCCESS, false, -1);
        }
    return NULL;
}

static void concurrent_claims_make_one_row_per_pair(void **state)
{
    (void)state;
    unsigned long before = overflow_count(RC_OUT_SUCCESS);
    pthread_barrier_init(&barrier, NULL, CLAIMERS);
    pthread_t th[CLAIMERS];
    for (int k = 0; k < CLAIMERS; k++)
        assert_int_equal(pthread_create(&th[k], NULL, claiming_thread, NULL), 0);
    for (int k = 0; k < CLAIMERS; k++)
        pthread_join(th[k], NULL);
    pthread_barrier_destroy(&barrier);
    unsigned long in_overflow = overflow_count(RC_OUT_SUCCESS) - before;
    unsigned long counted = in_overflow;
    for (int p = 0; p < PAIRS; p++) {
        char t[32];
        snprintf(t, sizeof t, "race-%d", p);
        unsigned rows = 0;
        struct rc_detail_row r;
        for (unsigned i = 0; i < RC_DETAIL_SLOTS; i++)
            if (rc_detail_row(i, &r) && !strcmp(r.group, "G-race") && !strcmp(r.topic, t))
                rows++;
        assert_int_equal(rows, 1);
        counted += row_count("G-race", t, RC_OUT_SUCCESS, false);
    }
    /* Every call counted once: in its pair's row, or (a claim seen
     * half-made for too long) in the overflow. */
    assert_int_equal(counted, (unsigned long)CLAIMERS * 50 * PAIRS);
}

/* Last: fill the table. Beyond it, pairs share the overflow slot, and a
 * cache keeps its last real slot rather than the overflow. */
static void a_full_table_overflows_and_the_cache_keeps_real_slots(void **state)
{
    (void)state;
    struct rc_detail_cache c;
    rc_detail_cache_init(&c, "G-fill", "first");
    struct rc_detail_slot *first = atomic_load(&c.last);
    assert_non_null(first);
    for (int i = 0; i < RC_DETAIL_SLOTS; i++) {
        char t[32];
        snprintf(t, sizeof t, "fill-%d", i);
        (void)rc_detail_slot_find("G-fill", t);
    }
    unsigned used = 0;
    struct rc_detail_row r;
    for (unsigned i = 0; i < RC_DETAIL_SLOTS; i++)
        used += rc_detail_row(i, &r);
    assert_int_equal(used, RC_DETAIL_SLOTS);
    unsigned long before = overflow_count(RC_OUT_SIGNAL);
    rc_stats_detail_cached(&c, "beyond", RC_OUT_SIGNAL, false, -1);
    assert_int_equal(overflow_count(RC_OUT_SIGNAL), before + 1);
    assert_ptr_equal(atomic_load(&c.last), first);
    assert_ptr_equal(rc_detail_cache_slot(&c, "first"), first);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(failure_counts_are_the_threads_own),
        cmocka_unit_test(threads_get_their_own_slot_and_no_count_is_lost),
        cmocka_unit_test(cache_finds_the_slot_once_and_counts_where_the_lookup_does),
        cmocka_unit_test(export_shows_the_cached_counts),
        cmocka_unit_test(integer_bounds_bucket_as_the_seconds_did),
        cmocka_unit_test(a_slot_left_busy_is_not_waited_for_for_ever),
        cmocka_unit_test(concurrent_claims_make_one_row_per_pair),
        cmocka_unit_test(a_full_table_overflows_and_the_cache_keeps_real_slots),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
