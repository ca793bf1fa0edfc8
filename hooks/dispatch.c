/*
 * dispatch.c - one delivery: call the application, decide, answer the client.
 *
 * The success path is the hot one and is kept to: the guarded call, one
 * relaxed atomic add, one lock-free read of the attempt table's size. No
 * allocation, no lock, no system call (the timeout clock, when switched on,
 * reads the vDSO). Everything else lives in settle(), out of line.
 */
#include "hooks/dispatch.h"

#include <errno.h>
#include <pthread.h>
#include <string.h>
#include <time.h>

#include "hooks/divert.h"
#include "hooks/guard.h"
#include "hooks/registry.h"
#include "policy/retry.h"
#include "shim/log.h"
#include "shim/runtime.h"
#include "shim/stats.h"

static ffi_cif cif;
static ffi_type *cif_args[2];
static ffi_status cif_status = FFI_BAD_TYPEDEF;
static pthread_once_t cif_once = PTHREAD_ONCE_INIT;

static void prep_cif(void)
{
    cif_args[0] = &ffi_type_pointer;
    cif_args[1] = &ffi_type_pointer;
    cif_status = ffi_prep_cif(&cif, FFI_DEFAULT_ABI, 2, &ffi_type_sint, cif_args);
}

ffi_cif *rc_dispatch_cif(void)
{
    pthread_once(&cif_once, prep_cif);
    return cif_status == FFI_OK ? &cif : NULL;
}

/* One call of the application's callback, with what is caught caught. */
static inline void call_app(const struct rc_registration *reg, CPushConsumer *c, CMessageExt *m,
                            struct rc_call *out)
{
    unsigned mask = rc_rt.cfg.catch_mask;
    if (mask & (RC_CATCH_SIGNAL | RC_CATCH_ABORT)) {
        rc_call_sigguarded(reg->cb, c, m, mask & RC_CATCH_EXCEPTION, out);
    } else if (mask & RC_CATCH_EXCEPTION) {
        rc_call_catching(reg->cb, c, m, out);
    } else {
        out->status = reg->cb(c, m);
        out->outcome = rc_outcome_of_status(out->status);
    }
}

static long long now_ms(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (long long)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

static const char *mode_name(const struct rc_registration *reg)
{
    if (reg->orderly)
        return "orderly";
    return rc_consumer_model(reg->owner) == RC_BROADCASTING ? "broadcasting" : "clustering";
}

static void note_timeout(long long elapsed, const char *id)
{
    rc_count(&rc_stats.timeouts);
    rc_log(RC_LOG_WARN, "callback ran %lld ms on msgId=%s (RECONSUME_TIMEOUT_MS=%ld); observed only",
           elapsed, id ? id : "?", rc_rt.cfg.timeout_ms);
}

static void sleep_ms(long ms)
{
    struct timespec t = {ms / 1000, (ms % 1000) * 1000000L};
    while (nanosleep(&t, &t) != 0 && errno == EINTR)
        ;
}

/*
 * Broadcasting: the client will never deliver this message again, so a
 * diversion that fails is retried here, with a growing pause, until it
 * succeeds: a consume thread held is better than a message lost.
 */
static int divert_broadcast(const struct rc_registration *reg, CMessageExt *m,
                            const struct rc_call *call, int attempts, const char *mode)
{
    long pause = 100;
    while (rc_divert(reg, m, call, attempts, mode) != 0) {
        rc_count(&rc_stats.divert_failures);
        sleep_ms(pause);
        if (pause < 30000)
            pause *= 2;
    }
    return 0;
}

/* Everything but the plain success: count, decide, retry, divert. */
static __attribute__((noinline)) int settle(const struct rc_registration *reg, CPushConsumer *c,
                                            CMessageExt *m, struct rc_call *call, long long elapsed)
{
    int saved_errno = errno;
    const struct rc_client *cl = rc_client();
    const char *id = cl->GetMessageId ? cl->GetMessageId(m) : NULL;
    const char *mode = mode_name(reg);
    bool broadcast = !reg->orderly && rc_consumer_model(reg->owner) == RC_BROADCASTING;
    int answer;

    rc_count(&rc_stats.deliveries[call->outcome]);
    if (elapsed >= 0 && rc_rt.cfg.timeout_ms > 0 && elapsed > rc_rt.cfg.timeout_ms)
        note_timeout(elapsed, id);

    if (call->outcome == RC_OUT_SUCCESS) {
        if (id && rc_attempts_size(rc_rt.attempts) > 0)
            rc_attempts_forget(rc_rt.attempts, reg->owner, id);
        answer = RC_CONSUME_SUCCESS;
        goto out;
    }

    /* Attempt number: the client's count where it keeps one, the shim's own
     * where it does not (orderly before 1.2.5, broadcasting), the larger. */
    int reconsume = cl->GetMessageReconsumeTimes ? cl->GetMessageReconsumeTimes(m) : 0;
    int attempts = reconsume + 1;
    if (id && !broadcast) {
        int own = rc_attempts_bump(rc_rt.attempts, reg->owner, id);
        if (own > attempts)
            attempts = own;
    }

    for (;;) {
        enum rc_verdict v = rc_retry_decide(call->outcome, attempts, rc_rt.cfg.max_retries,
                                            rc_rt.cfg.catch_mask);
        if (rc_log_enabled(RC_LOG_DEBUG))
            rc_log(RC_LOG_DEBUG, "msgId=%s %s attempt %d of %d: %s -> %s", id ? id : "?", mode,
                   attempts, rc_rt.cfg.max_retries + 1, rc_outcome_name(call->outcome),
                   rc_verdict_name(v));
        if (v == RC_PASS) {
            answer = call->status;
            break;
        }
        if (v == RC_DIVERT) {
            int rc = broadcast ? divert_broadcast(reg, m, call, attempts, mode)
                               : rc_divert(reg, m, call, attempts, mode);
            if (rc == 0) {
                rc_count(&rc_stats.diverted);
                if (id && !broadcast)
                    rc_attempts_forget(rc_rt.attempts, reg->owner, id);
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
        call_app(reg, c, m, call);
        rc_count(&rc_stats.deliveries[call->outcome]);
        attempts++;
        if (call->outcome == RC_OUT_SUCCESS) {
            answer = RC_CONSUME_SUCCESS;
            break;
        }
    }
out:
    errno = saved_errno;
    return answer;
}

void rc_dispatch(ffi_cif *cif_, void *ret, void **args, void *user)
{
    (void)cif_;
    const struct rc_registration *reg = user;
    CPushConsumer *c = *(CPushConsumer **)args[0];
    CMessageExt *m = *(CMessageExt **)args[1];
    struct rc_call call;
    long long start = rc_rt.cfg.timeout_ms > 0 ? now_ms() : -1;

    call_app(reg, c, m, &call);

    long long elapsed = start >= 0 ? now_ms() - start : -1;
    if (__builtin_expect(call.outcome == RC_OUT_SUCCESS && rc_attempts_size(rc_rt.attempts) == 0 &&
                             (elapsed < 0 || elapsed <= rc_rt.cfg.timeout_ms),
                         1)) {
        rc_count(&rc_stats.deliveries[RC_OUT_SUCCESS]);
        *(ffi_sarg *)ret = RC_CONSUME_SUCCESS;
        return;
    }
    *(ffi_sarg *)ret = settle(reg, c, m, &call, elapsed);
}
