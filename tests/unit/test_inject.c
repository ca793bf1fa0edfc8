/*
 * test_inject.c - RECONSUME_INJECT: every action and condition, the exact
 * error line for each kind of mistake, the pick (matching, order, the seeded
 * draw), and random input that must never crash.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "policy/inject.h"
#include "util/scan.h"

static struct rc_inject parse_ok(const char *spec)
{
    struct rc_inject inj;
    char err[1024];
    int rc = rc_inject_parse(spec, 1, &inj, err, sizeof err);
    if (rc != 0)
        fail_msg("'%s': %s", spec, err);
    return inj;
}

static void expect_err(const char *spec, const char *want)
{
    struct rc_inject inj;
    char err[1024];
    assert_int_equal(rc_inject_parse(spec, 1, &inj, err, sizeof err), -1);
    assert_string_equal(err, want);
    assert_int_equal(inj.n, 0);
    assert_null(inj.rules);
    rc_inject_free(&inj);
}

static struct rc_msgview msg(const char *id)
{
    struct rc_msgview m = {.group = "G", .topic = "Orders", .tags = "new", .keys = "k1 k2",
                           .msg_id = id, .body = "hello", .body_len = 5};
    return m;
}

static void unset_is_empty(void **state)
{
    (void)state;
    struct rc_inject inj;
    char err[64];
    assert_int_equal(rc_inject_parse(NULL, 7, &inj, err, sizeof err), 0);
    assert_int_equal(inj.n, 0);
    assert_int_equal(inj.seed, 7);
    struct rc_msgview m = msg("A");
    assert_null(rc_inject_pick(&inj, &m, 1));
    assert_null(rc_inject_pick(NULL, &m, 1));
    rc_inject_free(&inj);
}

static void actions(void **state)
{
    (void)state;
    struct rc_inject inj =
        parse_ok("reconsume;status:7;status:-3;throw;throw:boom: bad input;delay:250;delay:0");
    assert_int_equal(inj.n, 7);
    assert_int_equal(inj.rules[0].action, RC_INJ_RECONSUME);
    assert_int_equal(inj.rules[0].status, 1);
    assert_int_equal(inj.rules[1].action, RC_INJ_STATUS);
    assert_int_equal(inj.rules[1].status, 7);
    assert_int_equal(inj.rules[2].status, -3);
    assert_int_equal(inj.rules[3].action, RC_INJ_THROW);
    assert_string_equal(inj.rules[3].text, RC_INJECT_DEFAULT_TEXT);
    assert_string_equal(inj.rules[4].text, "boom: bad input");
    assert_int_equal(inj.rules[5].action, RC_INJ_DELAY);
    assert_int_equal(inj.rules[5].delay_ms, 250);
    assert_int_equal(inj.rules[6].delay_ms, 0);
    for (size_t i = 0; i < inj.n; i++) {
        assert_int_equal(inj.rules[i].index, (int)i + 1);
        assert_true(inj.rules[i].p == 1.0);
    }
    assert_string_equal(inj.rules[4].spec, "throw:boom: bad input");
    assert_string_equal(rc_inject_action_name(RC_INJ_DELAY), "delay");
    assert_string_equal(rc_inject_action_name(RC_INJ_THROW), "throw");
    rc_inject_free(&inj);

    inj = parse_ok("status:-2147483648;status:2147483647;delay:600000");
    assert_int_equal(inj.rules[0].status, -2147483647 - 1);
    assert_int_equal(inj.rules[1].status, 2147483647);
    assert_int_equal(inj.rules[2].delay_ms, 600000);
    rc_inject_free(&inj);
}

static void conditions(void **state)
{
    (void)state;
    struct rc_inject inj = parse_ok(
        "  throw:x , p=0.25, topic=Ord*, tag=new , key=k?,group=G,body=MARK,first=2 ;"
        " reconsume,attempt=3,p=.5;status:9,p=1.0");
    assert_int_equal(inj.n, 3);
    const struct rc_inject_rule *r = &inj.rules[0];
    assert_string_equal(r->text, "x");
    assert_true(r->p == 0.25);
    assert_string_equal(r->topic, "Ord*");
    assert_string_equal(r->tag, "new");
    assert_string_equal(r->key, "k?");
    assert_string_equal(r->group, "G");
    assert_int_equal(r->body_len, 4);
    assert_memory_equal(r->body, "MARK", 4);
    assert_int_equal(r->first, 2);
    assert_int_equal(r->attempt, 0);
    assert_string_equal(r->spec,
                        "throw:x , p=0.25, topic=Ord*, tag=new , key=k?,group=G,body=MARK,first=2");
    assert_int_equal(inj.rules[1].attempt, 3);
    assert_true(inj.rules[1].p == 0.5);
    assert_null(inj.rules[1].topic);
    assert_true(inj.rules[2].p == 1.0);
    rc_inject_free(&inj);

    inj = parse_ok("reconsume,p=0;reconsume,p=1;reconsume,p=0.000;reconsume,p=00.5");
    assert_true(inj.rules[0].p == 0.0);
    assert_true(inj.rules[1].p == 1.0);
    assert_true(inj.rules[3].p == 0.5);
    rc_inject_free(&inj);
}

static void escapes(void **state)
{
    (void)state;
    struct rc_inject inj =
        parse_ok("throw:a\\, b\\; c\\\\ d\\ ,body=x\\,y;reconsume,topic=a\\\\*,body=\\ lead");
    assert_int_equal(inj.n, 2);
    assert_string_equal(inj.rules[0].text, "a, b; c\\ d ");
    assert_int_equal(inj.rules[0].body_len, 3);
    assert_memory_equal(inj.rules[0].body, "x,y", 3);
    assert_string_equal(inj.rules[1].topic, "a\\*");
    assert_memory_equal(inj.rules[1].body, " lead", 5);
    /* A trailing escaped blank is kept; an unescaped one is trimmed. */
    inj = (rc_inject_free(&inj), parse_ok("throw:t\\  "));
    assert_string_equal(inj.rules[0].text, "t ");
    rc_inject_free(&inj);
    /* A GLOB with an escaped backslash matches a literal '*'. */
    inj = parse_ok("reconsume,topic=a\\\\*");
    struct rc_msgview m = msg("A");
    m.topic = "a*";
    assert_non_null(rc_inject_pick(&inj, &m, 1));
    m.topic = "ab";
    assert_null(rc_inject_pick(&inj, &m, 1));
    rc_inject_free(&inj);
}

