/*
 * test_backoff.c - RECONSUME_BACKOFF (policy/backoff.c): every accepted form
 * and its canonical text, the delay of each retry (the last repeats, the
 * exponential form saturates at its max without overflow), the 4.x delay
 * levels at and around every boundary, the one-line
 * error for each bad form, and the wiring into the config and a rule.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "io/read_file.h"
#include "policy/backoff.h"
#include "policy/config.h"
#include "policy/rules.h"

#define ACCEPTED                                                                              \
    "expected DELAY[,DELAY]..., exp:DELAY[*N][,max=DELAY] or off (DELAY: digits then ms, s, " \
    "m or h, or 0; at most 24h; N 1 to 100)"

static void parses(const char *v, struct rc_backoff *b, const char *canonical)
{
    char err[1024], buf[400];
    int rc = rc_backoff_parse("RECONSUME_BACKOFF", v, b, err, sizeof err);
    if (rc != 0)
        fail_msg("'%s' refused: %s", v, err);
    rc_backoff_format(b, buf, sizeof buf);
    assert_string_equal(buf, canonical);
}

static void lists(void **state)
{
    (void)state;
    struct rc_backoff b;
    parses("1s,5s,30s,2m", &b, "1s,5s,30s,2m");
    assert_int_equal(b.kind, RC_BACKOFF_LIST);
    assert_int_equal(b.n, 4);
    assert_int_equal(rc_backoff_delay_ms(&b, 0), 0);
    assert_int_equal(rc_backoff_delay_ms(&b, 1), 1000);
    assert_int_equal(rc_backoff_delay_ms(&b, 2), 5000);
    assert_int_equal(rc_backoff_delay_ms(&b, 3), 30000);
    assert_int_equal(rc_backoff_delay_ms(&b, 4), 120000);
    /* the last repeats, however far */
    assert_int_equal(rc_backoff_delay_ms(&b, 5), 120000);
    assert_int_equal(rc_backoff_delay_ms(&b, 4000000000u), 120000);
    /* units, canonical: the largest exact one */
    parses("200ms,1000ms,90s,60m,120m,3600s", &b, "200ms,1s,90s,1h,2h,1h");
    parses("0", &b, "0");
    assert_int_equal(rc_backoff_delay_ms(&b, 1), 0);
    parses("0,0ms,0s", &b, "0,0,0");
    parses("007s", &b, "7s");
    parses("24h", &b, "24h");
    assert_int_equal(rc_backoff_delay_ms(&b, 1), RC_BACKOFF_MAX_MS);
    parses("86400000ms", &b, "24h");
    parses("1440m", &b, "24h");
    /* 32 delays is the most */
    char v[400] = "";
    for (int i = 1; i <= RC_BACKOFF_MAX_STEPS; i++)
        snprintf(v + strlen(v), sizeof v - strlen(v), "%s%ds", i > 1 ? "," : "", i);
    parses(v, &b, v);
    assert_int_equal(rc_backoff_delay_ms(&b, 32), 32000);
    assert_int_equal(rc_backoff_delay_ms(&b, 33), 32000);
    /* off, and unset */
    parses("off", &b, "off");
    assert_int_equal(b.kind, RC_BACKOFF_NONE);
    assert_false(rc_backoff_set(&b));
    assert_false(rc_backoff_set(NULL));
    assert_int_equal(rc_backoff_delay_ms(&b, 3), 0);
    assert_int_equal(rc_backoff_delay_ms(NULL, 3), 0);
    char err[8] = "x";
    assert_int_equal(rc_backoff_parse("X", NULL, &b, err, sizeof err), 0);
    assert_int_equal(b.kind, RC_BACKOFF_NONE);
}

