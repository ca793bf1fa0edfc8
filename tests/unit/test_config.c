/*
 * test_config.c - RECONSUME_* parsing: defaults, every accepted form, and the
 * exact one-line message for each bad value.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "policy/config.h"

/* A fake environment: NULL-terminated name/value pairs. */
static const char *const *fake_env;

static const char *fake_get(const char *name)
{
    for (const char *const *p = fake_env; p && p[0]; p += 2)
        if (strcmp(p[0], name) == 0)
            return p[1];
    return NULL;
}

/* A fake file system for RECONSUME_CONFIG: the path is the text (so that a
 * test writes its file in place), unless it starts with "!", which fails
 * with the rest as the reason. */
static int fake_read(const char *path, size_t max, char **text, size_t *len, char *err,
                     size_t errlen)
{
    if (path[0] == '!') {
        snprintf(err, errlen, "%s", path + 1);
        return -1;
    }
    *len = strlen(path);
    assert_true(*len <= max);
    *text = strdup(path);
    return *text ? 0 : -1;
}

static int load(struct rc_config *c, char *err, size_t errlen, const char *const *env)
{
    fake_env = env;
    const struct rc_config_source src = {fake_get, fake_read, NULL};
    return rc_config_load_from(c, &src, err, errlen);
}

static void defaults(void **state)
{
    (void)state;
    struct rc_config c;
    char err[512];
    const char *const env[] = {"HOME", "/home/u", NULL};
    assert_int_equal(load(&c, err, sizeof err, env), 0);
    assert_true(c.enable);
    assert_false(c.strict);
    assert_int_equal(c.max_retries, 16);
    assert_int_equal(c.catch_mask, RC_CATCH_STATUS | RC_CATCH_EXCEPTION);
    assert_int_equal(c.log_level, RC_LOG_INFO);
    assert_int_equal(c.broadcast_backoff_ms, 100);
    assert_int_equal(c.timeout_ms, 0);
    assert_int_equal(c.track_max, 65536);
    assert_int_equal(c.signal_max, 100);
    assert_string_equal(c.spool_dir, "/home/u/.local/state/reconsume/spool");
    assert_string_equal(c.log_path, "");
    assert_string_equal(c.stats_path, "");
}

static void default_spool_prefers_xdg_state_home(void **state)
{
    (void)state;
    struct rc_config c;
    char err[512];
    const char *const env[] = {"HOME", "/home/u", "XDG_STATE_HOME", "/st", NULL};
    assert_int_equal(load(&c, err, sizeof err, env), 0);
    assert_string_equal(c.spool_dir, "/st/reconsume/spool");

    const char *const none[] = {NULL};
    assert_int_equal(load(&c, err, sizeof err, none), 0);
    char want[64];
    snprintf(want, sizeof want, "/var/tmp/reconsume-%ld/spool", (long)getuid());
    assert_string_equal(c.spool_dir, want);
}

static void accepted_values(void **state)
{
    (void)state;
    struct rc_config c;
    char err[512];
    const char *const env[] = {
        "RECONSUME_ENABLE", "on",         "RECONSUME_STRICT", "Yes",
        "RECONSUME_MAX_RETRIES", "0",     "RECONSUME_CATCH", "exception,SIGNAL,abort",
        "RECONSUME_LOG_LEVEL", "debug",   "RECONSUME_BROADCAST_BACKOFF_MS", "60000",
        "RECONSUME_TIMEOUT_MS", "250",    "RECONSUME_TRACK_MAX", "16",
        "RECONSUME_SIGNAL_MAX", "0",      "RECONSUME_SPOOL_DIR", "/tmp/rc/spool-a",
        "RECONSUME_LOG", "/tmp/rc/log",   "RECONSUME_STATS", "/tmp/rc/stats.prom",
        NULL};
    assert_int_equal(load(&c, err, sizeof err, env), 0);
    assert_true(c.enable);
    assert_true(c.strict);
    assert_int_equal(c.max_retries, 0);
    assert_int_equal(c.catch_mask, RC_CATCH_EXCEPTION | RC_CATCH_SIGNAL | RC_CATCH_ABORT);
    assert_int_equal(c.log_level, RC_LOG_DEBUG);
    assert_int_equal(c.broadcast_backoff_ms, 60000);
    assert_int_equal(c.timeout_ms, 250);
    assert_int_equal(c.track_max, 16);
    assert_int_equal(c.signal_max, 0);
    assert_string_equal(c.spool_dir, "/tmp/rc/spool-a");
    assert_string_equal(c.log_path, "/tmp/rc/log");
    assert_string_equal(c.stats_path, "/tmp/rc/stats.prom");
}

