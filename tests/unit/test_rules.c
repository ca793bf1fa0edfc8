/*
 * test_rules.c - RECONSUME_RULES and the RECONSUME_CONFIG file: parsing,
 * first-match-wins, globs, the one-line description, exact error lines
 * (with file:line), the environment winning over the file, random input.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "io/read_file.h"
#include "policy/conffile.h"
#include "io/read_file.h"
#include "policy/config.h"
#include "policy/rules.h"

#define VAR "RECONSUME_RULES"

static struct rc_rules parse_ok(const char *v)
{
    struct rc_rules r = {0};
    char err[1024];
    if (rc_rules_parse(VAR, v, &r, err, sizeof err) != 0)
        fail_msg("'%s': %s", v, err);
    return r;
}

static void expect_err(const char *v, const char *want)
{
    struct rc_rules r = {0};
    char err[1024];
    assert_int_equal(rc_rules_parse(VAR, v, &r, err, sizeof err), -1);
    assert_string_equal(err, want);
    assert_int_equal(r.n, 0);
    rc_rules_free(&r);
}

static void parse_and_describe(void **state)
{
    (void)state;
    struct rc_rules r = parse_ok(
        "topic=Orders* => max_retries=3 catch=status,exception name=orders ;"
        "\tgroup=billing  tag=imp?rt=>catch=all non_retryable=app::*,status:7 sink=topic:DLQ;"
        " * => max_retries=0;"
        "=> name=rest");
    assert_int_equal(r.n, 4);
    char buf[512];
    rc_rule_describe(&r.v[0], buf, sizeof buf);
    assert_string_equal(buf, "rule 1 (orders): topic=Orders* => max_retries=3 "
                             "catch=status,exception");
    rc_rule_describe(&r.v[1], buf, sizeof buf);
    assert_string_equal(buf, "rule 2: group=billing tag=imp?rt => catch=status,exception,"
                             "signal,abort non_retryable=app::*,status:7 sink=topic:DLQ");
    rc_rule_describe(&r.v[2], buf, sizeof buf);
    assert_string_equal(buf, "rule 3: * => max_retries=0");
    rc_rule_describe(&r.v[3], buf, sizeof buf);
    assert_string_equal(buf, "rule 4 (rest): * => (global settings)");
    rc_rule_describe(NULL, buf, sizeof buf);
    assert_string_equal(buf, "no rule");
    char small[10];
    rc_rule_describe(&r.v[0], small, sizeof small);
    assert_string_equal(small, "rule 1 (o");

    assert_true(r.v[0].has_max_retries);
    assert_false(r.v[0].has_non_retryable);
    assert_int_equal(r.v[1].catch_mask, RC_CATCH_ALL);
    assert_true(r.v[1].has_non_retryable);
    assert_int_equal(r.v[1].non_retryable.n, 2);
    assert_string_equal(r.v[1].origin, VAR);
    assert_null(r.v[2].topic);
    rc_rules_free(&r);

    /* Unset adds nothing; parse appends. */
    struct rc_rules a = {0};
    char err[256];
    assert_int_equal(rc_rules_parse(VAR, NULL, &a, err, sizeof err), 0);
    assert_int_equal(a.n, 0);
    assert_int_equal(rc_rules_parse(VAR, "topic=A => max_retries=1", &a, err, sizeof err), 0);
    assert_int_equal(rc_rules_parse(VAR, "topic=B => max_retries=2", &a, err, sizeof err), 0);
    assert_int_equal(a.n, 2);
    assert_int_equal(a.v[1].index, 2);
    /* A failed parse leaves the list as it was. */
    assert_int_equal(rc_rules_parse(VAR, "topic=C => max_retries=2;x", &a, err, sizeof err), -1);
    assert_int_equal(a.n, 2);
    rc_rules_free(&a);
}

