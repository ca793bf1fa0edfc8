/*
 * test_nonretry.c - RECONSUME_NON_RETRYABLE: entries, matching per outcome,
 * canonical form, exact error lines, random input.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "policy/nonretry.h"

#define VAR "RECONSUME_NON_RETRYABLE"

static struct rc_nonretry parse_ok(const char *v)
{
    struct rc_nonretry l;
    char err[1024];
    if (rc_nonretry_parse(VAR, v, &l, err, sizeof err) != 0)
        fail_msg("'%s': %s", v, err);
    return l;
}

static void expect_err(const char *v, const char *want)
{
    struct rc_nonretry l;
    char err[1024];
    assert_int_equal(rc_nonretry_parse(VAR, v, &l, err, sizeof err), -1);
    assert_string_equal(err, want);
    assert_int_equal(l.n, 0);
    rc_nonretry_free(&l);
}

static void entries_and_format(void **state)
{
    (void)state;
    struct rc_nonretry l = parse_ok(
        "std::invalid_argument, app::*,status:7,status:1,signal:SIGSEGV,signal:sigabrt,"
        "std::map<int, std::string>,char const*,*");
    assert_int_equal(l.n, 9);
    assert_int_equal(l.e[0].kind, RC_NR_TYPE);
    assert_string_equal(l.e[0].name, "std::invalid_argument");
    assert_false(l.e[0].is_prefix);
    assert_true(l.e[1].is_prefix);
    assert_int_equal(l.e[1].prefix, 5);
    assert_int_equal(l.e[2].kind, RC_NR_STATUS);
    assert_int_equal(l.e[2].value, 7);
    assert_int_equal(l.e[4].kind, RC_NR_SIGNAL);
    assert_int_equal(l.e[4].value, SIGSEGV);
    assert_int_equal(l.e[5].value, SIGABRT);
    assert_string_equal(l.e[6].name, "std::map<int, std::string>");
    assert_string_equal(l.e[7].name, "char const*");
    char buf[512];
    rc_nonretry_format(&l, buf, sizeof buf);
    assert_string_equal(buf, "std::invalid_argument,app::*,status:7,status:1,signal:SIGSEGV,"
                             "signal:SIGABRT,std::map<int, std::string>,char const*,*");
    rc_nonretry_free(&l);

    struct rc_nonretry none;
    char err[64];
    assert_int_equal(rc_nonretry_parse(VAR, NULL, &none, err, sizeof err), 0);
    rc_nonretry_format(&none, buf, sizeof buf);
    assert_string_equal(buf, "none");
    rc_nonretry_format(NULL, buf, sizeof buf);
    assert_string_equal(buf, "none");
}

static void matching(void **state)
{
    (void)state;
    struct rc_nonretry l = parse_ok("std::invalid_argument,app::*,status:7,signal:SIGBUS");
    assert_true(rc_nonretry_match(&l, RC_OUT_EXCEPTION, 1, "std::invalid_argument", 0));
    assert_false(rc_nonretry_match(&l, RC_OUT_EXCEPTION, 1, "std::invalid_argument2", 0));
    assert_false(rc_nonretry_match(&l, RC_OUT_EXCEPTION, 1, "std::invalid", 0));
    assert_true(rc_nonretry_match(&l, RC_OUT_EXCEPTION, 1, "app::BadInput", 0));
    assert_true(rc_nonretry_match(&l, RC_OUT_EXCEPTION, 1, "app::", 0));
    assert_false(rc_nonretry_match(&l, RC_OUT_EXCEPTION, 1, "app:", 0));
    assert_false(rc_nonretry_match(&l, RC_OUT_EXCEPTION, 1, "myapp::X", 0));
    assert_false(rc_nonretry_match(&l, RC_OUT_EXCEPTION, 1, NULL, 0));
    /* Each entry only for its own outcome. */
    assert_false(rc_nonretry_match(&l, RC_OUT_RECONSUME, 1, "app::BadInput", 0));
    assert_true(rc_nonretry_match(&l, RC_OUT_BAD_STATUS, 7, NULL, 0));
    assert_false(rc_nonretry_match(&l, RC_OUT_BAD_STATUS, 8, NULL, 0));
    assert_false(rc_nonretry_match(&l, RC_OUT_EXCEPTION, 7, "x", 0));
    assert_false(rc_nonretry_match(&l, RC_OUT_SUCCESS, 7, NULL, SIGBUS));
    assert_true(rc_nonretry_match(&l, RC_OUT_SIGNAL, 0, NULL, SIGBUS));
    assert_false(rc_nonretry_match(&l, RC_OUT_SIGNAL, 0, NULL, SIGSEGV));
    assert_false(rc_nonretry_match(NULL, RC_OUT_SIGNAL, 0, NULL, SIGBUS));
    rc_nonretry_free(&l);

    l = parse_ok("status:1,*");
    assert_true(rc_nonretry_match(&l, RC_OUT_RECONSUME, 1, NULL, 0));
    assert_true(rc_nonretry_match(&l, RC_OUT_EXCEPTION, 1, "anything", 0));
    assert_true(rc_nonretry_match(&l, RC_OUT_EXCEPTION, 1, "", 0));
    struct rc_nonretry copy;
    assert_int_equal(rc_nonretry_copy(&copy, &l), 0);
    rc_nonretry_free(&l);
    assert_true(rc_nonretry_match(&copy, RC_OUT_EXCEPTION, 1, "x", 0));
    rc_nonretry_free(&copy);
}

