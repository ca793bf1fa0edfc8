/*
 * test_attempts.c - the shim's own per-message failure counts: counting,
 * forgetting, owners kept apart, the bound and LRU eviction, threads; the
 * whole id as the key (issue 13 item 4); pinned entries that no flood evicts
 * (issue 13 item 3); the sharded table (issue 16).
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
#include <sys/wait.h>
#include <unistd.h>

#include "state/attempts.h"

static int setup(void **state)
{
    *state = rc_attempts_new(4);
    return *state ? 0 : -1;
}

static int teardown(void **state)
{
    rc_attempts_free(*state);
    return 0;
}

static void counts_and_forgets(void **state)
{
    struct rc_attempts *t = *state;
    int owner = 0;
    assert_int_equal(rc_attempts_size(t), 0);
    assert_int_equal(rc_attempts_bump(t, &owner, "M1"), 1);
    assert_int_equal(rc_attempts_bump(t, &owner, "M1"), 2);
    assert_int_equal(rc_attempts_bump(t, &owner, "M1"), 3);
    assert_int_equal(rc_attempts_size(t), 1);
    rc_attempts_forget(t, &owner, "M1");
    assert_int_equal(rc_attempts_size(t), 0);
    assert_int_equal(rc_attempts_bump(t, &owner, "M1"), 1);
    rc_attempts_forget(t, &owner, "never-seen"); /* harmless */
    assert_int_equal(rc_attempts_size(t), 1);
}

static void filter_says_certainly_not(void **state)
{
    struct rc_attempts *t = *state; /* max 4 */
    int o = 0;
    assert_false(rc_attempts_maybe(t, &o, "A"));
    rc_attempts_bump(t, &o, "A");
    assert_true(rc_attempts_maybe(t, &o, "A"));
    rc_attempts_bump(t, &o, "B");
    rc_attempts_forget(t, &o, "A");
    assert_false(rc_attempts_maybe(t, &o, "A"));
    assert_true(rc_attempts_maybe(t, &o, "B"));
    for (int i = 0; i < 4; i++) { /* B is evicted, the oldest */
        char id[16];
        snprintf(id, sizeof id, "E%d", i);
        rc_attempts_bump(t, &o, id);
    }
    assert_false(rc_attempts_maybe(t, &o, "B"));
    /* no false negatives among the present, whatever the hashing */
    for (int i = 0; i < 4; i++) {
        char id[16];
        snprintf(id, sizeof id, "E%d", i);
        assert_true(rc_attempts_maybe(t, &o, id));
    }
}

static void owners_are_apart(void **state)
{
    struct rc_attempts *t = *state;
    int a = 0, b = 0;
    assert_int_equal(rc_attempts_bump(t, &a, "M"), 1);
    assert_int_equal(rc_attempts_bump(t, &b, "M"), 1);
    assert_int_equal(rc_attempts_bump(t, &a, "M"), 2);
    assert_int_equal(rc_attempts_bump(t, &b, "M"), 2);
    rc_attempts_forget(t, &a, "M");
    assert_int_equal(rc_attempts_bump(t, &b, "M"), 3);
    assert_int_equal(rc_attempts_bump(t, &a, "M"), 1);
}

static void bounded_lru(void **state)
{
    struct rc_attempts *t = *state; /* max 4 */
    int o = 0;
    rc_attempts_bump(t, &o, "A");
    rc_attempts_bump(t, &o, "B");
    rc_attempts_bump(t, &o, "C");
    rc_attempts_bump(t, &o, "D");
    assert_int_equal(rc_attempts_bump(t, &o, "A"), 2); /* A is now the most recent */
    rc_attempts_bump(t, &o, "E");                       /* evicts B, the oldest */
    assert_int_equal(rc_attempts_size(t), 4);
    assert_int_equal(rc_attempts_evictions(t), 1);
    assert_int_equal(rc_attempts_bump(t, &o, "A"), 3);  /* kept */
    assert_int_equal(rc_attempts_bump(t, &o, "B"), 1);  /* restarted: evicts C */
    assert_int_equal(rc_attempts_bump(t, &o, "D"), 2);  /* kept */
    assert_int_equal(rc_attempts_bump(t, &o, "C"), 1);  /* was evicted */
    assert_int_equal(rc_attempts_size(t), 4);
}