static void catch_all_none_and_format(void **state)
{
    (void)state;
    struct rc_config c;
    char err[512], buf[64];
    const char *const all[] = {"RECONSUME_CATCH", "all", NULL};
    assert_int_equal(load(&c, err, sizeof err, all), 0);
    assert_int_equal(c.catch_mask, RC_CATCH_ALL);
    rc_catch_format(c.catch_mask, buf, sizeof buf);
    assert_string_equal(buf, "status,exception,signal,abort");
    const char *const none[] = {"RECONSUME_CATCH", "NONE", NULL};
    assert_int_equal(load(&c, err, sizeof err, none), 0);
    assert_int_equal(c.catch_mask, 0);
    rc_catch_format(0, buf, sizeof buf);
    assert_string_equal(buf, "none");
}

static void relative_paths_become_absolute(void **state)
{
    (void)state;
    struct rc_config c;
    char err[512], cwd[PATH_MAX], want[PATH_MAX + 32];
    assert_non_null(getcwd(cwd, sizeof cwd));
    const char *const env[] = {"RECONSUME_SPOOL_DIR", "spool-rel", NULL};
    assert_int_equal(load(&c, err, sizeof err, env), 0);
    snprintf(want, sizeof want, "%s/spool-rel", cwd);
    assert_string_equal(c.spool_dir, want);
}

/* Each bad value and the exact line it must give. */
struct bad_case {
    const char *name, *value, *message;
};

