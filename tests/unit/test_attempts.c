/*
 * test_attempts.c - the shim's own per-message failure counts: counting,
 * forgetting, owners kept apart, the bound and LRU eviction, threads.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <pthread.h>
#include <stdio.h>
#include <string.h>

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
    char big[70000];
    memset(big, 'x', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    assert_int_equal(rc_attempts_bump(t, &o, big), 1);
    assert_int_equal(rc_attempts_bump(t, &o, big), 2);
    assert_int_equal(rc_attempts_bump(t, &o, ""), 1);
    rc_attempts_forget(t, &o, big);
    assert_int_equal(rc_attempts_size(t), 1);
}

struct worker {
    struct rc_attempts *t;
    int id;
};

static void *hammer(void *arg)
{
    struct worker *w = arg;
    char id[48];
    for (int i = 0; i < 2000; i++) {
        snprintf(id, sizeof id, "T%d-%d", w->id, i % 50);
        int n = rc_attempts_bump(w->t, w->t, id);
        if (n < 1)
            return (void *)1;
        if (i % 7 == 0)
            rc_attempts_forget(w->t, w->t, id);
    }
    return NULL;
}

static void threads(void **state)
{
    (void)state;
    struct rc_attempts *t = rc_attempts_new(64);
    pthread_t th[8];
    struct worker w[8];
    for (int i = 0; i < 8; i++) {
        w[i] = (struct worker){t, i};
        assert_int_equal(pthread_create(&th[i], NULL, hammer, &w[i]), 0);
    }
    for (int i = 0; i < 8; i++) {
        void *r;
        pthread_join(th[i], &r);
        assert_null(r);
    }
    assert_true(rc_attempts_size(t) <= 64);
    rc_attempts_free(t);
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
        cmocka_unit_test(threads),
        cmocka_unit_test(memory_stays_bounded),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
