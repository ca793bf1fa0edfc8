/*
 * guard.h - calling the application's callback, with what may escape it caught.
 *
 * Three layers, each used only when its kind is caught (RECONSUME_CATCH):
 *   plain call           nothing caught; exceptions pass through untouched
 *   rc_call_catching     C++ exceptions caught (guard_cxx.cc)
 *   rc_call_sigguarded   fatal signals recovered (guard_signal.c), around either
 */
#ifndef RECONSUME_HOOKS_GUARD_H
#define RECONSUME_HOOKS_GUARD_H

#include <stdbool.h>

#include "client/api.h"
#include "policy/outcome.h"

#ifdef __cplusplus
extern "C" {
#endif

#define RC_EXC_TYPE_MAX 256
#define RC_EXC_WHAT_MAX 1024

/*
 * What one call did. Only `outcome` is set on every call; the rest is filled
 * for the failure it describes (the success path writes nothing else).
 */
struct rc_call {
    enum rc_outcome outcome;
    int status;
    int signo;
    bool has_what; /* a std::exception: exc_what is its what() */
    char exc_type[RC_EXC_TYPE_MAX];
    char exc_what[RC_EXC_WHAT_MAX];
};

/* Call cb, catching any C++ exception (type name, and what() of a std::exception). */
void rc_call_catching(rc_callback_fn cb, CPushConsumer *c, CMessageExt *m, struct rc_call *out);

/*
 * The plain path's guarded call: cb's status, with any C++ exception caught.
 * Nothing is written when nothing is thrown (the status comes back in a
 * register); a caught exception returns RC_STATUS_CAUGHT and leaves its
 * description for rc_call_take_caught, which copies it into *out and
 * returns true once (false when the status was the callback's own value).
 */
#define RC_STATUS_CAUGHT (-2147483647 - 1)
int rc_call_guarded(CPushConsumer *c, CMessageExt *m, rc_callback_fn cb);
bool rc_call_take_caught(struct rc_call *out);
/* Inside a catch block: record what is being caught (what: a
 * std::exception's what(), or NULL), for rc_call_take_caught. */
void rc_call_record_caught(const char *what);

/*
 * Observe mode: call cb; if a C++ exception escapes, fill *out, call
 * seen(out, m), and rethrow it, so that the client meets it exactly as it
 * would without the shim.
 */
void rc_call_observing(rc_callback_fn cb, CPushConsumer *c, CMessageExt *m, struct rc_call *out,
                       void (*seen)(const struct rc_call *, CMessageExt *));

/*
 * Call cb (through rc_call_catching when catch_exceptions), recovering from
 * the fatal signals installed by rc_sigguard_install(). A recovered call has
 * outcome RC_OUT_SIGNAL and signo set.
 */
void rc_call_sigguarded(rc_callback_fn cb, CPushConsumer *c, CMessageExt *m, bool catch_exceptions,
                        struct rc_call *out);

/*
 * Install the handlers for the signals in catch_mask (RC_CATCH_SIGNAL,
 * RC_CATCH_ABORT), once; max_recoveries caps recoveries per process (after
 * that a fault takes its normal course). Returns 0, or -1 (logged).
 */
int rc_sigguard_install(unsigned catch_mask, long max_recoveries);

#ifdef __cplusplus
}
#endif
#endif