static const struct bad_case bad_cases[] = {
    {"RECONSUME_ENABLE", "", "RECONSUME_ENABLE='': empty value; unset it for the default"},
    {"RECONSUME_ENABLE", "2", "RECONSUME_ENABLE='2': expected 1/0, true/false, yes/no or on/off"},
    {"RECONSUME_ENABLE", "enabled", "RECONSUME_ENABLE='enabled': expected 1/0, true/false, yes/no or on/off"},
    {"RECONSUME_ENABLE", " 1", "RECONSUME_ENABLE=' 1': expected 1/0, true/false, yes/no or on/off"},
    {"RECONSUME_STRICT", "maybe", "RECONSUME_STRICT='maybe': expected 1/0, true/false, yes/no or on/off"},
    {"RECONSUME_STRICT", "", "RECONSUME_STRICT='': empty value; unset it for the default"},
    {"RECONSUME_MAX_RETRIES", "", "RECONSUME_MAX_RETRIES='': empty value; unset it for the default"},
    {"RECONSUME_MAX_RETRIES", "-1", "RECONSUME_MAX_RETRIES='-1': expected an integer from 0 to 1000"},
    {"RECONSUME_MAX_RETRIES", "1001", "RECONSUME_MAX_RETRIES='1001': expected an integer from 0 to 1000"},
    {"RECONSUME_MAX_RETRIES", "abc", "RECONSUME_MAX_RETRIES='abc': expected an integer from 0 to 1000"},
    {"RECONSUME_MAX_RETRIES", "3x", "RECONSUME_MAX_RETRIES='3x': expected an integer from 0 to 1000"},
    {"RECONSUME_MAX_RETRIES", "3 ", "RECONSUME_MAX_RETRIES='3 ': expected an integer from 0 to 1000"},
    {"RECONSUME_MAX_RETRIES", " 3", "RECONSUME_MAX_RETRIES=' 3': expected an integer from 0 to 1000"},
    {"RECONSUME_MAX_RETRIES", "+3", "RECONSUME_MAX_RETRIES='+3': expected an integer from 0 to 1000"},
    {"RECONSUME_MAX_RETRIES", "0x10", "RECONSUME_MAX_RETRIES='0x10': expected an integer from 0 to 1000"},
    {"RECONSUME_MAX_RETRIES", "1e3", "RECONSUME_MAX_RETRIES='1e3': expected an integer from 0 to 1000"},
    {"RECONSUME_MAX_RETRIES", "99999999999999999999999",
     "RECONSUME_MAX_RETRIES='99999999999999999999999': expected an integer from 0 to 1000"},
    {"RECONSUME_MAX_RETRIES", "-", "RECONSUME_MAX_RETRIES='-': expected an integer from 0 to 1000"},
    {"RECONSUME_CATCH", "", "RECONSUME_CATCH='': empty value; unset it for the default"},
    {"RECONSUME_CATCH", "segfault",
     "RECONSUME_CATCH='segfault': unknown kind 'segfault'; expected a comma-separated list of status, exception, signal, abort, or all, or none"},
    {"RECONSUME_CATCH", "status,,exception",
     "RECONSUME_CATCH='status,,exception': unknown kind ''; expected a comma-separated list of status, exception, signal, abort, or all, or none"},
    {"RECONSUME_CATCH", "status,",
     "RECONSUME_CATCH='status,': unknown kind ''; expected a comma-separated list of status, exception, signal, abort, or all, or none"},
    {"RECONSUME_CATCH", "status, exception",
     "RECONSUME_CATCH='status, exception': unknown kind ' exception'; expected a comma-separated list of status, exception, signal, abort, or all, or none"},
    {"RECONSUME_CATCH", "all,signal",
     "RECONSUME_CATCH='all,signal': unknown kind 'all'; expected a comma-separated list of status, exception, signal, abort, or all, or none"},
    {"RECONSUME_LOG_LEVEL", "verbose", "RECONSUME_LOG_LEVEL='verbose': expected one of error, warn, info, debug"},
    {"RECONSUME_LOG_LEVEL", "3", "RECONSUME_LOG_LEVEL='3': expected one of error, warn, info, debug"},
    {"RECONSUME_LOG_LEVEL", "", "RECONSUME_LOG_LEVEL='': empty value; unset it for the default"},
    {"RECONSUME_BROADCAST_BACKOFF_MS", "60001",
     "RECONSUME_BROADCAST_BACKOFF_MS='60001': expected an integer from 0 to 60000"},
    {"RECONSUME_BROADCAST_BACKOFF_MS", "1.5",
     "RECONSUME_BROADCAST_BACKOFF_MS='1.5': expected an integer from 0 to 60000"},
    {"RECONSUME_TIMEOUT_MS", "-5", "RECONSUME_TIMEOUT_MS='-5': expected an integer from 0 to 86400000"},
    {"RECONSUME_TIMEOUT_MS", "86400001", "RECONSUME_TIMEOUT_MS='86400001': expected an integer from 0 to 86400000"},
    {"RECONSUME_TRACK_MAX", "15", "RECONSUME_TRACK_MAX='15': expected an integer from 16 to 10000000"},
    {"RECONSUME_TRACK_MAX", "10000001", "RECONSUME_TRACK_MAX='10000001': expected an integer from 16 to 10000000"},
    {"RECONSUME_SIGNAL_MAX", "lots", "RECONSUME_SIGNAL_MAX='lots': expected an integer from 0 to 1000000"},
    {"RECONSUME_SPOOL_DIR", "", "RECONSUME_SPOOL_DIR='': empty value; unset it for the default"},
    {"RECONSUME_SPOOL_DIR", "/etc/passwd/spool",
     "RECONSUME_SPOOL_DIR='/etc/passwd/spool': /etc/passwd is not a directory; expected a directory path"},
    {"RECONSUME_SPOOL_DIR", "/etc/passwd",
     "RECONSUME_SPOOL_DIR='/etc/passwd': /etc/passwd is not a directory; expected a directory path"},
    {"RECONSUME_SPOOL_DIR", "/proc/self/spool",
     "RECONSUME_SPOOL_DIR='/proc/self/spool': /proc/self is not writable (*); expected a writable directory path"},
    {"RECONSUME_LOG", "/tmp", "RECONSUME_LOG='/tmp': is a directory; expected a file path"},
    {"RECONSUME_LOG", "/etc/hostname/x.log",
     "RECONSUME_LOG='/etc/hostname/x.log': /etc/hostname is not a directory; expected a file path"},
    {"RECONSUME_STATS", "", "RECONSUME_STATS='': empty value; unset it for the default"},
    {"RECONSUME_STATS", "/", "RECONSUME_STATS='/': is a directory; expected a file path"},
};

