/*
 * test_spooltool_dedup.c - copies of one message: FNV-1a 64 against its
 * published test vectors, and which entries ts_set_dedup joins.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "tools/spool/dedup.h"

static void fnv_vectors(void **state)
{
    (void)state;
    assert_true(ts_fnv1a64("", 0) == 0xcbf29ce484222325ULL);
    assert_true(ts_fnv1a64("a", 1) == 0xaf63dc4c8601ec8cULL);
    assert_true(ts_fnv1a64("foobar", 6) == 0x85944171f73967e8ULL);
    assert_true(ts_fnv1a64("a\0b", 3) != ts_fnv1a64("a\0c", 3)); /* every byte counts */
}

static void rec(struct ts_set *s, const char *msg_id, const char *group, const char *body, int ok)
{
    struct ts_rec *e = ts_set_add(s);
    assert_non_null(e);
    e->ok = ok;
    e->parsed = ok;
    e->r.msg_id = msg_id;
    e->r.group = group;
    e->r.body = body;
    e->r.body_len = strlen(body);
}

static void joins_copies_only(void **state)
{
    (void)state;
    struct ts_set s;
    memset(&s, 0, sizeof s);
    rec(&s, "M1", "G", "x", 1);  /* 0 */
    rec(&s, "M2", "G", "x", 1);  /* 1: another msgId */
    rec(&s, "M1", "G", "x", 1);  /* 2: a copy of 0 */
    rec(&s, "M1", "G", "y", 1);  /* 3: another body */
    rec(&s, "M1", "H", "x", 1);  /* 4: another group */
    rec(&s, "M1", "G", "x", 0);  /* 5: damaged: its own */
    rec(&s, "M1", "G", "x", 1);  /* 6: a copy of 0 */
    rec(&s, "", "G", "x", 1);    /* 7: no msgId: its own */
    rec(&s, "", "G", "x", 1);    /* 8 */
    assert_int_equal(ts_set_dedup(&s), 0);
    size_t want[] = {0, 1, 0, 3, 4, 5, 0, 7, 8};
    for (size_t i = 0; i < s.n; i++)
        assert_int_equal(s.v[i].copy_of, want[i]);
    for (size_t i = 0; i < s.n; i++)
        s.v[i].r.msg_id = s.v[i].r.group = s.v[i].r.body = NULL; /* not owned */
    free(s.v);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(fnv_vectors),
        cmocka_unit_test(joins_copies_only),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
