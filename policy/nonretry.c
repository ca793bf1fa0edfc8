/*
 * nonretry.c - RECONSUME_NON_RETRYABLE (see nonretry.h).
 */
#include "policy/nonretry.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "util/scan.h"
#include "util/signal_name.h"

#define ACCEPTED \
    "expected an exception type (std::invalid_argument, app::*), status:N or signal:NAME"

static const char *signal_name(int signo)
{
    const char *s = rc_signal_name(signo);
    return s ? s : "?";
}

static int fail(const char *name, const char *v, char *err, size_t errlen, const char *what,
                const char *s, size_t n, const char *tail)
{
    char ev[RC_ECHO_CAP], es[RC_ECHO_CAP];
    rc_scan_echo(v, strlen(v), ev, sizeof ev);
    rc_scan_echo(s, n, es, sizeof es);
    snprintf(err, errlen, "%s='%s': %s '%s'%s", name, ev, what, es, tail);
    return -1;
}

static bool type_char(char ch)
{
    return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
           strchr("_:<>,()[]&*. ", ch) != NULL;
}

/* Is s[0..n) a type name as the grammar has it? */
static bool type_ok(const char *s, size_t n)
{
    size_t stars = 0;
    while (stars < n && s[n - 1 - stars] == '*')
        stars++;
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '\0' || !type_char(s[i]))
            return false;
        if (s[i] == '*' && i < n - stars)
            return false;
        if (s[i] == ':') {
            if (i + 1 >= n || s[i + 1] != ':')
                return false;
            i++;
        }
    }
    return true;
}

static int parse_entry(const char *name, const char *v, const char *s, size_t n,
                       struct rc_nonretry_entry *e, char *err, size_t errlen)
{
    memset(e, 0, sizeof *e);
    long k;
    if (n >= 7 && memcmp(s, "status:", 7) == 0) {
        if (!rc_scan_long(s + 7, n - 7, -2147483647L - 1, 2147483647L, &k) || k == 0)
            return fail(name, v, err, errlen, "status", s + 7, n - 7,
                        ": expected an integer from -2147483648 to 2147483647, not 0");
        e->kind = RC_NR_STATUS;
        e->value = (int)k;
        return 0;
    }
    if (n >= 7 && memcmp(s, "signal:", 7) == 0) {
        int signo = rc_signal_by_name(s + 7, n - 7);
        if (signo) {
            e->kind = RC_NR_SIGNAL;
            e->value = signo;
            return 0;
        }
        return fail(name, v, err, errlen, "signal", s + 7, n - 7,
                    ": expected SIGSEGV, SIGBUS, SIGFPE, SIGILL or SIGABRT");
    }
    if (rc_scan_is(s, n, "status") || rc_scan_is(s, n, "signal"))
        return fail(name, v, err, errlen, "entry", s, n,
                    s[1] == 't' ? ": expected status:N" : ": expected signal:NAME");
    if (n > RC_NONRETRY_NAME_MAX) {
        char tail[64];
        snprintf(tail, sizeof tail, " is %zu bytes; expected at most %d", n,
                 RC_NONRETRY_NAME_MAX);
        return fail(name, v, err, errlen, "type", s, n, tail);
    }
    if (!type_ok(s, n))
        return fail(name, v, err, errlen, "unknown entry", s, n, "; " ACCEPTED);
    e->kind = RC_NR_TYPE;
    e->name = malloc(n + 1);
    if (!e->name)
        return fail(name, v, err, errlen, "entry", s, n, ": out of memory");
    memcpy(e->name, s, n);
    e->name[n] = '\0';
    if (s[n - 1] == '*') {
        e->is_prefix = true;
        e->prefix = n - 1;
    }
    return 0;
}

