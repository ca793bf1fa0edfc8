/*
 * decide.c - the verdict after one attempt (see decide.h).
 */
#include "policy/decide.h"

#include "policy/config.h"

enum rc_verdict rc_retry_decide(enum rc_outcome outcome, int attempts, int max_retries,
                                unsigned catch_mask)
{
    switch (outcome) {
    case RC_OUT_SUCCESS:
        return RC_PASS;
    case RC_OUT_RECONSUME:
    case RC_OUT_BAD_STATUS:
        if (!(catch_mask & RC_CATCH_STATUS))
            return RC_PASS;
        break;
    case RC_OUT_EXCEPTION:
        break;
    case RC_OUT_SIGNAL:
    case RC_OUT_CRASH_LOOP:
        return RC_DIVERT;
    default:
        return RC_RETRY; /* unknown: the safe answer, never an ack */
    }
    /* attempts counts from 1, so attempt 1 + max_retries is the last one. */
    return attempts > max_retries ? RC_DIVERT : RC_RETRY;
}

struct rc_decision rc_decide(const struct rc_attempt *a, const struct rc_decide_settings *s)
{
    struct rc_decision d = {
        .verdict = rc_retry_decide(a->outcome, a->number, s->max_retries, s->catch_mask),
        .because = a->outcome == RC_OUT_SIGNAL       ? "signal"
                   : a->outcome == RC_OUT_CRASH_LOOP ? "crash_loop"
                                                     : "cap",
    };
    /* A failure the list names is not worth its retries: divert it now. */
    if (d.verdict == RC_RETRY && s->non_retryable && s->non_retryable->n > 0 &&
        rc_nonretry_match(s->non_retryable, a->outcome, a->status,
                          a->outcome == RC_OUT_EXCEPTION ? a->exc_type : NULL, a->signo)) {
        d.verdict = RC_DIVERT;
        d.because = "non_retryable";
    }
    /* A cap above the broker's maximum: the next send-back would not be
     * taken (lost on broker 5.x with client 1.2.x), so this is the last. */
    if (d.verdict == RC_RETRY && s->broker_last > 0 && a->reconsume_times + 1 >= s->broker_last) {
        d.verdict = RC_DIVERT;
        d.because = "broker_max";
    }
    return d;
}

const char *rc_verdict_name(enum rc_verdict v)
{
    return v == RC_PASS ? "pass" : v == RC_RETRY ? "retry" : v == RC_DIVERT ? "divert" : "?";
}
