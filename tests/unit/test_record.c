/*
 * test_record.c - unit tests for policy/record.c (encode, parse, safe_name).
 */
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "policy/record.h"

/* ---- helpers ------------------------------------------------------------- */

static void base_record(struct rc_record *r)
{
    memset(r, 0, sizeof *r);
    r->outcome = "exception";
    r->status = 1;
    r->exc_type = "std::runtime_error";
    r->exc_what = "boom";
    r->signal_name = "SIGSEGV";
    r->attempts = 17;
    r->max_retries = 16;
    r->group = "GID_test";
    r->mode = "clustering";
    r->host = "host-1";
    r->pid = 4242;
    r->diverted_at_ms = 1700000000123LL;
    r->topic = "TopicTest";
    r->tags = "TagA";
    r->keys = "k1 k2";
    r->msg_id = "0A0B0C0D00002A9F0000000000000001";
    r->queue_id = 3;
    r->queue_offset = 123456789012LL;
    r->commit_log_offset = 987654321098LL;
    r->reconsume_times = 16;
    r->born_ts = 1699999999000LL;
    r->store_ts = 1699999999500LL;
    r->nprops = 2;
    r->props[0].name = "UNIQ_KEY";
    r->props[0].value = "abc";
    r->props[1].name = "TRACE_ID";
    r->props[1].value = "t-1";
    r->body = "hello";
    r->body_len = 5;
}

/* Encode into a fresh heap buffer of the announced size (plus a NUL for the tests). */
static char *encode(const struct rc_record *r, size_t *len)
{
    size_t n = rc_record_encoded_size(r);
    assert_int_not_equal(n, SIZE_MAX);
    assert_true(n > 0);
    char *buf = malloc(n + 1); /* + a NUL for strstr(); encode may use n only */
    assert_non_null(buf);
    buf[n] = '\0';
    assert_int_equal(rc_record_encode(r, buf, n), n);
    assert_int_equal(buf[n], '\0');
    *len = n;
    return buf;
}

static void assert_str_same(const char *a, const char *b)
{
    if (a == NULL || b == NULL) {
        assert_ptr_equal(a, b);
        return;
    }
    assert_string_equal(a, b);
}

static void assert_records_equal(const struct rc_record *a, const struct rc_record *b)
{
    assert_str_same(a->outcome, b->outcome);
    assert_int_equal(a->status, b->status);
    assert_str_same(a->exc_type, b->exc_type);
    assert_str_same(a->exc_what, b->exc_what);
    assert_str_same(a->signal_name, b->signal_name);
    assert_int_equal(a->attempts, b->attempts);
    assert_int_equal(a->max_retries, b->max_retries);
    assert_str_same(a->group, b->group);
    assert_str_same(a->mode, b->mode);
    assert_str_same(a->host, b->host);
    assert_true(a->pid == b->pid);
    assert_true(a->diverted_at_ms == b->diverted_at_ms);
    assert_str_same(a->topic, b->topic);
    assert_str_same(a->tags, b->tags);
    assert_str_same(a->keys, b->keys);
    assert_str_same(a->msg_id, b->msg_id);
    assert_int_equal(a->queue_id, b->queue_id);
    assert_true(a->queue_offset == b->queue_offset);
    assert_true(a->commit_log_offset == b->commit_log_offset);
    assert_int_equal(a->reconsume_times, b->reconsume_times);
    assert_true(a->born_ts == b->born_ts);
    assert_true(a->store_ts == b->store_ts);
    assert_int_equal(a->nprops, b->nprops);
    for (size_t i = 0; i < a->nprops; i++) {
        assert_str_same(a->props[i].name, b->props[i].name);
        assert_str_same(a->props[i].value, b->props[i].value);
    }
    assert_int_equal(a->body_len, b->body_len);
    if (a->body_len)
        assert_memory_equal(a->body, b->body, a->body_len);
}

static void round_trip(const struct rc_record *r)
{
    size_t len;
    char *buf = encode(r, &len);
    struct rc_record p;
    char err[256] = "";
    int rc = rc_record_parse(buf, len, &p, err, sizeof err);
    if (rc != 0)
        fail_msg("parse failed: %s", err);
    assert_records_equal(r, &p);
    assert_non_null(p.body);
    rc_record_free(&p);
    free(buf);
}

/* Offset of the body (just after the blank line) in an encoded record. */
static size_t header_len(const char *buf, size_t len)
{
    for (size_t i = 0; i + 1 < len; i++)
        if (buf[i] == '\n' && buf[i + 1] == '\n')
            return i + 2;
    fail_msg("no blank line");
    return 0;
}

