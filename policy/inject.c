/*
 * inject.c - RECONSUME_INJECT: parsing and the per-delivery pick (see inject.h).
 *
 * The parser works on spans of the variable and copies out only what a rule
 * keeps (its text, unescaped values), so a hostile value costs at most a few
 * times its own length. Everything is bounded by that length; there is no
 * recursion.
 */
#include "policy/inject.h"

#include <errno.h>
#include <fnmatch.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/scan.h"

#define VAR "RECONSUME_INJECT"
#define ACTIONS "expected reconsume, status:N, throw[:TEXT] or delay:MS"
#define CONDS "expected p=, topic=, tag=, key=, group=, body=, first= or attempt="
#define KEY_MAX 512 /* a key is copied to a buffer of this size to be matched */

/* The parse in progress: what every error message names. */
struct ctx {
    const char *spec;
    int rule;             /* 1-based, 0 before the first */
    const char *raw;      /* the rule as written (trimmed) */
    size_t raw_n;
    char *err;
    size_t errlen;
};

static int fail(struct ctx *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int fail(struct ctx *c, const char *fmt, ...)
{
    char v[RC_ECHO_CAP], r[RC_ECHO_CAP];
    int used;
    rc_scan_echo(c->spec, strlen(c->spec), v, sizeof v);
    if (c->rule > 0) {
        rc_scan_echo(c->raw, c->raw_n, r, sizeof r);
        used = snprintf(c->err, c->errlen, VAR "='%s': rule %d '%s': ", v, c->rule, r);
    } else {
        used = snprintf(c->err, c->errlen, VAR "='%s': ", v);
    }
    if (used >= 0 && (size_t)used < c->errlen) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(c->err + used, c->errlen - (size_t)used, fmt, ap);
        va_end(ap);
    }
    return -1;
}

static bool blank(char ch)
{
    return ch == ' ' || ch == '\t';
}

/* Is s[pos] preceded by an odd number of backslashes (so taken literally)? */
static bool escaped(const char *s, size_t pos)
{
    size_t k = 0;
    while (pos > k && s[pos - 1 - k] == '\\')
        k++;
    return k % 2 == 1;
}

/* The end of the piece of s[0..n) that starts at 0: the first stop not escaped. */
static size_t piece_end(const char *s, size_t n, char stop)
{
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '\\')
            i++;
        else if (s[i] == stop)
            return i;
    }
    return n;
}

/* Drop blanks at both ends, keeping an escaped trailing blank. */
static void trim(const char **s, size_t *n)
{
    while (*n > 0 && blank((*s)[0]))
        (*s)++, (*n)--;
    while (*n > 0 && blank((*s)[*n - 1]) && !escaped(*s, *n - 1))
        (*n)--;
}

/*
 * A NUL-terminated, unescaped copy of s[0..n) (heap), its length in *len;
 * NULL with an error message for a backslash at the end or no memory.
 */
static char *unescape(struct ctx *c, const char *s, size_t n, size_t *len)
{
    char *out = malloc(n + 1);
    if (!out) {
        fail(c, "out of memory");
        return NULL;
    }
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '\\') {
            if (++i == n) {
                free(out);
                fail(c, "'\\' at the end; expected a character after it");
                return NULL;
            }
        }
        out[k++] = s[i];
    }
    out[k] = '\0';
    *len = k;
    return out;
}

/* The first control byte of s[0..n), or -1. */
static int control(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        unsigned char b = (unsigned char)s[i];
        if (b < 0x20 || b == 0x7f)
            return b;
    }
    return -1;
}

/* A probability: digits with at most one '.', at least one digit, 0..1. */
static bool parse_p(const char *v, size_t n, double *out)
{
    size_t digits = 0, dots = 0;
    if (n == 0 || n > 64)
        return false;
    for (size_t i = 0; i < n; i++) {
        if (v[i] >= '0' && v[i] <= '9')
            digits++;
        else if (v[i] == '.')
            dots++;
        else
            return false;
    }
    if (digits == 0 || dots > 1)
        return false;
    char *end;
    errno = 0;
    double p = strtod(v, &end);
    if (end != v + n || errno == ERANGE || !(p >= 0.0 && p <= 1.0))
        return false;
    *out = p;
    return true;
}

