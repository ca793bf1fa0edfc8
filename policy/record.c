/*
 * record.c - encode and parse diversion records (see record.h).
 *
 * Pure: no I/O, no global state. The encoder runs twice over the same code
 * path (once to measure, once to copy), so rc_record_encoded_size() and
 * rc_record_encode() can never disagree. The parser treats its input as
 * hostile: every access is bounds-checked against len, every integer is
 * range-checked, and any allocation is bounded by the input size.
 */
#include "policy/record.h"
#include "util/percent.h"
#include "util/scan.h"

#include <limits.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* ---- the header table ---------------------------------------------------- */

enum kind {
    K_STR,      /* const char * */
    K_INT,      /* int */
    K_LONG,     /* long */
    K_LLONG,    /* long long */
    K_PROPS,    /* Property-<NAME> lines */
    K_ISO,      /* Diverted-At: derived from diverted_at_ms, ignored when parsing */
    K_BODYLEN,  /* Body-Length */
};

struct field {
    const char *name;
    enum kind kind;
    size_t off;
    bool required;     /* in every record (rc_record_required) */
    const char *alias; /* the name records written before it had, read too */
};

#define F(n, k, m) { n, k, offsetof(struct rc_record, m), k != K_STR && k != K_PROPS && k != K_ISO, NULL }
#define FR(n, m) { n, K_STR, offsetof(struct rc_record, m), true, NULL } /* a string always set */
#define FA(n, k, m, old) { n, k, offsetof(struct rc_record, m), true, old } /* renamed */
/* The order in which they are written (the contract's order). */
static const struct field fields[] = {
    FR("Outcome", outcome),
    F("Action", K_STR, action),
    F("Diverted-Because", K_STR, because),
    F("Injected", K_STR, injected),
    F("Status", K_INT, status),
    F("Exception-Type", K_STR, exc_type),
    F("Exception-What", K_STR, exc_what),
    F("Signal", K_STR, signal_name),
    F("Attempts", K_INT, attempts),
    F("Max-Retries", K_INT, max_retries),
    F("Group", K_STR, group),
    F("Mode", K_STR, mode),
    F("Rule", K_STR, rule),
    F("Backoff", K_STR, backoff),
    F("Topic", K_STR, topic),
    F("Tags", K_STR, tags),
    F("Keys", K_STR, keys),
    F("Msg-Id", K_STR, msg_id),
    F("Delivered-Topic", K_STR, delivered_topic),
    FA("Delivered-Queue-Id", K_INT, queue_id, "Queue-Id"),
    FA("Delivered-Queue-Offset", K_LLONG, queue_offset, "Queue-Offset"),
    FA("Delivered-Commit-Log-Offset", K_LLONG, commit_log_offset, "Commit-Log-Offset"),
    F("Reconsume-Times", K_INT, reconsume_times),
    F("Born-Timestamp", K_LLONG, born_ts),
    F("Store-Timestamp", K_LLONG, store_ts),
    F("Property-", K_PROPS, props),
    F("Host", K_STR, host),
    F("Pid", K_LONG, pid),
    F("Diverted-At", K_ISO, diverted_at_ms),
    F("Diverted-At-Ms", K_LLONG, diverted_at_ms),
    F("Body-Length", K_BODYLEN, body_len),
};
#undef F
#undef FR
#undef FA
#define NFIELDS (sizeof fields / sizeof fields[0])

/* One bit per field in rc_record.present. */
_Static_assert(sizeof fields / sizeof fields[0] <= 64, "present has a bit per field");

const char *const rc_record_kept_props[] = {
    "UNIQ_KEY", "ORIGIN_MESSAGE_ID", "RETRY_TOPIC", "REAL_TOPIC", "REAL_QID", "DELAY",
    "TRAN_MSG", "SHARDING_KEY", NULL,
};

static const char MAGIC[] = "Reconsume-Record";
static const char PROP_PREFIX[] = "Property-";

