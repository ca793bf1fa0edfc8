/*
 * nonretry.h - RECONSUME_NON_RETRYABLE: failures that divert on the first
 * attempt instead of waiting for the retry cap (the anchor is Spring Kafka's
 * not-retryable exceptions: retrying a message that fails validation only
 * delays its diversion).
 *
 * Grammar
 * -------
 *   RECONSUME_NON_RETRYABLE = ENTRY [ ',' ENTRY ]...
 *   ENTRY = TYPE            a C++ exception type, as demangled: std::invalid_argument,
 *                           app::BadInput. Exact match; a trailing '*' makes it a
 *                           prefix match (app::* matches every type in namespace
 *                           app, '*' alone every exception). Letters, digits and
 *                           _ : < > , ( ) [ ] & * . and space; ':' only as "::";
 *                           '*' only at the end (and where the type itself ends
 *                           in one, as "char const*": it then also matches exactly)
 *         | 'status:' N     a returned status N (an integer, not 0): 1 for
 *                           reconsume-later, anything else for a bad status
 *         | 'signal:' NAME  SIGSEGV, SIGBUS, SIGFPE, SIGILL or SIGABRT (any case)
 *
 * A ',' inside <...> or (...) belongs to the type (std::map<int, int>), not
 * to the list. Blanks around entries are ignored. At most 64 entries, each
 * at most 255 bytes.
 *
 * An entry matches only the outcome it names: a status entry a returned
 * status (outcomes reconsume and bad_status), a type an exception, a signal
 * a recovered signal. Thread-safety: a parsed list is immutable.
 */
#ifndef RECONSUME_POLICY_NONRETRY_H
#define RECONSUME_POLICY_NONRETRY_H

#include <stdbool.h>
#include <stddef.h>

#include "policy/outcome.h"

#define RC_NONRETRY_MAX 64
#define RC_NONRETRY_NAME_MAX 255

enum rc_nonretry_kind { RC_NR_TYPE, RC_NR_STATUS, RC_NR_SIGNAL };

struct rc_nonretry_entry {
    enum rc_nonretry_kind kind;
    int value;       /* RC_NR_STATUS: the status; RC_NR_SIGNAL: the signal number */
    char *name;      /* RC_NR_TYPE: the type as written (owned); else NULL */
    size_t prefix;   /* RC_NR_TYPE ending in '*': length before the '*'; else 0 */
    bool is_prefix;
};

struct rc_nonretry {
    struct rc_nonretry_entry *e;
    size_t n;
};

/*
 * Parse value v of the variable called name (named in errors, e.g.
 * "RECONSUME_NON_RETRYABLE" or "non_retryable" inside a rule). v NULL gives
 * an empty list. Returns 0, or -1 with one line in err, e.g.
 *   RECONSUME_NON_RETRYABLE='stauts:3': unknown entry 'stauts:3'; expected an
 *   exception type (std::invalid_argument, app::*), status:N or signal:NAME
 * On failure *out is empty.
 */
int rc_nonretry_parse(const char *name, const char *v, struct rc_nonretry *out, char *err,
                      size_t errlen);

void rc_nonretry_free(struct rc_nonretry *l);

/* A deep copy of src into *dst; 0, or -1 when out of memory (*dst empty). */
int rc_nonretry_copy(struct rc_nonretry *dst, const struct rc_nonretry *src);

/*
 * Does the list name this failure? o is the outcome; status is used for
 * RC_OUT_RECONSUME / RC_OUT_BAD_STATUS, exc_type (may be NULL) for
 * RC_OUT_EXCEPTION, signo for RC_OUT_SIGNAL. RC_OUT_SUCCESS never matches.
 * l may be NULL (an empty list).
 */
bool rc_nonretry_match(const struct rc_nonretry *l, enum rc_outcome o, int status,
                       const char *exc_type, int signo);

/* The list in canonical form ("std::invalid_argument,status:7,signal:SIGSEGV"), or "none". */
void rc_nonretry_format(const struct rc_nonretry *l, char *buf, size_t cap);

#endif
