/*
 * escape.c - terminal-safe text (see escape.h).
 */
#include "util/escape.h"

#include <stdbool.h>
#include <string.h>

static bool kept_code_point(unsigned cp)
{
    if (cp < 0xa0)                              /* C0, DEL, C1 */
        return cp >= 0x20 && cp < 0x7f;
    if (cp == 0x061c || cp == 0x200e || cp == 0x200f)   /* ALM, LRM, RLM */
        return false;
    if (cp >= 0x2028 && cp <= 0x202e)           /* LS, PS, LRE, RLE, PDF, LRO, RLO */
        return false;
    if (cp >= 0x2066 && cp <= 0x2069)           /* LRI, RLI, FSI, PDI */
        return false;
    return true;
}

size_t rc_printable_len(const unsigned char *s, size_t n)
{
    unsigned c = s[0];
    if (c < 0x80)
        return c >= 0x20 && c < 0x7f ? 1 : 0;
    size_t len;
    unsigned cp;
    if (c >= 0xc2 && c <= 0xdf) {
        len = 2;
        cp = c & 0x1f;
    } else if (c >= 0xe0 && c <= 0xef) {
        len = 3;
        cp = c & 0x0f;
    } else if (c >= 0xf0 && c <= 0xf4) {
        len = 4;
        cp = c & 0x07;
    } else {
        return 0; /* a continuation byte, 0xc0/0xc1 (always overlong), or above 0xf4 */
    }
    if (n < len)
        return 0;
    for (size_t i = 1; i < len; i++) {
        if ((s[i] & 0xc0) != 0x80)
            return 0;
        cp = cp << 6 | (s[i] & 0x3f);
    }
    if ((len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) || cp > 0x10ffff ||
        (cp >= 0xd800 && cp <= 0xdfff))
        return 0;
    return kept_code_point(cp) ? len : 0;
}

size_t rc_escape(char *dst, size_t cap, const char *src, size_t len, unsigned flags,
                 size_t *consumed)
{
    static const char hex[] = "0123456789abcdef";
    const unsigned char *p = (const unsigned char *)src;
    size_t o = 0, i = 0;
    size_t room = cap ? cap - 1 : 0;
    while (i < len) {
        unsigned c = p[i];
        size_t k = (flags & RC_ESC_ASCII) && c >= 0x80 ? 0 : rc_printable_len(p + i, len - i);
        if (c == '\\' && (flags & RC_ESC_BACKSLASH)) {
            if (o + 2 > room)
                break;
            dst[o++] = '\\';
            dst[o++] = '\\';
            i++;
        } else if (k > 0) {
            if (o + k > room)
                break;
            memcpy(dst + o, p + i, k);
            o += k;
            i += k;
        } else {
            if (o + 4 > room)
                break;
            dst[o++] = '\\';
            dst[o++] = 'x';
            dst[o++] = hex[c >> 4];
            dst[o++] = hex[c & 15];
            i++;
        }
    }
    if (cap)
        dst[o] = '\0';
    if (consumed)
        *consumed = i;
    return o;
}