static void errors(void **state)
{
    (void)state;
    expect_err("", "RECONSUME_INJECT='': empty value; unset it for the default");
    expect_err("reconsume;foo",
               "RECONSUME_INJECT='reconsume;foo': rule 2 'foo': unknown action 'foo'; expected "
               "reconsume, status:N, throw[:TEXT] or delay:MS");
    expect_err("p=0.5", "RECONSUME_INJECT='p=0.5': rule 1 'p=0.5': unknown action 'p=0.5'; "
                        "expected reconsume, status:N, throw[:TEXT] or delay:MS");
    expect_err("reconsume;;status:3",
               "RECONSUME_INJECT='reconsume;;status:3': rule 2 is empty; expected "
               "ACTION[:ARG][,COND]...");
    expect_err("reconsume;", "RECONSUME_INJECT='reconsume;': rule 2 is empty; expected "
                             "ACTION[:ARG][,COND]...");
    expect_err("reconsume:1", "RECONSUME_INJECT='reconsume:1': rule 1 'reconsume:1': action "
                              "'reconsume' takes no argument");
    expect_err("status", "RECONSUME_INJECT='status': rule 1 'status': action 'status' needs a "
                         "value: status:N");
    expect_err("status:0",
               "RECONSUME_INJECT='status:0': rule 1 'status:0': status '0': expected an integer "
               "from -2147483648 to 2147483647, not 0 (0 would acknowledge a message the "
               "application never saw)");
    expect_err("status:2147483648",
               "RECONSUME_INJECT='status:2147483648': rule 1 'status:2147483648': status "
               "'2147483648': expected an integer from -2147483648 to 2147483647, not 0 (0 "
               "would acknowledge a message the application never saw)");
    expect_err("status:+1",
               "RECONSUME_INJECT='status:+1': rule 1 'status:+1': status '+1': expected an "
               "integer from -2147483648 to 2147483647, not 0 (0 would acknowledge a message "
               "the application never saw)");
    expect_err("delay:", "RECONSUME_INJECT='delay:': rule 1 'delay:': action 'delay' needs a "
                         "value: delay:MS");
    expect_err("delay:600001", "RECONSUME_INJECT='delay:600001': rule 1 'delay:600001': delay "
                               "'600001': expected an integer from 0 to 600000 (milliseconds)");
    expect_err("delay:1s", "RECONSUME_INJECT='delay:1s': rule 1 'delay:1s': delay '1s': "
                           "expected an integer from 0 to 600000 (milliseconds)");
    expect_err("throw:", "RECONSUME_INJECT='throw:': rule 1 'throw:': throw text is empty; "
                         "write 'throw' for the default text");
    expect_err("reconsume,topic=",
               "RECONSUME_INJECT='reconsume,topic=': rule 1 'reconsume,topic=': condition "
               "'topic' has an empty value");
    expect_err("reconsume,tag=a,tag=b",
               "RECONSUME_INJECT='reconsume,tag=a,tag=b': rule 1 'reconsume,tag=a,tag=b': "
               "condition 'tag' given twice");
    expect_err("reconsume,prob=1",
               "RECONSUME_INJECT='reconsume,prob=1': rule 1 'reconsume,prob=1': unknown "
               "condition 'prob=1'; expected p=, topic=, tag=, key=, group=, body=, first= or "
               "attempt=");
    expect_err("reconsume,topic", "RECONSUME_INJECT='reconsume,topic': rule 1 "
                                  "'reconsume,topic': unknown condition 'topic'; expected p=, "
                                  "topic=, tag=, key=, group=, body=, first= or attempt=");
    expect_err("reconsume,,p=1", "RECONSUME_INJECT='reconsume,,p=1': rule 1 'reconsume,,p=1': "
                                 "empty condition; expected p=, topic=, tag=, key=, group=, "
                                 "body=, first= or attempt=");
    expect_err(",p=1", "RECONSUME_INJECT=',p=1': rule 1 ',p=1': no action; expected reconsume, "
                       "status:N, throw[:TEXT] or delay:MS");
    const char *bad_p[] = {"2", "1.5", "-0.5", "0.5.1", ".", "1e-1", "0x1", "nan", "inf", " 0.5"};
    for (size_t i = 0; i < sizeof bad_p / sizeof *bad_p; i++) {
        char spec[64], want[256];
        snprintf(spec, sizeof spec, "reconsume,p=%s", bad_p[i]);
        /* Blanks around an item are trimmed, not those after '='. */
        snprintf(want, sizeof want,
                 "RECONSUME_INJECT='%s': rule 1 '%s': p '%s': expected a probability from 0 to 1 "
                 "(e.g. 0.25)",
                 spec, spec, bad_p[i]);
        expect_err(spec, want);
    }
    expect_err("reconsume,first=0", "RECONSUME_INJECT='reconsume,first=0': rule 1 "
                                    "'reconsume,first=0': first '0': expected an integer from 1 "
                                    "to 1000000");
    expect_err("reconsume,attempt=1000001",
               "RECONSUME_INJECT='reconsume,attempt=1000001': rule 1 "
               "'reconsume,attempt=1000001': attempt '1000001': expected an integer from 1 to "
               "1000000");
    expect_err("throw:x\\", "RECONSUME_INJECT='throw:x\\': rule 1 'throw:x\\': '\\' at the end; "
                            "expected a character after it");
    expect_err("reconsume,topic=a\tb",
               "RECONSUME_INJECT='reconsume,topic=a\\x09b': rule 1 'reconsume,topic=a\\x09b': "
               "topic 'a\\x09b' has a control character (byte 0x09); only body= may");
    expect_err("throw:a\nb", "RECONSUME_INJECT='throw:a\\x0ab': rule 1 'throw:a\\x0ab': throw "
                             "text has a control character (byte 0x0a)");

    /* body= may hold any byte. */
    struct rc_inject inj = parse_ok("reconsume,body=\x01\x7f");
    assert_int_equal(inj.rules[0].body_len, 2);
    rc_inject_free(&inj);

    /* Too long a text, too many rules. */
    char big[700];
    memset(big, 'a', sizeof big);
    memcpy(big, "throw:", 6);
    big[6 + 513] = '\0';
    struct rc_inject out;
    char err[2048];
    assert_int_equal(rc_inject_parse(big, 1, &out, err, sizeof err), -1);
    assert_non_null(strstr(err, "': throw text is 513 bytes; expected at most 512"));
    big[6 + 512] = '\0';
    inj = parse_ok(big);
    rc_inject_free(&inj);

    char many[65 * 11 + 1] = "";
    for (int i = 0; i < 65; i++)
        strcat(many, i ? ";reconsume" : "reconsume");
    assert_int_equal(rc_inject_parse(many, 1, &out, err, sizeof err), -1);
    assert_non_null(strstr(err, "...': more than 64 rules"));
    many[strlen(many) - strlen(";reconsume")] = '\0';
    inj = parse_ok(many);
    assert_int_equal(inj.n, 64);
    rc_inject_free(&inj);

    /* A tiny error buffer is never overrun. */
    char tiny[8];
    assert_int_equal(rc_inject_parse("foo", 1, &out, tiny, sizeof tiny), -1);
    assert_string_equal(tiny, "RECONSU");
}

