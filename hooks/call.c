/*
 * call.c - the call stage of a delivery (see call.h).
 *
 * Order of business: refuse a message that keeps crashing the process; pick
 * an injected fault; note the message in the journal; call; time it.
 */
#include "hooks/call.h"

#include <errno.h>
#include <string.h>
#include <time.h>

#include "hooks/inject_hook.h"
#include "obs/log.h"
#include "obs/stats.h"
#include "policy/msgview.h"
#include "state/journal.h"

enum rc_call_kind rc_call_kind_for(unsigned mask, bool observe)
{
    /* Observing changes nothing: statuses pass, exceptions are rethrown, and
     * no signal is caught. */
    if (observe)
        return (mask & RC_CATCH_EXCEPTION) ? RC_CALL_OBSERVING : RC_CALL_PLAIN;
    if (mask & (RC_CATCH_SIGNAL | RC_CATCH_ABORT))
        return RC_CALL_SIGGUARDED;
    return (mask & RC_CATCH_EXCEPTION) ? RC_CALL_CATCHING : RC_CALL_PLAIN;
}

void rc_observed_exception(const struct rc_call *call, CMessageExt *m)
{
    const struct rc_client *cl = rc_client();
    const char *id = cl->GetMessageId ? cl->GetMessageId(m) : NULL;
    rc_count(&rc_stats.deliveries[RC_OUT_EXCEPTION]);
    rc_log(RC_LOG_INFO, "observe: msgId=%s threw %s%s%s; passed through to the client",
           id ? id : "?", call->exc_type, call->has_what ? ": " : "",
           call->has_what ? call->exc_what : "");
}

/* The attempt this delivery is, before the call, as injection's first= and
 * attempt= count it: the client's count or the shim's own, the larger. */
static int attempt_before(const struct rc_delivery *d)
{
    int n = d->reconsume_times + 1;
    if (d->id) {
        int own = rc_attempts_peek(rc_rt.attempts, d->reg->owner, d->id) + 1;
        if (own > n)
            n = own;
    }
    return n;
}

/* The callback for this attempt: the application's, or an injected fault's
 * stand-in (d->injected says which). */
static rc_callback_fn pick(struct rc_delivery *d, int attempt)
{
    d->injected = NULL;
    if (rc_rt.cfg.inject.n == 0)
        return d->reg->cb;
    const struct rc_client *cl = rc_client();
    struct rc_msgview v = {
        .group = d->group,
        .topic = rc_delivery_topic(d),
        .tags = rc_delivery_tags(d),
        .keys = cl->GetMessageKeys ? cl->GetMessageKeys(d->m) : NULL,
        .msg_id = d->id,
        .body = cl->GetMessageBody ? cl->GetMessageBody(d->m) : NULL,
    };
    /* The released clients give the body only as a C string. */
    v.body_len = v.body ? strlen(v.body) : 0;
    d->injected = rc_inject_pick(&rc_rt.cfg.inject, &v, attempt);
    if (!d->injected)
        return d->reg->cb;
    rc_count(&rc_stats.injected_faults[d->injected->action]);
    /* Said before a delay starts: an experiment can tell the fault is in force. */
    if (rc_log_enabled(RC_LOG_DEBUG))
        rc_log(RC_LOG_DEBUG, "msgId=%s attempt %d: injecting %s", d->id ? d->id : "?", attempt,
               rc_inject_action_name(d->injected->action));
    return rc_inject_begin(d->injected, d->reg->cb);
}

static long long now_ns(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (long long)t.tv_sec * 1000000000LL + t.tv_nsec;
}

void rc_call_app(struct rc_delivery *d, bool first, struct rc_call *out)
{
    int saved_errno = errno;
    struct rc_journal *j = first ? rc_rt.journal : NULL;
    if (j && d->id && rc_journal_known(j) > 0 &&
        rc_journal_crashes(j, d->group, d->id) >= rc_rt.cfg.max_crashes) {
        out->outcome = RC_OUT_CRASH_LOOP;
        out->status = RC_RECONSUME_LATER;
        return;
    }
    /* Timed from before the pick: an injected delay stands for a slow callback. */
    bool timed = first && (rc_rt.cfg.timeout_ms > 0 || rc_rt.cfg.stats_path[0]);
    long long t0 = timed ? now_ns() : 0;
    rc_callback_fn cb = pick(d, rc_rt.cfg.inject.n ? (first ? attempt_before(d) : d->attempt) : 0);
    int slot = j && d->id ? rc_journal_enter(j, d->group, d->id) : -1;
    errno = saved_errno;
    rc_call_by_kind(d->kind, d->settings.catch_mask, cb, d->c, d->m, out);
    saved_errno = errno;
    if (slot >= 0)
        rc_journal_leave(j, slot);
    d->elapsed_ns = timed ? now_ns() - t0 : -1;
    errno = saved_errno;
}

void rc_call_tally(struct rc_delivery *d, const struct rc_call *call)
{
    if (call->outcome == RC_OUT_CRASH_LOOP) {
        rc_count(&rc_stats.crash_loops);
        return;
    }
    rc_count(d->injected ? &rc_stats.injected[call->outcome] : &rc_stats.deliveries[call->outcome]);
    if (rc_rt.cfg.stats_path[0]) {
        /* An injected failure stood in for the application: no callback time. */
        bool app_ran = !d->injected || d->injected->action == RC_INJ_DELAY;
        rc_stats_detail(d->group, rc_delivery_topic(d), call->outcome, d->injected != NULL,
                        app_ran ? d->elapsed_ns : -1);
    }
    if (d->elapsed_ns >= 0 && rc_rt.cfg.timeout_ms > 0 && d->elapsed_ns / 1000000 > rc_rt.cfg.timeout_ms) {
        rc_count(&rc_stats.timeouts);
        rc_log(RC_LOG_WARN, "callback ran %lld ms on msgId=%s (RECONSUME_TIMEOUT_MS=%ld); observed only",
               d->elapsed_ns / 1000000, d->id ? d->id : "?", rc_rt.cfg.timeout_ms);
    }
}
