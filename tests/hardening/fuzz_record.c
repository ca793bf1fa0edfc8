/*
 * fuzz_record.c - libFuzzer target for the spool record format
 * (policy/record.c): the parser on hostile bytes, and the encoder/parser
 * round trip on hostile records.
 *
 * Every input is used twice:
 *
 *  1. As a file found in a spool: rc_record_parse() must not crash, leak or
 *     read out of bounds (ASan/UBSan), and must leave *out zeroed on
 *     failure. When it parses, re-encoding gives a record that parses to the
 *     same fields, and encoding that again gives the same bytes (the encoder
 *     is canonical on its own output).
 *
 *  2. As a record from the wire: the input is cut at NUL bytes into fields
 *     (outcome, status, action, injected, rule, exc_type, exc_what, signal, attempts, max_retries,
 *     group, mode, host, pid, diverted_at_ms, topic, tags, keys, msg_id,
 *     queue_id, queue_offset, commit_log_offset, reconsume_times, born_ts,
 *     store_ts, 8 property name/value pairs; the rest is the body, NUL bytes
 *     included). A string segment that is empty is NULL (absent); one that
 *     starts with 0x01 is the rest of it (so "" is reachable). A number
 *     segment is its first 8 bytes, little-endian, sign-extended from its
 *     length. encode -> parse must give back every field exactly,
 *     rc_record_encoded_size() must equal what rc_record_encode() writes,
 *     encoding into a buffer one byte short must fail cleanly, and the
 *     header block must hold no byte below 0x20 but '\n' (no terminal
 *     escape, no injected header line).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "policy/record.h"

static void check(int ok, const char *what)
{
    if (!ok) {
        fprintf(stderr, "fuzz_record: property violated: %s\n", what);
        abort();
    }
}

static int str_eq(const char *a, const char *b)
{
    if (!a || !b)
        return a == b;
    return strcmp(a, b) == 0;
}

/* The properties an encoder writes: named, non-empty name, value present. */
static size_t kept_props(const struct rc_record *r, const struct rc_prop **out)
{
    size_t n = r->nprops < RC_RECORD_MAX_PROPS ? r->nprops : RC_RECORD_MAX_PROPS, k = 0;
    for (size_t i = 0; i < n; i++)
        if (r->props[i].name && r->props[i].name[0] && r->props[i].value)
            out[k++] = &r->props[i];
    return k;
}

/* a (as given to the encoder) and b (parsed back) say the same. */
static void same_record(const struct rc_record *a, const struct rc_record *b)
{
    check(str_eq(a->outcome, b->outcome), "outcome");
    check(str_eq(a->action, b->action), "action");
    check(str_eq(a->injected, b->injected), "injected");
    check(str_eq(a->rule, b->rule), "rule");
    check(str_eq(a->exc_type, b->exc_type), "exc_type");
    check(str_eq(a->exc_what, b->exc_what), "exc_what");
    check(str_eq(a->signal_name, b->signal_name), "signal_name");
    check(str_eq(a->group, b->group), "group");
    check(str_eq(a->mode, b->mode), "mode");
    check(str_eq(a->host, b->host), "host");
    check(str_eq(a->topic, b->topic), "topic");
    check(str_eq(a->tags, b->tags), "tags");
    check(str_eq(a->keys, b->keys), "keys");
    check(str_eq(a->msg_id, b->msg_id), "msg_id");
    check(a->status == b->status, "status");
    check(a->attempts == b->attempts, "attempts");
    check(a->max_retries == b->max_retries, "max_retries");
    check(a->pid == b->pid, "pid");
    check(a->diverted_at_ms == b->diverted_at_ms, "diverted_at_ms");
    check(a->queue_id == b->queue_id, "queue_id");
    check(a->queue_offset == b->queue_offset, "queue_offset");
    check(a->commit_log_offset == b->commit_log_offset, "commit_log_offset");
    check(a->reconsume_times == b->reconsume_times, "reconsume_times");
    check(a->born_ts == b->born_ts, "born_ts");
    check(a->store_ts == b->store_ts, "store_ts");
    const struct rc_prop *pa[RC_RECORD_MAX_PROPS], *pb[RC_RECORD_MAX_PROPS];
    size_t na = kept_props(a, pa), nb = kept_props(b, pb);
    check(na == nb, "property count");
    for (size_t i = 0; i < na; i++) {
        check(str_eq(pa[i]->name, pb[i]->name), "property name");
        check(str_eq(pa[i]->value, pb[i]->value), "property value");
    }
    size_t alen = a->body ? a->body_len : 0;
    check(b->body != NULL, "parsed body is never NULL");
    check(b->body_len == alen, "body length");
    check(alen == 0 || memcmp(a->body, b->body, alen) == 0, "body bytes");
    check(b->body[b->body_len] == '\0', "parsed body NUL-terminated");
}

static void check_zeroed(const struct rc_record *r)
{
    static const struct rc_record zero;
    check(memcmp(r, &zero, sizeof zero) == 0, "failed parse leaves the record zeroed");
}

/* Header block: printable ASCII and '\n' only, up to the blank line. */
static void check_header_bytes(const char *buf, size_t len, size_t body_len)
{
    check(len >= body_len + 2, "room for the blank line");
    size_t head = len - body_len;
    check(buf[head - 1] == '\n' && buf[head - 2] == '\n', "blank line before the body");
    for (size_t i = 0; i < head; i++) {
        unsigned char c = (unsigned char)buf[i];
        check(c == '\n' || (c >= 0x20 && c < 0x7f), "header bytes printable");
    }
}