static void first_match_wins(void **state)
{
    (void)state;
    struct rc_rules r = parse_ok("group=G topic=Orders tag=vip => max_retries=9;"
                                 "topic=Ord* => max_retries=3;"
                                 "tag=[ab]* => max_retries=4;"
                                 "* => max_retries=16");
    assert_int_equal(rc_rules_match(&r, "G", "Orders", "vip")->index, 1);
    assert_int_equal(rc_rules_match(&r, "H", "Orders", "vip")->index, 2);
    assert_int_equal(rc_rules_match(&r, "G", "Orders", NULL)->index, 2);
    assert_int_equal(rc_rules_match(&r, NULL, "Ord", NULL)->index, 2);
    assert_int_equal(rc_rules_match(&r, "G", "Pay", "apple")->index, 3);
    assert_int_equal(rc_rules_match(&r, "G", "Pay", "cherry")->index, 4);
    assert_int_equal(rc_rules_match(&r, NULL, NULL, NULL)->index, 4);
    assert_null(rc_rules_match(NULL, "G", "T", "x"));
    rc_rules_free(&r);

    r = parse_ok("topic=A => max_retries=1");
    assert_null(rc_rules_match(&r, "G", "B", NULL));
    assert_null(rc_rules_match(&r, "G", NULL, NULL)); /* missing counts as "" */
    rc_rules_free(&r);
}

static void errors(void **state)
{
    (void)state;
    expect_err("", VAR "='': empty value; unset it for the default");
    expect_err("topic=A => retries=3",
               VAR "='topic=A => retries=3': rule 1 'topic=A => retries=3': unknown setting "
                   "'retries=3'; expected max_retries=N, catch=KINDS, non_retryable=LIST, "
                   "sink=TEXT, backoff=SCHEDULE or name=LABEL");
    expect_err("topic=A max_retries=3", VAR "='topic=A max_retries=3': rule 1 'topic=A "
                                        "max_retries=3': no '=>'; expected MATCH => SETTINGS");
    expect_err("topic=A => max_retries=3;;", VAR "='topic=A => max_retries=3;;': rule 2 '': "
                                             "empty; expected MATCH => SETTINGS");
    expect_err("topic=A =>", VAR "='topic=A =>': rule 1 'topic=A =>': no settings after '=>'; "
                             "expected max_retries=N, catch=KINDS, non_retryable=LIST, "
                             "sink=TEXT, backoff=SCHEDULE or name=LABEL");
    expect_err("queue=1 => max_retries=1",
               VAR "='queue=1 => max_retries=1': rule 1 'queue=1 => max_retries=1': unknown "
                   "match 'queue=1'; expected group=GLOB, topic=GLOB, tag=GLOB or *");
    expect_err("topic=A topic=B => max_retries=1",
               VAR "='topic=A topic=B => max_retries=1': rule 1 'topic=A topic=B => "
                   "max_retries=1': topic= given twice");
    expect_err("tag= => max_retries=1", VAR "='tag= => max_retries=1': rule 1 'tag= => "
                                        "max_retries=1': tag= has an empty value");
    expect_err("* topic=A => max_retries=1",
               VAR "='* topic=A => max_retries=1': rule 1 '* topic=A => max_retries=1': '*' "
                   "must be the whole MATCH; expected group=GLOB, topic=GLOB, tag=GLOB or *");
    expect_err("* => max_retries=1001", VAR "='* => max_retries=1001': rule 1 '* => "
                                        "max_retries=1001': max_retries='1001': expected an "
                                        "integer from 0 to 1000");
    expect_err("* => max_retries=1 max_retries=2",
               VAR "='* => max_retries=1 max_retries=2': rule 1 '* => max_retries=1 "
                   "max_retries=2': max_retries= given twice");
    expect_err("* => catch=status,oops",
               VAR "='* => catch=status,oops': rule 1 '* => catch=status,oops': "
                   "catch='status,oops': unknown kind 'oops'; expected a comma-separated list "
                   "of status, exception, signal, abort, or all, or none");
    expect_err("* => non_retryable=x:y",
               VAR "='* => non_retryable=x:y': rule 1 '* => non_retryable=x:y': "
                   "non_retryable='x:y': unknown entry 'x:y'; expected an exception type "
                   "(std::invalid_argument, app::*), status:N or signal:NAME");
    expect_err("* => name=a/b", VAR "='* => name=a/b': rule 1 '* => name=a/b': name='a/b': "
                                "expected 1 to 63 of A-Z a-z 0-9 _ . -");
    expect_err("* => sink=", VAR "='* => sink=': rule 1 '* => sink=': sink= has an empty value");
    expect_err("* => name=x\x01", VAR "='* => name=x\\x01': rule 1 '* => name=x\\x01': control "
                                  "character (byte 0x01); expected MATCH => SETTINGS");

    char many[300 * 12] = "";
    for (int i = 0; i < 257; i++)
        strcat(many, i ? ";=>name=a" : "=>name=a");
    struct rc_rules r = {0};
    char err[1024];
    assert_int_equal(rc_rules_parse(VAR, many, &r, err, sizeof err), -1);
    assert_non_null(strstr(err, "rule 257 '=>name=a': more than 256 rules"));
    assert_int_equal(r.n, 0);
    assert_null(r.v); /* as it was: nothing to free */
}

