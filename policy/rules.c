/*
 * rules.c - RECONSUME_RULES: parsing, matching, describing (see rules.h).
 */
#include "policy/rules.h"

#include <fnmatch.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "policy/backoff.h"
#include "policy/catch.h"
#include "util/scan.h"

/* max_retries= takes the range of RECONSUME_MAX_RETRIES (policy/settings.def). */
enum {
#define RC_SETTING(id, kind, field, lo, hi, ...) RULE_LO_##id = (lo), RULE_HI_##id = (hi),
#include "policy/settings.def"
};

#define MATCHES "expected group=GLOB, topic=GLOB, tag=GLOB or *"
#define SETTINGS \
    "expected max_retries=N, catch=KINDS, non_retryable=LIST, sink=TEXT, backoff=SCHEDULE or " \
    "name=LABEL"

static bool blank(char ch)
{
    return ch == ' ' || ch == '\t';
}

static char *dup_n(const char *s, size_t n)
{
    char *d = malloc(n + 1);
    if (d) {
        memcpy(d, s, n);
        d[n] = '\0';
    }
    return d;
}

static void free_rule(struct rc_rule *r)
{
    free(r->name);
    free(r->group);
    free(r->topic);
    free(r->tag);
    free(r->sink);
    free(r->origin);
    rc_nonretry_free(&r->non_retryable);
    memset(r, 0, sizeof *r);
}

/* Next blank-separated word of [*p, end): its start and length; false at the end. */
static bool word(const char **p, const char *end, const char **w, size_t *n)
{
    while (*p < end && blank(**p))
        (*p)++;
    if (*p == end)
        return false;
    *w = *p;
    while (*p < end && !blank(**p))
        (*p)++;
    *n = (size_t)(*p - *w);
    return true;
}

static int match_field(const char *w, size_t n, struct rc_rule *r, char *d, size_t dl)
{
    static const char *const keys[] = {"group", "topic", "tag"};
    char ew[RC_ECHO_CAP];
    rc_scan_echo(w, n, ew, sizeof ew);
    const char *eq = memchr(w, '=', n);
    for (int i = 0; eq && i < 3; i++) {
        if (!rc_scan_is(w, (size_t)(eq - w), keys[i]))
            continue;
        char **slot = i == 0 ? &r->group : i == 1 ? &r->topic : &r->tag;
        size_t vn = n - (size_t)(eq - w) - 1;
        if (*slot)
            return rc_errf(d, dl, "%s= given twice", keys[i]);
        if (vn == 0)
            return rc_errf(d, dl, "%s= has an empty value", keys[i]);
        if (vn > RC_RULE_GLOB_MAX)
            return rc_errf(d, dl, "%s= is %zu bytes; expected at most %d", keys[i], vn,
                       RC_RULE_GLOB_MAX);
        if (!(*slot = dup_n(eq + 1, vn)))
            return rc_errf(d, dl, "out of memory");
        return 0;
    }
    return rc_errf(d, dl, "unknown match '%s'; " MATCHES, ew);
}

static bool label_ok(const char *s, size_t n)
{
    if (n == 0 || n > RC_RULE_NAME_MAX)
        return false;
    for (size_t i = 0; i < n; i++) {
        char ch = s[i];
        if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
              ch == '_' || ch == '.' || ch == '-'))
            return false;
    }
    return true;
}