static const char *const known_names[] = {
    "Reconsume-Record", "Outcome", "Status", "Exception-Type", "Exception-What", "Signal",
    "Attempts", "Max-Retries", "Group", "Mode", "Topic", "Tags", "Keys", "Msg-Id", "Delivered-Topic",
    "Delivered-Queue-Id", "Delivered-Queue-Offset", "Delivered-Commit-Log-Offset", "Reconsume-Times", "Born-Timestamp", "Store-Timestamp",
    "Property-", "Host", "Pid", "Diverted-At", "Diverted-At-Ms", "Body-Length",
};
#define NKNOWN (sizeof known_names / sizeof known_names[0])

/*
 * Check the header block of an encoded record: every line is "Name: value"
 * with a known name, in the contract's order, and only printable ASCII.
 * Returns the number of header lines.
 */
static size_t check_header_lines(const char *buf, size_t len)
{
    size_t hl = header_len(buf, len), n = 0, last = 0;
    const char *p = buf, *end = buf + hl - 1; /* up to the blank line's '\n' */
    while (p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        assert_non_null(nl);
        for (const char *q = p; q < nl; q++) {
            unsigned char c = (unsigned char)*q;
            assert_true(c >= 0x20 && c < 0x7f);
        }
        const char *colon = memchr(p, ':', (size_t)(nl - p));
        assert_non_null(colon);
        assert_true(colon + 1 < nl + 1 && colon[1] == ' ');
        size_t nlen = (size_t)(colon - p), k;
        for (k = 0; k < NKNOWN; k++) {
            size_t kl = strlen(known_names[k]);
            if (known_names[k][kl - 1] == '-' ? (nlen > kl && memcmp(p, known_names[k], kl) == 0)
                                             : (nlen == kl && memcmp(p, known_names[k], kl) == 0))
                break;
        }
        if (k == NKNOWN)
            fail_msg("unknown header line: %.*s", (int)(nl - p), p);
        assert_true(k >= last); /* in order */
        last = k;
        n++;
        p = nl + 1;
    }
    return n;
}

/* ---- round trips ----------------------------------------------------------- */

static void test_round_trip_basic(void **state)
{
    (void)state;
    struct rc_record r;
    base_record(&r);
    round_trip(&r);
}

static void test_round_trip_binary_body(void **state)
{
    (void)state;
    char body[512];
    for (int i = 0; i < 512; i++)
        body[i] = (char)(i & 0xff);
    struct rc_record r;
    base_record(&r);
    r.body = body;
    r.body_len = sizeof body;
    round_trip(&r);

    /* a body that looks like a header block and a blank line */
    static const char fake[] = "\n\nReconsume-Record: 1\nBody-Length: 0\n\n\0\0\r\n";
    r.body = fake;
    r.body_len = sizeof fake;
    round_trip(&r);
}

static void test_round_trip_empty_body(void **state)
{
    (void)state;
    struct rc_record r;
    base_record(&r);
    r.body = "";
    r.body_len = 0;
    round_trip(&r);
    r.body = NULL;
    r.body_len = 0;
    round_trip(&r);

    size_t len;
    char *buf = encode(&r, &len);
    assert_true(len >= 2 && buf[len - 1] == '\n' && buf[len - 2] == '\n');
    assert_non_null(strstr(buf, "\nBody-Length: 0\n\n"));
    free(buf);
}

static void test_round_trip_big_body(void **state)
{
    (void)state;
    size_t n = 4u << 20;
    char *body = malloc(n);
    assert_non_null(body);
    uint32_t x = 12345;
    for (size_t i = 0; i < n; i++) {
        x = x * 1103515245u + 12345u;
        body[i] = (char)(x >> 24);
    }
    struct rc_record r;
    base_record(&r);
    r.body = body;
    r.body_len = n;
    round_trip(&r);
    free(body);
}

static void test_minimal_record(void **state)
{
    (void)state;
    struct rc_record r;
    memset(&r, 0, sizeof r);
    size_t len;
    char *buf = encode(&r, &len);
    /* no string headers at all; numbers are always written */
    assert_null(strstr(buf, "Outcome:"));
    assert_null(strstr(buf, "Msg-Id:"));
    assert_null(strstr(buf, "Property-"));
    assert_non_null(strstr(buf, "\nStatus: 0\n"));
    assert_non_null(strstr(buf, "\nDiverted-At: 1970-01-01T00:00:00.000Z\n"));
    free(buf);
    round_trip(&r);
}

static void test_absent_vs_empty(void **state)
{
    (void)state;
    struct rc_record r;
    base_record(&r);
    r.exc_type = NULL;
    r.exc_what = "";
    r.tags = "";
    r.keys = NULL;
    size_t len;
    char *buf = encode(&r, &len);
    assert_null(strstr(buf, "Exception-Type:"));
    assert_non_null(strstr(buf, "\nException-What: \n"));
    assert_null(strstr(buf, "\nKeys:"));
    free(buf);
    round_trip(&r);
}