/* ---- the file ------------------------------------------------------------ */

static char dir[64];

static int setup(void **state)
{
    (void)state;
    snprintf(dir, sizeof dir, "/tmp/rc_rules_test.XXXXXX");
    return mkdtemp(dir) ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    char p[128];
    snprintf(p, sizeof p, "%s/rc.conf", dir);
    unlink(p);
    return rmdir(dir);
}

static const char *write_file(const char *text, size_t n)
{
    static char p[128];
    snprintf(p, sizeof p, "%s/rc.conf", dir);
    FILE *f = fopen(p, "w");
    assert_non_null(f);
    assert_int_equal(fwrite(text, 1, n, f), n);
    fclose(f);
    return p;
}

/* The environment of rc_config_load: RECONSUME_CONFIG and, when set,
 * RECONSUME_MAX_RETRIES. */
static const char *fake_conf, *fake_env_val;
static const char *fake_env(const char *name)
{
    if (strcmp(name, "RECONSUME_CONFIG") == 0)
        return fake_conf;
    return strcmp(name, "RECONSUME_MAX_RETRIES") == 0 ? fake_env_val : NULL;
}

/* conffile.c hands each rule line over as text; here they are parsed as
 * config.c does. */
static int add_rule(void *rules, const char *text, const char *origin, char *err, size_t errlen)
{
    return rc_rules_add(rules, text, origin, err, errlen);
}

/* Read and parse as policy/config.c does: io/ reads the file, conffile.c
 * parses the text (a read error named like the loader names it). */
static int read_file(const char *p, const char *const *known, struct rc_config_file **f,
                     char *err, size_t errlen)
{
    char *text, why[256];
    size_t len;
    *f = NULL;
    if (rc_read_file(p, RC_CONFFILE_MAX_BYTES, &text, &len, why, sizeof why) != 0) {
        snprintf(err, errlen, "RECONSUME_CONFIG='%s': %s", p, why);
        return -1;
    }
    struct rc_rules rules = {0};
    int rc = rc_config_file_parse(p, text, len, known, add_rule, &rules, f, err, errlen);
    rc_rules_free(&rules);
    free(text);
    return rc;
}