static int setting(const char *w, size_t n, struct rc_rule *r, unsigned *seen, char *d, size_t dl)
{
    static const char *const keys[] = {"max_retries", "catch", "non_retryable", "sink", "name",
                                       "backoff"};
    char ew[RC_ECHO_CAP], ev[RC_ECHO_CAP];
    rc_scan_echo(w, n, ew, sizeof ew);
    const char *eq = memchr(w, '=', n);
    int which = -1;
    for (int i = 0; eq && i < 6; i++)
        if (rc_scan_is(w, (size_t)(eq - w), keys[i]))
            which = i;
    if (which < 0)
        return rc_errf(d, dl, "unknown setting '%s'; " SETTINGS, ew);
    if (*seen & (1u << which))
        return rc_errf(d, dl, "%s= given twice", keys[which]);
    *seen |= 1u << which;
    const char *v = eq + 1;
    size_t vn = n - (size_t)(eq - w) - 1;
    if (vn == 0)
        return rc_errf(d, dl, "%s= has an empty value", keys[which]);
    rc_scan_echo(v, vn, ev, sizeof ev);

    char *copy = dup_n(v, vn); /* NUL-terminated, for the shared parsers */
    if (!copy)
        return rc_errf(d, dl, "out of memory");
    int rc = 0;
    long k;
    switch (which) {
    case 0:
        if (!rc_scan_long(v, vn, RULE_LO_MAX_RETRIES, RULE_HI_MAX_RETRIES, &k))
            rc = rc_errf(d, dl, "max_retries='%s': expected an integer from %d to %d", ev,
                         RULE_LO_MAX_RETRIES, RULE_HI_MAX_RETRIES);
        r->has_max_retries = rc == 0;
        r->max_retries = rc == 0 ? (int)k : 0;
        break;
    case 1:
        rc = rc_catch_parse("catch", copy, &r->catch_mask, d, dl);
        r->has_catch = rc == 0;
        break;
    case 2:
        rc = rc_nonretry_parse("non_retryable", copy, &r->non_retryable, d, dl);
        r->has_non_retryable = rc == 0;
        break;
    case 3:
        if (vn > RC_RULE_SINK_MAX) {
            rc = rc_errf(d, dl, "sink= is %zu bytes; expected at most %d", vn, RC_RULE_SINK_MAX);
            break;
        }
        r->sink = copy;
        copy = NULL;
        break;
    case 4:
        if (!label_ok(v, vn)) {
            rc = rc_errf(d, dl, "name='%s': expected 1 to %d of A-Z a-z 0-9 _ . -", ev,
                     RC_RULE_NAME_MAX);
            break;
        }
        r->name = copy;
        copy = NULL;
        break;
    case 5:
        rc = rc_backoff_parse("backoff", copy, &r->backoff, d, dl);
        r->has_backoff = rc == 0;
        break;
    }
    free(copy);
    return rc;
}

/* One rule, text s[0..n), into *r; on failure the reason (no prefix) in d. */
static int parse_one(const char *s, size_t n, struct rc_rule *r, char *d, size_t dl)
{
    memset(r, 0, sizeof *r);
    for (size_t i = 0; i < n; i++) {
        unsigned char b = (unsigned char)s[i];
        if ((b < 0x20 && b != '\t') || b == 0x7f)
            return rc_errf(d, dl, "control character (byte 0x%02x); expected MATCH => SETTINGS", b);
    }
    const char *arrow = NULL;
    for (size_t i = 0; i + 1 < n; i++) {
        if (s[i] == '=' && s[i + 1] == '>') {
            arrow = s + i;
            break;
        }
    }
    if (!arrow)
        return rc_errf(d, dl, "no '=>'; expected MATCH => SETTINGS");

    const char *p = s, *w;
    size_t wn;
    int words = 0;
    bool star = false;
    while (word(&p, arrow, &w, &wn)) {
        words++;
        if (rc_scan_is(w, wn, "*"))
            star = true;
        else if (match_field(w, wn, r, d, dl))
            return -1;
        if (star && words > 1)
            return rc_errf(d, dl, "'*' must be the whole MATCH; " MATCHES);
    }

    p = arrow + 2;
    unsigned seen = 0;
    while (word(&p, s + n, &w, &wn))
        if (setting(w, wn, r, &seen, d, dl))
            return -1;
    if (seen == 0)
        return rc_errf(d, dl, "no settings after '=>'; " SETTINGS);
    return 0;
}

