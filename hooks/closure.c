/*
 * closure.c - what the client calls instead of the application's callback:
 * the libffi closure handler, and the one call interface all closures share.
 *
 * The plain path is the hot one and is kept to: the guarded call, one test
 * of the status or'ed with the attempt table's entry count (lock-free), one
 * add to this thread's own success count (no lock prefix). No allocation,
 * no lock, no system call. A process that runs with rules, injection, a journal, a
 * timeout or detailed statistics takes the whole pipeline instead
 * (pipeline.c), and so does every failure.
 */
#include "hooks/closure.h"

#include <errno.h>
#include <ffi.h>
#include <pthread.h>
#include <stdint.h>
#include <time.h>

#include "hooks/call.h"
#include "hooks/closure_fast.h"
#include "hooks/pipeline.h"
#include "hooks/runtime.h"
#include "obs/log.h"
#include "obs/stats.h"

static ffi_cif cif;
static ffi_type *cif_args[2];
static ffi_status cif_status = FFI_BAD_TYPEDEF;
static pthread_once_t cif_once = PTHREAD_ONCE_INIT;

/* The callback's signature, int (*)(CPushConsumer *, CMessageExt *),
 * prepared once and shared by every closure for the life of the process. */
static void prep_cif(void)
{
    cif_args[0] = &ffi_type_pointer;
    cif_args[1] = &ffi_type_pointer;
    cif_status = ffi_prep_cif(&cif, FFI_DEFAULT_ABI, 2, &ffi_type_sint, cif_args);
}

static __attribute__((noinline)) int deliver_made(const struct rc_registration *reg, CPushConsumer *c,
                                                  CMessageExt *m, const struct rc_call *call,
                                                  long long elapsed_ns)
{
    return rc_deliver(reg, c, m, call, elapsed_ns);
}

static inline long long now_ns(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (long long)t.tv_sec * 1000000000LL + t.tv_nsec;
}

/* A success, counted in its registration's slot (RECONSUME_STATS). */
static __attribute__((noinline)) void count_detail(struct rc_registration *reg, CMessageExt *m,
                                                   long long elapsed_ns)
{
    const struct rc_client *cl = rc_client();
    rc_stats_detail_cached(&reg->detail, cl->GetMessageTopic ? cl->GetMessageTopic(m) : NULL,
                           RC_OUT_SUCCESS, false, elapsed_ns);
}

/*
 * The plain path, one handler per call kind, chosen at registration: the
 * kind is fixed at load, so the switch is paid once, not per delivery. The
 * TIMED ones serve RECONSUME_STATS: the call is timed and a success counted
 * in the registration's own slot, found at registration.
 *
 * The uncaught and catching kinds (the default) get the callback's status
 * back in a register (rc_call_guarded writes nothing unless something is
 * thrown), and one test covers "a success and nothing tracked": the status
 * or'ed with the table's entry count. Everything else goes to
 * rc_closure_rest, out of line, which finds the consumer and the message in
 * args again. The catching kind without statistics, the default, is
 * rc_closure_catching (closure_cxx.cc), the same in C++ with the try block
 * inline.
 */
ffi_sarg rc_closure_rest(void *reg_, void **args, int st, long long elapsed_ns)
{
    struct rc_registration *reg = reg_;
    /* A success while other messages are tracked (no statistics to feed):
     * when the table's filter says this one is certainly not among them,
     * it is only counted, as the pipeline would (rc_act_resolved forgets
     * nothing it does not hold). */
    if (st == RC_CONSUME_SUCCESS && elapsed_ns < 0) {
        int saved_errno = errno;
        const struct rc_client *cl = rc_client();
        const char *id = cl->GetMessageId ? cl->GetMessageId(*(CMessageExt **)args[1]) : NULL;
        errno = saved_errno;
        if (!id || !rc_attempts_maybe(rc_rt.attempts, reg->owner, id)) {
            rc_count_success();
            return RC_CONSUME_SUCCESS;
        }
    }
    struct rc_call call;
    if (st != RC_STATUS_CAUGHT || !rc_call_take_caught(&call)) {
        call.status = st;
        call.outcome = rc_outcome_of_status(st);
    }
    return rc_deliver(reg, *(CPushConsumer **)args[0], *(CMessageExt **)args[1], &call, elapsed_ns);
}

/* rc_rt.tracked, copied at each registration: one RIP-relative load. */
const size_t *rc_closure_tracked;

_Static_assert(sizeof(atomic_size_t) == sizeof(size_t), "the count word read as a size_t");
_Static_assert(offsetof(struct rc_stats, deliveries[RC_OUT_SUCCESS]) == 0,
               "closure_cxx.cc counts a success in the first word of this thread's counters");
_Static_assert(offsetof(struct rc_registration, cb) == 0, "closure_cxx.cc reads reg->cb as the first word");

void rc_closure_count_first(void) { rc_count_success(); }

/* The low 32 bits of the count are enough to tell 0 (it stays far below
 * 2^32: every entry is a heap allocation), and or'ed with the status they
 * make one test. */
static inline bool success_untracked(int st)
{
    return ((unsigned)st | (uint32_t)__atomic_load_n(rc_closure_tracked, __ATOMIC_RELAXED)) == 0;
}

