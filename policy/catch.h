/*
 * catch.h - the failure kinds the shim catches, and their list syntax
 * (RECONSUME_CATCH, and the catch= setting of a rule, policy/rules.h).
 *
 * Pure: no I/O, no allocation.
 */
#ifndef RECONSUME_POLICY_CATCH_H
#define RECONSUME_POLICY_CATCH_H

#include <stddef.h>

enum {
    RC_CATCH_STATUS = 1u << 0,    /* reconsume-later and garbage statuses */
    RC_CATCH_EXCEPTION = 1u << 1, /* C++ exceptions escaping the callback */
    RC_CATCH_SIGNAL = 1u << 2,    /* SIGSEGV, SIGBUS, SIGFPE, SIGILL */
    RC_CATCH_ABORT = 1u << 3,     /* SIGABRT (abort(), failed assert) */
    RC_CATCH_ALL = 0xfu,
};

/*
 * Parse a catch list (value v of the variable or setting called name, named
 * in the error): status, exception, signal, abort, comma-separated, or all,
 * or none. Returns 0, or -1 with the one-line reason in err.
 */
int rc_catch_parse(const char *name, const char *v, unsigned *out, char *err, size_t errlen);

/* The comma-separated names of a catch mask, e.g. "status,exception"; "none" for 0. */
void rc_catch_format(unsigned mask, char *buf, size_t cap);

#endif