static int push(struct rc_rules *rules, struct rc_rule *r, const char *origin, char *d, size_t dl)
{
    if (rules->n >= RC_RULES_MAX)
        return rc_errf(d, dl, "more than %d rules", RC_RULES_MAX);
    struct rc_rule *grown = realloc(rules->v, (rules->n + 1) * sizeof *grown);
    if (!grown)
        return rc_errf(d, dl, "out of memory");
    rules->v = grown;
    if (!(r->origin = strdup(origin)))
        return rc_errf(d, dl, "out of memory");
    r->index = (int)rules->n + 1;
    rules->v[rules->n++] = *r;
    return 0;
}

int rc_rules_parse(const char *name, const char *v, struct rc_rules *rules, char *err,
                   size_t errlen)
{
    if (errlen)
        err[0] = '\0';
    if (!v)
        return 0;
    char ev[RC_ECHO_CAP], er[RC_ECHO_CAP], d[512];
    rc_scan_echo(v, strlen(v), ev, sizeof ev);
    if (v[0] == '\0')
        return rc_errf(err, errlen, "%s='': empty value; unset it for the default", name);

    size_t before = rules->n;
    const char *s = v;
    for (int k = 1;; k++) {
        size_t n = strcspn(s, ";");
        const char *t = s;
        size_t tn = n;
        while (tn > 0 && blank(t[0]))
            t++, tn--;
        while (tn > 0 && blank(t[tn - 1]))
            tn--;
        rc_scan_echo(t, tn, er, sizeof er);
        struct rc_rule r;
        memset(&r, 0, sizeof r);
        int rc;
        if (tn == 0)
            rc = rc_errf(d, sizeof d, "empty; expected MATCH => SETTINGS");
        else if ((rc = parse_one(t, tn, &r, d, sizeof d)) == 0)
            rc = push(rules, &r, name, d, sizeof d);
        if (rc) {
            free_rule(&r);
            while (rules->n > before)
                free_rule(&rules->v[--rules->n]);
            if (rules->n == 0) {
                free(rules->v);
                rules->v = NULL;
            }
            return rc_errf(err, errlen, "%s='%s': rule %d '%s': %s", name, ev, k, er, d);
        }
        if (s[n] == '\0')
            return 0;
        s += n + 1;
    }
}

int rc_rules_add(struct rc_rules *rules, const char *text, const char *origin, char *err,
                 size_t errlen)
{
    char er[RC_ECHO_CAP], d[512];
    size_t n = strlen(text);
    rc_scan_echo(text, n, er, sizeof er);
    if (errlen)
        err[0] = '\0';
    struct rc_rule r;
    memset(&r, 0, sizeof r);
    int rc;
    if (memchr(text, ';', n))
        rc = rc_errf(d, sizeof d, "';' in a file rule; write one rule per line");
    else if ((rc = parse_one(text, n, &r, d, sizeof d)) == 0)
        rc = push(rules, &r, origin, d, sizeof d);
    if (rc) {
        free_rule(&r);
        if (rules->n == 0) {
            free(rules->v);
            rules->v = NULL;
        }
        return rc_errf(err, errlen, "%s: rule '%s': %s", origin, er, d);
    }
    return 0;
}

static int copy_rule(struct rc_rule *d, const struct rc_rule *s)
{
    *d = *s;
    d->name = d->group = d->topic = d->tag = d->sink = d->origin = NULL;
    memset(&d->non_retryable, 0, sizeof d->non_retryable);
#define DUP(f) (s->f && !(d->f = strdup(s->f)))
    if (DUP(name) || DUP(group) || DUP(topic) || DUP(tag) || DUP(sink) || DUP(origin) ||
        rc_nonretry_copy(&d->non_retryable, &s->non_retryable)) {
        free_rule(d);
        return -1;
    }
#undef DUP
    return 0;
}