static void long_ids_and_empty_id(void **state)
{
    struct rc_attempts *t = *state;
    int o = 0;
    static char big[RC_ATTEMPTS_ID_MAX + 2];
    memset(big, 'x', RC_ATTEMPTS_ID_MAX);
    big[RC_ATTEMPTS_ID_MAX] = '\0'; /* the longest id tracked */
    assert_int_equal(rc_attempts_bump(t, &o, big), 1);
    assert_int_equal(rc_attempts_bump(t, &o, big), 2);
    assert_int_equal(rc_attempts_bump(t, &o, ""), 1);
    rc_attempts_forget(t, &o, big);
    assert_int_equal(rc_attempts_size(t), 1);
    /* one byte longer: not tracked, and said so */
    big[RC_ATTEMPTS_ID_MAX] = 'x';
    big[RC_ATTEMPTS_ID_MAX + 1] = '\0';
    unsigned what = 0;
    assert_int_equal(rc_attempts_bump_ex(t, &o, big, true, &what), 0);
    assert_true(what & RC_BUMP_REFUSED);
    assert_false(rc_attempts_maybe(t, &o, big));
    assert_int_equal(rc_attempts_peek(t, &o, big), 0);
    rc_attempts_forget(t, &o, big); /* harmless */
    assert_int_equal(rc_attempts_size(t), 1);
    struct rc_attempts_stats st;
    rc_attempts_stats(t, &st);
    assert_int_equal(st.refused, 1);
}

/*
 * Issue 13 item 4: ids that agreed in their first 248 bytes shared one count
 * (the key was cut to 256 bytes with the owner), so a second long-id message
 * was diverted on its 2nd delivery. Every byte of the id is the key.
 */
static void whole_id_is_the_key(void **state)
{
    struct rc_attempts *t = *state; /* max 4 */
    int o = 0;
    static char a[RC_ATTEMPTS_ID_MAX + 1], b[RC_ATTEMPTS_ID_MAX + 1];
    static const size_t lens[] = {249, 256, 300, 1000, RC_ATTEMPTS_ID_MAX};
    for (size_t k = 0; k < sizeof lens / sizeof lens[0]; k++) {
        size_t n = lens[k];
        memset(a, 'M', n);
        a[n] = '\0';
        memcpy(b, a, n + 1);
        b[n - 1] = 'N'; /* the same but for the last byte */
        for (int i = 1; i <= 3; i++)
            assert_int_equal(rc_attempts_bump(t, &o, a), i);
        assert_int_equal(rc_attempts_peek(t, &o, b), 0);
        assert_int_equal(rc_attempts_bump(t, &o, b), 1);
        assert_int_equal(rc_attempts_bump(t, &o, a), 4);
        rc_attempts_forget(t, &o, b);
        /* a prefix of the other: 248 bytes, then one more */
        b[n - 1] = '\0';
        assert_int_equal(rc_attempts_bump(t, &o, b), 1);
        rc_attempts_forget(t, &o, b);
        assert_int_equal(rc_attempts_bump(t, &o, a), 5);
        rc_attempts_forget(t, &o, a);
        assert_int_equal(rc_attempts_peek(t, &o, a), 0);
    }
}

/*
 * Issue 13 item 3: where the shim's count is the only count (orderly on the
 * 1.2.x client), a flood of other failing ids evicted it before it reached
 * the cap, so the poison was never diverted. A pinned entry is never evicted
 * for an ordinary one: with TRACK_MAX=16 and N=3, a flood of 10 x TRACK_MAX
 * distinct failing ids between its attempts does not stop its count from
 * reaching 1 + N (and on, to 40 attempts), while the ordinary entries stay
 * bounded and their evictions are counted, the first one flagged once.
 */
#define TRACK 16

