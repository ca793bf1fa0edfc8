/*
 * outcome.h - what one call of the application's callback amounted to.
 */
#ifndef RECONSUME_POLICY_OUTCOME_H
#define RECONSUME_POLICY_OUTCOME_H

/* The client's two statuses (CPushConsumer.h). */
#define RC_CONSUME_SUCCESS 0
#define RC_RECONSUME_LATER 1

enum rc_outcome {
    RC_OUT_SUCCESS = 0, /* returned E_CONSUME_SUCCESS */
    RC_OUT_RECONSUME,   /* returned E_RECONSUME_LATER */
    RC_OUT_BAD_STATUS,  /* returned anything else ("null"/garbage) */
    RC_OUT_EXCEPTION,   /* a C++ exception escaped */
    RC_OUT_SIGNAL,      /* a fatal signal was raised inside it (opt-in) */
    RC_OUT_CRASH_LOOP,  /* not called: the message crashed the process too often */
    RC_OUT_COUNT
};

/* Classify a returned status. */
static inline enum rc_outcome rc_outcome_of_status(int status)
{
    return status == RC_CONSUME_SUCCESS   ? RC_OUT_SUCCESS
           : status == RC_RECONSUME_LATER ? RC_OUT_RECONSUME
                                          : RC_OUT_BAD_STATUS;
}

/* "success", "reconsume", "bad_status", "exception", "signal", "crash_loop". */
const char *rc_outcome_name(enum rc_outcome o);

#endif