static void errors(void **state)
{
    (void)state;
    expect_err("", VAR "='': empty value; unset it for the default");
    expect_err("stauts:3", VAR "='stauts:3': unknown entry 'stauts:3'; expected an exception "
                           "type (std::invalid_argument, app::*), status:N or signal:NAME");
    expect_err("a,,b", VAR "='a,,b': entry '': empty; expected an exception type "
                       "(std::invalid_argument, app::*), status:N or signal:NAME");
    expect_err("a,", VAR "='a,': entry '': empty; expected an exception type "
                     "(std::invalid_argument, app::*), status:N or signal:NAME");
    expect_err("status:0", VAR "='status:0': status '0': expected an integer from -2147483648 "
                           "to 2147483647, not 0");
    expect_err("status:x", VAR "='status:x': status 'x': expected an integer from -2147483648 "
                           "to 2147483647, not 0");
    expect_err("status", VAR "='status': entry 'status': expected status:N");
    expect_err("signal", VAR "='signal': entry 'signal': expected signal:NAME");
    expect_err("signal:SIGTERM", VAR "='signal:SIGTERM': signal 'SIGTERM': expected SIGSEGV, "
                                 "SIGBUS, SIGFPE, SIGILL or SIGABRT");
    expect_err("signal:SEGV", VAR "='signal:SEGV': signal 'SEGV': expected SIGSEGV, SIGBUS, "
                              "SIGFPE, SIGILL or SIGABRT");
    expect_err("a*b", VAR "='a*b': unknown entry 'a*b'; expected an exception type "
                      "(std::invalid_argument, app::*), status:N or signal:NAME");
    expect_err("a:::b", VAR "='a:::b': unknown entry 'a:::b'; expected an exception type "
                        "(std::invalid_argument, app::*), status:N or signal:NAME");
    expect_err("a;b", VAR "='a;b': unknown entry 'a;b'; expected an exception type "
                      "(std::invalid_argument, app::*), status:N or signal:NAME");
    expect_err("x\ny", VAR "='x\\x0ay': unknown entry 'x\\x0ay'; expected an exception type "
                       "(std::invalid_argument, app::*), status:N or signal:NAME");
    expect_err("std::map<int,x", VAR "='std::map<int,x': entry 'std::map<int,x': unbalanced "
                                 "brackets; expected an exception type, status:N or "
                                 "signal:NAME");
    expect_err("a>,b", VAR "='a>,b': entry 'a>': unbalanced brackets; expected an exception "
                       "type, status:N or signal:NAME");
    char big[300];
    memset(big, 'a', sizeof big);
    big[256] = '\0';
    struct rc_nonretry l;
    char err[1024];
    assert_int_equal(rc_nonretry_parse(VAR, big, &l, err, sizeof err), -1);
    assert_non_null(strstr(err, "' is 256 bytes; expected at most 255"));
    big[255] = '\0';
    l = parse_ok(big);
    rc_nonretry_free(&l);
    char many[65 * 2 + 1] = "";
    for (int i = 0; i < 65; i++)
        strcat(many, i ? ",a" : "a");
    assert_int_equal(rc_nonretry_parse(VAR, many, &l, err, sizeof err), -1);
    assert_non_null(strstr(err, "': more than 64 entries"));
    /* The name of the variable is the caller's. */
    assert_int_equal(rc_nonretry_parse("non_retryable", "?", &l, err, sizeof err), -1);
    assert_string_equal(err, "non_retryable='?': unknown entry '?'; expected an exception type "
                             "(std::invalid_argument, app::*), status:N or signal:NAME");
}

static void random_input(void **state)
{
    (void)state;
    static const char alphabet[] = "a:*<>(),[] status:1-signal:SIGSEGV\x01\xfe";
    unsigned long long x = 2463534242ull;
    char v[160], err[512];
    for (int i = 0; i < 30000; i++) {
        size_t n = (size_t)(i % (sizeof v - 1));
        for (size_t k = 0; k < n; k++) {
            x ^= x << 13, x ^= x >> 7, x ^= x << 17;
            v[k] = alphabet[x % (sizeof alphabet - 1)];
        }
        v[n] = '\0';
        struct rc_nonretry l;
        if (rc_nonretry_parse(VAR, v, &l, err, sizeof err) == 0) {
            rc_nonretry_match(&l, RC_OUT_EXCEPTION, 1, "a::b", 0);
            char buf[64];
            rc_nonretry_format(&l, buf, sizeof buf); /* truncates, never overruns */
        } else {
            assert_null(strchr(err, '\n'));
        }
        rc_nonretry_free(&l);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(entries_and_format),
        cmocka_unit_test(matching),
        cmocka_unit_test(errors),
        cmocka_unit_test(random_input),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
