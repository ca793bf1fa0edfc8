/*
 * call.h - the second stage of a delivery: calling the application's
 * callback (or an injected fault's stand-in), with the journal, the guard
 * the call kind asks for, and timing; then counting what it did.
 */
#ifndef RECONSUME_HOOKS_CALL_H
#define RECONSUME_HOOKS_CALL_H

#include <stdbool.h>

#include "hooks/delivery.h"
#include "hooks/guard.h"

/* The call kind for a catch mask: the one place it is chosen (set-up picks
 * the process's, a rule's catch= its own). */
enum rc_call_kind rc_call_kind_for(unsigned catch_mask, bool observe);

/* Observe mode: an exception on its way through, counted and logged. */
void rc_observed_exception(const struct rc_call *call, CMessageExt *m);

/* Call cb the way kind says (also the plain path's one call: closure.c). */
static inline void rc_call_by_kind(enum rc_call_kind kind, unsigned catch_mask, rc_callback_fn cb,
                                   CPushConsumer *c, CMessageExt *m, struct rc_call *out)
{
    switch (kind) {
    case RC_CALL_CATCHING:
        rc_call_catching(cb, c, m, out);
        break;
    case RC_CALL_SIGGUARDED:
        rc_call_sigguarded(cb, c, m, catch_mask & RC_CATCH_EXCEPTION, out);
        break;
    case RC_CALL_OBSERVING:
        rc_call_observing(cb, c, m, out, rc_observed_exception);
        break;
    case RC_CALL_PLAIN:
    default:
        out->status = cb(c, m);
        out->outcome = rc_outcome_of_status(out->status);
        break;
    }
}

/*
 * One attempt. The first (first == true) may be refused: a message that was
 * in flight when the process died RECONSUME_MAX_CRASHES times is not handed
 * over again (outcome RC_OUT_CRASH_LOOP). The first is also journalled and
 * timed; broadcasting's in-process retries are neither. errno is the
 * client's around the application's call.
 */
void rc_call_app(struct rc_delivery *d, bool first, struct rc_call *out);

/* Count what the attempt did (process counters, detailed statistics) and
 * say when it ran past RECONSUME_TIMEOUT_MS. */
void rc_call_tally(struct rc_delivery *d, const struct rc_call *call);

#endif