/* The action: the first item of a rule, already unescaped. */
static int parse_action(struct ctx *c, char *a, size_t n, struct rc_inject_rule *r)
{
    char *colon = memchr(a, ':', n);
    size_t name_n = colon ? (size_t)(colon - a) : n;
    const char *arg = colon ? colon + 1 : NULL;
    size_t arg_n = colon ? n - name_n - 1 : 0;
    char ea[RC_ECHO_CAP];
    long v;

    if (rc_scan_is(a, name_n, "reconsume")) {
        if (arg)
            return fail(c, "action 'reconsume' takes no argument");
        r->action = RC_INJ_RECONSUME;
        r->status = 1;
        return 0;
    }
    if (rc_scan_is(a, name_n, "status")) {
        if (!arg || arg_n == 0)
            return fail(c, "action 'status' needs a value: status:N");
        if (!rc_scan_long(arg, arg_n, -2147483647L - 1, 2147483647L, &v) || v == 0) {
            rc_scan_echo(arg, arg_n, ea, sizeof ea);
            return fail(c, "status '%s': expected an integer from -2147483648 to 2147483647, "
                           "not 0 (0 would acknowledge a message the application never saw)",
                        ea);
        }
        r->action = RC_INJ_STATUS;
        r->status = (int)v;
        return 0;
    }
    if (rc_scan_is(a, name_n, "delay")) {
        if (!arg || arg_n == 0)
            return fail(c, "action 'delay' needs a value: delay:MS");
        if (!rc_scan_long(arg, arg_n, 0, RC_INJECT_DELAY_MAX, &v)) {
            rc_scan_echo(arg, arg_n, ea, sizeof ea);
            return fail(c, "delay '%s': expected an integer from 0 to %ld (milliseconds)", ea,
                        RC_INJECT_DELAY_MAX);
        }
        r->action = RC_INJ_DELAY;
        r->delay_ms = v;
        return 0;
    }
    if (rc_scan_is(a, name_n, "throw")) {
        const char *text = RC_INJECT_DEFAULT_TEXT;
        size_t text_n = strlen(text);
        if (arg) {
            if (arg_n == 0)
                return fail(c, "throw text is empty; write 'throw' for the default text");
            if (arg_n > RC_INJECT_TEXT_MAX)
                return fail(c, "throw text is %zu bytes; expected at most %d", arg_n,
                            RC_INJECT_TEXT_MAX);
            int b = control(arg, arg_n);
            if (b >= 0)
                return fail(c, "throw text has a control character (byte 0x%02x)", b);
            text = arg;
            text_n = arg_n;
        }
        r->text = malloc(text_n + 1);
        if (!r->text)
            return fail(c, "out of memory");
        memcpy(r->text, text, text_n);
        r->text[text_n] = '\0';
        r->action = RC_INJ_THROW;
        r->status = 1;
        return 0;
    }
    rc_scan_echo(a, name_n, ea, sizeof ea);
    return fail(c, "unknown action '%s'; " ACTIONS, ea);
}

/* One condition, already unescaped; takes ownership of item (freed here on any path). */
static int parse_cond(struct ctx *c, char *item, size_t n, struct rc_inject_rule *r,
                      unsigned *seen)
{
    static const char *const names[] = {"p",    "topic", "tag",   "key",
                                        "group", "body", "first", "attempt"};
    char *eq = memchr(item, '=', n);
    size_t key_n = eq ? (size_t)(eq - item) : n;
    int which = -1;
    for (int i = 0; i < (int)(sizeof names / sizeof *names); i++)
        if (eq && rc_scan_is(item, key_n, names[i]))
            which = i;
    char ev[RC_ECHO_CAP];
    int rc = -1;
    if (which < 0) {
        rc_scan_echo(item, n, ev, sizeof ev);
        fail(c, "unknown condition '%s'; " CONDS, ev);
        goto out;
    }
    if (*seen & (1u << which)) {
        fail(c, "condition '%s' given twice", names[which]);
        goto out;
    }
    *seen |= 1u << which;
    const char *v = eq + 1;
    size_t vn = n - key_n - 1;
    if (vn == 0) {
        fail(c, "condition '%s' has an empty value", names[which]);
        goto out;
    }
    rc_scan_echo(v, vn, ev, sizeof ev);
    int b = control(v, vn);
    if (b >= 0 && which != 5) {
        fail(c, "%s '%s' has a control character (byte 0x%02x); only body= may", names[which],
             ev, b);
        goto out;
    }
    long k;
    switch (which) {
    case 0:
        if (!parse_p(v, vn, &r->p)) {
            fail(c, "p '%s': expected a probability from 0 to 1 (e.g. 0.25)", ev);
            goto out;
        }
        break;
    case 6:
    case 7:
        if (!rc_scan_long(v, vn, 1, RC_INJECT_ATTEMPT_MAX, &k)) {
            fail(c, "%s '%s': expected an integer from 1 to %ld", names[which], ev,
                 RC_INJECT_ATTEMPT_MAX);
            goto out;
        }
        if (which == 6)
            r->first = (int)k;
        else
            r->attempt = (int)k;
        break;
    default: {
        /* A string: keep it, moved to the front of item's own buffer. */
        memmove(item, v, vn);
        item[vn] = '\0';
        char **slot = which == 1 ? &r->topic
                      : which == 2 ? &r->tag
                      : which == 3 ? &r->key
                      : which == 4 ? &r->group
                                   : &r->body;
        *slot = item;
        if (which == 5)
            r->body_len = vn;
        return 0;
    }
    }
    rc = 0;
out:
    free(item);
    return rc;
}