static void test_header_order_and_format(void **state)
{
    (void)state;
    struct rc_record r;
    base_record(&r);
    size_t len;
    char *buf = encode(&r, &len);
    static const char expect[] =
        "Reconsume-Record: 1\n"
        "Outcome: exception\n"
        "Status: 1\n"
        "Exception-Type: std::runtime_error\n"
        "Exception-What: boom\n"
        "Signal: SIGSEGV\n"
        "Attempts: 17\n"
        "Max-Retries: 16\n"
        "Group: GID_test\n"
        "Mode: clustering\n"
        "Topic: TopicTest\n"
        "Tags: TagA\n"
        "Keys: k1 k2\n"
        "Msg-Id: 0A0B0C0D00002A9F0000000000000001\n"
        "Delivered-Queue-Id: 3\n"
        "Delivered-Queue-Offset: 123456789012\n"
        "Delivered-Commit-Log-Offset: 987654321098\n"
        "Reconsume-Times: 16\n"
        "Born-Timestamp: 1699999999000\n"
        "Store-Timestamp: 1699999999500\n"
        "Property-UNIQ_KEY: abc\n"
        "Property-TRACE_ID: t-1\n"
        "Host: host-1\n"
        "Pid: 4242\n"
        "Diverted-At: 2023-11-14T22:13:20.123Z\n"
        "Diverted-At-Ms: 1700000000123\n"
        "Body-Length: 5\n"
        "\n"
        "hello";
    assert_int_equal(len, sizeof expect - 1);
    assert_memory_equal(buf, expect, len);
    assert_int_equal(check_header_lines(buf, len), 27);
    free(buf);
}

static void test_diverted_at_iso(void **state)
{
    (void)state;
    static const struct {
        long long ms;
        const char *iso;
    } cases[] = {
        { 0, "1970-01-01T00:00:00.000Z" },
        { 1, "1970-01-01T00:00:00.001Z" },
        { 999, "1970-01-01T00:00:00.999Z" },
        { -1, "1969-12-31T23:59:59.999Z" },
        { -1000, "1969-12-31T23:59:59.000Z" },
        { 951782400000LL, "2000-02-29T00:00:00.000Z" },
        { 253402300799999LL, "9999-12-31T23:59:59.999Z" },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct rc_record r;
        memset(&r, 0, sizeof r);
        r.diverted_at_ms = cases[i].ms;
        size_t len;
        char *buf = encode(&r, &len);
        char want[80];
        snprintf(want, sizeof want, "\nDiverted-At: %s\nDiverted-At-Ms: %lld\n", cases[i].iso,
                 cases[i].ms);
        if (!strstr(buf, want))
            fail_msg("case %zu: %s not in\n%.*s", i, want, (int)len, buf);
        free(buf);
        round_trip(&r);
    }
    /* extremes still encode (Diverted-At may be left out) and round-trip */
    struct rc_record r;
    memset(&r, 0, sizeof r);
    r.diverted_at_ms = LLONG_MAX;
    round_trip(&r);
    r.diverted_at_ms = LLONG_MIN;
    round_trip(&r);
}

static void test_numeric_extremes(void **state)
{
    (void)state;
    struct rc_record r;
    base_record(&r);
    r.status = INT_MIN;
    r.attempts = INT_MAX;
    r.max_retries = -1;
    r.queue_id = INT_MIN;
    r.pid = LONG_MIN;
    r.queue_offset = LLONG_MIN;
    r.commit_log_offset = LLONG_MAX;
    r.reconsume_times = -7;
    r.born_ts = LLONG_MIN;
    r.store_ts = LLONG_MAX;
    r.diverted_at_ms = -86400000LL * 365 * 3000;
    round_trip(&r);
    r.pid = LONG_MAX;
    round_trip(&r);
}

/* Every string field set to v must round-trip and keep the header well formed. */
static void check_hostile_value(const char *v)
{
    struct rc_record r;
    base_record(&r);
    r.outcome = r.exc_type = r.exc_what = r.signal_name = v;
    r.group = r.mode = r.host = r.topic = r.tags = r.keys = r.msg_id = v;
    r.props[0].value = v;
    r.props[1].name = v[0] ? v : "X";
    r.props[1].value = v;
    size_t len;
    char *buf = encode(&r, &len);
    size_t lines = check_header_lines(buf, len);
    assert_int_equal(lines, 27);
    free(buf);
    round_trip(&r);
}

static void test_hostile_values(void **state)
{
    (void)state;
    static const char *const vals[] = {
        "/", "..", ".", "../../etc/passwd", "a\nBody-Length: 0\n\nX", "\r\n", "\r", "\n",
        "\n\n", ":", "a: b", "Outcome: success", "%", "%%", "%41", "%zz", "100%",
        "\x01\x02\x1b[31mred\x1b[0m\x7f", "\xff\xfe\x80\xc0\xaf", "\xe2\x82\xac euro",
        "\xed\xa0\x80", " leading", "trailing ", "  ", " ", "\t tab \t", "",
        "Property-X: y", "caf\xc3\xa9",
    };
    for (size_t i = 0; i < sizeof vals / sizeof vals[0]; i++)
        check_hostile_value(vals[i]);

    /* every byte value 1..255 in one string */
    char all[256];
    for (int i = 1; i < 256; i++)
        all[i - 1] = (char)i;
    all[255] = '\0';
    check_hostile_value(all);
}

