/*
 * backoff.c - RECONSUME_BACKOFF: parsing, delays, delay levels (see backoff.h).
 */
#include "policy/backoff.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "util/scan.h"

#define ACCEPTED                                                                              \
    "expected DELAY[,DELAY]..., exp:DELAY[*N][,max=DELAY] or off (DELAY: digits then ms, s, " \
    "m or h, or 0; at most 24h; N 1 to 100)"

/* The 4.x broker's default messageDelayLevel, in ms (level i + 1). */
static const uint32_t levels[RC_BACKOFF_LEVELS] = {
    1000,   5000,   10000,  30000,  60000,  120000,  180000,  240000,  300000,
    360000, 420000, 480000, 540000, 600000, 1200000, 1800000, 3600000, 7200000,
};

/*
 * One DELAY, the n bytes at s, into *ms. Returns NULL, or what is wrong with
 * it (the caller adds the value and what is accepted).
 */
static const char *delay(const char *s, size_t n, uint32_t *ms)
{
    if (n == 0)
        return "is empty";
    if (n == 1 && s[0] == '0') {
        *ms = 0;
        return NULL;
    }
    size_t d = 0;
    while (d < n && s[d] >= '0' && s[d] <= '9')
        d++;
    if (d == 0)
        return "does not start with a digit";
    const char *u = s + d;
    size_t un = n - d;
    uint64_t scale;
    if (rc_scan_is(u, un, "ms"))
        scale = 1;
    else if (rc_scan_is(u, un, "s"))
        scale = 1000;
    else if (rc_scan_is(u, un, "m"))
        scale = 60000;
    else if (rc_scan_is(u, un, "h"))
        scale = 3600000;
    else
        return un == 0 ? "has no unit" : "has an unknown unit";
    uint64_t v = 0;
    for (size_t i = 0; i < d; i++) {
        v = v * 10 + (uint64_t)(s[i] - '0');
        if (v > RC_BACKOFF_MAX_MS) /* before v * scale can overflow */
            return "is longer than 24h";
    }
    v *= scale;
    if (v > RC_BACKOFF_MAX_MS)
        return "is longer than 24h";
    *ms = (uint32_t)v;
    return NULL;
}

/* The one-line error: the setting, its value, what is wrong (fmt), what is accepted. */
static int fail(const char *name, const char *v, char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));
static int fail(const char *name, const char *v, char *err, size_t errlen, const char *fmt, ...)
{
    char ev[RC_ECHO_CAP], why[RC_ECHO_CAP + 64];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(why, sizeof why, fmt, ap);
    va_end(ap);
    rc_scan_echo(v, strlen(v), ev, sizeof ev);
    return rc_errf(err, errlen, "%s='%s': %s; " ACCEPTED, name, ev, why);
}

static int parse_exp(const char *name, const char *v, const char *s, struct rc_backoff *out,
                     char *err, size_t errlen)
{
    const char *why;
    const char *comma = strchr(s, ',');
    size_t head = comma ? (size_t)(comma - s) : strlen(s);
    const char *star = memchr(s, '*', head);
    size_t dn = star ? (size_t)(star - s) : head;
    out->multiplier = RC_BACKOFF_EXP_DEFAULT_MULTIPLIER;
    out->max_ms = RC_BACKOFF_EXP_DEFAULT_MAX_MS;
    if ((why = delay(s, dn, &out->initial_ms)))
        return fail(name, v, err, errlen, "the initial delay %s", why);
    if (star) {
        long k;
        if (!rc_scan_long(star + 1, head - dn - 1, 1, RC_BACKOFF_MAX_MULTIPLIER, &k))
            return fail(name, v, err, errlen, "the multiplier is not an integer from 1 to 100");
        out->multiplier = (unsigned)k;
    }
    if (comma) {
        const char *m = comma + 1;
        if (strncmp(m, "max=", 4) != 0)
            return fail(name, v, err, errlen, "what follows the initial delay is not ,max=DELAY");
        if ((why = delay(m + 4, strlen(m + 4), &out->max_ms)))
            return fail(name, v, err, errlen, "the max %s", why);
        if (out->max_ms < out->initial_ms)
            return fail(name, v, err, errlen, "the max is shorter than the initial delay");
    }
    if (!comma && out->max_ms < out->initial_ms)
        out->max_ms = out->initial_ms; /* the default max never cuts the first delay */
    out->kind = RC_BACKOFF_EXP;
    return 0;
}

