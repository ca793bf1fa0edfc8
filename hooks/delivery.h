/*
 * delivery.h - one delivery in flight: the message, the settings in force
 * for it (a matching rule's, else the process's), and what was done to it.
 *
 * The plain path (no rules, injection, journal, timing or detailed stats)
 * never builds one: see dispatch.c.
 */
#ifndef RECONSUME_HOOKS_DELIVERY_H
#define RECONSUME_HOOKS_DELIVERY_H

#include <stdbool.h>

#include "client/api.h"
#include "hooks/guard.h"
#include "hooks/registry.h"
#include "policy/inject.h"
#include "policy/nonretry.h"
#include "policy/rules.h"
#include "hooks/runtime.h"

/* Observe mode: an exception on its way through, counted and logged. */
void rc_observed_exception(const struct rc_call *call, CMessageExt *m);

struct rc_delivery {
    const struct rc_registration *reg;
    CPushConsumer *c;
    CMessageExt *m;
    const char *id;                      /* GetMessageId (NULL if the client lacks it) */
    const struct rc_rule *rule;          /* the first matching rule, or NULL */
    int max_retries;                     /* in force for this delivery */
    unsigned catch_mask;
    enum rc_call_kind kind;
    const struct rc_nonretry *non_retryable;
    const struct rc_inject_rule *injected; /* the fault injected, or NULL */
    long long elapsed_ns;                /* callback time; -1 when not measured */
};

/* Call cb the way kind says (the one switch both paths share). */
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

/* Fill d's settings for a delivery of reg with the process-wide ones. */
void rc_delivery_init(struct rc_delivery *d, const struct rc_registration *reg, CPushConsumer *c,
                      CMessageExt *m);

/* Call cb (the application's, or an injected stand-in) the way d->kind says. */
void rc_delivery_call(const struct rc_delivery *d, rc_callback_fn cb, struct rc_call *out);

/* The callback for this attempt: the application's, or an injected fault's
 * stand-in (d->injected says which). */
rc_callback_fn rc_delivery_pick(struct rc_delivery *d, const char *group, int attempt);

/* The full path: rules, crash loops, injection, timing, then settle. */
int rc_deliver_full(const struct rc_registration *reg, CPushConsumer *c, CMessageExt *m);

/* Everything after the call but the plain success: count, decide, retry,
 * divert. Returns what the client is told. */
int rc_settle(struct rc_delivery *d, struct rc_call *call);

/* "clustering", "orderly", "broadcasting". */
const char *rc_delivery_mode(const struct rc_delivery *d);

/* The consumer group, for rules, the journal and statistics. */
const char *rc_delivery_group(const struct rc_delivery *d, char *buf, size_t cap);

#endif