static const char **str_at(struct rc_record *r, size_t off)
{
    return (const char **)(void *)((char *)r + off);
}
static const char *cstr_at(const struct rc_record *r, size_t off)
{
    return *(const char *const *)(const void *)((const char *)r + off);
}

/* ---- encoding ------------------------------------------------------------ */

struct emit {
    char *buf;      /* NULL: measure only */
    size_t cap;
    size_t len;
    int overflow;
};

static void put(struct emit *e, const void *p, size_t n)
{
    if (e->overflow || n == 0)
        return;
    if (n > SIZE_MAX - e->len) {
        e->overflow = 1;
        return;
    }
    if (e->buf) {
        if (e->len + n > e->cap) {
            e->overflow = 1;
            return;
        }
        memcpy(e->buf + e->len, p, n);
    }
    e->len += n;
}

static void puts_(struct emit *e, const char *s)
{
    put(e, s, strlen(s));
}

/*
 * A byte that must be written as %XX. Beyond the contract's set ('%', < 0x20,
 * 0x7f, >= 0x80) a leading or trailing space is encoded too, so that readers
 * that trim header values (mail parsers do) still get the exact value; in a
 * property name ':' and ' ' are encoded as well so the name stays one token.
 */
static int must_encode(unsigned char c, int edge, int in_name)
{
    if (c == '%' || c < 0x20 || c == 0x7f || c >= 0x80)
        return 1;
    if (c == ' ' && (edge || in_name))
        return 1;
    if (c == ':' && in_name)
        return 1;
    return 0;
}

static void put_encoded(struct emit *e, const char *s, int in_name)
{
    static const char hex[] = "0123456789ABCDEF";
    size_t n = strlen(s), run = 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (!must_encode(c, i == 0 || i == n - 1, in_name)) {
            run++;
            continue;
        }
        put(e, s + i - run, run);
        run = 0;
        char esc[3] = { '%', hex[c >> 4], hex[c & 15] };
        put(e, esc, 3);
    }
    put(e, s + n - run, run);
}

static void put_line_str(struct emit *e, const char *name, const char *v)
{
    puts_(e, name);
    puts_(e, ": ");
    put_encoded(e, v, 0);
    puts_(e, "\n");
}

static void put_line_num(struct emit *e, const char *name, long long v)
{
    char num[32];
    snprintf(num, sizeof num, "%lld", v);
    put_line_str(e, name, num);
}

/* "2024-05-06T07:08:09.123Z"; returns 0 if the time cannot be represented. */
static int iso8601_ms(long long ms, char *out, size_t cap)
{
    long long s = ms / 1000, frac = ms % 1000;
    if (frac < 0) {
        frac += 1000;
        s -= 1;
    }
    time_t t = (time_t)s;
    if ((long long)t != s)
        return 0;
    struct tm tm;
    if (!gmtime_r(&t, &tm))
        return 0;
    int n = snprintf(out, cap, "%04lld-%02d-%02dT%02d:%02d:%02d.%03dZ",
                     (long long)tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
                     tm.tm_hour, tm.tm_min, tm.tm_sec, (int)frac);
    return n > 0 && (size_t)n < cap;
}