static void file_read(void **state)
{
    (void)state;
    static const char text[] = "# staging settings\n"
                               "\n"
                               "RECONSUME_MAX_RETRIES=5\n"
                               "  RECONSUME_CATCH = \"status,exception\"  \r\n"
                               "RECONSUME_SPOOL_DIR='/var/spool/x'\n"
                               "rule topic=Orders* => max_retries=3 name=orders\n"
                               "\trule  tag=vip => catch=all\n"
                               "RECONSUME_RULES=topic=Env => max_retries=1";
    const char *p = write_file(text, sizeof text - 1);
    struct rc_config_file *f;
    struct rc_rules fr = {0};
    char err[1024];
    assert_int_equal(rc_config_file_parse(p, text, sizeof text - 1, NULL, add_rule, &fr, &f, err,
                                         sizeof err), 0);
    assert_string_equal(rc_config_file_get(f, "RECONSUME_MAX_RETRIES"), "5");
    assert_string_equal(rc_config_file_get(f, "RECONSUME_CATCH"), "status,exception");
    assert_string_equal(rc_config_file_get(f, "RECONSUME_SPOOL_DIR"), "/var/spool/x");
    assert_null(rc_config_file_get(f, "RECONSUME_LOG"));
    assert_int_equal(rc_config_file_line(f, "RECONSUME_CATCH"), 4);
    assert_int_equal(rc_config_file_line(f, "RECONSUME_LOG"), 0);
    assert_string_equal(rc_config_file_path(f), p);
    assert_int_equal(fr.n, 2);
    char origin[160];
    snprintf(origin, sizeof origin, "%s:7", p);
    assert_string_equal(fr.v[1].origin, origin);
    rc_config_file_free(f);
    rc_rules_free(&fr);

    /* Rule lines without a handler are accepted unread. */
    assert_int_equal(
        rc_config_file_parse(p, text, sizeof text - 1, NULL, NULL, NULL, &f, err, sizeof err), 0);
    rc_config_file_free(f);

    /* rc_config_load reads the file; the environment wins over it. */
    struct rc_config c;
    fake_conf = p;
    fake_env_val = NULL;
    assert_int_equal(rc_config_load(&c, fake_env, err, sizeof err), 0);
    assert_int_equal(c.max_retries, 5);
    assert_int_equal(c.catch_mask, RC_CATCH_STATUS | RC_CATCH_EXCEPTION);
    assert_string_equal(c.spool_dir, "/var/spool/x");
    rc_config_free(&c);
    fake_env_val = "8";
    assert_int_equal(rc_config_load(&c, fake_env, err, sizeof err), 0);
    assert_int_equal(c.max_retries, 8);

    /* The whole list: RECONSUME_RULES (here from the file) first, then the file's rules. */
    const struct rc_rules *all = &c.rules;
    assert_int_equal(all->n, 3);
    assert_int_equal(rc_rules_match(all, "G", "Env", NULL)->index, 1);
    const struct rc_rule *m = rc_rules_match(all, "G", "Orders1", NULL);
    assert_int_equal(m->index, 2);
    char buf[256];
    rc_rule_describe(m, buf, sizeof buf);
    assert_string_equal(buf, "rule 2 (orders): topic=Orders* => max_retries=3");
    assert_int_equal(rc_rules_match(all, "G", "x", "vip")->index, 3);
    assert_string_equal(all->v[2].origin, origin);
    rc_config_free(&c);
    fake_conf = NULL;
    fake_env_val = NULL;

    /* Known names. */
    static const char *const known[] = {"RECONSUME_MAX_RETRIES", NULL};
    static const char t2[] = "RECONSUME_MAX_RETRIES=1\nRECONSUME_MAX_RETRYS=2\n";
    p = write_file(t2, sizeof t2 - 1);
    assert_int_equal(read_file(p, known, &f, err, sizeof err), -1);
    char want[512];
    snprintf(want, sizeof want, "%s:2: unknown variable 'RECONSUME_MAX_RETRYS'", p);
    assert_string_equal(err, want);
    assert_null(f);
}

