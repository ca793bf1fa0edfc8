/*
 * scan.h - small lexical helpers shared by the parsers of policy/: strict
 * integers over a counted span, a printable echo of a hostile value for a
 * one-line error message, and the formatter of that message.
 *
 * Pure, no allocation, no I/O. Every function takes a pointer and a length,
 * so that a token need not be NUL-terminated (the grammars cut tokens out of
 * a larger value without copying it).
 */
#ifndef RECONSUME_UTIL_SCAN_H
#define RECONSUME_UTIL_SCAN_H

#include <stdbool.h>
#include <stddef.h>

/*
 * The n bytes at s as a decimal integer in [lo, hi]: an optional '-' and
 * one or more digits, nothing else (no blanks, no '+', no 0x). Overflow is
 * detected; leading zeros are allowed. Returns false (out untouched) on
 * anything else.
 */
bool rc_scan_long(const char *s, size_t n, long lo, long hi, long *out);

/* The longest part of a value quoted in an error message. */
#define RC_ECHO_MAX 200

/*
 * Copy the n bytes at s into buf (always NUL-terminated when cap > 0) so that
 * the result is printable on one line: bytes 0x20..0x7e as they are, every
 * other byte as \xNN. At most RC_ECHO_MAX input bytes are quoted; a longer
 * value ends in "...". buf should hold 4 * RC_ECHO_MAX + 4 bytes
 * (RC_ECHO_CAP); a smaller one truncates.
 */
#define RC_ECHO_CAP (4 * RC_ECHO_MAX + 4)
void rc_scan_echo(const char *s, size_t n, char *buf, size_t cap);

/*
 * Format a one-line error into err (errlen bytes; nothing when err is NULL or
 * errlen 0) and return -1, so that a parser can "return rc_errf(...)".
 */
int rc_errf(char *err, size_t errlen, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* Does [s, s+n) equal the NUL-terminated word w (case-sensitive)? */
bool rc_scan_is(const char *s, size_t n, const char *w);

#endif
