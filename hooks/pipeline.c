/*
 * pipeline.c - one delivery, told top to bottom.
 *
 *   begin   the facts, each worked out once          hooks/begin.c
 *   call    injection, journal, guarded call, timing  hooks/call.c
 *   decide  the verdict, pure                         policy/decide.c
 *   act     pass, later, divert then ack, observe     hooks/act.c
 *
 * A success ends the story at once. Broadcasting's client never retries, so
 * its retries are the outer loop, here, in the consume thread.
 */
#include "hooks/pipeline.h"

#include <errno.h>
#include <stdint.h>

#include "hooks/act.h"
#include "hooks/begin.h"
#include "hooks/call.h"
#include "obs/log.h"
#include "obs/stats.h"
#include "util/pause.h"

/* The attempt number after a failure: the client's count where it keeps
 * one, the shim's own where it does not (orderly before client 1.2.5,
 * broadcasting's in-process retries), the larger. */
static void count_failure(struct rc_delivery *d)
{
    if (!d->id || d->mode == RC_MODE_BROADCASTING)
        return;
    /* An orderly consumer's count is the shim's alone (its client keeps
     * reconsume times at 0 before 1.2.5): pinned, never evicted by a flood
     * of other failing ids. Only a queue's head can be failing, so the
     * queues bound them. */
    bool pinned = d->mode == RC_MODE_ORDERLY;
    unsigned what = 0;
    int own = rc_attempts_bump_ex(rc_rt.attempts, d->reg->owner, d->id, pinned, &what);
    if (what & (RC_BUMP_EVICTED | RC_BUMP_EVICTED_PINNED))
        rc_count(&rc_stats.track_evictions);
    if (what & RC_BUMP_FIRST_EVICTION)
        rc_log(RC_LOG_WARN, "the attempt table is full (RECONSUME_TRACK_MAX=%ld): the counts of "
               "messages failing longest ago are evicted (the client's count still caps "
               "clustering consumers); counted in reconsume_track_evictions_total",
               rc_rt.cfg.track_max);
    if (what & RC_BUMP_EVICTED_PINNED)
        rc_log_once(pinned_evicted, RC_LOG_WARN, "more failing orderly messages than the attempt "
                    "table holds: one's count was evicted and starts again");
    if (what & RC_BUMP_REFUSED) {
        rc_count(&rc_stats.track_refused);
        /* An orderly message the shim cannot count has no cap at all, and
         * blocks its queue: divert it now rather than for ever. */
        if (pinned) {
            rc_log(RC_LOG_WARN, "msgId=%.64s...: its failures cannot be counted (an id over 4096 "
                   "bytes, or a full table); diverted now", d->id);
            d->attempt = d->settings.max_retries + 1;
        }
        return;
    }
    if (own > d->attempt)
        d->attempt = own;
}

/*
 * Orderly, a retry: the queue is blocked either way, so with a schedule in
 * force the consume thread waits the schedule's delay here, before it hands
 * the failure back; the client's own pause follows (about 100 ms with client
 * 1.2.3, 1000 ms with 2.1.0; policy/backoff.h). Without one, nothing changes.
 */
static void backoff_pause(uint32_t ms)
{
    if (ms == 0)
        return;
    rc_count(&rc_stats.backoff_pauses);
    atomic_fetch_add_explicit(&rc_stats.backoff_pause_ms, ms, memory_order_relaxed);
    rc_pause_ms((long)ms);
}

static void orderly_pause(const struct rc_delivery *d)
{
    if (rc_backoff_set(d->backoff) && d->attempt >= 1)
        backoff_pause(rc_backoff_delay_ms(d->backoff, (unsigned)d->attempt));
}

int rc_deliver(const struct rc_registration *reg, CPushConsumer *c, CMessageExt *m,
               const struct rc_call *made, long long made_elapsed_ns)
{
    int saved_errno = errno;
    struct rc_delivery d;
    struct rc_call own_call;
    const struct rc_call *call = made;
    int answer;

    rc_begin(&d, reg, c, m);
    d.elapsed_ns = made_elapsed_ns;
    if (!call) {
        errno = saved_errno;
        rc_call_app(&d, true, &own_call);
        saved_errno = errno;
        call = &own_call;
    }
    for (;;) {
        rc_call_tally(&d, call);
        if (call->outcome == RC_OUT_SUCCESS) {
            rc_act_resolved(&d);
            answer = RC_CONSUME_SUCCESS;
            break;
        }
        count_failure(&d);
        const struct rc_attempt a = {
            .outcome = call->outcome,
            .status = call->status,
            .exc_type = call->exc_type,
            .signo = call->signo,
            .number = d.attempt,
            .reconsume_times = d.reconsume_times,
        };
        const struct rc_decision dec = rc_decide(&a, &d.settings);
        if (rc_act(&d, call, dec, &answer)) {
            if (dec.verdict == RC_RETRY && d.mode == RC_MODE_ORDERLY && !rc_rt.cfg.observe)
                orderly_pause(&d);
            break;
        }
        /* Broadcasting: no one else will retry it; do it here, after the
         * schedule's pause where one is in force. */
        if (rc_backoff_set(d.backoff))
            backoff_pause(rc_backoff_delay_ms(d.backoff, (unsigned)d.attempt));
        else
            rc_pause_ms(rc_rt.cfg.broadcast_backoff_ms);
        rc_count(&rc_stats.inprocess_retries);
        d.attempt++;
        rc_call_app(&d, false, &own_call);
        call = &own_call;
    }
    errno = saved_errno;
    return answer;
}
