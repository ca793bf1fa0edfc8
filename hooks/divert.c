/*
 * divert.c - a poison message's record (the message as the client gives it,
 * and the reason), stored in the sink chain in force (sink/sink.h).
 */
#include "hooks/divert.h"

#include "policy/retry_delay.h"

#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "hooks/message.h"
#include "obs/log.h"
#include "sink/sink.h"
#include "util/signal_name.h"

int rc_divert(const struct rc_delivery *d, const struct rc_call *call, const char *action,
              const char *because)
{
    struct rc_record r;
    memset(&r, 0, sizeof r);
    rc_message_read(d->m, &r);
    if (d->id)
        r.msg_id = d->id; /* a retry copy's: the first delivery's id */

    char rule[512], injected[600];
    if (d->rule) {
        rc_rule_describe(d->rule, rule, sizeof rule);
        r.rule = rule;
    }
    if (d->injected) {
        snprintf(injected, sizeof injected, "rule %d: %s", d->injected->index, d->injected->spec);
        r.injected = injected;
    }
    char backoff[RC_BACKOFF_MAX_STEPS * 8 + 32];
    if (rc_backoff_set(d->backoff)) {
        rc_backoff_format(d->backoff, backoff, sizeof backoff);
        /* The shim's pause before this attempt, where it made one
         * (orderly: the client's own pause came after it), or the delay its
         * retry copy asked the broker for (clustering). */
        bool copy = d->mode == RC_MODE_CLUSTERING && d->carried > 0;
        if (d->attempt > 1 && (d->mode != RC_MODE_CLUSTERING || copy)) {
            uint32_t ms = rc_backoff_delay_ms(d->backoff, (unsigned)d->attempt - 1);
            if (copy) {
                struct rc_retry_delay rd;
                rc_retry_delay_for(d->backoff, rc_rt.cfg.backoff_timer, d->attempt - 1, &rd);
                ms = rd.ms;
            }
            char last[16];
            rc_backoff_format_ms(ms, last, sizeof last);
            size_t n = strlen(backoff);
            snprintf(backoff + n, sizeof backoff - n, "; last=%s", last);
        }
        r.backoff = backoff;
    }
    struct timespec now;
    clock_gettime(CLOCK_REALTIME, &now);

    r.outcome = rc_outcome_name(call->outcome);
    r.action = action;
    r.because = because;
    r.status = call->status;
    if (call->outcome == RC_OUT_EXCEPTION) {
        r.exc_type = call->exc_type;
        r.exc_what = call->has_what ? call->exc_what : NULL;
    }
    if (call->outcome == RC_OUT_SIGNAL) {
        r.signal_name = rc_signal_name(call->signo);
        if (!r.signal_name)
            r.signal_name = "signal";
    }
    r.attempts = d->attempt;
    r.max_retries = d->settings.max_retries;
    r.group = d->group;
    char delivered[RC_GROUP_MAX + 8];
    r.delivered_topic = rc_message_delivered_topic(&r, delivered, sizeof delivered);
    r.mode = rc_mode_name(d->mode);
    r.host = rc_rt.host;
    r.pid = (long)getpid();
    r.diverted_at_ms = (long long)now.tv_sec * 1000 + now.tv_nsec / 1000000;

    const struct rc_sink_ctx ctx = {.consumer = d->c, .spool_dir = rc_rt.cfg.spool_dir};
    char err[512], where[PATH_MAX + 600];
    int rc = rc_sink_store(d->sinks, &ctx, &r, where, sizeof where, err, sizeof err);

    const char *what = call->outcome == RC_OUT_EXCEPTION ? call->exc_type
                       : call->outcome == RC_OUT_SIGNAL  ? r.signal_name
                                                         : "";
    if (rc == 0)
        rc_log(RC_LOG_INFO, "%s msgId=%s topic=%s group=%s after %d attempt%s (%s%s%s) -> %s",
               action, r.msg_id ? r.msg_id : "?", r.topic ? r.topic : "?", d->group, d->attempt,
               d->attempt == 1 ? "" : "s", r.outcome, what[0] ? " " : "", what, where);
    else
        rc_log(RC_LOG_ERROR, "could not store msgId=%s topic=%s (%s)%s", r.msg_id ? r.msg_id : "?",
               r.topic ? r.topic : "?", err,
               strcmp(action, "diverted") == 0 ? ": not acknowledged, it will be retried" : "");
    return rc;
}
