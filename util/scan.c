/*
 * scan.c - strict integers and printable echoes (see scan.h).
 */
#include "util/scan.h"

#include <stdarg.h>
#include <stdio.h>

#include <limits.h>
#include <string.h>

bool rc_scan_long(const char *s, size_t n, long lo, long hi, long *out)
{
    size_t i = 0;
    bool neg = false;
    if (n > 0 && s[0] == '-') {
        neg = true;
        i = 1;
    }
    if (i == n)
        return false;
    /* Accumulate as a negative number: its range holds LONG_MIN too. */
    long v = 0;
    for (; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return false;
        int d = s[i] - '0';
        if (v < (LONG_MIN + d) / 10)
            return false;
        v = v * 10 - d;
    }
    if (!neg) {
        if (v == LONG_MIN)
            return false;
        v = -v;
    }
    if (v < lo || v > hi)
        return false;
    *out = v;
    return true;
}

void rc_scan_echo(const char *s, size_t n, char *buf, size_t cap)
{
    static const char hex[] = "0123456789abcdef";
    if (cap == 0)
        return;
    size_t used = 0;
    size_t take = n > RC_ECHO_MAX ? RC_ECHO_MAX : n;
    for (size_t i = 0; i < take; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c >= 0x20 && c < 0x7f) {
            if (used + 1 >= cap)
                break;
            buf[used++] = (char)c;
        } else {
            if (used + 4 >= cap)
                break;
            buf[used++] = '\\';
            buf[used++] = 'x';
            buf[used++] = hex[c >> 4];
            buf[used++] = hex[c & 15];
        }
    }
    if (take < n && used + 3 < cap) {
        memcpy(buf + used, "...", 3);
        used += 3;
    }
    buf[used] = '\0';
}

bool rc_scan_is(const char *s, size_t n, const char *w)
{
    return strlen(w) == n && memcmp(s, w, n) == 0;
}

int rc_errf(char *err, size_t errlen, const char *fmt, ...)
{
    if (err && errlen) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err, errlen, fmt, ap);
        va_end(ap);
    }
    return -1;
}
