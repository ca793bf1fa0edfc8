/*
 * retry.h - the retry cap: what the client is told after one attempt.
 *
 * Pure. The caller supplies the outcome, which attempt this was (1 for the
 * first delivery) and the settings; the answer is one of three verdicts.
 */
#ifndef RECONSUME_POLICY_RETRY_H
#define RECONSUME_POLICY_RETRY_H

#include "policy/outcome.h"

enum rc_verdict {
    RC_PASS,   /* tell the client exactly what the callback returned */
    RC_RETRY,  /* tell the client "reconsume later" (or retry in-process) */
    RC_DIVERT, /* store the message in a sink, then acknowledge it */
};

/*
 * attempts:    deliveries of this message so far, this one included (>= 1).
 * max_retries: RECONSUME_MAX_RETRIES; a message gets 1 + max_retries attempts.
 * catch_mask:  RC_CATCH_* bits in force.
 *
 * An outcome whose kind is not caught passes through untouched (exceptions
 * and signals are only ever seen when caught). A fatal signal diverts at once:
 * running the same code on the same bytes again would only fault again; so
 * does a crash loop (the message was never handed to the application).
 */
enum rc_verdict rc_retry_decide(enum rc_outcome outcome, int attempts, int max_retries,
                                unsigned catch_mask);

/* "pass", "retry", "divert". */
const char *rc_verdict_name(enum rc_verdict v);

#endif
