/*
 * escape.h - terminal-safe text: the one home of printable-escaping.
 *
 * Message ids, topics, keys and exception texts come from the wire or the
 * application. Copied into a log line or an error message unescaped they
 * could forge a line (a newline), drive the operator's terminal (C0 and C1
 * controls: ESC, and CSI as the single byte 0x9b or as U+009B), or reorder
 * what it shows (the bidirectional overrides, isolates and marks). So every
 * byte that is not part of a printable character is written as \xNN:
 *
 *   kept      bytes 0x20..0x7e; valid UTF-8 (shortest form, no surrogates,
 *             at most U+10FFFF) of any code point from U+00A0 up, except
 *             those below
 *   escaped   bytes 0x00..0x1f and 0x7f; every byte of invalid, overlong or
 *             truncated UTF-8; C1 controls U+0080..U+009F; the
 *             bidirectional controls U+061C, U+200E, U+200F, U+202A..U+202E
 *             and U+2066..U+2069; the line and paragraph separators U+2028
 *             and U+2029 (some viewers break lines there)
 *
 * Pure: no allocation, no I/O, no locale. Async-signal-safe.
 */
#ifndef RECONSUME_UTIL_ESCAPE_H
#define RECONSUME_UTIL_ESCAPE_H

#include <stddef.h>

enum {
    /* Also '\' as "\\", so that the escaping can be undone without doubt
     * (a literal "\x1b" in the input then reads "\\x1b"). */
    RC_ESC_BACKSLASH = 1u << 0,
    /* Keep ASCII only: every byte from 0x80 up is escaped, valid UTF-8 too
     * (for text bound for a terminal of unknown encoding). */
    RC_ESC_ASCII = 1u << 1,
};

/*
 * The length of the printable character at s (n > 0 bytes available): 1 for
 * a byte 0x20..0x7e, 2..4 for a UTF-8 sequence that is kept (see above), 0
 * when the byte at s must be escaped. ('\' counts as printable here.)
 */
size_t rc_printable_len(const unsigned char *s, size_t n);

/*
 * Copy the len bytes at src into dst as terminal-safe text (see above),
 * with the RC_ESC_* flags. Never splits an escape or a character: it stops
 * before the first one that does not fit in cap - 1 bytes. dst is always
 * NUL-terminated when cap > 0. Returns the bytes written, without the NUL;
 * *consumed (if not NULL) gets how many input bytes were copied, which is len
 * unless dst was too small. dst and src must not overlap.
 */
size_t rc_escape(char *dst, size_t cap, const char *src, size_t len, unsigned flags,
                 size_t *consumed);

/* The most bytes rc_escape can write for len input bytes (without the NUL). */
#define RC_ESCAPED_MAX(len) (4 * (len))

#endif