static void emit_record(struct emit *e, const struct rc_record *r)
{
    char num[64];
    snprintf(num, sizeof num, "%s: %d\n", MAGIC, RC_RECORD_VERSION);
    puts_(e, num);
    for (size_t i = 0; i < NFIELDS; i++) {
        const struct field *f = &fields[i];
        const char *p = (const char *)r + f->off;
        switch (f->kind) {
        case K_STR: {
            const char *v = cstr_at(r, f->off);
            if (v)
                put_line_str(e, f->name, v);
            break;
        }
        case K_INT: {
            int v;
            memcpy(&v, p, sizeof v);
            put_line_num(e, f->name, v);
            break;
        }
        case K_LONG: {
            long v;
            memcpy(&v, p, sizeof v);
            put_line_num(e, f->name, v);
            break;
        }
        case K_LLONG: {
            long long v;
            memcpy(&v, p, sizeof v);
            put_line_num(e, f->name, v);
            break;
        }
        case K_PROPS: {
            size_t n = r->nprops < RC_RECORD_MAX_PROPS ? r->nprops : RC_RECORD_MAX_PROPS;
            for (size_t k = 0; k < n; k++) {
                const struct rc_prop *pr = &r->props[k];
                if (!pr->name || !pr->name[0] || !pr->value)
                    continue;
                puts_(e, PROP_PREFIX);
                put_encoded(e, pr->name, 1);
                puts_(e, ": ");
                put_encoded(e, pr->value, 0);
                puts_(e, "\n");
            }
            break;
        }
        case K_ISO:
            if (iso8601_ms(r->diverted_at_ms, num, sizeof num))
                put_line_str(e, f->name, num);
            break;
        case K_BODYLEN:
            snprintf(num, sizeof num, "%zu", r->body ? r->body_len : (size_t)0);
            put_line_str(e, f->name, num);
            break;
        }
    }
    puts_(e, "\n");
    if (r->body)
        put(e, r->body, r->body_len);
}

size_t rc_record_encoded_size(const struct rc_record *r)
{
    struct emit e = { 0 };
    emit_record(&e, r);
    return e.overflow ? SIZE_MAX : e.len;
}

size_t rc_record_encode(const struct rc_record *r, char *buf, size_t cap)
{
    size_t need = rc_record_encoded_size(r);
    if (need == SIZE_MAX || need > cap || !buf)
        return 0;
    struct emit e = { .buf = buf, .cap = cap };
    emit_record(&e, r);
    return e.overflow ? 0 : e.len;
}

/* ---- parsing ------------------------------------------------------------- */

/*
 * Percent-decode p[0..n) into a fresh NUL-terminated string. Returns NULL and
 * sets *why on a bad escape, an escaped NUL, a raw byte that should have been
 * escaped, or out of memory.
 */
static char *decode(const char *p, size_t n, const char **why)
{
    char *out = malloc(n + 1);
    if (!out) {
        *why = "out of memory";
        return NULL;
    }
    size_t o = 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)p[i];
        if (c == '%') {
            if (n - i < 3) {
                *why = "truncated percent escape";
                goto bad;
            }
            int h = rc_hex_value((unsigned char)p[i + 1]), l = rc_hex_value((unsigned char)p[i + 2]);
            if (h < 0 || l < 0) {
                *why = "bad percent escape";
                goto bad;
            }
            c = (unsigned char)(h << 4 | l);
            if (c == 0) {
                *why = "escaped NUL byte";
                goto bad;
            }
            i += 2;
        } else if (c < 0x20 || c == 0x7f || c >= 0x80) {
            *why = "unescaped control or 8-bit byte";
            goto bad;
        }
        out[o++] = (char)c;
    }
    out[o] = '\0';
    return out;
bad:
    free(out);
    return NULL;
}

static int parse_ll(const char *s, long long lo, long long hi, long long *v)
{
    int neg = 0;
    if (*s == '-') {
        neg = 1;
        s++;
    }
    if (!*s)
        return -1;
    unsigned long long lim = neg ? (unsigned long long)LLONG_MAX + 1u : (unsigned long long)LLONG_MAX;
    unsigned long long acc = 0;
    for (; *s; s++) {
        if (*s < '0' || *s > '9')
            return -1;
        unsigned d = (unsigned)(*s - '0');
        if (acc > (lim - d) / 10)
            return -1;
        acc = acc * 10 + d;
    }
    long long val;
    if (neg)
        val = acc == (unsigned long long)LLONG_MAX + 1u ? LLONG_MIN : -(long long)acc;
    else
        val = (long long)acc;
    if (val < lo || val > hi)
        return -1;
    *v = val;
    return 0;
}

static int parse_size(const char *s, size_t *v)
{
    if (!*s)
        return -1;
    size_t acc = 0;
    for (; *s; s++) {
        if (*s < '0' || *s > '9')
            return -1;
        size_t d = (size_t)(*s - '0');
        if (acc > (SIZE_MAX - d) / 10)
            return -1;
        acc = acc * 10 + d;
    }
    *v = acc;
    return 0;
}