static void seed(void **state)
{
    (void)state;
    uint64_t s = 0;
    char err[256];
    assert_int_equal(rc_inject_seed_parse(NULL, &s, err, sizeof err), 0);
    assert_int_equal(s, 1);
    assert_int_equal(rc_inject_seed_parse("0", &s, err, sizeof err), 0);
    assert_int_equal(s, 0);
    assert_int_equal(rc_inject_seed_parse("18446744073709551615", &s, err, sizeof err), 0);
    assert_true(s == UINT64_MAX);
    const char *bad[] = {"18446744073709551616", "-1", "+1", "1 ", "0x10", "abc"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        char want[256];
        assert_int_equal(rc_inject_seed_parse(bad[i], &s, err, sizeof err), -1);
        snprintf(want, sizeof want,
                 "RECONSUME_INJECT_SEED='%s': expected an integer from 0 to 18446744073709551615",
                 bad[i]);
        assert_string_equal(err, want);
    }
    assert_int_equal(rc_inject_seed_parse("", &s, err, sizeof err), -1);
    assert_string_equal(err, "RECONSUME_INJECT_SEED='': empty value; unset it for the default");
}

static void matching(void **state)
{
    (void)state;
    struct rc_inject inj = parse_ok("status:11,topic=Pay*;"
                                    "status:12,tag=old;"
                                    "status:13,key=k2;"
                                    "status:14,group=H;"
                                    "status:15,body=MID;"
                                    "status:16,first=2,topic=Orders;"
                                    "status:17,attempt=4;"
                                    "status:18,key=x*,tag=*");
    struct rc_msgview m = msg("A");
    const struct rc_inject_rule *r;

    m.topic = "Payments";
    assert_int_equal(rc_inject_pick(&inj, &m, 1)->status, 11);
    m.topic = "Orders";
    m.tags = "old";
    assert_int_equal(rc_inject_pick(&inj, &m, 1)->status, 12);
    m.tags = "new";
    m.keys = "a k2 b";
    assert_int_equal(rc_inject_pick(&inj, &m, 9)->status, 13);
    m.keys = "k22 kk2";
    assert_true((r = rc_inject_pick(&inj, &m, 9)) == NULL || r->status != 13);
    m.keys = NULL;
    m.group = "H";
    assert_int_equal(rc_inject_pick(&inj, &m, 9)->status, 14);
    m.group = "G";
    static const char body[] = "abc\0MID\0";
    m.body = body;
    m.body_len = sizeof body - 1;
    assert_int_equal(rc_inject_pick(&inj, &m, 9)->status, 15);
    m.body_len = 6; /* "abc\0MI": the marker is cut off */
    assert_null(rc_inject_pick(&inj, &m, 9));
    m.body = NULL;
    m.body_len = 0;
    assert_int_equal(rc_inject_pick(&inj, &m, 1)->status, 16);
    assert_int_equal(rc_inject_pick(&inj, &m, 2)->status, 16);
    assert_null(rc_inject_pick(&inj, &m, 3));
    assert_int_equal(rc_inject_pick(&inj, &m, 4)->status, 17);
    assert_null(rc_inject_pick(&inj, &m, 5));
    /* key= never matches without keys; tag=* matches a missing tag. */
    m.keys = "xy";
    m.tags = NULL;
    assert_int_equal(rc_inject_pick(&inj, &m, 5)->status, 18);
    m.keys = "  xy  ";
    assert_int_equal(rc_inject_pick(&inj, &m, 5)->status, 18);
    m.keys = "";
    assert_null(rc_inject_pick(&inj, &m, 5));
    /* Every field missing. */
    struct rc_msgview empty = {0};
    assert_int_equal(rc_inject_pick(&inj, &empty, 4)->status, 17);
    assert_null(rc_inject_pick(&inj, &empty, 5));
    rc_inject_free(&inj);

    /* A very long key is skipped, not cut. */
    inj = parse_ok("reconsume,key=a*");
    char longkey[1000];
    memset(longkey, 'a', sizeof longkey - 1);
    longkey[sizeof longkey - 1] = '\0';
    m = msg("A");
    m.keys = longkey;
    assert_null(rc_inject_pick(&inj, &m, 1));
    rc_inject_free(&inj);
}

