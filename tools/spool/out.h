/*
 * out.h - what reconsume-spool prints: text that is safe on a terminal (no
 * byte from a record can start an escape sequence) and JSON.
 */
#ifndef RECONSUME_TOOLS_SPOOL_OUT_H
#define RECONSUME_TOOLS_SPOOL_OUT_H

#include <stddef.h>
#include <stdio.h>

/*
 * Write n bytes of s for a terminal: printable ASCII and valid UTF-8 from
 * U+00A0 up pass; '\' becomes "\\"; with keep_lines, '\n' and '\t' pass;
 * every other byte (C0 and C1 controls, DEL, ESC, invalid UTF-8) becomes
 * \xNN.
 */
void ts_put_safe(FILE *f, const char *s, size_t n, int keep_lines);

/* A JSON string (quotes included): invalid UTF-8 bytes become U+FFFD. */
void ts_put_json(FILE *f, const char *s, size_t n);
void ts_put_json_str(FILE *f, const char *s); /* NULL: null */

/* Classic 16-bytes-a-line hex dump with a safe ASCII column. */
void ts_put_hex(FILE *f, const char *s, size_t n);

/* Base64 of n bytes (for --json bodies). */
void ts_put_base64(FILE *f, const char *s, size_t n);

/* ISO 8601 UTC with ms, "2024-05-06T07:08:09.123Z". */
void ts_iso(long long ms, char *buf, size_t cap);

#endif