static void bad_values(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof bad_cases / sizeof *bad_cases; i++) {
        const struct bad_case *b = &bad_cases[i];
        const char *const env[] = {b->name, b->value, NULL};
        struct rc_config c;
        char err[1024];
        assert_int_equal(load(&c, err, sizeof err, env), -1);
        /* '*' stands for an errno text, which depends on the file system. */
        const char *star = strchr(b->message, '*');
        if (star) {
            size_t head = (size_t)(star - b->message);
            assert_memory_equal(err, b->message, head);
            size_t tail = strlen(star + 1);
            assert_true(strlen(err) > head + tail);
            assert_string_equal(err + strlen(err) - tail, star + 1);
        } else {
            assert_string_equal(err, b->message);
        }
    }
}

static void strict_is_known_when_a_later_value_is_bad(void **state)
{
    (void)state;
    struct rc_config c;
    char err[512];
    const char *const env[] = {"RECONSUME_STRICT", "1", "RECONSUME_MAX_RETRIES", "x", NULL};
    assert_int_equal(load(&c, err, sizeof err, env), -1);
    assert_true(c.strict);
}

/* RECONSUME_CONFIG's text comes from the caller's reader (here, in place). */
static void config_file_through_the_reader(void **state)
{
    (void)state;
    struct rc_config c;
    char err[1024];
    const char *const env[] = {
        "RECONSUME_CONFIG", "RECONSUME_MAX_RETRIES=5\nRECONSUME_CATCH=none\n"
                            "rule topic=A => max_retries=1\n",
        "RECONSUME_CATCH", "all", NULL};
    assert_int_equal(load(&c, err, sizeof err, env), 0);
    assert_int_equal(c.max_retries, 5);
    assert_int_equal(c.catch_mask, RC_CATCH_ALL); /* the environment wins */
    assert_int_equal(c.rules.n, 1);
    assert_int_equal(c.rules.v[0].max_retries, 1);
    rc_config_free(&c);

    const char *const bad[] = {"RECONSUME_CONFIG", "RECONSUME_TRACK_MAX=1\n", NULL};
    assert_int_equal(load(&c, err, sizeof err, bad), -1);
    assert_string_equal(err, "RECONSUME_TRACK_MAX='1': expected an integer from 16 to 10000000");

    /* A file that cannot be read is named once (it used to be
     * "RECONSUME_CONFIG='x': RECONSUME_CONFIG='x': ..."). */
    const char *const unread[] = {"RECONSUME_CONFIG", "!not a regular file", NULL};
    assert_int_equal(load(&c, err, sizeof err, unread), -1);
    assert_string_equal(err, "RECONSUME_CONFIG='!not a regular file': not a regular file");
    const char *const binary[] = {"RECONSUME_CONFIG", "RECONSUME_X=\x01\n", NULL};
    assert_int_equal(load(&c, err, sizeof err, binary), -1);
    assert_string_equal(err, "RECONSUME_CONFIG='RECONSUME_X=\\x01\\x0a': "
                             "RECONSUME_X=\\x01\\x0a:1: control character (byte 0x01)");

    /* No reader: a set RECONSUME_CONFIG cannot be used. */
    fake_env = bad;
    const struct rc_config_source none = {fake_get, NULL, NULL};
    assert_int_equal(rc_config_load_from(&c, &none, err, sizeof err), -1);
    assert_string_equal(err, "RECONSUME_CONFIG='RECONSUME_TRACK_MAX=1\\x0a': cannot be read here");
}

/* A RECONSUME_* name in the environment that is no setting (issue 14, 2). */
static int load_env(struct rc_config *c, char *err, size_t errlen, const char *const *env,
                    const char *const *envp)
{
    fake_env = env;
    const struct rc_config_source src = {fake_get, fake_read, envp};
    return rc_config_load_from(c, &src, err, errlen);
}