/* The draw: stable (golden values), seeded, independent per rule and attempt, fair. */
static void determinism(void **state)
{
    (void)state;
    /* Golden values: a change here changes which deliveries every seeded run injects. */
    assert_true(rc_inject_hash(1, 1, "A", 1) == rc_inject_hash(1, 1, "A", 1));
    uint64_t g1 = rc_inject_hash(1, 1, "7F0000010001", 1);
    uint64_t g2 = rc_inject_hash(42, 3, "", 2);
    uint64_t g3 = rc_inject_hash(1, 1, NULL, 1);
    assert_true(g1 == 0x6e0928bd1177f047ull);
    assert_true(g2 == 0xa23052cdd557dc5full);
    assert_true(g3 == rc_inject_hash(1, 1, "", 1));
    assert_true(rc_inject_hash(1, 1, "A", 1) != rc_inject_hash(2, 1, "A", 1));
    assert_true(rc_inject_hash(1, 1, "A", 1) != rc_inject_hash(1, 2, "A", 1));
    assert_true(rc_inject_hash(1, 1, "A", 1) != rc_inject_hash(1, 1, "B", 1));
    assert_true(rc_inject_hash(1, 1, "A", 1) != rc_inject_hash(1, 1, "A", 2));

    struct rc_inject a, b, c;
    char err[256];
    assert_int_equal(rc_inject_parse("reconsume,p=0.25;status:5,p=0.5", 99, &a, err, sizeof err), 0);
    assert_int_equal(rc_inject_parse("reconsume,p=0.25;status:5,p=0.5", 99, &b, err, sizeof err), 0);
    assert_int_equal(rc_inject_parse("reconsume,p=0.25;status:5,p=0.5", 100, &c, err, sizeof err), 0);
    int n1 = 0, n2 = 0, none = 0, differ = 0;
    const int N = 20000;
    for (int i = 0; i < N; i++) {
        char id[32];
        snprintf(id, sizeof id, "C0A8000100002A9F%08X", (unsigned)i);
        struct rc_msgview m = msg(id);
        int attempt = 1 + i % 3;
        const struct rc_inject_rule *ra = rc_inject_pick(&a, &m, attempt);
        const struct rc_inject_rule *rb = rc_inject_pick(&b, &m, attempt);
        const struct rc_inject_rule *rc = rc_inject_pick(&c, &m, attempt);
        /* Same seed: the very same decision. */
        assert_true((ra == NULL) == (rb == NULL));
        if (ra)
            assert_int_equal(ra->index, rb->index);
        if ((ra == NULL) != (rc == NULL) || (ra && rc && ra->index != rc->index))
            differ++;
        if (!ra)
            none++;
        else if (ra->index == 1)
            n1++;
        else
            n2++;
    }
    /* Rule 1 fires for 25%; rule 2 for half of the remaining 75%. */
    assert_in_range(n1, N * 23 / 100, N * 27 / 100);
    assert_in_range(n2, N * 355 / 1000, N * 395 / 1000);
    assert_in_range(none, N * 355 / 1000, N * 395 / 1000);
    assert_true(differ > N / 4); /* another seed, other deliveries */
    rc_inject_free(&a);
    rc_inject_free(&b);
    rc_inject_free(&c);

    /* p=0 never fires; a rule that does not fire lets the next one try. */
    struct rc_inject z = parse_ok("status:3,p=0;status:4");
    struct rc_msgview m = msg("Z");
    assert_int_equal(rc_inject_pick(&z, &m, 1)->status, 4);
    rc_inject_free(&z);
}

