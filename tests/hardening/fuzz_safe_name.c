/*
 * fuzz_safe_name.c - libFuzzer target for rc_record_safe_name (the file-name
 * stem of a spool record, made from a msgId off the wire).
 *
 * Input: the first byte picks the output capacity (2..257, or 1 sometimes to
 * check that nothing is written past out[0]); the rest, up to the first NUL,
 * is the msgId (an input with no bytes after the first one means NULL).
 *
 * Properties: the stem is NUL-terminated inside cap; only [A-Za-z0-9._-];
 * never empty (cap >= 2), never starting with '.', so never "." or ".."
 * nor hidden; at most 64 bytes and at most cap - 1; byte i is s[i] when
 * that is allowed (but a leading '.') and '_' otherwise; nothing is written
 * after the terminator; the same input gives the same stem.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "policy/record.h"

static void check(int ok, const char *what)
{
    if (!ok) {
        fprintf(stderr, "fuzz_safe_name: property violated: %s\n", what);
        abort();
    }
}

static int allowed(unsigned char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
           c == '.' || c == '_' || c == '-';
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size == 0)
        return 0;
    size_t cap = data[0] == 0xff ? 1 : 2 + (size_t)data[0];
    char *s = NULL;
    if (size > 1) {
        s = malloc(size);
        memcpy(s, data + 1, size - 1);
        s[size - 1] = '\0';
    }
    /* a guard zone after cap catches writes past it (ASan catches the rest) */
    char *out = malloc(cap + 16), *out2 = malloc(cap + 16);
    memset(out, 0x7e, cap + 16);
    memset(out2, 0x7e, cap + 16);
    rc_record_safe_name(s, out, cap);
    rc_record_safe_name(s, out2, cap);

    size_t len = strnlen(out, cap);
    check(len < cap, "NUL-terminated inside cap");
    for (size_t i = cap; i < cap + 16; i++)
        check((unsigned char)out[i] == 0x7e, "nothing written past cap");
    check(strcmp(out, out2) == 0, "deterministic");
    size_t max = cap - 1 < 64 ? cap - 1 : 64;
    check(len <= max, "at most 64 bytes and cap - 1");
    if (cap >= 2) {
        check(len >= 1, "never empty");
        check(out[0] != '.', "never starts with '.'");
        check(strcmp(out, ".") != 0 && strcmp(out, "..") != 0, "never . or ..");
    }
    size_t slen = s ? strlen(s) : 0;
    if (slen > 0 && cap >= 2)
        check(len == (slen < max ? slen : max), "one output byte per input byte");
    for (size_t i = 0; i < len; i++) {
        unsigned char o = (unsigned char)out[i];
        check(allowed(o), "only [A-Za-z0-9._-]");
        if (i < slen) {
            unsigned char in = (unsigned char)s[i];
            unsigned char want = allowed(in) ? in : '_';
            if (i == 0 && want == '.')
                want = '_';
            check(o == want, "byte-for-byte mapping");
        }
    }
    free(s);
    free(out);
    free(out2);
    return 0;
}