static void test_long_values(void **state)
{
    (void)state;
    size_t n = 64 * 1024;
    char *plain = malloc(n + 1), *nasty = malloc(n + 1);
    assert_non_null(plain);
    assert_non_null(nasty);
    for (size_t i = 0; i < n; i++) {
        plain[i] = (char)('a' + i % 26);
        nasty[i] = (char)(1 + i % 255); /* every non-NUL byte, over and over */
    }
    plain[n] = nasty[n] = '\0';
    check_hostile_value(plain);
    check_hostile_value(nasty);
    free(plain);
    free(nasty);
}

static void test_percent_encoding_exact(void **state)
{
    (void)state;
    struct rc_record r;
    memset(&r, 0, sizeof r);
    r.exc_what = "50% \n\r\x1b\x7f\xc3\xa9: ok ";
    r.nprops = 1;
    r.props[0].name = "A: B\n";
    r.props[0].value = " v ";
    size_t len;
    char *buf = encode(&r, &len);
    assert_non_null(strstr(buf, "\nException-What: 50%25 %0A%0D%1B%7F%C3%A9: ok%20\n"));
    assert_non_null(strstr(buf, "\nProperty-A%3A%20B%0A: %20v%20\n"));
    free(buf);
    round_trip(&r);
}

static void test_props_edge_cases(void **state)
{
    (void)state;
    struct rc_record r;
    base_record(&r);
    r.nprops = RC_RECORD_MAX_PROPS;
    static const char *const names[RC_RECORD_MAX_PROPS] = { "A", "B", "C", "D", "E", "F", "G", "H" };
    for (size_t i = 0; i < RC_RECORD_MAX_PROPS; i++) {
        r.props[i].name = names[i];
        r.props[i].value = names[RC_RECORD_MAX_PROPS - 1 - i];
    }
    round_trip(&r);

    /* more than the maximum: clamped by the encoder */
    r.nprops = RC_RECORD_MAX_PROPS + 5;
    size_t len;
    char *buf = encode(&r, &len);
    struct rc_record p;
    char err[128];
    assert_int_equal(rc_record_parse(buf, len, &p, err, sizeof err), 0);
    assert_int_equal(p.nprops, RC_RECORD_MAX_PROPS);
    rc_record_free(&p);
    free(buf);

    /* properties without a name or a value are left out */
    base_record(&r);
    r.nprops = 3;
    r.props[0].name = NULL;
    r.props[1].name = "";
    r.props[1].value = "x";
    r.props[2].name = "N";
    r.props[2].value = NULL;
    buf = encode(&r, &len);
    assert_null(strstr(buf, "Property-"));
    free(buf);
}

static void test_encode_small_buffer(void **state)
{
    (void)state;
    struct rc_record r;
    base_record(&r);
    size_t n = rc_record_encoded_size(&r);
    char *buf = malloc(n);
    assert_non_null(buf);
    assert_int_equal(rc_record_encode(&r, buf, n - 1), 0);
    assert_int_equal(rc_record_encode(&r, buf, 0), 0);
    assert_int_equal(rc_record_encode(&r, NULL, n), 0);
    assert_int_equal(rc_record_encode(&r, buf, n), n);
    free(buf);
}

static void test_encoded_size_overflow(void **state)
{
    (void)state;
    struct rc_record r;
    base_record(&r);
    r.body = "x"; /* never read: the size overflows first */
    r.body_len = SIZE_MAX - 10;
    assert_int_equal(rc_record_encoded_size(&r), SIZE_MAX);
    char buf[16];
    assert_int_equal(rc_record_encode(&r, buf, sizeof buf), 0);
}

/* ---- parsing --------------------------------------------------------------- */

static int parse_str(const char *s, size_t len, char *err, size_t errlen)
{
    struct rc_record p;
    memset(&p, 0xa5, sizeof p); /* garbage in: must be reset */
    int rc = rc_record_parse(s, len, &p, err, errlen);
    if (rc != 0) {
        /* on failure the record is zeroed and freeing it is harmless */
        assert_null(p.outcome);
        assert_null(p.body);
        assert_int_equal(p.nprops, 0);
    }
    rc_record_free(&p);
    return rc;
}

static void expect_parse_error(const char *s, size_t len, const char *needle)
{
    char err[256] = "";
    if (parse_str(s, len, err, sizeof err) != -1)
        fail_msg("parsed but should not: %.*s", (int)len, s);
    assert_true(err[0] != '\0');
    assert_null(strchr(err, '\n'));
    if (needle && !strstr(err, needle))
        fail_msg("reason \"%s\" lacks \"%s\"", err, needle);
}
#define EXPECT_ERR(lit, needle) expect_parse_error(lit, sizeof(lit) - 1, needle)