static void flood(struct rc_attempts *t, const void *o, int round, int n, unsigned *seen)
{
    char id[48];
    for (int i = 0; i < n; i++) {
        unsigned what = 0;
        snprintf(id, sizeof id, "FLOOD-%d-%d", round, i);
        int c = rc_attempts_bump_ex(t, o, id, false, &what);
        assert_true(c == 1 || (c == 0 && (what & RC_BUMP_REFUSED)));
        assert_false(what & RC_BUMP_EVICTED_PINNED);
        *seen |= what;
        if (what & RC_BUMP_FIRST_EVICTION)
            seen[1]++;
    }
}

static void pinned_survives_a_flood(void **state)
{
    (void)state;
    struct rc_attempts *t = rc_attempts_new(TRACK);
    int o = 0, o2 = 0;
    unsigned seen[2] = {0, 0};
    for (int k = 1; k <= 40; k++) {
        unsigned what = 0;
        assert_int_equal(rc_attempts_bump_ex(t, &o, "POISON", true, &what), k);
        assert_false(what & RC_BUMP_REFUSED);
        flood(t, &o2, k, 10 * TRACK, seen);
        assert_true(rc_attempts_size(t) <= TRACK);
        assert_int_equal(rc_attempts_peek(t, &o, "POISON"), k);
    }
    assert_true(seen[0] & RC_BUMP_EVICTED);
    assert_int_equal(seen[1], 1); /* the first eviction, flagged once */
    struct rc_attempts_stats st;
    rc_attempts_stats(t, &st);
    assert_int_equal(st.pinned, 1);
    assert_int_equal(st.pinned_evictions, 0);
    assert_int_equal(st.evictions, 40 * 10 * TRACK - (TRACK - 1));
    assert_int_equal(st.evictions, rc_attempts_evictions(t));
    rc_attempts_forget(t, &o, "POISON"); /* resolved: the pin goes with it */
    rc_attempts_stats(t, &st);
    assert_int_equal(st.pinned, 0);
    rc_attempts_free(t);
}

/* The case: 20 orderly poisons, one per queue, TRACK_MAX=16, MAX_RETRIES=3,
 * each retried in turn with a flood between: every one reaches attempt 4 (its
 * cap) with its own count; the table grows past TRACK_MAX for pinned entries
 * only, and a new ordinary failure is then refused, not tracked. */
static void more_pinned_than_track_max(void **state)
{
    (void)state;
    struct rc_attempts *t = rc_attempts_new(TRACK);
    int o = 0;
    char id[32];
    unsigned seen[2] = {0, 0};
    for (int round = 1; round <= 4; round++) {
        for (int q = 0; q < 20; q++) {
            snprintf(id, sizeof id, "HEAD-%d", q);
            assert_int_equal(rc_attempts_bump_ex(t, &o, id, true, NULL), round);
        }
        flood(t, &o, round, 10 * TRACK, seen);
    }
    struct rc_attempts_stats st;
    rc_attempts_stats(t, &st);
    assert_int_equal(st.entries, 20);
    assert_int_equal(st.pinned, 20);
    assert_int_equal(st.pinned_evictions, 0);
    assert_true(st.refused >= 3 * 10 * TRACK); /* rounds 2..4: all room was pinned */
    assert_int_equal(st.pin_bound, RC_ATTEMPTS_PIN_FLOOR);
    rc_attempts_free(t);
}

/* Past the pinned bound (max(TRACK_MAX, 4096)), the least recently touched
 * pinned entry goes, and the bump says so. */
static void pinned_bound(void **state)
{
    (void)state;
    struct rc_attempts *t = rc_attempts_new(TRACK);
    int o = 0;
    char id[32];
    for (int i = 0; i < RC_ATTEMPTS_PIN_FLOOR; i++) {
        snprintf(id, sizeof id, "P%d", i);
        assert_int_equal(rc_attempts_bump_ex(t, &o, id, true, NULL), 1);
    }
    assert_int_equal(rc_attempts_bump_ex(t, &o, "P0", true, NULL), 2); /* P1 is now the oldest */
    unsigned what = 0;
    assert_int_equal(rc_attempts_bump_ex(t, &o, "NEW", true, &what), 1);
    assert_true((what & RC_BUMP_EVICTED) && (what & RC_BUMP_EVICTED_PINNED));
    assert_int_equal(rc_attempts_size(t), RC_ATTEMPTS_PIN_FLOOR);
    assert_int_equal(rc_attempts_peek(t, &o, "P1"), 0);
    assert_int_equal(rc_attempts_peek(t, &o, "P0"), 2);
    struct rc_attempts_stats st;
    rc_attempts_stats(t, &st);
    assert_int_equal(st.pinned_evictions, 1);
    rc_attempts_free(t);
}