static void exponential(void **state)
{
    (void)state;
    struct rc_backoff b;
    parses("exp:1s*2,max=10m", &b, "exp:1s*2,max=10m");
    assert_int_equal(b.kind, RC_BACKOFF_EXP);
    static const uint32_t want[] = {0, 1000, 2000, 4000, 8000, 16000, 32000, 64000, 128000,
                                    256000, 512000, 600000, 600000};
    for (unsigned k = 0; k < sizeof want / sizeof *want; k++)
        assert_int_equal(rc_backoff_delay_ms(&b, k), want[k]);
    /* a huge retry number: saturated, no overflow, no long loop */
    assert_int_equal(rc_backoff_delay_ms(&b, 4294967295u), 600000);
    /* the defaults: RocketMQ 5's multiplier 2 and max 2h */
    parses("exp:5s", &b, "exp:5s*2,max=2h");
    assert_int_equal(rc_backoff_delay_ms(&b, 12), 7200000);
    assert_int_equal(rc_backoff_delay_ms(&b, 11), 5000u << 10);
    parses("exp:500ms*3", &b, "exp:500ms*3,max=2h");
    assert_int_equal(rc_backoff_delay_ms(&b, 3), 4500);
    /* a first delay above the default max is never cut */
    parses("exp:3h", &b, "exp:3h*2,max=3h");
    assert_int_equal(rc_backoff_delay_ms(&b, 1), 10800000);
    assert_int_equal(rc_backoff_delay_ms(&b, 9), 10800000);
    /* multiplier 1: constant; 100 with the largest values: saturates */
    parses("exp:2s*1,max=1m", &b, "exp:2s*1,max=1m");
    assert_int_equal(rc_backoff_delay_ms(&b, 50), 2000);
    parses("exp:24h*100,max=24h", &b, "exp:24h*100,max=24h");
    assert_int_equal(rc_backoff_delay_ms(&b, 1000), RC_BACKOFF_MAX_MS);
    parses("exp:1ms*100,max=24h", &b, "exp:1ms*100,max=24h");
    assert_int_equal(rc_backoff_delay_ms(&b, 4), 1000000);
    assert_int_equal(rc_backoff_delay_ms(&b, 5), RC_BACKOFF_MAX_MS);
    assert_int_equal(rc_backoff_delay_ms(&b, 3000000000u), RC_BACKOFF_MAX_MS);
    /* zero initial: always 0 */
    parses("exp:0*2,max=1s", &b, "exp:0*2,max=1s");
    assert_int_equal(rc_backoff_delay_ms(&b, 7), 0);
}

static void expect_err(const char *v, const char *why)
{
    struct rc_backoff b;
    char err[1024], want[1024];
    memset(&b, 0x5a, sizeof b);
    assert_int_equal(rc_backoff_parse("RECONSUME_BACKOFF", v, &b, err, sizeof err), -1);
    snprintf(want, sizeof want, "RECONSUME_BACKOFF='%s': %s; " ACCEPTED, v, why);
    assert_string_equal(err, want);
    assert_int_equal(b.kind, RC_BACKOFF_NONE); /* zeroed on failure */
    assert_int_equal(b.n, 0);
}

static void bad_forms(void **state)
{
    (void)state;
    char err[1024];
    struct rc_backoff b;
    assert_int_equal(rc_backoff_parse("RECONSUME_BACKOFF", "", &b, err, sizeof err), -1);
    assert_string_equal(err, "RECONSUME_BACKOFF='': empty value; unset it for the default");
    /* empty items */
    expect_err(",", "delay 1 is empty");
    expect_err("1s,,5s", "delay 2 is empty");
    expect_err("1s,", "delay 2 is empty");
    expect_err(",1s", "delay 1 is empty");
    /* garbage */
    expect_err("5", "delay 1 has no unit");
    expect_err("1s,10", "delay 2 has no unit");
    expect_err("1sec", "delay 1 has an unknown unit");
    expect_err("1S", "delay 1 has an unknown unit");
    expect_err("1.5s", "delay 1 has an unknown unit");
    expect_err("1s 2s", "delay 1 has an unknown unit");
    expect_err(" 1s", "delay 1 does not start with a digit");
    expect_err("-1s", "delay 1 does not start with a digit");
    expect_err("+1s", "delay 1 does not start with a digit");
    expect_err("ms", "delay 1 does not start with a digit");
    expect_err("OFF", "delay 1 does not start with a digit");
    expect_err("1s;2s", "delay 1 has an unknown unit");
    /* too long: just above 24h in each unit, and numbers that would overflow */
    expect_err("86400001ms", "delay 1 is longer than 24h");
    expect_err("86401s", "delay 1 is longer than 24h");
    expect_err("1441m", "delay 1 is longer than 24h");
    expect_err("25h", "delay 1 is longer than 24h");
    expect_err("4294967296ms", "delay 1 is longer than 24h");
    expect_err("99999999999999999999999999h", "delay 1 is longer than 24h");
    expect_err("1s,18446744073709551617s", "delay 2 is longer than 24h");
    /* too many */
    char v[400] = "";
    for (int i = 0; i <= RC_BACKOFF_MAX_STEPS; i++)
        snprintf(v + strlen(v), sizeof v - strlen(v), "%s1s", i ? "," : "");
    expect_err(v, "more than 32 delays");
    /* the exponential form */
    expect_err("exp:", "the initial delay is empty");
    expect_err("exp:s", "the initial delay does not start with a digit");
    expect_err("exp:1s*", "the multiplier is not an integer from 1 to 100");
    expect_err("exp:1s*0", "the multiplier is not an integer from 1 to 100");
    expect_err("exp:1s*101", "the multiplier is not an integer from 1 to 100");
    expect_err("exp:1s*-2", "the multiplier is not an integer from 1 to 100");
    expect_err("exp:1s*1.5", "the multiplier is not an integer from 1 to 100");
    expect_err("exp:1s*99999999999999999999", "the multiplier is not an integer from 1 to 100");
    expect_err("exp:1s,10m", "what follows the initial delay is not ,max=DELAY");
    expect_err("exp:1s,max=", "the max is empty");
    expect_err("exp:1s,max=25h", "the max is longer than 24h");
    expect_err("exp:1s,max=1m,2", "the max has an unknown unit");
    expect_err("exp:1m,max=1s", "the max is shorter than the initial delay");
    expect_err("exp:25h", "the initial delay is longer than 24h");
    /* a hostile value is echoed printable */
    assert_int_equal(rc_backoff_parse("RECONSUME_BACKOFF", "1s,\x1b[2J", &b, err, sizeof err), -1);
    assert_non_null(strstr(err, "'1s,\\x1b[2J': delay 2 does not start with a digit"));
}