/* Issue 13 item 6: which headers a parsed record had, so that a reader can
 * tell "0" from "not there"; and property names are checked to the last. */
static void test_parse_notes_present_headers(void **state)
{
    (void)state;
    struct rc_record r, p;
    base_record(&r);
    size_t len;
    char *buf = encode(&r, &len), err[256];
    assert_int_equal(rc_record_parse(buf, len, &p, err, sizeof err), 0);
    free(buf);
    for (size_t i = 0; rc_record_required(i); i++)
        assert_true(rc_record_has(&p, rc_record_required(i)));
    assert_true(rc_record_has(&p, "outcome"));     /* any case */
    assert_true(rc_record_has(&p, "Property-"));
    assert_true(rc_record_has(&p, "Diverted-At"));
    assert_false(rc_record_has(&p, "Injected"));   /* NULL: not written */
    assert_false(rc_record_has(&p, "No-Such-Header"));
    rc_record_free(&p);
    assert_false(rc_record_has(&p, "Outcome"));    /* freed: zeroed */

    static const char hollow[] = "Reconsume-Record: 1\nProperty-X: 1\nstatus: 0\nBody-Length: 0\n\n";
    assert_int_equal(rc_record_parse(hollow, sizeof hollow - 1, &p, err, sizeof err), 0);
    assert_true(rc_record_has(&p, "Status"));
    assert_true(rc_record_has(&p, "Body-Length"));
    assert_true(rc_record_has(&p, "Property-"));
    assert_false(rc_record_has(&p, "Attempts"));
    assert_false(rc_record_has(&p, "Outcome"));
    assert_false(rc_record_has(&p, "Diverted-At-Ms"));
    rc_record_free(&p);

    /* The required set: the integers and Outcome, never an optional string. */
    size_t n = 0;
    int outcome = 0, attempts = 0;
    for (const char *h; (h = rc_record_required(n)) != NULL; n++) {
        outcome |= strcmp(h, "Outcome") == 0;
        attempts |= strcmp(h, "Attempts") == 0;
        assert_true(strcmp(h, "Exception-Type") != 0 && strcmp(h, "Diverted-At") != 0 &&
                    strcmp(h, "Property-") != 0 && strcmp(h, "Action") != 0);
    }
    assert_true(outcome && attempts && n == 13);
}

static void test_parse_checks_every_property_name(void **state)
{
    (void)state;
    char rec[2048] = "Reconsume-Record: 1\n";
    for (int i = 0; i < RC_RECORD_MAX_PROPS; i++)
        snprintf(rec + strlen(rec), sizeof rec - strlen(rec), "Property-P%d: v\n", i);
    strcat(rec, "Property-BAD%ZZ: v\nBody-Length: 0\n\n");
    expect_parse_error(rec, strlen(rec), "property name: bad percent escape");
}

static void test_parse_minimal_and_crlf(void **state)
{
    (void)state;
    static const char a[] = "Reconsume-Record: 1\nBody-Length: 3\n\nabc";
    struct rc_record p;
    char err[128];
    assert_int_equal(rc_record_parse(a, sizeof a - 1, &p, err, sizeof err), 0);
    assert_int_equal(p.body_len, 3);
    assert_memory_equal(p.body, "abc", 3);
    assert_null(p.outcome);
    rc_record_free(&p);

    static const char b[] =
        "Reconsume-Record: 1\r\nmsg-id:   X%2fY  \r\nX-Future: %41\r\nBody-Length: 0\r\n\r\n";
    assert_int_equal(rc_record_parse(b, sizeof b - 1, &p, err, sizeof err), 0);
    assert_string_equal(p.msg_id, "X/Y");
    assert_int_equal(p.body_len, 0);
    assert_non_null(p.body);
    rc_record_free(&p);
    rc_record_free(&p); /* twice: it is zeroed */
}

static void test_parse_zero_and_garbage(void **state)
{
    (void)state;
    expect_parse_error("", 0, "empty");
    expect_parse_error(NULL, 0, "empty");
    EXPECT_ERR("\n", "not a record");
    EXPECT_ERR("\n\n", "not a record");
    EXPECT_ERR("garbage", NULL);
    EXPECT_ERR("garbage\n\nbody", "not a record");
    EXPECT_ERR("\x7f" "ELF\x02\x01\x01\0\0\0\n\n", "not a record");
    static const char nuls[64] = { 0 };
    expect_parse_error(nuls, sizeof nuls, NULL);
}

static void test_parse_missing_magic(void **state)
{
    (void)state;
    EXPECT_ERR("Body-Length: 0\n\n", "not a record");
    EXPECT_ERR("Outcome: x\nReconsume-Record: 1\nBody-Length: 0\n\n", "not a record");
    EXPECT_ERR("Reconsume-Record: 2\nBody-Length: 0\n\n", "version");
    EXPECT_ERR("Reconsume-Record: x\nBody-Length: 0\n\n", "version");
    EXPECT_ERR("Reconsume-Record: 1\nReconsume-Record: 1\nBody-Length: 0\n\n", "duplicate");
}