/* An ordinary entry is pinned by a pinned bump, and stays pinned. */
static void pinning_an_existing_entry(void **state)
{
    (void)state;
    struct rc_attempts *t = rc_attempts_new(TRACK);
    int o = 0;
    unsigned seen[2] = {0, 0};
    assert_int_equal(rc_attempts_bump(t, &o, "M"), 1);
    assert_int_equal(rc_attempts_bump_ex(t, &o, "M", true, NULL), 2);
    assert_int_equal(rc_attempts_bump(t, &o, "M"), 3); /* not unpinned */
    flood(t, &o, 0, 10 * TRACK, seen);
    assert_int_equal(rc_attempts_bump(t, &o, "M"), 4);
    rc_attempts_free(t);
}

/* Id bytes are bounded too: long ids evict by bytes, not only by count. */
static void id_bytes_are_bounded(void **state)
{
    (void)state;
    struct rc_attempts *t = rc_attempts_new(TRACK);
    int o = 0;
    static char id[RC_ATTEMPTS_ID_MAX + 1];
    memset(id, 'L', RC_ATTEMPTS_ID_MAX);
    for (int i = 0; i < 100; i++) {
        snprintf(id, 16, "%015d", i); /* ids of 4096 bytes, distinct at the front */
        id[15] = 'L';
        assert_int_equal(rc_attempts_bump(t, &o, id), 1);
        assert_true(rc_attempts_size(t) * RC_ATTEMPTS_ID_MAX <= RC_ATTEMPTS_ID_FLOOR);
    }
    assert_int_equal(rc_attempts_size(t), RC_ATTEMPTS_ID_FLOOR / RC_ATTEMPTS_ID_MAX);
    rc_attempts_free(t);
}

/* The shards: as many as leave each 64 entries or more, at most 1024 (64
 * under ThreadSanitizer, attempts.h); the
 * bound split across them exactly. */
static void shards_and_their_bound(void **state)
{
    (void)state;
    static const struct {
        size_t max;
        unsigned shards;
    } cases[] = {{16, 1},    {127, 1}, {128, 2}, {1000, 8}, {65536, RC_ATTEMPTS_SHARDS_MAX},
                 {10000000, RC_ATTEMPTS_SHARDS_MAX}};
    for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
        struct rc_attempts *t = rc_attempts_new(cases[k].max);
        assert_non_null(t);
        struct rc_attempts_stats st;
        rc_attempts_stats(t, &st);
        assert_int_equal(st.shards, cases[k].shards);
        assert_int_equal(st.bound, cases[k].max);
        rc_attempts_free(t);
    }
    /* 100 x the bound of distinct ids: every shard fills to its share exactly */
    struct rc_attempts *t = rc_attempts_new(1000);
    int o = 0;
    char id[48];
    for (int i = 0; i < 100000; i++) {
        snprintf(id, sizeof id, "%032x", i);
        rc_attempts_bump(t, &o, id);
        assert_true(rc_attempts_size(t) <= 1000);
    }
    assert_int_equal(rc_attempts_size(t), 1000);
    rc_attempts_free(t);
    /* the same at the default bound, 1024 shards (64 under TSan): the hash reaches every
     * shard (a shard index from too few bits of it filled only some) */
    t = rc_attempts_new(65536);
    for (int i = 0; i < 20 * 65536 && rc_attempts_size(t) < 65536; i++) {
        snprintf(id, sizeof id, "%032x", i);
        rc_attempts_bump(t, &o, id);
    }
    assert_int_equal(rc_attempts_size(t), 65536);
    rc_attempts_free(t);
}