static void free_rule(struct rc_inject_rule *r)
{
    free(r->text);
    free(r->topic);
    free(r->tag);
    free(r->key);
    free(r->group);
    free(r->body);
    free(r->spec);
    memset(r, 0, sizeof *r);
}

static int parse_rule(struct ctx *c, struct rc_inject_rule *r)
{
    const char *s = c->raw;
    size_t n = c->raw_n;
    memset(r, 0, sizeof *r);
    r->index = c->rule;
    r->p = 1.0;
    r->spec = malloc(n + 1);
    if (!r->spec)
        return fail(c, "out of memory");
    memcpy(r->spec, s, n);
    r->spec[n] = '\0';

    unsigned seen = 0;
    bool first = true;
    for (;;) {
        size_t end = piece_end(s, n, ',');
        const char *it = s;
        size_t it_n = end;
        trim(&it, &it_n);
        if (it_n == 0)
            return fail(c, first ? "no action; " ACTIONS : "empty condition; " CONDS);
        size_t len;
        char *item = unescape(c, it, it_n, &len);
        if (!item)
            return -1;
        if (first) {
            int rc = parse_action(c, item, len, r);
            free(item);
            if (rc)
                return -1;
            first = false;
        } else if (parse_cond(c, item, len, r, &seen)) {
            return -1;
        }
        if (end == n)
            return 0;
        s += end + 1;
        n -= end + 1;
    }
}

int rc_inject_parse(const char *spec, uint64_t seed, struct rc_inject *out, char *err,
                    size_t errlen)
{
    memset(out, 0, sizeof *out);
    out->seed = seed;
    if (errlen)
        err[0] = '\0';
    if (!spec)
        return 0;
    struct ctx c = {.spec = spec, .err = err, .errlen = errlen};
    if (spec[0] == '\0')
        return fail(&c, "empty value; unset it for the default");

    const char *s = spec;
    size_t n = strlen(spec);
    for (;;) {
        size_t end = piece_end(s, n, ';');
        c.rule++;
        c.raw = s;
        c.raw_n = end;
        trim(&c.raw, &c.raw_n);
        if (c.rule > RC_INJECT_MAX_RULES) {
            c.rule = 0;
            fail(&c, "more than %d rules", RC_INJECT_MAX_RULES);
            goto bad;
        }
        if (c.raw_n == 0) {
            int k = c.rule;
            c.rule = 0;
            fail(&c, "rule %d is empty; expected ACTION[:ARG][,COND]...", k);
            goto bad;
        }
        struct rc_inject_rule *grown = realloc(out->rules, (out->n + 1) * sizeof *grown);
        if (!grown) {
            fail(&c, "out of memory");
            goto bad;
        }
        out->rules = grown;
        if (parse_rule(&c, &out->rules[out->n])) {
            free_rule(&out->rules[out->n]);
            goto bad;
        }
        out->n++;
        if (end == n)
            return 0;
        s += end + 1;
        n -= end + 1;
    }
bad:
    rc_inject_free(out);
    out->seed = seed;
    return -1;
}