int rc_rules_append(struct rc_rules *dst, const struct rc_rules *src, char *err, size_t errlen)
{
    if (!src || src->n == 0)
        return 0;
    if (dst->n + src->n > RC_RULES_MAX)
        return rc_errf(err, errlen, "more than %d rules in all", RC_RULES_MAX);
    struct rc_rule *grown = realloc(dst->v, (dst->n + src->n) * sizeof *grown);
    if (!grown)
        return rc_errf(err, errlen, "out of memory");
    dst->v = grown;
    size_t before = dst->n;
    for (size_t i = 0; i < src->n; i++) {
        if (copy_rule(&dst->v[dst->n], &src->v[i])) {
            while (dst->n > before)
                free_rule(&dst->v[--dst->n]);
            if (dst->n == 0) {
                free(dst->v);
                dst->v = NULL;
            }
            return rc_errf(err, errlen, "out of memory");
        }
        dst->v[dst->n].index = (int)dst->n + 1;
        dst->n++;
    }
    return 0;
}

void rc_rules_free(struct rc_rules *rules)
{
    if (!rules)
        return;
    for (size_t i = 0; i < rules->n; i++)
        free_rule(&rules->v[i]);
    free(rules->v);
    rules->v = NULL;
    rules->n = 0;
}

static bool fits(const char *pat, const char *v)
{
    return !pat || fnmatch(pat, v ? v : "", 0) == 0;
}

const struct rc_rule *rc_rules_match(const struct rc_rules *rules, const char *group,
                                     const char *topic, const char *tag)
{
    if (!rules)
        return NULL;
    for (size_t i = 0; i < rules->n; i++) {
        const struct rc_rule *r = &rules->v[i];
        if (fits(r->group, group) && fits(r->topic, topic) && fits(r->tag, tag))
            return r;
    }
    return NULL;
}

/* snprintf appending at *used, clamped to cap. */
static void add(char *buf, size_t cap, size_t *used, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static void add(char *buf, size_t cap, size_t *used, const char *fmt, ...)
{
    if (*used >= cap)
        return;
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(buf + *used, cap - *used, fmt, ap);
    va_end(ap);
    if (n < 0)
        return;
    *used = (size_t)n >= cap - *used ? cap : *used + (size_t)n;
}

void rc_rule_describe(const struct rc_rule *r, char *buf, size_t cap)
{
    if (cap == 0)
        return;
    buf[0] = '\0';
    if (!r) {
        snprintf(buf, cap, "no rule");
        return;
    }
    size_t used = 0;
    add(buf, cap, &used, "rule %d", r->index);
    if (r->name)
        add(buf, cap, &used, " (%s)", r->name);
    add(buf, cap, &used, ":");
    if (!r->group && !r->topic && !r->tag)
        add(buf, cap, &used, " *");
    if (r->group)
        add(buf, cap, &used, " group=%s", r->group);
    if (r->topic)
        add(buf, cap, &used, " topic=%s", r->topic);
    if (r->tag)
        add(buf, cap, &used, " tag=%s", r->tag);
    add(buf, cap, &used, " =>");
    if (r->has_max_retries)
        add(buf, cap, &used, " max_retries=%d", r->max_retries);
    if (r->has_catch) {
        char k[64];
        rc_catch_format(r->catch_mask, k, sizeof k);
        add(buf, cap, &used, " catch=%s", k);
    }
    if (r->has_non_retryable) {
        char l[1024];
        rc_nonretry_format(&r->non_retryable, l, sizeof l);
        add(buf, cap, &used, " non_retryable=%s", l);
    }
    if (r->sink)
        add(buf, cap, &used, " sink=%s", r->sink);
    if (r->has_backoff) {
        char b[RC_BACKOFF_MAX_STEPS * 8];
        rc_backoff_format(&r->backoff, b, sizeof b);
        add(buf, cap, &used, " backoff=%s", b);
    }
    if (!r->has_max_retries && !r->has_catch && !r->has_non_retryable && !r->sink &&
        !r->has_backoff)
        add(buf, cap, &used, " (global settings)");
}