/* encode r, parse it back, compare; returns the encoding (caller frees). */
static char *round_trip(const struct rc_record *r, size_t *lenp)
{
    size_t need = rc_record_encoded_size(r);
    check(need != SIZE_MAX, "encoded size fits");
    char *buf = malloc(need + 1);
    check(buf != NULL, "malloc");
    if (need > 0)
        check(rc_record_encode(r, buf, need - 1) == 0, "encode into a short buffer fails");
    size_t len = rc_record_encode(r, buf, need + 1);
    check(len == need, "encoded size == encoded length");
    check_header_bytes(buf, len, r->body ? r->body_len : 0);
    struct rc_record back;
    char err[200];
    int rc = rc_record_parse(buf, len, &back, err, sizeof err);
    if (rc != 0) {
        fprintf(stderr, "fuzz_record: own encoding does not parse: %s\n", err);
        abort();
    }
    same_record(r, &back);
    rc_record_free(&back);
    *lenp = len;
    return buf;
}

/* ---- mode 1: hostile file ------------------------------------------------ */

static void parse_mode(const uint8_t *data, size_t size)
{
    struct rc_record r;
    char err[160];
    memset(&r, 0x77, sizeof r);
    if (rc_record_parse((const char *)data, size, &r, err, sizeof err) != 0) {
        check_zeroed(&r);
        check(strnlen(err, sizeof err) < sizeof err && err[0] != '\0', "failure reason set");
        return;
    }
    size_t len1, len2;
    char *enc1 = round_trip(&r, &len1);
    struct rc_record again;
    check(rc_record_parse(enc1, len1, &again, err, sizeof err) == 0, "re-parse");
    char *enc2 = round_trip(&again, &len2);
    check(len1 == len2 && memcmp(enc1, enc2, len1) == 0, "encoding is canonical");
    rc_record_free(&again);
    free(enc1);
    free(enc2);
    /* A torn copy (any proper prefix) never parses: Body-Length says more. */
    size_t cut = (size_t)data[size / 2] % size;
    struct rc_record torn;
    check(rc_record_parse((const char *)data, cut, &torn, err, sizeof err) != 0,
          "a proper prefix of a record does not parse");
    rc_record_free(&r);
}

/* ---- mode 2: hostile record ---------------------------------------------- */

struct cursor {
    const uint8_t *p;
    size_t n;
};

static int segment(struct cursor *c, const uint8_t **s, size_t *len)
{
    if (c->n == 0)
        return 0;
    const uint8_t *z = memchr(c->p, 0, c->n);
    size_t l = z ? (size_t)(z - c->p) : c->n;
    *s = c->p;
    *len = l;
    c->p += z ? l + 1 : l;
    c->n -= z ? l + 1 : l;
    return 1;
}

static const char *take_str(struct cursor *c, char **owned)
{
    const uint8_t *s;
    size_t l;
    *owned = NULL;
    if (!segment(c, &s, &l) || l == 0)
        return NULL;
    if (s[0] == 0x01) {
        s++;
        l--;
    }
    char *v = malloc(l + 1);
    check(v != NULL, "malloc");
    memcpy(v, s, l);
    v[l] = '\0';
    *owned = v;
    return v;
}

static long long take_num(struct cursor *c)
{
    const uint8_t *s;
    size_t l;
    if (!segment(c, &s, &l) || l == 0)
        return 0;
    uint64_t v = 0;
    size_t k = l < 8 ? l : 8;
    for (size_t i = 0; i < k; i++)
        v |= (uint64_t)s[i] << (8 * i);
    if (k < 8 && (s[k - 1] & 0x80))
        v |= ~(uint64_t)0 << (8 * k); /* sign-extend */
    long long out;
    memcpy(&out, &v, sizeof out);
    return out;
}

static void record_mode(const uint8_t *data, size_t size)
{
    struct cursor c = { data, size };
    char *own[24 + 2 * RC_RECORD_MAX_PROPS];
    size_t no = 0;
    struct rc_record r;
    memset(&r, 0, sizeof r);
#define S(f) (r.f = take_str(&c, &own[no]), no++)
#define N(f, T) (r.f = (T)take_num(&c))
    S(outcome);
    N(status, int);
    S(action);
    S(injected);
    S(rule);
    S(exc_type);
    S(exc_what);
    S(signal_name);
    N(attempts, int);
    N(max_retries, int);
    S(group);
    S(mode);
    S(host);
    N(pid, long);
    N(diverted_at_ms, long long);
    S(topic);
    S(tags);
    S(keys);
    S(msg_id);
    N(queue_id, int);
    N(queue_offset, long long);
    N(commit_log_offset, long long);
    N(reconsume_times, int);
    N(born_ts, long long);
    N(store_ts, long long);
    r.nprops = (size_t)(take_num(&c) & 15); /* up to 15: above the cap is clamped */
    for (size_t i = 0; i < RC_RECORD_MAX_PROPS; i++) {
        S(props[i].name);
        S(props[i].value);
    }
#undef S
#undef N
    if (c.n > 0) {
        r.body = (const char *)c.p;
        r.body_len = c.n;
    }
    size_t len;
    free(round_trip(&r, &len));
    for (size_t i = 0; i < no; i++)
        free(own[i]);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    parse_mode(data, size);
    record_mode(data, size);
    return 0;
}
