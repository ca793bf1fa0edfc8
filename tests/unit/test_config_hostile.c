/*
 * test_config_hostile.c - regressions from the hardening work (issue 7,
 * tests/hardening/fuzz_config.c): hostile environment values.
 *
 *  - a value with a newline or a terminal escape sequence used to be copied
 *    raw into the one-line error (so stderr got two lines, or an escape
 *    sequence); now bytes outside printable ASCII appear as \xNN;
 *  - a default spool base ($XDG_STATE_HOME or $HOME) too long for PATH_MAX
 *    used to be cut silently (naming some other directory); now it is an
 *    error naming the variable.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "io/read_file.h"
#include "policy/config.h"

static const char *const *fake_env;

static const char *fake_get(const char *name)
{
    for (const char *const *p = fake_env; p && p[0]; p += 2)
        if (strcmp(p[0], name) == 0)
            return p[1];
    return NULL;
}

static int load(struct rc_config *c, char *err, size_t errlen, const char *const *env)
{
    fake_env = env;
    return rc_config_load(c, fake_get, err, errlen);
}

static void assert_printable_line(const char *s)
{
    for (const unsigned char *p = (const unsigned char *)s; *p; p++)
        assert_true(*p >= 0x20 && *p < 0x7f);
}

static void escape_sequence_in_value(void **state)
{
    (void)state;
    struct rc_config c;
    char err[512];
    const char *const env[] = {"RECONSUME_MAX_RETRIES", "\x1b[2J\x1b]0;x\x07", NULL};
    assert_int_equal(load(&c, err, sizeof err, env), -1);
    assert_printable_line(err);
    assert_string_equal(err, "RECONSUME_MAX_RETRIES='\\x1b[2J\\x1b]0;x\\x07': expected an "
                             "integer from 0 to 1000");
}

static void newline_in_value(void **state)
{
    (void)state;
    struct rc_config c;
    char err[512];
    const char *const env[] = {"RECONSUME_CATCH", "status\nreconsume[1]: forged", NULL};
    assert_int_equal(load(&c, err, sizeof err, env), -1);
    assert_printable_line(err);
    assert_non_null(strstr(err, "status\\x0areconsume[1]: forged"));
}

static void printable_values_unchanged(void **state)
{
    (void)state;
    struct rc_config c;
    char err[512];
    const char *const env[] = {"RECONSUME_MAX_RETRIES", "abc", NULL};
    assert_int_equal(load(&c, err, sizeof err, env), -1);
    assert_string_equal(err, "RECONSUME_MAX_RETRIES='abc': expected an integer from 0 to 1000");
}

static void escape_never_cut_in_half(void **state)
{
    (void)state;
    struct rc_config c;
    const char *const env[] = {"RECONSUME_LOG_LEVEL", "\x01\x02\x03\x04\x05\x06", NULL};
    for (size_t n = 1; n < 80; n++) {
        char err[80];
        assert_int_equal(load(&c, err, n, env), -1);
        assert_true(strlen(err) < n);
        assert_printable_line(err);
        /* a cut escape would end in "\\", "\\x" or "\\xN" */
        const char *bs = strrchr(err, '\\');
        if (bs)
            assert_true(strlen(bs) >= 4);
    }
}

static void long_xdg_state_home(void **state)
{
    (void)state;
    struct rc_config c;
    char err[PATH_MAX + 256];
    char *base = malloc(PATH_MAX);
    base[0] = '/';
    memset(base + 1, 'a', PATH_MAX - 10);
    base[PATH_MAX - 9] = '\0'; /* fits, but not with "/reconsume/spool" */
    const char *const env[] = {"XDG_STATE_HOME", base, NULL};
    assert_int_equal(load(&c, err, sizeof err, env), -1);
    assert_memory_equal(err, "XDG_STATE_HOME='/aaa", 20);
    assert_non_null(strstr(err, "set RECONSUME_SPOOL_DIR"));
    /* RECONSUME_SPOOL_DIR set: the default is not needed, no error */
    const char *const env2[] = {"XDG_STATE_HOME", base, "RECONSUME_SPOOL_DIR", "/tmp/rc-spool", NULL};
    assert_int_equal(load(&c, err, sizeof err, env2), 0);
    free(base);
}

static void long_home(void **state)
{
    (void)state;
    struct rc_config c;
    char err[PATH_MAX + 256];
    char *base = malloc(PATH_MAX);
    base[0] = '/';
    memset(base + 1, 'h', PATH_MAX - 20);
    base[PATH_MAX - 19] = '\0'; /* fits, but not with "/.local/state/reconsume/spool" */
    const char *const env[] = {"HOME", base, NULL};
    assert_int_equal(load(&c, err, sizeof err, env), -1);
    assert_memory_equal(err, "HOME='/hhh", 10);
    free(base);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(escape_sequence_in_value),
        cmocka_unit_test(newline_in_value),
        cmocka_unit_test(printable_values_unchanged),
        cmocka_unit_test(escape_never_cut_in_half),
        cmocka_unit_test(long_xdg_state_home),
        cmocka_unit_test(long_home),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
