/*
 * test_spooltool_args.c - reconsume-spool's command line: every command,
 * the time forms of --since/--until, and the one-line error of each bad use.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "tools/spool/args.h"

#define NOW 1700000000000LL /* 2023-11-14T22:13:20Z */

static int parse(struct ts_opts *o, char *err, size_t errlen, ...)
{
    char *argv[32] = {"reconsume-spool"};
    int argc = 1;
    va_list ap;
    va_start(ap, errlen);
    for (char *a; (a = va_arg(ap, char *)) != NULL;)
        argv[argc++] = a;
    va_end(ap);
    err[0] = '\0';
    return ts_parse_args(argc, argv, NOW, o, err, errlen);
}

static void times(void **state)
{
    (void)state;
    long long t;
    assert_int_equal(ts_parse_time("1700000000123", NOW, &t), 0);
    assert_int_equal(t, 1700000000123LL);
    assert_int_equal(ts_parse_time("2023-11-14T22:13:20Z", NOW, &t), 0);
    assert_int_equal(t, NOW);
    assert_int_equal(ts_parse_time("2023-11-14T22:13:20.5", NOW, &t), -1);
    assert_int_equal(ts_parse_time("2023-11-14T22:13:20.500", NOW, &t), 0);
    assert_int_equal(t, NOW + 500);
    assert_int_equal(ts_parse_time("2023-11-14T22:13", NOW, &t), 0);
    assert_int_equal(t, NOW - 20000);
    assert_int_equal(ts_parse_time("2023-11-14", NOW, &t), 0);
    assert_int_equal(t, 1699920000000LL);
    assert_int_equal(ts_parse_time("30s", NOW, &t), 0);
    assert_int_equal(t, NOW - 30000);
    assert_int_equal(ts_parse_time("2h", NOW, &t), 0);
    assert_int_equal(t, NOW - 7200000);
    assert_int_equal(ts_parse_time("7d", NOW, &t), 0);
    assert_int_equal(t, NOW - 7 * 86400000LL);
    static const char *const bad[] = {"", "h", "-1h", "2h ", "1w", "2023-02-30", "2023-13-01",
                                      "2023-11-14T25:00", "2023-11-14X", "yesterday",
                                      "12345678901234567890", "2023-11-14T22:13:20+01:00"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
        assert_int_equal(ts_parse_time(bad[i], NOW, &t), -1);
}

static void commands(void **state)
{
    (void)state;
    struct ts_opts o;
    char err[512];
    assert_int_equal(parse(&o, err, sizeof err, "list", "--spool", "/s", "--group", "g*",
                           "--topic=T", "--reason", "exception:*", "--since", "1h", "--json",
                           "--replayed", NULL), 0);
    assert_int_equal(o.cmd, TS_LIST);
    assert_string_equal(o.spool, "/s");
    assert_string_equal(o.group, "g*");
    assert_string_equal(o.topic, "T");
    assert_string_equal(o.reason, "exception:*");
    assert_true(o.has_since && o.since_ms == NOW - 3600000 && !o.has_until);
    assert_true(o.json && o.replayed);
    assert_int_equal(parse(&o, err, sizeof err, "show", "a.rec", "b.rec", "--hex", NULL), 0);
    assert_int_equal(o.nids, 2);
    assert_string_equal(o.ids[1], "b.rec");
    assert_int_equal(parse(&o, err, sizeof err, "replay", "--namesrv", "h:9876", "--from-topic",
                           "POISON_G", "--to", "Orders", "--limit", "5", "--dry-run",
                           "--client-lib", "/x/librocketmq.so", "--state", "/l", NULL), 0);
    assert_int_equal(o.cmd, TS_REPLAY);
    assert_int_equal(o.limit, 5);
    assert_string_equal(o.from_topic, "POISON_G");
    assert_int_equal(parse(&o, err, sizeof err, "purge", "--replayed", NULL), 0);
    assert_int_equal(parse(&o, err, sizeof err, "--help", NULL), 0);
    assert_int_equal(o.cmd, TS_HELP);
    assert_int_equal(parse(&o, err, sizeof err, "help", "replay", NULL), 0);
    assert_true(o.help && o.cmd == TS_REPLAY);
    assert_int_equal(parse(&o, err, sizeof err, "purge", "--help", NULL), 0);
    assert_true(o.help && o.cmd == TS_PURGE);
}

static void errors(void **state)
{
    (void)state;
    static const struct { const char *a[6], *msg; } cases[] = {
        {{NULL}, "no command; expected list, show, stats, replay, purge or help"},
        {{"lst"}, "unknown command 'lst'; expected list, show, stats, replay, purge or help"},
        {{"list", "--bogus"}, "list: unknown option '--bogus' (see list --help)"},
        {{"list", "--to", "x"}, "list: option --to does not apply to list (see list --help)"},
        {{"list", "--group"}, "list: option --group needs a value"},
        {{"list", "--group="}, "list: option --group: empty value"},
        {{"list", "--json=1"}, "list: option --json takes no value"},
        {{"list", "x.rec"}, "list: unexpected argument 'x.rec'"},
        {{"list", "--until", "soon"},
         "list: --until='soon': expected unix ms, an ISO 8601 UTC time such as "
         "2024-05-06T07:08:09Z, or a duration ago such as 30m, 2h, 7d"},
        {{"show"}, "show: which record? expected one or more record ids (as list prints them)"},
        {{"replay"}, "replay: --namesrv ADDR is needed (the name server to send through)"},
        {{"replay", "--namesrv", "n", "--limit", "0"},
         "replay: --limit='0': expected an integer from 1 to 100000000"},
        {{"replay", "--namesrv", "n", "--to", "a/b"},
         "replay: --to='a/b': not a topic name; expected A-Z a-z 0-9 _ - |"},
        {{"replay", "--namesrv", "n", "--rate", "5"},
         "replay: --rate='5': expected N/s or N/m, N from 1 to 100000"},
        {{"replay", "--namesrv", "n", "--rate", "0/s"},
         "replay: --rate='0/s': expected N/s or N/m, N from 1 to 100000"},
        {{"replay", "--dry-run", "--to=T", "--to-group=G"},
         "replay: --to and --to-group: give one (a topic, or one group's retry topic)"},
        {{"replay", "--namesrv", "n", "--to-group", "a b"},
         "replay: --to-group='a b': not a group name; expected A-Z a-z 0-9 _ - |"},
        {{"list", "--rate", "1/s"}, "list: option --rate does not apply to list (see list --help)"},
        {{"stats", "--from-topic", "P"},
         "stats: --from-topic needs --namesrv ADDR (the name server to read it from)"},
        {{"purge"}, "purge: nothing chosen; give record ids, filters, --replayed, or --all"},
        {{"help", "nope"}, "help 'nope': unknown command; expected list, show, stats, replay or purge"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        char *argv[8] = {"reconsume-spool"};
        int argc = 1;
        for (int k = 0; cases[i].a[k]; k++)
            argv[argc++] = (char *)cases[i].a[k];
        struct ts_opts o;
        char err[512];
        assert_int_equal(ts_parse_args(argc, argv, NOW, &o, err, sizeof err), -1);
        assert_string_equal(err, cases[i].msg);
    }
}

/* Issue 13: "--" ends the options, so a msgId that starts with '-' can be
 * named; and an option is only ever its whole name. */
static void double_dash_ends_options(void **state)
{
    (void)state;
    struct ts_opts o;
    char err[512];
    assert_int_equal(parse(&o, err, sizeof err, "show", "--", "-rf", NULL), 0);
    assert_int_equal(o.nids, 1);
    assert_string_equal(o.ids[0], "-rf");
    assert_int_equal(parse(&o, err, sizeof err, "show", "--hex", "a", "--", "-x", "--json", "--",
                           NULL), 0);
    assert_true(o.hex && !o.json);
    assert_int_equal(o.nids, 4);
    assert_string_equal(o.ids[0], "a");
    assert_string_equal(o.ids[2], "--json");
    assert_string_equal(o.ids[3], "--");
    assert_int_equal(parse(&o, err, sizeof err, "purge", "--", "--all", NULL), 0);
    assert_true(!o.all && o.nids == 1);
    assert_int_equal(parse(&o, err, sizeof err, "show", "-", NULL), 0);
    assert_string_equal(o.ids[0], "-");
    assert_int_equal(parse(&o, err, sizeof err, "list", "--", "x", NULL), -1);
    assert_string_equal(err, "list: unexpected argument 'x'");
    assert_int_equal(parse(&o, err, sizeof err, "list", "--gro", "g", NULL), -1);
    assert_string_equal(err, "list: unknown option '--gro' (see list --help)");
    assert_int_equal(parse(&o, err, sizeof err, "list", "--replay", NULL), -1);
    assert_string_equal(err, "list: unknown option '--replay' (see list --help)");
    assert_int_equal(parse(&o, err, sizeof err, "show", "-rf", NULL), -1);
    assert_string_equal(err, "show: unknown option '-rf' (see show --help)");
    assert_int_equal(parse(&o, err, sizeof err, "list", "-hx", NULL), -1);
    assert_string_equal(err, "list: unknown option '-hx' (see list --help)");
    assert_int_equal(parse(&o, err, sizeof err, "list", "--hex=1", NULL), -1);
    assert_string_equal(err, "list: option --hex does not apply to list (see list --help)");
    assert_int_equal(parse(&o, err, sizeof err, "list", "--to", NULL), -1);
    assert_string_equal(err, "list: option --to does not apply to list (see list --help)");
    /* A value may start with '-'; parsing twice gives the same (no state kept). */
    for (int k = 0; k < 2; k++) {
        assert_int_equal(parse(&o, err, sizeof err, "list", "--group", "-g", "-h", NULL), 0);
        assert_string_equal(o.group, "-g");
        assert_true(o.help);
    }
}

/* Issue 14: purge --yes (the only command that takes it). */
static void purge_yes(void **state)
{
    (void)state;
    struct ts_opts o;
    char err[512];
    assert_int_equal(parse(&o, err, sizeof err, "purge", "--all", "--yes", NULL), 0);
    assert_true(o.yes && o.all);
    assert_int_equal(parse(&o, err, sizeof err, "purge", "--all", NULL), 0);
    assert_false(o.yes);
    assert_int_equal(parse(&o, err, sizeof err, "replay", "--namesrv", "n", "--yes", NULL), -1);
    assert_string_equal(err, "replay: option --yes does not apply to replay (see replay --help)");
}

/* Issue 14: --rate, --to-group, and a dry run without a name server. */
static void redrive_options(void **state)
{
    (void)state;
    struct ts_opts o;
    char err[512];
    assert_int_equal(parse(&o, err, sizeof err, "replay", "--dry-run", NULL), 0);
    assert_true(o.dry_run);
    assert_null(o.namesrv);
    assert_int_equal(parse(&o, err, sizeof err, "replay", "--namesrv", "n", "--rate", "20/s",
                           "--to-group", "G1", NULL), 0);
    assert_true(o.rate == 20.0);
    assert_string_equal(o.to_group, "G1");
    double r;
    assert_int_equal(ts_parse_rate("120/m", &r), 0);
    assert_true(r == 2.0);
    assert_int_equal(ts_parse_rate("100000/s", &r), 0);
    assert_int_equal(ts_parse_rate("100001/s", &r), -1);
    assert_int_equal(ts_parse_rate("/s", &r), -1);
    assert_int_equal(ts_parse_rate("3/h", &r), -1);
    assert_int_equal(ts_parse_rate("3/s ", &r), -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(times),
        cmocka_unit_test(commands),
        cmocka_unit_test(errors),
        cmocka_unit_test(double_dash_ends_options),
        cmocka_unit_test(purge_yes),
        cmocka_unit_test(redrive_options),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
