/*
 * decide.h - what the client is told after one attempt: the verdict, and
 * why a diversion happens.
 *
 * Pure: no I/O, no state. The caller supplies what the call amounted to,
 * which attempt it was (1 for the first delivery) and the settings in force
 * for the delivery (a matching rule's, else the process's).
 */
#ifndef RECONSUME_POLICY_DECIDE_H
#define RECONSUME_POLICY_DECIDE_H

#include "policy/nonretry.h"
#include "policy/outcome.h"

enum rc_verdict {
    RC_PASS,   /* tell the client exactly what the callback returned */
    RC_RETRY,  /* tell the client "reconsume later" (or retry in-process) */
    RC_DIVERT, /* store the message in a sink, then acknowledge it */
};

/*
 * The retry cap alone: a success passes; a failure of a kind not caught
 * passes; a signal or a crash loop diverts at once; anything else retries
 * until attempt 1 + max_retries, which diverts.
 */
enum rc_verdict rc_retry_decide(enum rc_outcome outcome, int attempts, int max_retries,
                                unsigned catch_mask);

/* What one attempt amounted to, as decide() needs it. */
struct rc_attempt {
    enum rc_outcome outcome;
    int status;           /* the status returned (bad_status, reconsume) */
    const char *exc_type; /* the exception's type (exception), else NULL */
    int signo;            /* the signal (signal), else 0 */
    int number;           /* 1 for the first delivery */
    int reconsume_times;  /* the client's (the broker's) count: 0 where it keeps none */
};

/*
 * The most reconsume times a broker takes back for a clustering consumer:
 * the client's maxReconsumeTimes (16, RocketMQ's default, which the C API
 * cannot change). A failure of the delivery after the 16th send-back cannot
 * be handed back again: broker 4.x moves it to %DLQ%, broker 5.x rejects
 * the 1.2.x client's send-back and the message is lost.
 */
#define RC_BROKER_MAX_RECONSUME 16

/* The settings in force for one delivery. */
struct rc_decide_settings {
    int max_retries;
    unsigned catch_mask;
    const struct rc_nonretry *non_retryable; /* NULL or empty: none */
    /* The last attempt, as the broker counts it (reconsume times + 1),
     * whose failure may still be handed back to the broker (clustering:
     * 1 + RC_BROKER_MAX_RECONSUME); 0 where the retries are the shim's or
     * the client's own (orderly, broadcasting). */
    int broker_last;
};

struct rc_decision {
    enum rc_verdict verdict;
    /* Why a diversion happens (or would): "cap", "non_retryable", "signal",
     * "crash_loop", "broker_max" (a cap above what the broker takes back).
     * Set for every verdict; meaningful for RC_DIVERT. */
    const char *because;
};

/* The cap, then a non-retryable failure diverting before it, then the
 * broker's own maximum (a retry it would not take is a diversion). */
struct rc_decision rc_decide(const struct rc_attempt *a, const struct rc_decide_settings *s);

/* "pass", "retry", "divert". */
const char *rc_verdict_name(enum rc_verdict v);

#endif
