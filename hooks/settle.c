/*
 * settle.c - after the call: count, decide, and carry out the decision.
 *
 * The verdict comes from policy/retry.c with the settings in force for this
 * delivery (a rule's, else the process's); a non-retryable failure skips the
 * cap. Diverting means storing first and acknowledging only after; a failed
 * store is never an acknowledgement. Broadcasting gets its retries here, in
 * the consume thread, because its client never retries.
 */
#include <errno.h>
#include <string.h>
#include <time.h>

#include "hooks/delivery.h"
#include "hooks/divert.h"
#include "state/journal.h"
#include "policy/retry.h"
#include "obs/log.h"
#include "obs/stats.h"

void rc_observed_exception(const struct rc_call *call, CMessageExt *m)
{
    const struct rc_client *cl = rc_client();
    const char *id = cl->GetMessageId ? cl->GetMessageId(m) : NULL;
    rc_count(&rc_stats.deliveries[RC_OUT_EXCEPTION]);
    rc_log(RC_LOG_INFO, "observe: msgId=%s threw %s%s%s; passed through to the client",
           id ? id : "?", call->exc_type, call->has_what ? ": " : "",
           call->has_what ? call->exc_what : "");
}

static void sleep_ms(long ms)
{
    struct timespec t = {ms / 1000, (ms % 1000) * 1000000L};
    while (nanosleep(&t, &t) != 0 && errno == EINTR)
        ;
}

/* Count one call: real ones by outcome, injected ones apart. */
static void count_call(const struct rc_delivery *d, const struct rc_call *call, const char *group)
{
    if (d->injected)
        rc_count(&rc_stats.injected[call->outcome]);
    else
        rc_count(&rc_stats.deliveries[call->outcome]);
    if (rc_rt.cfg.stats_path[0]) {
        const struct rc_client *cl = rc_client();
        /* An injected failure stood in for the application: no callback time. */
        bool app_ran = !d->injected || d->injected->action == RC_INJ_DELAY;
        rc_stats_detail(group, cl->GetMessageTopic ? cl->GetMessageTopic(d->m) : NULL, call->outcome,
                        d->injected != NULL, app_ran ? d->elapsed_ns : -1);
    }
}

/*
 * Broadcasting: the client will never deliver this message again, so a
 * store that fails is retried here, with a growing pause, until it succeeds:
 * a consume thread held is better than a message lost.
 */
static int divert_broadcast(const struct rc_delivery *d, const struct rc_call *call, int attempts,
                            const char *because)
{
    long pause = 100;
    while (rc_divert(d, call, attempts, "diverted", because) != 0) {
        rc_count(&rc_stats.divert_failures);
        sleep_ms(pause);
        if (pause < 30000)
            pause *= 2;
    }
    return 0;
}

/*
 * Observe mode: say what enforcing would have done, optionally keep a record
 * of what it would have diverted, and change nothing: the client gets the
 * callback's own status, and broadcasting gets no in-process retries.
 */
static int observe(const struct rc_delivery *d, const struct rc_call *call, int attempts,
                   enum rc_verdict v, const char *because)
{
    const char *id = d->id ? d->id : "?";
    if (v == RC_DIVERT) {
        rc_count(&rc_stats.would_divert);
        rc_log(RC_LOG_INFO, "observe: msgId=%s %s attempt %d: %s; enforcing would divert it", id,
               rc_delivery_mode(d), attempts, rc_outcome_name(call->outcome));
        /* Recorded once, when it first crosses the cap (later failures of the
         * same message would only repeat the record). */
        if (rc_rt.cfg.observe_record && (attempts == d->max_retries + 1 || strcmp(because, "cap")))
            rc_divert(d, call, attempts, "observed", because);
    } else if (v == RC_RETRY) {
        rc_log(RC_LOG_INFO, "observe: msgId=%s %s attempt %d of %d: %s; enforcing would retry it", id,
               rc_delivery_mode(d), attempts, d->max_retries + 1, rc_outcome_name(call->outcome));
    }
    return call->status;
}

/* The verdict, and why a diversion would happen. */
static enum rc_verdict decide(const struct rc_delivery *d, const struct rc_call *call, int attempts,
                              const char **because)
{
    enum rc_verdict v = rc_retry_decide(call->outcome, attempts, d->max_retries, d->catch_mask);
    *because = call->outcome == RC_OUT_SIGNAL       ? "signal"
               : call->outcome == RC_OUT_CRASH_LOOP ? "crash_loop"
                                                    : "cap";
    if (v == RC_RETRY && d->non_retryable->n > 0 &&
        rc_nonretry_match(d->non_retryable, call->outcome, call->status,
                          call->outcome == RC_OUT_EXCEPTION ? call->exc_type : NULL, call->signo)) {
        v = RC_DIVERT;
        *because = "non_retryable";
    }
    return v;
}