/* Random specs built from the grammar's own characters: no crash, no leak, always an answer. */
static void random_input(void **state)
{
    (void)state;
    static const char alphabet[] = ";,:=\\ \t*?[]p0.5123-+throwreconsumestatusdelaytopic"
                                   "tagkeygroupbodyfirstattempt\x01\xff";
    unsigned long long x = 88172645463325252ull;
    char spec[200], err[512];
    int ok = 0;
    for (int i = 0; i < 30000; i++) {
        size_t n = (size_t)(i % (sizeof spec - 1));
        for (size_t k = 0; k < n; k++) {
            x ^= x << 13, x ^= x >> 7, x ^= x << 17;
            spec[k] = alphabet[x % (sizeof alphabet - 1)];
        }
        spec[n] = '\0';
        struct rc_inject inj;
        int rc = rc_inject_parse(spec, x, &inj, err, sizeof err);
        if (rc == 0) {
            ok++;
            struct rc_msgview m = msg("R");
            rc_inject_pick(&inj, &m, (int)(x % 5));
        } else {
            assert_true(err[0] != '\0');
            assert_null(strchr(err, '\n'));
        }
        rc_inject_free(&inj);
    }
    /* Some grammatical ones too. */
    const char *good[] = {"reconsume", "throw:x,p=0.5", "delay:5,topic=*;status:2,key=a b"};
    for (size_t i = 0; i < 3; i++) {
        struct rc_inject inj = parse_ok(good[i]);
        rc_inject_free(&inj);
    }
    (void)ok;
}

