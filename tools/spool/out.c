/*
 * out.c - terminal-safe text, JSON, hex and base64 (see out.h).
 */
#include "tools/spool/out.h"

#include "util/escape.h"

#include <string.h>
#include <time.h>

/* The length of a UTF-8 character kept as it is (util/escape.c's rule: no
 * C1 controls, bidi controls, surrogates or overlongs), else 0. */
static size_t utf8_ok(const unsigned char *s, size_t n)
{
    return s[0] >= 0x80 ? rc_printable_len(s, n) : 0;
}

void ts_put_safe(FILE *f, const char *s, size_t n, int keep_lines)
{
    const unsigned char *p = (const unsigned char *)s;
    for (size_t i = 0; i < n;) {
        unsigned c = p[i];
        size_t k;
        if (c == '\\') {
            fputs("\\\\", f);
            i++;
        } else if ((c >= 0x20 && c < 0x7f) || (keep_lines && (c == '\n' || c == '\t'))) {
            fputc((int)c, f);
            i++;
        } else if (c >= 0x80 && (k = utf8_ok(p + i, n - i)) > 0) {
            fwrite(p + i, 1, k, f);
            i += k;
        } else {
            fprintf(f, "\\x%02x", c);
            i++;
        }
    }
}

void ts_put_json(FILE *f, const char *s, size_t n)
{
    const unsigned char *p = (const unsigned char *)s;
    fputc('"', f);
    for (size_t i = 0; i < n;) {
        unsigned c = p[i];
        size_t k;
        if (c == '"' || c == '\\') {
            fprintf(f, "\\%c", c);
            i++;
        } else if (c < 0x20 || c == 0x7f) {
            fprintf(f, "\\u%04x", c);
            i++;
        } else if (c < 0x80) {
            fputc((int)c, f);
            i++;
        } else if ((k = utf8_ok(p + i, n - i)) > 0) {
            fwrite(p + i, 1, k, f);
            i += k;
        } else {
            fputs("\\ufffd", f);
            i++;
        }
    }
    fputc('"', f);
}

void ts_put_json_str(FILE *f, const char *s)
{
    if (s)
        ts_put_json(f, s, strlen(s));
    else
        fputs("null", f);
}

void ts_put_hex(FILE *f, const char *s, size_t n)
{
    const unsigned char *p = (const unsigned char *)s;
    for (size_t off = 0; off < n; off += 16) {
        fprintf(f, "%08zx ", off);
        for (size_t i = 0; i < 16; i++) {
            if (off + i < n)
                fprintf(f, " %02x", p[off + i]);
            else
                fputs("   ", f);
            if (i == 7)
                fputc(' ', f);
        }
        fputs("  |", f);
        for (size_t i = 0; i < 16 && off + i < n; i++)
            fputc(p[off + i] >= 0x20 && p[off + i] < 0x7f ? p[off + i] : '.', f);
        fputs("|\n", f);
    }
}

void ts_put_base64(FILE *f, const char *s, size_t n)
{
    static const char t[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    const unsigned char *p = (const unsigned char *)s;
    fputc('"', f);
    for (size_t i = 0; i < n; i += 3) {
        unsigned v = (unsigned)p[i] << 16 | (i + 1 < n ? (unsigned)p[i + 1] << 8 : 0) |
                     (i + 2 < n ? p[i + 2] : 0);
        fputc(t[v >> 18 & 63], f);
        fputc(t[v >> 12 & 63], f);
        fputc(i + 1 < n ? t[v >> 6 & 63] : '=', f);
        fputc(i + 2 < n ? t[v & 63] : '=', f);
    }
    fputc('"', f);
}

void ts_iso(long long ms, char *buf, size_t cap)
{
    time_t t = (time_t)(ms / 1000);
    struct tm tm;
    if (ms < 0 || !gmtime_r(&t, &tm)) {
        snprintf(buf, cap, "%lld", ms);
        return;
    }
    snprintf(buf, cap, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900, tm.tm_mon + 1,
             tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, (int)(ms % 1000));
}