int rc_backoff_parse(const char *name, const char *v, struct rc_backoff *out, char *err,
                     size_t errlen)
{
    memset(out, 0, sizeof *out);
    if (errlen)
        err[0] = '\0';
    if (!v)
        return 0;
    int rc;
    if (v[0] == '\0') {
        rc = rc_errf(err, errlen, "%s='': empty value; unset it for the default", name);
    } else if (strcmp(v, "off") == 0) {
        return 0;
    } else if (strncmp(v, "exp:", 4) == 0) {
        rc = parse_exp(name, v, v + 4, out, err, errlen);
    } else {
        rc = 0;
        const char *s = v;
        for (unsigned k = 1; rc == 0; k++) {
            size_t n = strcspn(s, ",");
            const char *why;
            if (k > RC_BACKOFF_MAX_STEPS)
                rc = fail(name, v, err, errlen, "more than %d delays", RC_BACKOFF_MAX_STEPS);
            else if ((why = delay(s, n, &out->steps[k - 1])))
                rc = fail(name, v, err, errlen, "delay %u %s", k, why);
            else
                out->n = k;
            if (rc || s[n] == '\0')
                break;
            s += n + 1;
        }
        if (rc == 0)
            out->kind = RC_BACKOFF_LIST;
    }
    if (rc)
        memset(out, 0, sizeof *out);
    return rc;
}

uint32_t rc_backoff_delay_ms(const struct rc_backoff *b, unsigned retry)
{
    if (!rc_backoff_set(b) || retry == 0)
        return 0;
    if (b->kind == RC_BACKOFF_LIST)
        return b->n ? b->steps[retry <= b->n ? retry - 1 : b->n - 1] : 0;
    /* EXP: initial * multiplier^(retry-1), saturating at max. */
    uint64_t d = b->initial_ms;
    for (unsigned i = 1; i < retry && d < b->max_ms; i++) {
        if (b->multiplier <= 1 || d == 0)
            break;
        d *= b->multiplier;
    }
    return d > b->max_ms ? b->max_ms : (uint32_t)d;
}

int rc_backoff_level_at_or_above(uint32_t ms)
{
    for (int i = 0; i < RC_BACKOFF_LEVELS; i++)
        if (ms <= levels[i])
            return i + 1;
    return RC_BACKOFF_LEVELS;
}

uint32_t rc_backoff_level_ms(int level)
{
    return level >= 1 && level <= RC_BACKOFF_LEVELS ? levels[level - 1] : 0;
}

void rc_backoff_format_ms(uint32_t ms, char *buf, size_t cap)
{
    if (ms == 0)
        snprintf(buf, cap, "0");
    else if (ms % 3600000 == 0)
        snprintf(buf, cap, "%uh", (unsigned)(ms / 3600000));
    else if (ms % 60000 == 0)
        snprintf(buf, cap, "%um", (unsigned)(ms / 60000));
    else if (ms % 1000 == 0)
        snprintf(buf, cap, "%us", (unsigned)(ms / 1000));
    else
        snprintf(buf, cap, "%ums", (unsigned)ms);
}

void rc_backoff_format(const struct rc_backoff *b, char *buf, size_t cap)
{
    if (cap == 0)
        return;
    buf[0] = '\0';
    char a[16], m[16];
    if (!rc_backoff_set(b)) {
        snprintf(buf, cap, "off");
    } else if (b->kind == RC_BACKOFF_EXP) {
        rc_backoff_format_ms(b->initial_ms, a, sizeof a);
        rc_backoff_format_ms(b->max_ms, m, sizeof m);
        snprintf(buf, cap, "exp:%s*%u,max=%s", a, b->multiplier, m);
    } else {
        size_t used = 0;
        for (unsigned i = 0; i < b->n && used < cap; i++) {
            rc_backoff_format_ms(b->steps[i], a, sizeof a);
            int k = snprintf(buf + used, cap - used, "%s%s", i ? "," : "", a);
            if (k < 0)
                break;
            used = (size_t)k >= cap - used ? cap : used + (size_t)k;
        }
    }
}