int rc_nonretry_parse(const char *name, const char *v, struct rc_nonretry *out, char *err,
                      size_t errlen)
{
    memset(out, 0, sizeof *out);
    if (errlen)
        err[0] = '\0';
    if (!v)
        return 0;
    if (v[0] == '\0') {
        snprintf(err, errlen, "%s='': empty value; unset it for the default", name);
        return -1;
    }
    const char *p = v;
    for (;;) {
        /* The entry ends at a ',' outside <...>, (...) and [...]. */
        int depth = 0;
        size_t end = 0;
        for (; p[end]; end++) {
            char ch = p[end];
            if (ch == '<' || ch == '(' || ch == '[')
                depth++;
            else if (ch == '>' || ch == ')' || ch == ']')
                depth--;
            else if (ch == ',' && depth == 0)
                break;
            if (depth < 0 || depth > 64)
                break;
        }
        const char *s = p;
        size_t n = end;
        if (depth != 0) {
            if (depth > 0)
                n = strlen(p); /* ran to the end: the whole rest is the entry */
            else
                n = end + 1;
            rc_nonretry_free(out);
            return fail(name, v, err, errlen, "entry", s, n,
                        ": unbalanced brackets; expected an exception type, status:N or "
                        "signal:NAME");
        }
        while (n > 0 && (s[0] == ' ' || s[0] == '\t'))
            s++, n--;
        while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t'))
            n--;
        if (n == 0) {
            rc_nonretry_free(out);
            return fail(name, v, err, errlen, "entry", s, 0, ": empty; " ACCEPTED);
        }
        if (out->n >= RC_NONRETRY_MAX) {
            rc_nonretry_free(out);
            char ev[RC_ECHO_CAP];
            rc_scan_echo(v, strlen(v), ev, sizeof ev);
            snprintf(err, errlen, "%s='%s': more than %d entries", name, ev, RC_NONRETRY_MAX);
            return -1;
        }
        struct rc_nonretry_entry *grown = realloc(out->e, (out->n + 1) * sizeof *grown);
        if (!grown) {
            rc_nonretry_free(out);
            return fail(name, v, err, errlen, "entry", s, n, ": out of memory");
        }
        out->e = grown;
        if (parse_entry(name, v, s, n, &out->e[out->n], err, errlen)) {
            rc_nonretry_free(out);
            return -1;
        }
        out->n++;
        if (p[end] == '\0')
            return 0;
        p += end + 1;
    }
}

void rc_nonretry_free(struct rc_nonretry *l)
{
    if (!l)
        return;
    for (size_t i = 0; i < l->n; i++)
        free(l->e[i].name);
    free(l->e);
    l->e = NULL;
    l->n = 0;
}

int rc_nonretry_copy(struct rc_nonretry *dst, const struct rc_nonretry *src)
{
    memset(dst, 0, sizeof *dst);
    if (!src || src->n == 0)
        return 0;
    dst->e = calloc(src->n, sizeof *dst->e);
    if (!dst->e)
        return -1;
    for (size_t i = 0; i < src->n; i++) {
        dst->e[i] = src->e[i];
        dst->e[i].name = NULL;
        if (src->e[i].name && !(dst->e[i].name = strdup(src->e[i].name))) {
            dst->n = i;
            rc_nonretry_free(dst);
            return -1;
        }
    }
    dst->n = src->n;
    return 0;
}

bool rc_nonretry_match(const struct rc_nonretry *l, enum rc_outcome o, int status,
                       const char *exc_type, int signo)
{
    if (!l)
        return false;
    for (size_t i = 0; i < l->n; i++) {
        const struct rc_nonretry_entry *e = &l->e[i];
        switch (e->kind) {
        case RC_NR_STATUS:
            if ((o == RC_OUT_RECONSUME || o == RC_OUT_BAD_STATUS) && status == e->value)
                return true;
            break;
        case RC_NR_SIGNAL:
            if (o == RC_OUT_SIGNAL && signo == e->value)
                return true;
            break;
        case RC_NR_TYPE:
            if (o != RC_OUT_EXCEPTION || !exc_type)
                break;
            if (strcmp(exc_type, e->name) == 0)
                return true;
            if (e->is_prefix && strncmp(exc_type, e->name, e->prefix) == 0)
                return true;
            break;
        }
    }
    return false;
}

void rc_nonretry_format(const struct rc_nonretry *l, char *buf, size_t cap)
{
    if (cap == 0)
        return;
    buf[0] = '\0';
    size_t used = 0;
    for (size_t i = 0; l && i < l->n; i++) {
        const struct rc_nonretry_entry *e = &l->e[i];
        const char *sep = used ? "," : "";
        int k;
        if (e->kind == RC_NR_STATUS)
            k = snprintf(buf + used, cap - used, "%sstatus:%d", sep, e->value);
        else if (e->kind == RC_NR_SIGNAL)
            k = snprintf(buf + used, cap - used, "%ssignal:%s", sep, signal_name(e->value));
        else
            k = snprintf(buf + used, cap - used, "%s%s", sep, e->name);
        if (k < 0 || (size_t)k >= cap - used)
            return;
        used += (size_t)k;
    }
    if (used == 0)
        snprintf(buf, cap, "none");
}