static void levels(void **state)
{
    (void)state;
    /* the 4.x default messageDelayLevel */
    static const uint32_t ms[] = {1000,   5000,   10000,  30000,  60000,   120000,
                                  180000, 240000, 300000, 360000, 420000,  480000,
                                  540000, 600000, 1200000, 1800000, 3600000, 7200000};
    assert_int_equal(rc_backoff_level_at_or_above(0), 1);
    assert_int_equal(rc_backoff_level_at_or_above(1), 1);
    for (int i = 0; i < RC_BACKOFF_LEVELS; i++) {
        assert_int_equal(rc_backoff_level_ms(i + 1), ms[i]);
        assert_int_equal(rc_backoff_level_at_or_above(ms[i]), i + 1);     /* exactly */
        assert_int_equal(rc_backoff_level_at_or_above(ms[i] - 1), i + 1); /* just below */
        if (i + 1 < RC_BACKOFF_LEVELS)
            assert_int_equal(rc_backoff_level_at_or_above(ms[i] + 1), i + 2); /* just above */
    }
    /* above 2h: the highest */
    assert_int_equal(rc_backoff_level_at_or_above(7200001), 18);
    assert_int_equal(rc_backoff_level_at_or_above(RC_BACKOFF_MAX_MS), 18);
    assert_int_equal(rc_backoff_level_at_or_above(UINT32_MAX), 18);
    assert_int_equal(rc_backoff_level_ms(0), 0);
    assert_int_equal(rc_backoff_level_ms(19), 0);
    assert_int_equal(rc_backoff_level_ms(-1), 0);
    /* a schedule mapped: 1s,5s,30s,2m -> levels 1, 2, 4, 6; 200ms -> 1; 45s -> 5 */
    struct rc_backoff b;
    parses("200ms,45s,3h", &b, "200ms,45s,3h");
    assert_int_equal(rc_backoff_level_at_or_above(rc_backoff_delay_ms(&b, 1)), 1);
    assert_int_equal(rc_backoff_level_at_or_above(rc_backoff_delay_ms(&b, 2)), 5);
    assert_int_equal(rc_backoff_level_at_or_above(rc_backoff_delay_ms(&b, 3)), 18);
}

static void formats(void **state)
{
    (void)state;
    char buf[32];
    rc_backoff_format_ms(0, buf, sizeof buf);
    assert_string_equal(buf, "0");
    rc_backoff_format_ms(1, buf, sizeof buf);
    assert_string_equal(buf, "1ms");
    rc_backoff_format_ms(1500, buf, sizeof buf);
    assert_string_equal(buf, "1500ms");
    rc_backoff_format_ms(61000, buf, sizeof buf);
    assert_string_equal(buf, "61s");
    rc_backoff_format_ms(UINT32_MAX, buf, sizeof buf);
    assert_string_equal(buf, "4294967295ms");
    /* truncated to cap, always terminated */
    struct rc_backoff b;
    parses("1s,5s,30s,2m", &b, "1s,5s,30s,2m");
    char small[6];
    rc_backoff_format(&b, small, sizeof small);
    assert_string_equal(small, "1s,5s");
    rc_backoff_format(&b, small, 1);
    assert_string_equal(small, "");
    rc_backoff_format(NULL, buf, sizeof buf);
    assert_string_equal(buf, "off");
}