static void test_parse_header_without_colon(void **state)
{
    (void)state;
    EXPECT_ERR("Reconsume-Record: 1\nOutcome exception\nBody-Length: 0\n\n", "colon");
    EXPECT_ERR("Reconsume-Record: 1\n: x\nBody-Length: 0\n\n", "empty name");
    EXPECT_ERR("Reconsume-Record: 1\nOut come: x\nBody-Length: 0\n\n", "header name");
    EXPECT_ERR("Reconsume-Record: 1\nProperty-: x\nBody-Length: 0\n\n", "property");
}

static void test_parse_bad_percent(void **state)
{
    (void)state;
    EXPECT_ERR("Reconsume-Record: 1\nOutcome: %G1\nBody-Length: 0\n\n", "percent");
    EXPECT_ERR("Reconsume-Record: 1\nOutcome: %4\nBody-Length: 0\n\n", "percent");
    EXPECT_ERR("Reconsume-Record: 1\nOutcome: abc%\nBody-Length: 0\n\n", "percent");
    EXPECT_ERR("Reconsume-Record: 1\nOutcome: %00\nBody-Length: 0\n\n", "NUL");
    EXPECT_ERR("Reconsume-Record: 1\nProperty-%zz: x\nBody-Length: 0\n\n", "percent");
    EXPECT_ERR("Reconsume-Record: 1\nX-Unknown: %\nBody-Length: 0\n\n", "percent");
    EXPECT_ERR("Reconsume-Record: 1\nOutcome: a\tb\nBody-Length: 0\n\n", "unescaped");
    EXPECT_ERR("Reconsume-Record: 1\nOutcome: caf\xc3\xa9\nBody-Length: 0\n\n", "unescaped");
    EXPECT_ERR("Reconsume-Record: 1\nOutcome: a\rb\nBody-Length: 0\n\n", "unescaped");
    EXPECT_ERR("Reconsume-Record: 1\nOutcome: a\0b\nBody-Length: 0\n\n", "unescaped");
}

static void test_parse_bad_numbers(void **state)
{
    (void)state;
    EXPECT_ERR("Reconsume-Record: 1\nStatus: 2147483648\nBody-Length: 0\n\n", "Status");
    EXPECT_ERR("Reconsume-Record: 1\nStatus: -2147483649\nBody-Length: 0\n\n", "Status");
    EXPECT_ERR("Reconsume-Record: 1\nStatus: \nBody-Length: 0\n\n", "Status");
    EXPECT_ERR("Reconsume-Record: 1\nStatus: -\nBody-Length: 0\n\n", "Status");
    EXPECT_ERR("Reconsume-Record: 1\nStatus: +1\nBody-Length: 0\n\n", "Status");
    EXPECT_ERR("Reconsume-Record: 1\nStatus: 0x10\nBody-Length: 0\n\n", "Status");
    EXPECT_ERR("Reconsume-Record: 1\nStatus: 1%202\nBody-Length: 0\n\n", "Status");
    EXPECT_ERR("Reconsume-Record: 1\nQueue-Offset: 9223372036854775808\nBody-Length: 0\n\n",
               "Queue-Offset");
    EXPECT_ERR("Reconsume-Record: 1\nDiverted-At-Ms: 99999999999999999999999\nBody-Length: 0\n\n",
               NULL);
    EXPECT_ERR("Reconsume-Record: 1\nBody-Length: -1\n\n", "Body-Length");
    EXPECT_ERR("Reconsume-Record: 1\nBody-Length: 99999999999999999999999\n\n", "Body-Length");
    EXPECT_ERR("Reconsume-Record: 1\nBody-Length: 18446744073709551615\n\n", "torn");

    static const char ok[] =
        "Reconsume-Record: 1\nQueue-Offset: -9223372036854775808\nStatus: -2147483648\n"
        "Body-Length: 0\n\n";
    struct rc_record p;
    char err[128];
    assert_int_equal(rc_record_parse(ok, sizeof ok - 1, &p, err, sizeof err), 0);
    assert_true(p.queue_offset == LLONG_MIN);
    assert_int_equal(p.status, INT_MIN);
    rc_record_free(&p);
}

static void test_parse_structure_errors(void **state)
{
    (void)state;
    EXPECT_ERR("Reconsume-Record: 1\nOutcome: x\n\n", "Body-Length");
    EXPECT_ERR("Reconsume-Record: 1\nBody-Length: 0\n", "truncated header");
    EXPECT_ERR("Reconsume-Record: 1\nBody-Length: 0", "truncated header");
    EXPECT_ERR("Reconsume-Record: 1\nOutcome: a\nOutcome: b\nBody-Length: 0\n\n", "duplicate");
    EXPECT_ERR("Reconsume-Record: 1\nBody-Length: 0\nBody-Length: 0\n\n", "duplicate");
    EXPECT_ERR("Reconsume-Record: 1\nBody-Length: 2\n\nabc", "trailing");
    EXPECT_ERR("Reconsume-Record: 1\nBody-Length: 4\n\nabc", "torn");
}

