/*
 * percent.c - see percent.h.
 */
#include "util/percent.h"

void rc_percent_put(char out[3], unsigned char c)
{
    static const char hex[] = "0123456789ABCDEF";
    out[0] = '%';
    out[1] = hex[c >> 4];
    out[2] = hex[c & 15];
}

int rc_hex_value(unsigned char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    return -1;
}

bool rc_percent_take(const char *s, size_t n, unsigned char *out)
{
    if (n < 3 || s[0] != '%')
        return false;
    int hi = rc_hex_value((unsigned char)s[1]), lo = rc_hex_value((unsigned char)s[2]);
    if (hi < 0 || lo < 0)
        return false;
    *out = (unsigned char)(hi << 4 | lo);
    return true;
}
