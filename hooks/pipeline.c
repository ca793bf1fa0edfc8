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

#include "hooks/act.h"
#include "hooks/begin.h"
#include "hooks/call.h"
#include "obs/stats.h"
#include "util/pause.h"

/* The attempt number after a failure: the client's count where it keeps
 * one, the shim's own where it does not (orderly before client 1.2.5,
 * broadcasting's in-process retries), the larger. */
static void count_failure(struct rc_delivery *d)
{
    if (d->id && d->mode != RC_MODE_BROADCASTING) {
        int own = rc_attempts_bump(rc_rt.attempts, d->reg->owner, d->id);
        if (own > d->attempt)
            d->attempt = own;
    }
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
        };
        if (rc_act(&d, call, rc_decide(&a, &d.settings), &answer))
            break;
        /* Broadcasting: no one else will retry it; do it here. */
        rc_pause_ms(rc_rt.cfg.broadcast_backoff_ms);
        rc_count(&rc_stats.inprocess_retries);
        d.attempt++;
        rc_call_app(&d, false, &own_call);
        call = &own_call;
    }
    errno = saved_errno;
    return answer;
}