static void file_errors(void **state)
{
    (void)state;
    static const struct { const char *text; const char *want; } cases[] = {
        {"MAX_RETRIES=3\n", ":1: unknown line 'MAX_RETRIES=3'; expected RECONSUME_NAME=value, "
                            "rule MATCH => SETTINGS, a # comment or a blank line"},
        {"\n\nrule topic=A => oops=1\n",
         ":3: rule 'topic=A => oops=1': unknown setting 'oops=1'; expected max_retries=N, "
         "catch=KINDS, non_retryable=LIST, sink=TEXT, backoff=SCHEDULE or name=LABEL"},
        {"rule topic=A => max_retries=1; topic=B => max_retries=2\n",
         ":1: rule 'topic=A => max_retries=1; topic=B => max_retries=2': ';' in a file rule; "
         "write one rule per line"},
        {"RECONSUME_X=1\nRECONSUME_X=2\n", ":2: RECONSUME_X set twice (first at line 1)"},
        {"RECONSUME_X=  \n", ":1: RECONSUME_X: empty value; remove the line for the default"},
        {"RECONSUME_X=\"\"\n", ":1: RECONSUME_X: empty value; remove the line for the default"},
        {"RECONSUME_CONFIG=/x\n", ":1: RECONSUME_CONFIG cannot be set in the file"},
        {"RECONSUME_X=a\x1b[2Jb\n", ":1: control character (byte 0x1b)"},
        {"rule\n", ":1: unknown line 'rule'; expected RECONSUME_NAME=value, rule MATCH => "
                   "SETTINGS, a # comment or a blank line"},
        {"RECONSUME_=1\n", ":1: unknown line 'RECONSUME_=1'; expected RECONSUME_NAME=value, "
                           "rule MATCH => SETTINGS, a # comment or a blank line"},
        {"reconsume_x=1\n", ":1: unknown line 'reconsume_x=1'; expected RECONSUME_NAME=value, "
                            "rule MATCH => SETTINGS, a # comment or a blank line"},
    };
    char err[1024], want[1024];
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        const char *p = write_file(cases[i].text, strlen(cases[i].text));
        struct rc_config_file *f;
        assert_int_equal(read_file(p, NULL, &f, err, sizeof err), -1);
        snprintf(want, sizeof want, "%s%s", p, cases[i].want);
        assert_string_equal(err, want);
    }

    /* NUL bytes, a long line, a missing file, a directory, an empty name. */
    struct rc_config_file *f;
    struct rc_config c;
    const char *p = write_file("RECONSUME_X=1\0\n", 15);
    fake_conf = p;
    assert_int_equal(rc_config_load(&c, fake_env, err, sizeof err), -1);
    snprintf(want, sizeof want, "RECONSUME_CONFIG='%s': NUL byte in the file; expected text", p);
    assert_string_equal(err, want);

    char *line = malloc(5000);
    memset(line, 'a', 5000);
    memcpy(line, "RECONSUME_X=", 12);
    p = write_file(line, 5000);
    free(line);
    assert_int_equal(read_file(p, NULL, &f, err, sizeof err), -1);
    snprintf(want, sizeof want, "%s:1: line is 5000 bytes; expected at most 4095", p);
    assert_string_equal(err, want);

    /* Through the loader: the variable and its value once (issue 13). */
    fake_conf = "/nonexistent/rc.conf";
    assert_int_equal(rc_config_load(&c, fake_env, err, sizeof err), -1);
    assert_string_equal(err, "RECONSUME_CONFIG='/nonexistent/rc.conf': cannot open: No such "
                             "file or directory");
    fake_conf = dir;
    assert_int_equal(rc_config_load(&c, fake_env, err, sizeof err), -1);
    snprintf(want, sizeof want, "RECONSUME_CONFIG='%s': not a regular file", dir);
    assert_string_equal(err, want);
    fake_conf = "";
    assert_int_equal(rc_config_load(&c, fake_env, err, sizeof err), -1);
    assert_string_equal(err, "RECONSUME_CONFIG='': empty value; unset it for no file");
    fake_conf = NULL;

    /* An empty file is fine. */
    p = write_file("", 0);
    assert_int_equal(read_file(p, NULL, &f, err, sizeof err), 0);
    rc_config_file_free(f);
}

static void random_input(void **state)
{
    (void)state;
    static const char alphabet[] = "=>;* \tgrouptagtopicmax_retries=1catch=statusnon_retryable"
                                   "app::*sink=name=[?\x02";
    unsigned long long x = 123456789ull;
    char v[200], err[1024];
    for (int i = 0; i < 30000; i++) {
        size_t n = (size_t)(i % (sizeof v - 1));
        for (size_t k = 0; k < n; k++) {
            x ^= x << 13, x ^= x >> 7, x ^= x << 17;
            v[k] = alphabet[x % (sizeof alphabet - 1)];
        }
        v[n] = '\0';
        struct rc_rules r = {0};
        if (rc_rules_parse(VAR, v, &r, err, sizeof err) == 0) {
            const struct rc_rule *m = rc_rules_match(&r, "g", "t", "x");
            char buf[128];
            rc_rule_describe(m, buf, sizeof buf);
        } else {
            assert_null(strchr(err, '\n'));
        }
        rc_rules_free(&r);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(parse_and_describe),
        cmocka_unit_test(first_match_wins),
        cmocka_unit_test(errors),
        cmocka_unit_test_setup_teardown(file_read, setup, teardown),
        cmocka_unit_test_setup_teardown(file_errors, setup, teardown),
        cmocka_unit_test(random_input),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