/* Every proper prefix of a valid record is a torn record and must be refused. */
static void test_parse_truncated_everywhere(void **state)
{
    (void)state;
    char body[300];
    for (int i = 0; i < 300; i++)
        body[i] = (char)i;
    struct rc_record r;
    base_record(&r);
    r.exc_what = "what\nwith\r\nnewlines %";
    r.body = body;
    r.body_len = sizeof body;
    size_t len;
    char *buf = encode(&r, &len);
    for (size_t n = 0; n < len; n++) {
        char *copy = malloc(n ? n : 1); /* exact size: ASan catches over-reads */
        assert_non_null(copy);
        memcpy(copy, buf, n);
        char err[256] = "";
        if (parse_str(copy, n, err, sizeof err) != -1)
            fail_msg("prefix of %zu/%zu bytes parsed", n, len);
        assert_true(err[0] != '\0');
        free(copy);
    }
    size_t hl = header_len(buf, len);
    char err[256];
    assert_int_equal(parse_str(buf, hl + 10, err, sizeof err), -1);
    assert_non_null(strstr(err, "torn record: body has 10 of 300 bytes"));
    free(buf);
}

/* Random mutations: the parser must never crash, leak or read out of bounds. */
static void test_parse_mutations(void **state)
{
    (void)state;
    struct rc_record r;
    base_record(&r);
    size_t len;
    char *orig = encode(&r, &len);
    uint32_t x = 0x9e3779b9u;
#define RND() (x ^= x << 13, x ^= x >> 17, x ^= x << 5, x)
    int parsed = 0;
    for (int iter = 0; iter < 20000; iter++) {
        size_t n = len;
        char *m = malloc(len + 8);
        assert_non_null(m);
        memcpy(m, orig, len);
        int k = 1 + (int)(RND() % 4);
        for (int j = 0; j < k; j++) {
            size_t at = RND() % n;
            switch (RND() % 5) {
            case 0: m[at] = (char)RND(); break;
            case 1: m[at] = "\n:% \r0-9"[RND() % 8]; break;
            case 2: n = at; break;                                  /* truncate */
            case 3: memmove(m + at, m + at + 1, n - at - 1); n--; break; /* delete */
            default: if (n < len + 8) { memmove(m + at + 1, m + at, n - at); m[at] = '\n'; n++; }
            }
            if (n == 0)
                break;
        }
        char *exact = malloc(n ? n : 1);
        assert_non_null(exact);
        memcpy(exact, m, n);
        char err[128];
        struct rc_record p;
        if (rc_record_parse(exact, n, &p, err, sizeof err) == 0) {
            parsed++;
            /* whatever parses must re-encode to something that parses again */
            size_t l2;
            char *again = encode(&p, &l2);
            struct rc_record q;
            assert_int_equal(rc_record_parse(again, l2, &q, err, sizeof err), 0);
            assert_records_equal(&p, &q);
            rc_record_free(&q);
            free(again);
        }
        rc_record_free(&p);
        free(exact);
        free(m);
    }
#undef RND
    assert_true(parsed > 0);
    free(orig);
}

static void test_parse_err_buffer_edge(void **state)
{
    (void)state;
    struct rc_record p;
    char err[4] = "xyz";
    assert_int_equal(rc_record_parse("junk", 4, &p, err, 1), -1);
    assert_int_equal(err[0], '\0');
    assert_int_equal(rc_record_parse("junk", 4, &p, NULL, 0), -1);
    assert_int_equal(rc_record_parse("junk", 4, &p, err, sizeof err), -1);
    assert_int_equal(strlen(err), 3);
}

/* ---- safe_name ----------------------------------------------------------- */

static const char *safe(const char *s, char *out, size_t cap)
{
    memset(out, 'Z', cap);
    rc_record_safe_name(s, out, cap);
    return out;
}