int rc_inject_seed_parse(const char *v, uint64_t *out, char *err, size_t errlen)
{
    if (errlen)
        err[0] = '\0';
    if (!v) {
        *out = RC_INJECT_DEFAULT_SEED;
        return 0;
    }
    char ev[RC_ECHO_CAP];
    size_t n = strlen(v);
    rc_scan_echo(v, n, ev, sizeof ev);
    if (n == 0) {
        snprintf(err, errlen, "RECONSUME_INJECT_SEED='': empty value; unset it for the default");
        return -1;
    }
    uint64_t x = 0;
    for (size_t i = 0; i < n; i++) {
        unsigned d = (unsigned)(unsigned char)v[i] - '0';
        if (d > 9 || x > (UINT64_MAX - d) / 10) {
            snprintf(err, errlen,
                     "RECONSUME_INJECT_SEED='%s': expected an integer from 0 to "
                     "18446744073709551615",
                     ev);
            return -1;
        }
        x = x * 10 + d;
    }
    *out = x;
    return 0;
}

void rc_inject_free(struct rc_inject *inj)
{
    if (!inj)
        return;
    for (size_t i = 0; i < inj->n; i++)
        free_rule(&inj->rules[i]);
    free(inj->rules);
    inj->rules = NULL;
    inj->n = 0;
}

/* ---- the pick ------------------------------------------------------------ */

/* splitmix64's finaliser: a bijection that spreads every input bit. */
static uint64_t mix(uint64_t z)
{
    z += 0x9e3779b97f4a7c15ull;
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

uint64_t rc_inject_hash(uint64_t seed, int rule, const char *msg_id, int attempt)
{
    uint64_t id = 0xcbf29ce484222325ull; /* FNV-1a over the id's bytes */
    for (const unsigned char *p = (const unsigned char *)(msg_id ? msg_id : ""); *p; p++)
        id = (id ^ *p) * 0x100000001b3ull;
    uint64_t h = mix(seed);
    h = mix(h ^ (uint32_t)rule);
    h = mix(h ^ id);
    return mix(h ^ (uint32_t)attempt);
}

static bool glob_ok(const char *pat, const char *v)
{
    return !pat || fnmatch(pat, v ? v : "", 0) == 0;
}

static bool key_ok(const char *pat, const char *keys)
{
    if (!pat)
        return true;
    if (!keys)
        return false;
    char one[KEY_MAX];
    const char *p = keys;
    while (*p) {
        size_t n = strcspn(p, " ");
        if (n > 0 && n < sizeof one) {
            memcpy(one, p, n);
            one[n] = '\0';
            if (fnmatch(pat, one, 0) == 0)
                return true;
        }
        p += n;
        while (*p == ' ')
            p++;
    }
    return false;
}

static bool body_ok(const struct rc_inject_rule *r, const struct rc_msgview *m)
{
    if (!r->body)
        return true;
    return m->body && memmem(m->body, m->body_len, r->body, r->body_len) != NULL;
}

static bool fires(const struct rc_inject *inj, const struct rc_inject_rule *r,
                  const struct rc_msgview *m, int attempt)
{
    if (r->p >= 1.0)
        return true;
    if (r->p <= 0.0)
        return false;
    uint64_t h = rc_inject_hash(inj->seed, r->index, m->msg_id, attempt);
    return (double)(h >> 11) * 0x1.0p-53 < r->p;
}

const struct rc_inject_rule *rc_inject_pick(const struct rc_inject *inj,
                                            const struct rc_msgview *m, int attempt)
{
    if (!inj || !m)
        return NULL;
    for (size_t i = 0; i < inj->n; i++) {
        const struct rc_inject_rule *r = &inj->rules[i];
        if (r->first && attempt > r->first)
            continue;
        if (r->attempt && attempt != r->attempt)
            continue;
        if (!glob_ok(r->topic, m->topic) || !glob_ok(r->tag, m->tags) ||
            !glob_ok(r->group, m->group) || !key_ok(r->key, m->keys) || !body_ok(r, m))
            continue;
        if (fires(inj, r, m, attempt))
            return r;
    }
    return NULL;
}

const char *rc_inject_action_name(enum rc_inject_action a)
{
    switch (a) {
    case RC_INJ_RECONSUME: return "reconsume";
    case RC_INJ_STATUS: return "status";
    case RC_INJ_THROW: return "throw";
    case RC_INJ_DELAY: return "delay";
    }
    return "?";
}
