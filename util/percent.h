/*
 * percent.h - percent coding: a byte as %XX (upper-case hex) and back.
 *
 * Which bytes a format must encode is the format's own rule (a record's
 * header value, a crash-count key, a topic property); the coding itself is
 * written once, here.
 */
#ifndef RECONSUME_UTIL_PERCENT_H
#define RECONSUME_UTIL_PERCENT_H

#include <stdbool.h>
#include <stddef.h>

/* Write c as the three bytes %XX at out. */
void rc_percent_put(char out[3], unsigned char c);

/* The value of one hex digit (either case), or -1. */
int rc_hex_value(unsigned char c);

/* The byte that the escape at s[0..n) ('%' and two hex digits) stands for:
 * true and *out, or false when s does not start with a whole escape. */
bool rc_percent_take(const char *s, size_t n, unsigned char *out);

#endif