static void test_safe_name(void **state)
{
    (void)state;
    char out[128];
    assert_string_equal(safe("0A0B0C0D00002A9F", out, sizeof out), "0A0B0C0D00002A9F");
    assert_string_equal(safe("az-AZ_09.x", out, sizeof out), "az-AZ_09.x");
    assert_string_equal(safe("..", out, sizeof out), "_.");
    assert_string_equal(safe(".", out, sizeof out), "_");
    assert_string_equal(safe("/", out, sizeof out), "_");
    assert_string_equal(safe("a/../b", out, sizeof out), "a_.._b");
    assert_string_equal(safe("../../etc/passwd", out, sizeof out), "_._.._etc_passwd");
    assert_string_equal(safe("", out, sizeof out), "_");
    assert_string_equal(safe(NULL, out, sizeof out), "_");
    assert_string_equal(safe(".hidden", out, sizeof out), "_hidden");
    assert_string_equal(safe("a b\n\r\t:%*?\\", out, sizeof out), "a_b________");
    assert_string_equal(safe("caf\xc3\xa9\xff\x80", out, sizeof out), "caf____");
    assert_string_equal(safe("\x1b[31m", out, sizeof out), "__31m");

    char big[201];
    memset(big, 'a', 200);
    big[200] = '\0';
    big[63] = '/';
    safe(big, out, sizeof out);
    assert_int_equal(strlen(out), 64);
    assert_int_equal(out[63], '_');

    /* a small buffer cuts the name and still never yields "." or ".." */
    assert_string_equal(safe("..abc", out, 2), "_");
    assert_string_equal(safe("..abc", out, 3), "_.");
    assert_string_equal(safe("abcdef", out, 4), "abc");
    assert_string_equal(safe("", out, 2), "_");

    /* all 255 non-NUL bytes */
    char all[256];
    for (int i = 1; i < 256; i++)
        all[i - 1] = (char)i;
    all[255] = '\0';
    safe(all, out, sizeof out);
    assert_int_equal(strlen(out), 64);
    for (const char *p = out; *p; p++)
        assert_non_null(strchr("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._-", *p));
}

/* Records written before the coordinates were named for the delivered copy
 * (issue 13, item 11) said Queue-Id, Queue-Offset, Commit-Log-Offset: still
 * read, as the same fields; both spellings at once are a duplicate. */
static void test_old_coordinate_names_are_read(void **state)
{
    (void)state;
    static const char old[] = "Reconsume-Record: 1\nOutcome: reconsume\nQueue-Id: 2\n"
                              "Queue-Offset: 5\nCommit-Log-Offset: 777\nBody-Length: 0\n\n";
    struct rc_record r;
    char err[256];
    assert_int_equal(rc_record_parse(old, sizeof old - 1, &r, err, sizeof err), 0);
    assert_int_equal(r.queue_id, 2);
    assert_true(r.queue_offset == 5 && r.commit_log_offset == 777);
    assert_true(rc_record_has(&r, "Delivered-Queue-Id") && rc_record_has(&r, "Queue-Offset"));
    rc_record_free(&r);
    static const char both[] = "Reconsume-Record: 1\nQueue-Id: 2\nDelivered-Queue-Id: 2\n"
                               "Body-Length: 0\n\n";
    assert_int_equal(rc_record_parse(both, sizeof both - 1, &r, err, sizeof err), -1);
    assert_non_null(strstr(err, "duplicate"));
}

int main(void)
{
    const struct CMUnitTest round_trips[] = {
        cmocka_unit_test(test_round_trip_basic),
        cmocka_unit_test(test_round_trip_binary_body),
        cmocka_unit_test(test_round_trip_empty_body),
        cmocka_unit_test(test_round_trip_big_body),
        cmocka_unit_test(test_minimal_record),
        cmocka_unit_test(test_absent_vs_empty),
        cmocka_unit_test(test_header_order_and_format),
        cmocka_unit_test(test_diverted_at_iso),
        cmocka_unit_test(test_numeric_extremes),
        cmocka_unit_test(test_hostile_values),
        cmocka_unit_test(test_long_values),
        cmocka_unit_test(test_percent_encoding_exact),
        cmocka_unit_test(test_props_edge_cases),
        cmocka_unit_test(test_encode_small_buffer),
        cmocka_unit_test(test_encoded_size_overflow),
    };
    const struct CMUnitTest parsing[] = {
        cmocka_unit_test(test_old_coordinate_names_are_read),
        cmocka_unit_test(test_parse_minimal_and_crlf),
        cmocka_unit_test(test_parse_zero_and_garbage),
        cmocka_unit_test(test_parse_missing_magic),
        cmocka_unit_test(test_parse_header_without_colon),
        cmocka_unit_test(test_parse_bad_percent),
        cmocka_unit_test(test_parse_bad_numbers),
        cmocka_unit_test(test_parse_structure_errors),
        cmocka_unit_test(test_parse_truncated_everywhere),
        cmocka_unit_test(test_parse_mutations),
        cmocka_unit_test(test_parse_err_buffer_edge),
        cmocka_unit_test(test_parse_notes_present_headers),
        cmocka_unit_test(test_parse_checks_every_property_name),
    };
    const struct CMUnitTest names[] = {
        cmocka_unit_test(test_safe_name),
    };
    int failed = 0;
    failed += cmocka_run_group_tests_name("record round trips", round_trips, NULL, NULL);
    failed += cmocka_run_group_tests_name("record parsing", parsing, NULL, NULL);
    failed += cmocka_run_group_tests_name("record safe_name", names, NULL, NULL);
    return failed ? 1 : 0;
}
