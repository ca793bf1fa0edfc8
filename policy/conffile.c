/*
 * conffile.c - the text of the RECONSUME_CONFIG file (see conffile.h).
 */
#include "policy/conffile.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/scan.h"

#define LINES "expected RECONSUME_NAME=value, rule MATCH => SETTINGS, a # comment or a blank line"

struct setting {
    char *name;
    char *value;
    int line;
};

struct rc_config_file {
    char *path;
    struct setting *s;
    size_t n;
};

/* The caller's handler of rule lines, for one read. */
struct reader {
    rc_conffile_rule_fn on_rule;
    void *ctx;
};

void rc_config_file_free(struct rc_config_file *f)
{
    if (!f)
        return;
    for (size_t i = 0; i < f->n; i++) {
        free(f->s[i].name);
        free(f->s[i].value);
    }
    free(f->s);
    free(f->path);
    free(f);
}

static bool name_ok(const char *s, size_t n)
{
    if (n <= 10 || memcmp(s, "RECONSUME_", 10) != 0)
        return false;
    for (size_t i = 10; i < n; i++)
        if (!((s[i] >= 'A' && s[i] <= 'Z') || (s[i] >= '0' && s[i] <= '9') || s[i] == '_'))
            return false;
    return true;
}

static bool known_name(const char *const *known, const char *s, size_t n)
{
    if (!known)
        return true;
    for (; *known; known++)
        if (rc_scan_is(s, n, *known))
            return true;
    return false;
}

static int add_setting(struct rc_config_file *f, const char *const *known, const char *s,
                       size_t n, int line, const char *ep, char *err, size_t errlen)
{
    const char *eq = memchr(s, '=', n);
    size_t nn = (size_t)(eq - s);
    while (nn > 0 && (s[nn - 1] == ' ' || s[nn - 1] == '\t'))
        nn--;
    char en[RC_ECHO_CAP];
    rc_scan_echo(s, nn, en, sizeof en);
    if (rc_scan_is(s, nn, "RECONSUME_CONFIG"))
        return rc_errf(err, errlen, "%s:%d: RECONSUME_CONFIG cannot be set in the file", ep, line);
    if (!known_name(known, s, nn))
        return rc_errf(err, errlen, "%s:%d: unknown variable '%s'", ep, line, en);
    for (size_t i = 0; i < f->n; i++)
        if (rc_scan_is(s, nn, f->s[i].name))
            return rc_errf(err, errlen, "%s:%d: %s set twice (first at line %d)", ep, line,
                       f->s[i].name, f->s[i].line);
    const char *v = eq + 1;
    size_t vn = n - (size_t)(v - s);
    while (vn > 0 && (v[0] == ' ' || v[0] == '\t'))
        v++, vn--;
    while (vn > 0 && (v[vn - 1] == ' ' || v[vn - 1] == '\t'))
        vn--;
    if (vn >= 2 && (v[0] == '"' || v[0] == '\'') && v[vn - 1] == v[0])
        v++, vn -= 2;
    if (vn == 0)
        return rc_errf(err, errlen, "%s:%d: %.*s: empty value; remove the line for the default", ep,
                   line, (int)nn, s);
    struct setting *g = realloc(f->s, (f->n + 1) * sizeof *g);
    if (!g)
        return rc_errf(err, errlen, "%s:%d: out of memory", ep, line);
    f->s = g;
    struct setting *t = &f->s[f->n];
    t->line = line;
    t->name = malloc(nn + 1);
    t->value = malloc(vn + 1);
    if (!t->name || !t->value) {
        free(t->name);
        free(t->value);
        return rc_errf(err, errlen, "%s:%d: out of memory", ep, line);
    }
    memcpy(t->name, s, nn);
    t->name[nn] = '\0';
    memcpy(t->value, v, vn);
    t->value[vn] = '\0';
    f->n++;
    return 0;
}