static int name_eq(const char *a, size_t alen, const char *b)
{
    size_t blen = strlen(b);
    if (alen != blen)
        return 0;
    for (size_t i = 0; i < alen; i++) {
        unsigned char x = (unsigned char)a[i], y = (unsigned char)b[i];
        if (x >= 'A' && x <= 'Z')
            x = (unsigned char)(x - 'A' + 'a');
        if (y >= 'A' && y <= 'Z')
            y = (unsigned char)(y - 'A' + 'a');
        if (x != y)
            return 0;
    }
    return 1;
}

static int prefix_eq(const char *a, size_t alen, const char *prefix)
{
    size_t plen = strlen(prefix);
    return alen >= plen && name_eq(a, plen, prefix);
}

/* One header line [p, p+n): name, colon, value (spaces around it trimmed). */
struct line {
    const char *name;
    size_t nlen;
    const char *val;
    size_t vlen;
};

static int split_line(const char *p, size_t n, struct line *l, const char **why)
{
    const char *colon = memchr(p, ':', n);
    if (!colon) {
        *why = "header line without a colon";
        return -1;
    }
    l->name = p;
    l->nlen = (size_t)(colon - p);
    if (l->nlen == 0) {
        *why = "header line with an empty name";
        return -1;
    }
    for (size_t i = 0; i < l->nlen; i++) {
        unsigned char c = (unsigned char)p[i];
        if (c <= 0x20 || c >= 0x7f) {
            *why = "bad byte in a header name";
            return -1;
        }
    }
    const char *v = colon + 1, *end = p + n;
    while (v < end && *v == ' ')
        v++;
    while (end > v && end[-1] == ' ')
        end--;
    l->val = v;
    l->vlen = (size_t)(end - v);
    return 0;
}

/*
 * The parser's state over one input: where it is, what it has seen, and
 * where its one-line error goes.
 */
struct parse {
    const char *data;
    size_t len, pos, lineno;
    struct rc_record *out;
    unsigned long long seen;    /* bit i: fields[i] was given */
    int have_magic, have_bodylen;
    size_t body_len;
    char *err;
    size_t errlen;
};

static int not_a_record(struct parse *ps)
{
    return rc_errf(ps->err, ps->errlen, "not a record: first line is not \"%s: %d\"", MAGIC,
                   RC_RECORD_VERSION);
}

/* An error about the current line: before the magic line, the input is no record at all. */
static int line_error(struct parse *ps, const char *why)
{
    if (!ps->have_magic)
        return not_a_record(ps);
    return rc_errf(ps->err, ps->errlen, "line %zu: %s", ps->lineno, why);
}

/*
 * The next header line, [*p, *p + *n) without its line end (LF or CRLF).
 * Returns 1 for a line, 0 for the blank line that ends the header, -1 with
 * the error when the header is cut short or has no magic line.
 */
static int next_line(struct parse *ps, const char **p, size_t *n)
{
    if (ps->pos >= ps->len)
        return rc_errf(ps->err, ps->errlen, "truncated header (no blank line before the body)");
    *p = ps->data + ps->pos;
    const char *nl = memchr(*p, '\n', ps->len - ps->pos);
    if (!nl)
        return rc_errf(ps->err, ps->errlen, "truncated header line %zu (no newline)",
                       ps->lineno + 1);
    *n = (size_t)(nl - *p);
    ps->pos += *n + 1;
    ps->lineno++;
    if (*n > 0 && (*p)[*n - 1] == '\r')
        (*n)--;
    if (*n > 0)
        return 1;
    return ps->have_magic ? 0 : not_a_record(ps);
}

/* Split a header line and decode its value into *val (owned by the caller). */
static int read_header(struct parse *ps, const char *p, size_t n, struct line *l, char **val)
{
    const char *why = NULL;
    if (split_line(p, n, l, &why) < 0)
        return line_error(ps, why);
    *val = decode(l->val, l->vlen, &why);
    return *val ? 0 : line_error(ps, why);
}

