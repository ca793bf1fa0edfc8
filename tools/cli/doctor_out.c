/*
 * doctor_out.c - doctor's output, collected and made terminal-safe (see
 * doctor_out.h).
 */
#include "tools/cli/doctor_out.h"

#include <stdarg.h>
#include <stdlib.h>

FILE *doctor_out;
static char *out_buf;
static size_t out_len;

int doctor_out_open(void)
{
    doctor_out = open_memstream(&out_buf, &out_len);
    return doctor_out ? 0 : -1;
}

void say(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vfprintf(doctor_out, fmt, ap);
    va_end(ap);
}

/* Length of a valid UTF-8 sequence at p (of at most n bytes) that is
 * printable (no C1 controls), or 0. */
static size_t utf8_ok(const unsigned char *p, size_t n)
{
    size_t len;
    unsigned cp;
    if (p[0] >= 0xc2 && p[0] <= 0xdf) { len = 2; cp = p[0] & 0x1f; }
    else if (p[0] >= 0xe0 && p[0] <= 0xef) { len = 3; cp = p[0] & 0x0f; }
    else if (p[0] >= 0xf0 && p[0] <= 0xf4) { len = 4; cp = p[0] & 0x07; }
    else return 0;
    if (len > n)
        return 0;
    for (size_t i = 1; i < len; i++) {
        if ((p[i] & 0xc0) != 0x80)
            return 0;
        cp = (cp << 6) | (p[i] & 0x3f);
    }
    if ((len == 3 && cp < 0x800) || (len == 4 && (cp < 0x10000 || cp > 0x10ffff)) ||
        (cp >= 0xd800 && cp <= 0xdfff) || cp < 0xa0)
        return 0;
    return len;
}

int doctor_out_flush(int status)
{
    fclose(doctor_out);
    doctor_out = NULL;
    const unsigned char *p = (const unsigned char *)out_buf;
    for (size_t i = 0; i < out_len;) {
        size_t k;
        if (p[i] == '\n' || (p[i] >= 0x20 && p[i] < 0x7f)) {
            putchar(p[i++]);
        } else if ((k = utf8_ok(p + i, out_len - i)) > 0) {
            fwrite(p + i, 1, k, stdout);
            i += k;
        } else {
            putchar('?');
            i++;
        }
    }
    free(out_buf);
    return fflush(stdout) == 0 ? status : 1;
}