static int one_line(struct rc_config_file *f, const struct reader *r, const char *const *known,
                    const char *s, size_t n, int line, const char *ep, char *err, size_t errlen)
{
    if (n > 0 && s[n - 1] == '\r')
        n--;
    if (n > RC_CONFFILE_MAX_LINE)
        return rc_errf(err, errlen, "%s:%d: line is %zu bytes; expected at most %d", ep, line, n,
                   RC_CONFFILE_MAX_LINE);
    for (size_t i = 0; i < n; i++) {
        unsigned char b = (unsigned char)s[i];
        if ((b < 0x20 && b != '\t') || b == 0x7f)
            return rc_errf(err, errlen, "%s:%d: control character (byte 0x%02x)", ep, line, b);
    }
    while (n > 0 && (s[0] == ' ' || s[0] == '\t'))
        s++, n--;
    while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t'))
        n--;
    if (n == 0 || s[0] == '#')
        return 0;
    if (n > 4 && memcmp(s, "rule", 4) == 0 && (s[4] == ' ' || s[4] == '\t')) {
        char origin[RC_ECHO_CAP + 16], rule[RC_CONFFILE_MAX_LINE + 1];
        snprintf(origin, sizeof origin, "%s:%d", ep, line);
        memcpy(rule, s + 5, n - 5); /* n is at most RC_CONFFILE_MAX_LINE (above) */
        rule[n - 5] = '\0';
        return r->on_rule ? r->on_rule(r->ctx, rule, origin, err, errlen) : 0;
    }
    const char *eq = memchr(s, '=', n);
    size_t nn = eq ? (size_t)(eq - s) : 0;
    while (nn > 0 && (s[nn - 1] == ' ' || s[nn - 1] == '\t'))
        nn--;
    if (eq && name_ok(s, nn))
        return add_setting(f, known, s, n, line, ep, err, errlen);
    char el[RC_ECHO_CAP];
    rc_scan_echo(s, n, el, sizeof el);
    return rc_errf(err, errlen, "%s:%d: unknown line '%s'; " LINES, ep, line, el);
}

int rc_config_file_parse(const char *path, const char *text, size_t len,
                         const char *const *known, rc_conffile_rule_fn on_rule, void *ctx,
                         struct rc_config_file **out, char *err, size_t errlen)
{
    const struct reader r = {on_rule, ctx};
    *out = NULL;
    if (errlen)
        err[0] = '\0';
    char ep[RC_ECHO_CAP];
    rc_scan_echo(path, strlen(path), ep, sizeof ep);
    if (memchr(text, '\0', len))
        return rc_errf(err, errlen, "NUL byte in the file; expected text");
    struct rc_config_file *f = calloc(1, sizeof *f);
    if (!f || !(f->path = strdup(path))) {
        free(f);
        return rc_errf(err, errlen, "out of memory");
    }
    const char *s = text;
    int line = 1;
    for (;;) {
        const char *nl = memchr(s, '\n', len - (size_t)(s - text));
        size_t n = nl ? (size_t)(nl - s) : len - (size_t)(s - text);
        if (one_line(f, &r, known, s, n, line, ep, err, errlen)) {
            rc_config_file_free(f);
            return -1;
        }
        if (!nl)
            break;
        s = nl + 1;
        line++;
    }
    *out = f;
    return 0;
}

const char *rc_config_file_get(const struct rc_config_file *f, const char *name)
{
    for (size_t i = 0; f && i < f->n; i++)
        if (strcmp(f->s[i].name, name) == 0)
            return f->s[i].value;
    return NULL;
}

int rc_config_file_line(const struct rc_config_file *f, const char *name)
{
    for (size_t i = 0; f && i < f->n; i++)
        if (strcmp(f->s[i].name, name) == 0)
            return f->s[i].line;
    return 0;
}

const char *rc_config_file_path(const struct rc_config_file *f)
{
    return f ? f->path : NULL;
}