/* The first line: "Reconsume-Record: <version>". */
static int take_magic(struct parse *ps, const struct line *l, const char *val)
{
    long long ver;
    if (!name_eq(l->name, l->nlen, MAGIC))
        return not_a_record(ps);
    if (parse_ll(val, 0, INT_MAX, &ver) < 0 || ver != RC_RECORD_VERSION)
        return rc_errf(ps->err, ps->errlen, "unsupported record version (want %d)",
                       RC_RECORD_VERSION);
    ps->have_magic = 1;
    return 0;
}

/* The index of the Property- entry in fields[] (its bit in present). */
static size_t props_field(void)
{
    size_t i = 0;
    while (fields[i].kind != K_PROPS)
        i++;
    return i;
}

/* A Property-<NAME> line; takes *val when the property is kept. */
static int take_property(struct parse *ps, const struct line *l, char **val)
{
    const char *why = NULL;
    size_t plen = sizeof PROP_PREFIX - 1;
    struct rc_record *out = ps->out;
    if (l->nlen == plen)
        return rc_errf(ps->err, ps->errlen, "line %zu: empty property name", ps->lineno);
    char *pname = decode(l->name + plen, l->nlen - plen, &why);
    if (!pname)
        return rc_errf(ps->err, ps->errlen, "line %zu: property name: %s", ps->lineno, why);
    out->present |= 1ull << props_field();
    if (out->nprops >= RC_RECORD_MAX_PROPS) {
        free(pname); /* checked, but more than this build can hold: ignored */
        return 0;
    }
    out->props[out->nprops].name = pname;
    out->props[out->nprops].value = *val;
    out->nprops++;
    *val = NULL;
    return 0;
}

/* The value of a known field f into the record; takes *val for a string. */
static int store_field(struct parse *ps, const struct field *f, char **val)
{
    char *dst = (char *)ps->out + f->off;
    long long v;
    int ok = 1;
    switch (f->kind) {
    case K_STR:
        *str_at(ps->out, f->off) = *val;
        *val = NULL;
        break;
    case K_INT:
        if ((ok = parse_ll(*val, INT_MIN, INT_MAX, &v) == 0)) {
            int x = (int)v;
            memcpy(dst, &x, sizeof x);
        }
        break;
    case K_LONG:
        if ((ok = parse_ll(*val, LONG_MIN, LONG_MAX, &v) == 0)) {
            long x = (long)v;
            memcpy(dst, &x, sizeof x);
        }
        break;
    case K_LLONG:
        if ((ok = parse_ll(*val, LLONG_MIN, LLONG_MAX, &v) == 0))
            memcpy(dst, &v, sizeof v);
        break;
    case K_ISO:
        break; /* derived from Diverted-At-Ms */
    case K_BODYLEN:
        ok = parse_size(*val, &ps->body_len) == 0;
        ps->have_bodylen = ok;
        break;
    case K_PROPS:
        break; /* take_property */
    }
    if (!ok)
        return rc_errf(ps->err, ps->errlen, "line %zu: %s: not a number in range", ps->lineno,
                       f->name);
    return 0;
}

/* A header line after the first: a property, a known field, or an unknown header. */
static int take_header(struct parse *ps, const struct line *l, char **val)
{
    if (name_eq(l->name, l->nlen, MAGIC))
        return rc_errf(ps->err, ps->errlen, "line %zu: duplicate %s header", ps->lineno, MAGIC);
    if (prefix_eq(l->name, l->nlen, PROP_PREFIX))
        return take_property(ps, l, val);
    size_t fi;
    for (fi = 0; fi < NFIELDS; fi++)
        if (fields[fi].kind != K_PROPS && (name_eq(l->name, l->nlen, fields[fi].name) ||
                                           (fields[fi].alias && name_eq(l->name, l->nlen, fields[fi].alias))))
            break;
    if (fi == NFIELDS)
        return 0; /* unknown header: ignored (forward compatible) */
    if (ps->seen & (1ull << fi))
        return rc_errf(ps->err, ps->errlen, "line %zu: duplicate %s header", ps->lineno,
                       fields[fi].name);
    ps->seen |= 1ull << fi;
    ps->out->present |= 1ull << fi;
    return store_field(ps, &fields[fi], val);
}

