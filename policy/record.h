/*
 * record.h - the diversion record: what a poison message carries to a sink.
 *
 * Pure formatting, no I/O. A record is a block of "Name: value" header lines,
 * a blank line, then the message body byte for byte (Maildir-style, so that
 * head(1), grep(1) and any mail-header parser can read it). Header values are
 * percent-encoded: '%', bytes below 0x20, 0x7f and bytes from 0x80 up become
 * %XX, so that a value from the wire can never add a header line or smuggle a
 * terminal escape sequence; decoding gives the original bytes back exactly.
 *
 * Refinements of the contract (the decoder needs no change for any of them):
 *  - a leading or trailing space of a value is written as %20, so readers
 *    that trim header values still get the exact value;
 *  - in a Property-<NAME> header the name is percent-encoded the same way,
 *    with ':' and ' ' encoded too;
 *  - integer fields have no "absent" state and are always written; string
 *    fields are written when non-NULL ("" gives "Name: " and parses as "");
 *  - Diverted-At is left out if gmtime_r() cannot represent diverted_at_ms
 *    (only for absurd values); Diverted-At-Ms is always written.
 * The parser accepts CRLF line ends, header names in any case and any
 * spacing around values; it rejects a bad or truncated %XX, %00, raw bytes
 * that should have been encoded (in property names too, beyond the ones it
 * keeps), duplicate known headers, bad or out-of-range numbers, a version
 * other than RC_RECORD_VERSION, and bytes after the body. It notes which
 * known headers were given (rc_record_has): a parsed integer field that
 * was not in the input is 0 only because the record is zeroed.
 */
#ifndef RECONSUME_POLICY_RECORD_H
#define RECONSUME_POLICY_RECORD_H

#include <stdbool.h>
#include <stddef.h>

#define RC_RECORD_VERSION 1

/* Properties worth keeping that the C API can read by name (it cannot list them). */
#define RC_RECORD_MAX_PROPS 8

struct rc_prop {
    const char *name;
    const char *value;
};

/*
 * Everything a diverted record says. Strings may be NULL (absent: the header
 * line is left out). In a parsed record every string is owned by the record
 * and freed by rc_record_free(); body is then never NULL and has a NUL byte
 * after its body_len bytes (not counted). A property with a NULL or empty
 * name or a NULL value is not written; nprops above RC_RECORD_MAX_PROPS is
 * clamped (and the parser ignores properties beyond it).
 */
struct rc_record {
    /* the reason */
    const char *outcome;        /* "reconsume", "bad_status", "exception", "signal", "crash_loop" */
    const char *action;         /* "diverted", or "observed" (observe mode: recorded, not acked) */
    const char *because;        /* "cap", "non_retryable", "signal", "crash_loop" */
    const char *injected;       /* the injected fault that caused it, e.g. "throw"; NULL if real */
    int status;                 /* what the callback returned (reconsume, bad_status) */
    const char *exc_type;       /* C++ exception type name, demangled where possible */
    const char *exc_what;       /* what() of a std::exception */
    const char *signal_name;    /* "SIGSEGV", ... */
    int attempts;               /* deliveries seen, this one included */
    int max_retries;            /* the cap in force */
    const char *group;
    const char *mode;           /* "clustering", "orderly", "broadcasting" */
    const char *rule;           /* the rule in force, as rc_rule_describe() gives it */
    const char *backoff;        /* the backoff schedule in force (rc_backoff_format), and
                                 * "; last=DELAY", the shim's pause before the last attempt,
                                 * where it paused (orderly, broadcasting); NULL: none */
    const char *host;
    long pid;
    long long diverted_at_ms;   /* Unix time in ms; written as ISO 8601 UTC too */
    /* the message */
    const char *topic;
    const char *tags;
    const char *keys;
    const char *msg_id;
    /* Where the copy that was delivered is stored: for a redelivery, the
     * %RETRY% copy, not the original (whose id is its ORIGIN_MESSAGE_ID
     * property and whose topic is topic above, restored by the client). */
    const char *delivered_topic;
    int queue_id;                /* Delivered-Queue-Id */
    long long queue_offset;      /* Delivered-Queue-Offset */
    long long commit_log_offset; /* Delivered-Commit-Log-Offset */
    int reconsume_times;
    long long born_ts;
    long long store_ts;
    size_t nprops;
    struct rc_prop props[RC_RECORD_MAX_PROPS];
    const char *body;
    size_t body_len;
    /* Set by rc_record_parse only (the encoder ignores it): which known
     * headers the input gave; read it with rc_record_has(). */
    unsigned long long present;
};

/*
 * The message properties a record keeps (the C API reads properties only by
 * name, so the shim asks for these): NULL-terminated.
 */
extern const char *const rc_record_kept_props[];

/* Encoded size of r, including the body; SIZE_MAX on overflow. */
size_t rc_record_encoded_size(const struct rc_record *r);

/* Encode r into buf (cap bytes). Returns the length written, or 0 if cap is too small. */
size_t rc_record_encode(const struct rc_record *r, char *buf, size_t cap);

/*
 * Parse an encoded record. Returns 0 and fills *out (strings owned by *out),
 * or -1 with a one-line reason in err. Unknown headers are ignored (forward
 * compatible); a missing "Reconsume-Record" line or a body shorter than
 * Body-Length is an error (a torn record).
 */
int rc_record_parse(const char *data, size_t len, struct rc_record *out, char *err, size_t errlen);

/*
 * Whether a parsed record's input had the header name (any case; a
 * "Property-" name: any property). False for a name the format does not
 * know, and for every name on a record that was not parsed.
 */
bool rc_record_has(const struct rc_record *r, const char *name);

/*
 * The headers that every diversion record has, by index from 0 (NULL past
 * the last): every integer field, which the encoder always writes, and
 * Outcome, the reason, which the shim always sets. A parsed record without
 * one of them was not written whole by this format's writer: damaged.
 */
const char *rc_record_required(size_t i);

/*
 * Free what rc_record_parse allocated and zero *r; safe on a zeroed record
 * (rc_record_parse leaves *out zeroed when it fails). Never call it on a
 * record the caller filled in.
 */
void rc_record_free(struct rc_record *r);

/*
 * The file-name stem for a record: only [A-Za-z0-9._-] survive from the wire,
 * everything else becomes '_', cut to 64 bytes (or cap - 1), never "." or
 * "..": a leading '.' becomes '_' and an empty (or NULL) input gives "_".
 * Writes a NUL-terminated string into out (cap >= 2).
 */
void rc_record_safe_name(const char *s, char *out, size_t cap);

#endif