static void misspelt_names(void **state)
{
    (void)state;
    struct rc_config c;
    char err[1024];
    const char *const none[] = {NULL};
    const char *const strict[] = {"RECONSUME_STRICT", "1", NULL};
    const char *const typo[] = {"HOME=/h", "RECONSUME_MAX_RETRIES=2", "RECONSUME_MAXRETRIES=3",
                                "RECONSUME_CATHC=all", NULL};
    /* A warning, and the rest applies... */
    assert_int_equal(load_env(&c, err, sizeof err, none, typo), 0);
    assert_string_equal(c.warning, "RECONSUME_MAXRETRIES: unknown variable (did you mean "
                                   "RECONSUME_MAX_RETRIES?)");
    rc_config_free(&c);
    /* ...but in strict mode it is an error. */
    assert_int_equal(load_env(&c, err, sizeof err, strict, typo), -1);
    assert_string_equal(err, "RECONSUME_MAXRETRIES: unknown variable (did you mean "
                             "RECONSUME_MAX_RETRIES?)");
    assert_true(c.strict);
    /* A bad value comes first. */
    const char *const bad[] = {"RECONSUME_STRICT", "1", "RECONSUME_TRACK_MAX", "1", NULL};
    assert_int_equal(load_env(&c, err, sizeof err, bad, typo), -1);
    assert_string_equal(err, "RECONSUME_TRACK_MAX='1': expected an integer from 16 to 10000000");

    /* Swaps count as one edit; a far name gets no guess; bytes are escaped. */
    static const struct { const char *entry, *line; } cases[] = {
        {"RECONSUME_CATHC=all",
         "RECONSUME_CATHC: unknown variable (did you mean RECONSUME_CATCH?)"},
        {"RECONSUME_SPOOLDIR=/x",
         "RECONSUME_SPOOLDIR: unknown variable (did you mean RECONSUME_SPOOL_DIR?)"},
        {"RECONSUME_FOO=1", "RECONSUME_FOO: unknown variable (not a setting; see reconsume(7))"},
        {"RECONSUME_=1", "RECONSUME_: unknown variable (not a setting; see reconsume(7))"},
        {"RECONSUME_LOG\x1b=1",
         "RECONSUME_LOG\\x1b: unknown variable (did you mean RECONSUME_LOG?)"},
        {"RECONSUME_LOG\x1b[2J=1",
         "RECONSUME_LOG\\x1b[2J: unknown variable (not a setting; see reconsume(7))"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        const char *const envp[] = {cases[i].entry, NULL};
        assert_int_equal(rc_config_unknown_name(envp, err, sizeof err), 1);
        assert_string_equal(err, cases[i].line);
    }

    /* Settings, the project's own names, other prefixes: nothing to say. */
    const char *const fine[] = {
        "RECONSUME_MAX_RETRIES=3", "RECONSUME_CONFIG=/etc/rc.conf", "RECONSUME_LIB=/x.so",
        "RECONSUME_TEST_SHIM=/x.so", "RECONSUME_TEST_ANYTHING_NEW=1", "RECONSUME_DEMO_NAMESRV=h:1",
        "RECONSUME_BROKER_LINE=5", "RECONSUME_CLIENT_VERSION=2.1.0", "RECONSUME_NAMESRV_PORT=1",
        "XRECONSUME_MAXRETRIES=1", "reconsume_maxretries=1", "RECONSUME", "RECONSUME=1", NULL};
    assert_int_equal(rc_config_unknown_name(fine, err, sizeof err), 0);
    assert_string_equal(err, "");
    assert_int_equal(load_env(&c, err, sizeof err, strict, fine), 0);
    assert_string_equal(c.warning, "");
    rc_config_free(&c);
}

static void too_long_path(void **state)
{
    (void)state;
    static char longpath[PATH_MAX + 10];
    memset(longpath, 'a', sizeof longpath - 1);
    longpath[0] = '/';
    const char *const env[] = {"RECONSUME_SPOOL_DIR", longpath, NULL};
    struct rc_config c;
    static char err[PATH_MAX * 2];
    assert_int_equal(load(&c, err, sizeof err, env), -1);
    assert_non_null(strstr(err, "path longer than 4095 bytes"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(defaults),
        cmocka_unit_test(default_spool_prefers_xdg_state_home),
        cmocka_unit_test(accepted_values),
        cmocka_unit_test(catch_all_none_and_format),
        cmocka_unit_test(relative_paths_become_absolute),
        cmocka_unit_test(bad_values),
        cmocka_unit_test(strict_is_known_when_a_later_value_is_bad),
        cmocka_unit_test(config_file_through_the_reader),
        cmocka_unit_test(misspelt_names),
        cmocka_unit_test(too_long_path),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