/* After the blank line: exactly Body-Length bytes. */
static int take_body(struct parse *ps)
{
    if (!ps->have_bodylen)
        return rc_errf(ps->err, ps->errlen, "missing Body-Length header");
    size_t avail = ps->len - ps->pos, body_len = ps->body_len;
    if (avail < body_len)
        return rc_errf(ps->err, ps->errlen, "torn record: body has %zu of %zu bytes", avail,
                       body_len);
    if (avail > body_len)
        return rc_errf(ps->err, ps->errlen, "%zu trailing bytes after the body",
                       avail - body_len);
    char *body = malloc(body_len + 1);
    if (!body)
        return rc_errf(ps->err, ps->errlen, "out of memory");
    if (body_len)
        memcpy(body, ps->data + ps->pos, body_len);
    body[body_len] = '\0';
    ps->out->body = body;
    ps->out->body_len = body_len;
    return 0;
}

int rc_record_parse(const char *data, size_t len, struct rc_record *out, char *err, size_t errlen)
{
    if (!out)
        return rc_errf(err, errlen, "no output record");
    memset(out, 0, sizeof *out);
    if (!data || len == 0)
        return rc_errf(err, errlen, "empty record");

    struct parse ps = { .data = data, .len = len, .out = out, .err = err, .errlen = errlen };
    const char *p = NULL;
    size_t n = 0;
    int rc;
    while ((rc = next_line(&ps, &p, &n)) > 0) {
        struct line l = { 0 };
        char *val = NULL;
        rc = read_header(&ps, p, n, &l, &val);
        if (rc == 0)
            rc = ps.have_magic ? take_header(&ps, &l, &val) : take_magic(&ps, &l, val);
        free(val);
        if (rc < 0)
            break;
    }
    if (rc == 0)
        rc = take_body(&ps);
    if (rc < 0)
        rc_record_free(out);
    return rc;
}

bool rc_record_has(const struct rc_record *r, const char *name)
{
    size_t n = strlen(name);
    for (size_t i = 0; i < NFIELDS; i++)
        if (name_eq(name, n, fields[i].name) || (fields[i].alias && name_eq(name, n, fields[i].alias)))
            return (r->present >> i) & 1;
    return false;
}

const char *rc_record_required(size_t i)
{
    for (size_t k = 0; k < NFIELDS; k++)
        if (fields[k].required && i-- == 0)
            return fields[k].name;
    return NULL;
}

void rc_record_free(struct rc_record *r)
{
    if (!r)
        return;
    for (size_t i = 0; i < NFIELDS; i++)
        if (fields[i].kind == K_STR)
            free((void *)cstr_at(r, fields[i].off));
    size_t n = r->nprops < RC_RECORD_MAX_PROPS ? r->nprops : RC_RECORD_MAX_PROPS;
    for (size_t k = 0; k < n; k++) {
        free((void *)r->props[k].name);
        free((void *)r->props[k].value);
    }
    free((void *)r->body);
    memset(r, 0, sizeof *r);
}

/* ---- file-name stem ------------------------------------------------------ */

#define SAFE_NAME_MAX 64

void rc_record_safe_name(const char *s, char *out, size_t cap)
{
    if (!out || cap == 0)
        return;
    size_t max = cap - 1 < SAFE_NAME_MAX ? cap - 1 : SAFE_NAME_MAX;
    size_t o = 0;
    if (s) {
        for (; s[o] && o < max; o++) {
            unsigned char c = (unsigned char)s[o];
            int ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
                     (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-';
            out[o] = ok ? (char)c : '_';
        }
    }
    if (o == 0 && max > 0)
        out[o++] = '_';     /* never empty */
    out[o] = '\0';
    if (o > 0 && out[0] == '.')
        out[0] = '_';       /* never ".", "..", nor a hidden name */
}