static void echo(void **state)
{
    (void)state;
    char buf[RC_ECHO_CAP];
    rc_scan_echo("a\x01\xff", 3, buf, sizeof buf);
    assert_string_equal(buf, "a\\x01\\xff");
    char big[300];
    memset(big, 'x', sizeof big);
    rc_scan_echo(big, sizeof big, buf, sizeof buf);
    assert_int_equal(strlen(buf), RC_ECHO_MAX + 3);
    assert_string_equal(buf + RC_ECHO_MAX, "...");
    char small[6];
    rc_scan_echo("\x01\x02", 2, small, sizeof small);
    assert_string_equal(small, "\\x01"); /* never half an escape */
    long v;
    assert_true(rc_scan_long("-9223372036854775808", 20, -9223372036854775807L - 1,
                             9223372036854775807L, &v));
    assert_true(v == -9223372036854775807L - 1);
    assert_false(rc_scan_long("9223372036854775808", 19, 0, 9223372036854775807L, &v));
    assert_false(rc_scan_long("-", 1, -5, 5, &v));
    assert_false(rc_scan_long("", 0, -5, 5, &v));
    assert_true(rc_scan_long("0005", 4, -5, 5, &v) && v == 5);
    assert_false(rc_scan_long("6", 1, -5, 5, &v));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(unset_is_empty),
        cmocka_unit_test(actions),
        cmocka_unit_test(conditions),
        cmocka_unit_test(escapes),
        cmocka_unit_test(errors),
        cmocka_unit_test(seed),
        cmocka_unit_test(matching),
        cmocka_unit_test(determinism),
        cmocka_unit_test(random_input),
        cmocka_unit_test(echo),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