#define STATUS_HANDLER(name, CALL, TIMED)                                                          \
    static void name(ffi_cif *cif_, void *ret, void **args, void *user)                            \
    {                                                                                              \
        (void)cif_;                                                                                \
        struct rc_registration *reg = user;                                                        \
        CPushConsumer *c = *(CPushConsumer **)args[0];                                             \
        CMessageExt *m = *(CMessageExt **)args[1];                                                 \
        long long t0 = TIMED ? now_ns() : 0;                                                       \
        int st = CALL;                                                                             \
        long long elapsed = TIMED ? now_ns() - t0 : -1;                                            \
        if (__builtin_expect(success_untracked(st), 1)) {                                          \
            rc_count_success();                                                                    \
            if (TIMED)                                                                             \
                count_detail(reg, m, elapsed);                                                     \
            *(ffi_sarg *)ret = RC_CONSUME_SUCCESS;                                                 \
            return;                                                                                \
        }                                                                                          \
        *(ffi_sarg *)ret = rc_closure_rest(reg, args, st, elapsed);                                \
    }
STATUS_HANDLER(plain_uncaught, reg->cb(c, m), 0)
STATUS_HANDLER(timed_uncaught, reg->cb(c, m), 1)
STATUS_HANDLER(timed_catching, rc_call_guarded(c, m, reg->cb), 1)
#undef STATUS_HANDLER

/* The signal-guarded and observing kinds: the call fills a struct rc_call. */
#define PLAIN_HANDLER(name, KIND, TIMED)                                                          \
    static void name(ffi_cif *cif_, void *ret, void **args, void *user)                            \
    {                                                                                              \
        (void)cif_;                                                                                \
        struct rc_registration *reg = user;                                                        \
        CPushConsumer *c = *(CPushConsumer **)args[0];                                             \
        CMessageExt *m = *(CMessageExt **)args[1];                                                 \
        struct rc_call call;                                                                       \
        long long t0 = TIMED ? now_ns() : 0;                                                       \
        rc_call_by_kind(KIND, rc_rt.cfg.catch_mask, reg->cb, c, m, &call);                         \
        long long elapsed = TIMED ? now_ns() - t0 : -1;                                            \
        if (__builtin_expect(call.outcome == RC_OUT_SUCCESS &&                                     \
                             atomic_load_explicit(rc_rt.tracked, memory_order_relaxed) == 0, 1)) { \
            rc_count_success();                                                                    \
            if (TIMED)                                                                             \
                count_detail(reg, m, elapsed);                                                     \
            *(ffi_sarg *)ret = RC_CONSUME_SUCCESS;                                                 \
            return;                                                                                \
        }                                                                                          \
        *(ffi_sarg *)ret = deliver_made(reg, c, m, &call, elapsed);                                \
    }
PLAIN_HANDLER(plain_sigguarded, RC_CALL_SIGGUARDED, 0)
PLAIN_HANDLER(plain_observing, RC_CALL_OBSERVING, 0)
PLAIN_HANDLER(timed_sigguarded, RC_CALL_SIGGUARDED, 1)
PLAIN_HANDLER(timed_observing, RC_CALL_OBSERVING, 1)
#undef PLAIN_HANDLER

/* The whole pipeline for every delivery: rules, injection, a journal or a
 * timeout are in force. */
static void full(ffi_cif *cif_, void *ret, void **args, void *user)
{
    (void)cif_;
    *(ffi_sarg *)ret =
        rc_deliver(user, *(CPushConsumer **)args[0], *(CMessageExt **)args[1], NULL, -1);
}

typedef void (*handler_fn)(ffi_cif *, void *, void **, void *);

static handler_fn handler_for(void)
{
    if (rc_rt.full_path)
        return full;
    bool timed = rc_rt.cfg.stats_path[0] != '\0';
    switch (rc_rt.call_kind) {
    case RC_CALL_CATCHING: return timed ? timed_catching : rc_closure_catching;
    case RC_CALL_SIGGUARDED: return timed ? timed_sigguarded : plain_sigguarded;
    case RC_CALL_OBSERVING: return timed ? timed_observing : plain_observing;
    case RC_CALL_PLAIN:
    default: return timed ? timed_uncaught : plain_uncaught;
    }
}

void rc_closure_call(struct rc_registration *reg, void *ret, void **args)
{
    handler_for()(&cif, ret, args, reg);
}

struct rc_registration *rc_closure_wrap(CPushConsumer *c, rc_callback_fn cb, bool orderly)
{
    pthread_once(&cif_once, prep_cif);
    if (cif_status != FFI_OK) {
        rc_log_once(cif_said, RC_LOG_ERROR, "cannot prepare the libffi call interface; callbacks pass through unwrapped");
        return NULL;
    }
    rc_closure_tracked = (const size_t *)(const void *)rc_rt.tracked;
    struct rc_registration *reg = rc_registry_wrap(c, cb, orderly, &cif, handler_for());
    if (reg && rc_rt.cfg.stats_path[0]) {
        char group[RC_GROUP_MAX];
        rc_consumer_group(reg->owner, group, sizeof group);
        rc_detail_cache_init(&reg->detail, group, NULL);
    }
    return reg;
}