/* The fork handlers hold every shard's lock; the child can use the table. */
static void fork_handlers(void **state)
{
    (void)state;
    struct rc_attempts *t = rc_attempts_new(65536);
    int o = 0;
    assert_int_equal(rc_attempts_bump(t, &o, "BEFORE"), 1);
    rc_attempts_lock(t);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        rc_attempts_unlock(t);
        int ok = rc_attempts_bump(t, &o, "BEFORE") == 2 && rc_attempts_bump(t, &o, "CHILD") == 1;
        _exit(ok ? 0 : 1);
    }
    rc_attempts_unlock(t);
    int st;
    assert_int_equal(waitpid(pid, &st, 0), pid);
    assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
    assert_int_equal(rc_attempts_bump(t, &o, "BEFORE"), 2);
    rc_attempts_free(t);
}

struct worker {
    struct rc_attempts *t;
    int id;
};

/* Each thread fails its own 50 ids (half of them pinned) and forgets some:
 * its counts must be exact whatever the other threads do to the table. */
static void *hammer(void *arg)
{
    struct worker *w = arg;
    char id[48];
    int expect[50] = {0};
    for (int i = 0; i < 4000; i++) {
        int k = (i * 7) % 50;
        snprintf(id, sizeof id, "T%d-%d", w->id, k);
        int n = rc_attempts_bump_ex(w->t, w->t, id, k % 2 == 0, NULL);
        if (n != ++expect[k])
            return (void *)1;
        if (!rc_attempts_maybe(w->t, w->t, id) || rc_attempts_peek(w->t, w->t, id) != n)
            return (void *)2;
        if (i % 11 == 0) {
            rc_attempts_forget(w->t, w->t, id);
            expect[k] = 0;
        }
    }
    return NULL;
}

static void run_threads(size_t max, int nthreads)
{
    struct rc_attempts *t = rc_attempts_new(max);
    pthread_t th[16];
    struct worker w[16];
    for (int i = 0; i < nthreads; i++) {
        w[i] = (struct worker){t, i};
        assert_int_equal(pthread_create(&th[i], NULL, hammer, &w[i]), 0);
    }
    for (int i = 0; i < nthreads; i++) {
        void *r;
        pthread_join(th[i], &r);
        assert_null(r);
    }
    struct rc_attempts_stats st;
    rc_attempts_stats(t, &st);
    assert_int_equal(st.entries, rc_attempts_size(t));
    assert_int_equal(st.evictions, 0); /* 16 x 50 ids fit */
    rc_attempts_free(t);
}

static void threads(void **state)
{
    (void)state;
    run_threads(65536, 16); /* 1024 shards (64 under TSan) */
    run_threads(4096, 16);  /* 64 shards, 800 ids in 4096 */
}

static void memory_stays_bounded(void **state)
{
    (void)state;
    struct rc_attempts *t = rc_attempts_new(1000);
    char id[48];
    int o = 0;
    for (int i = 0; i < 100000; i++) {
        snprintf(id, sizeof id, "%032x", i);
        rc_attempts_bump(t, &o, id);
    }
    assert_int_equal(rc_attempts_size(t), 1000);
    assert_int_equal(rc_attempts_evictions(t), 99000);
    rc_attempts_free(t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(counts_and_forgets, setup, teardown),
        cmocka_unit_test_setup_teardown(filter_says_certainly_not, setup, teardown),
        cmocka_unit_test_setup_teardown(owners_are_apart, setup, teardown),
        cmocka_unit_test_setup_teardown(bounded_lru, setup, teardown),
        cmocka_unit_test_setup_teardown(long_ids_and_empty_id, setup, teardown),
        cmocka_unit_test_setup_teardown(whole_id_is_the_key, setup, teardown),
        cmocka_unit_test(pinned_survives_a_flood),
        cmocka_unit_test(more_pinned_than_track_max),
        cmocka_unit_test(pinned_bound),
        cmocka_unit_test(pinning_an_existing_entry),
        cmocka_unit_test(id_bytes_are_bounded),
        cmocka_unit_test(shards_and_their_bound),
        cmocka_unit_test(fork_handlers),
        cmocka_unit_test(threads),
        cmocka_unit_test(memory_stays_bounded),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