static const char *const *fake_env;
static const char *fake_get(const char *name)
{
    for (const char *const *p = fake_env; p && p[0]; p += 2)
        if (strcmp(p[0], name) == 0)
            return p[1];
    return NULL;
}

static void config_and_rules(void **state)
{
    (void)state;
    struct rc_config c;
    char err[1024], buf[512];
    const char *const none[] = {"HOME", "/tmp", NULL};
    fake_env = none;
    assert_int_equal(rc_config_load(&c, fake_get, err, sizeof err), 0);
    assert_false(rc_backoff_set(&c.backoff)); /* unset: today's behaviour */
    rc_config_free(&c);

    const char *const set[] = {"HOME", "/tmp", "RECONSUME_BACKOFF", "200ms,1s,2s",
                               "RECONSUME_RULES",
                               "topic=A => backoff=exp:1s*3,max=1m; topic=B => backoff=off; "
                               "topic=C => max_retries=2",
                               NULL};
    fake_env = set;
    assert_int_equal(rc_config_load(&c, fake_get, err, sizeof err), 0);
    assert_true(rc_backoff_set(&c.backoff));
    assert_int_equal(rc_backoff_delay_ms(&c.backoff, 3), 2000);
    assert_int_equal(c.rules.n, 3);
    assert_true(c.rules.v[0].has_backoff);
    assert_int_equal(rc_backoff_delay_ms(&c.rules.v[0].backoff, 3), 9000);
    assert_true(c.rules.v[1].has_backoff);
    assert_false(rc_backoff_set(&c.rules.v[1].backoff));
    assert_false(c.rules.v[2].has_backoff);
    rc_rule_describe(&c.rules.v[0], buf, sizeof buf);
    assert_string_equal(buf, "rule 1: topic=A => backoff=exp:1s*3,max=1m");
    rc_rule_describe(&c.rules.v[1], buf, sizeof buf);
    assert_string_equal(buf, "rule 2: topic=B => backoff=off");
    rc_config_free(&c);

    /* a bad value names the variable and what is accepted, and fails the load */
    const char *const bad[] = {"HOME", "/tmp", "RECONSUME_BACKOFF", "1s,,2s", NULL};
    fake_env = bad;
    assert_int_equal(rc_config_load(&c, fake_get, err, sizeof err), -1);
    assert_string_equal(err, "RECONSUME_BACKOFF='1s,,2s': delay 2 is empty; " ACCEPTED);
    /* strict mode: the same error, and the caller knows to stop */
    const char *const strict[] = {"HOME", "/tmp", "RECONSUME_STRICT", "1", "RECONSUME_BACKOFF",
                                  "10", NULL};
    fake_env = strict;
    assert_int_equal(rc_config_load(&c, fake_get, err, sizeof err), -1);
    assert_true(c.strict);
    assert_string_equal(err, "RECONSUME_BACKOFF='10': delay 1 has no unit; " ACCEPTED);
    const char *const empty[] = {"HOME", "/tmp", "RECONSUME_BACKOFF", "", NULL};
    fake_env = empty;
    assert_int_equal(rc_config_load(&c, fake_get, err, sizeof err), -1);
    assert_string_equal(err, "RECONSUME_BACKOFF='': empty value; unset it for the default");

    /* in a rule */
    const char *const bad_rule[] = {"HOME", "/tmp", "RECONSUME_RULES", "* => backoff=1x", NULL};
    fake_env = bad_rule;
    assert_int_equal(rc_config_load(&c, fake_get, err, sizeof err), -1);
    assert_string_equal(err, "RECONSUME_RULES='* => backoff=1x': rule 1 '* => backoff=1x': "
                             "backoff='1x': delay 1 has an unknown unit; " ACCEPTED);
    const char *const twice[] = {"HOME", "/tmp", "RECONSUME_RULES", "* => backoff=1s backoff=2s",
                                 NULL};
    fake_env = twice;
    assert_int_equal(rc_config_load(&c, fake_get, err, sizeof err), -1);
    assert_non_null(strstr(err, "backoff= given twice"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(lists),         cmocka_unit_test(exponential),
        cmocka_unit_test(bad_forms),     cmocka_unit_test(levels),
        cmocka_unit_test(formats),
        cmocka_unit_test(config_and_rules),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
