#include "policy/retry.h"

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

const char *rc_verdict_name(enum rc_verdict v)
{
    return v == RC_PASS ? "pass" : v == RC_RETRY ? "retry" : v == RC_DIVERT ? "divert" : "?";
}