/* A message that resolved (succeeded or left): its counters can go. */
static void resolved(const struct rc_delivery *d, const char *group, int attempts)
{
    if (d->id && rc_attempts_maybe(rc_rt.attempts, d->reg->owner, d->id))
        rc_attempts_forget(rc_rt.attempts, d->reg->owner, d->id);
    struct rc_journal *j = rc_rt.journal;
    if (j && d->id && rc_journal_known(j) > 0 && rc_journal_crashes(j, group, d->id) > 0)
        rc_journal_forget(j, group, d->id);
    if (rc_rt.cfg.stats_path[0] && attempts > 0)
        rc_stats_attempts(attempts);
}

int rc_settle(struct rc_delivery *d, struct rc_call *call)
{
    int saved_errno = errno;
    const struct rc_client *cl = rc_client();
    bool broadcast = !d->reg->orderly && rc_consumer_model(d->reg->owner) == RC_BROADCASTING;
    char gbuf[RC_GROUP_MAX];
    const char *group = rc_delivery_group(d, gbuf, sizeof gbuf);
    int answer;

    if (call->outcome == RC_OUT_CRASH_LOOP)
        rc_count(&rc_stats.crash_loops);
    else
        count_call(d, call, group);
    if (d->elapsed_ns >= 0 && rc_rt.cfg.timeout_ms > 0 && d->elapsed_ns / 1000000 > rc_rt.cfg.timeout_ms) {
        rc_count(&rc_stats.timeouts);
        rc_log(RC_LOG_WARN, "callback ran %lld ms on msgId=%s (RECONSUME_TIMEOUT_MS=%ld); observed only",
               d->elapsed_ns / 1000000, d->id ? d->id : "?", rc_rt.cfg.timeout_ms);
    }

    int reconsume = cl->GetMessageReconsumeTimes ? cl->GetMessageReconsumeTimes(d->m) : 0;
    if (call->outcome == RC_OUT_SUCCESS) {
        resolved(d, group, rc_rt.cfg.stats_path[0] ? reconsume + 1 : 0);
        answer = RC_CONSUME_SUCCESS;
        goto out;
    }

    /* Attempt number: the client's count where it keeps one, the shim's own
     * where it does not (orderly before 1.2.5, broadcasting), the larger. */
    int attempts = reconsume + 1;
    if (d->id && !broadcast) {
        int own = rc_attempts_bump(rc_rt.attempts, d->reg->owner, d->id);
        if (own > attempts)
            attempts = own;
    }

    for (;;) {
        const char *because;
        enum rc_verdict v = decide(d, call, attempts, &because);
        if (rc_rt.cfg.observe) {
            answer = observe(d, call, attempts, v, because);
            break;
        }
        if (rc_log_enabled(RC_LOG_DEBUG))
            rc_log(RC_LOG_DEBUG, "msgId=%s %s attempt %d of %d: %s%s -> %s", d->id ? d->id : "?",
                   rc_delivery_mode(d), attempts, d->max_retries + 1, rc_outcome_name(call->outcome),
                   d->injected ? " (injected)" : "", rc_verdict_name(v));
        if (v == RC_PASS) {
            answer = call->status;
            break;
        }
        if (v == RC_DIVERT) {
            int rc = broadcast ? divert_broadcast(d, call, attempts, because)
                               : rc_divert(d, call, attempts, "diverted", because);
            if (rc == 0) {
                rc_count(&rc_stats.diverted);
                resolved(d, group, attempts);
                answer = RC_CONSUME_SUCCESS;
            } else {
                rc_count(&rc_stats.divert_failures);
                answer = RC_RECONSUME_LATER;
            }
            break;
        }
        if (!broadcast) {
            answer = RC_RECONSUME_LATER;
            break;
        }
        /* Broadcasting: no one else will retry it; do it here. */
        sleep_ms(rc_rt.cfg.broadcast_backoff_ms);
        rc_count(&rc_stats.inprocess_retries);
        attempts++;
        d->elapsed_ns = -1;
        rc_delivery_call(d, rc_delivery_pick(d, group, attempts), call);
        count_call(d, call, group);
        if (call->outcome == RC_OUT_SUCCESS) {
            resolved(d, group, attempts);
            answer = RC_CONSUME_SUCCESS;
            break;
        }
    }
out:
    errno = saved_errno;
    return answer;
}
