/*
 * act.c - carrying out a verdict (see act.h).
 */
#include "hooks/act.h"

#include <string.h>

#include "hooks/divert.h"
#include "hooks/retry.h"
#include "obs/log.h"
#include "obs/stats.h"
#include "state/journal.h"
#include "util/pause.h"

void rc_act_resolved(const struct rc_delivery *d)
{
    if (d->id && rc_attempts_maybe(rc_rt.attempts, d->reg->owner, d->id))
        rc_attempts_forget(rc_rt.attempts, d->reg->owner, d->id);
    struct rc_journal *j = rc_rt.journal;
    if (j && d->id && rc_journal_known(j) > 0 && rc_journal_crashes(j, d->group, d->id) > 0)
        rc_journal_forget(j, d->group, d->id);
    if (rc_rt.cfg.stats_path[0] && d->attempt > 0)
        rc_stats_attempts(d->attempt);
}

/*
 * Observe mode: say what enforcing would have done, optionally keep a record
 * of what it would have diverted, and change nothing: the client gets the
 * callback's own status, and broadcasting gets no in-process retries.
 */
static int observe(const struct rc_delivery *d, const struct rc_call *call, struct rc_decision dec)
{
    const char *id = d->id ? d->id : "?";
    if (dec.verdict == RC_DIVERT) {
        rc_count(&rc_stats.would_divert);
        rc_log(RC_LOG_INFO, "observe: msgId=%s %s attempt %d: %s; enforcing would divert it", id,
               rc_mode_name(d->mode), d->attempt, rc_outcome_name(call->outcome));
        /* Recorded once, when it first crosses the cap (later failures of the
         * same message would only repeat the record). */
        if (rc_rt.cfg.observe_record &&
            (d->attempt == d->settings.max_retries + 1 || strcmp(dec.because, "cap")))
            rc_divert(d, call, "observed", dec.because);
    } else if (dec.verdict == RC_RETRY) {
        rc_log(RC_LOG_INFO, "observe: msgId=%s %s attempt %d of %d: %s; enforcing would retry it", id,
               rc_mode_name(d->mode), d->attempt, d->settings.max_retries + 1,
               rc_outcome_name(call->outcome));
    }
    return call->status;
}

/*
 * Broadcasting: the client will never deliver this message again, so a
 * store that fails is retried here, with a growing pause, until it succeeds:
 * a consume thread held is better than a message lost.
 */
static int divert_broadcast(const struct rc_delivery *d, const struct rc_call *call, const char *because)
{
    long pause = 100;
    while (rc_divert(d, call, "diverted", because) != 0) {
        rc_count(&rc_stats.divert_failures);
        rc_pause_ms(pause);
        if (pause < 30000)
            pause *= 2;
    }
    return 0;
}

bool rc_act(struct rc_delivery *d, const struct rc_call *call, struct rc_decision dec, int *answer)
{
    bool broadcast = d->mode == RC_MODE_BROADCASTING;
    if (rc_rt.cfg.observe) {
        *answer = observe(d, call, dec);
        return true;
    }
    if (rc_log_enabled(RC_LOG_DEBUG))
        rc_log(RC_LOG_DEBUG, "msgId=%s %s attempt %d of %d: %s%s -> %s", d->id ? d->id : "?",
               rc_mode_name(d->mode), d->attempt, d->settings.max_retries + 1,
               rc_outcome_name(call->outcome), d->injected ? " (injected)" : "",
               rc_verdict_name(dec.verdict));
    switch (dec.verdict) {
    case RC_PASS:
        *answer = call->status;
        return true;
    case RC_DIVERT: {
        int rc = broadcast ? divert_broadcast(d, call, dec.because)
                           : rc_divert(d, call, "diverted", dec.because);
        if (rc == 0) {
            rc_count(&rc_stats.diverted);
            rc_act_resolved(d);
            *answer = RC_CONSUME_SUCCESS;
        } else {
            rc_count(&rc_stats.divert_failures);
            *answer = RC_RECONSUME_LATER;
        }
        return true;
    }
    case RC_RETRY:
    default:
        /* Its own retry copy, confirmed: this message alone is retried. */
        if (dec.verdict == RC_RETRY && rc_retry_by_copy(d) && rc_retry_copy(d) == 0) {
            *answer = RC_CONSUME_SUCCESS;
            return true;
        }
        *answer = RC_RECONSUME_LATER;
        return !broadcast;
    }
}
