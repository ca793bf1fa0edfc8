/*
 * batch.c - a listener's batch through the one delivery pipeline (issue 12,
 * first part: C++ API consumers).
 *
 * Registration (rc_listener_register) decides which listeners are wrapped:
 * - a wrapper already (never wrap twice): as it is;
 * - the C API's MessageListenerInner / MessageListenerOrderlyInner: as it
 *   is, for now. Its C callback is the shim's closure (hooks/closure.c),
 *   which decides per message already; wrapping the listener as well would
 *   put two layers on one delivery (two attempts counted, two verdicts).
 *   One layer decides, and for a C API consumer that is still the closure.
 *   (Per-message outcomes for C API batches are the next step: they need
 *   the closure told it is inside a wrapped batch.) Recognised by its vtable
 *   pointer, _ZTV20MessageListenerInner + 16 (the orderly twin likewise),
 *   found on the client's own handle (LISTENER_NOTES.md, both builds);
 * - any other (a C++ API listener): wrapped, when sizeof(MQMessageExt) could
 *   be found at run time (client/msgext.c). When it could not, or the C API
 *   listeners cannot be told apart, the listener is registered unwrapped and
 *   the shim says so once: nothing may break the host.
 *
 * A wrapped listener's registration has no closure: its call target is
 * rc_listener_call_cb, which has a C callback's shape, so the pipeline's
 * call stage (guards, injection, the journal, timing) calls "listener,
 * message i" exactly as it calls a C callback, and the C callback's own path
 * is not touched by any of this.
 *
 * The message model: a C++ API consumer sets it without the C API, so each
 * batch asks the client (client/consumer_model.c) and the registry's record
 * follows; a broadcasting consumer then gets broadcasting's in-process
 * retries, never a retry copy to a %RETRY% topic it does not consume.
 */
#include "hooks/listener.h"

#include <pthread.h>
#include <stdint.h>

#include "client/consumer_model.h"
#include "client/msgext.h"
#include "client/real_dlsym.h"
#include "hooks/call.h"
#include "hooks/pipeline.h"
#include "hooks/registry.h"
#include "hooks/runtime.h"
#include "obs/log.h"
#include "obs/stats.h"

static struct rc_msgext_layout layout;
static const void *inner_vptr, *inner_orderly_vptr;
static const char *probe_error;
static const void *probe_fn;
static pthread_once_t probe_once = PTHREAD_ONCE_INIT;

static void *sym(void *handle, const char *name)
{
    return rc_real_dlsym(handle, name);
}

/* The vtable pointer objects of the named class start with (address point:
 * the vtable + 16, after offset-to-top and typeinfo), or NULL. */
static const void *vptr_of(void *h, const char *vtable)
{
    const char *v = rc_real_dlsym(h, vtable);
    return v ? v + 2 * sizeof(void *) : NULL;
}

static void probe(void)
{
    /* The client's own handle: an application instantiating the same
     * templates cannot substitute its copies. */
    void *h = rc_msgext_handle_of(probe_fn);
    const char *why = NULL;
    if (!h) {
        probe_error = "the client library's handle was not found";
        return;
    }
    inner_vptr = vptr_of(h, "_ZTV20MessageListenerInner");
    inner_orderly_vptr = vptr_of(h, "_ZTV27MessageListenerOrderlyInner");
    if (!inner_vptr || !inner_orderly_vptr)
        probe_error = "the C API's listener classes were not found (it could not be told apart)";
    else if (rc_msgext_probe(sym, h, &layout, &why) != 0)
        probe_error = why ? why : "sizeof(MQMessageExt) could not be found";
    else
        rc_consumer_model_probe(sym, h);
}

static bool is_c_api_listener(const void *listener)
{
    const void *v;
    __builtin_memcpy(&v, listener, sizeof v);
    return v == inner_vptr || v == inner_orderly_vptr;
}

void *rc_listener_register(CPushConsumer *consumer, void *listener, const void *real_fn)
{
    if (!listener || !consumer || rc_listener_is_wrapper(listener))
        return listener;
    if (!probe_fn)
        probe_fn = real_fn; /* the first registration's: there is one client */
    pthread_once(&probe_once, probe);
    if (probe_error) {
        rc_log_once(probe_said, RC_LOG_WARN, "C++ API listeners pass through unwrapped: %s",
                    probe_error);
        rc_count(&rc_stats.passthrough_registrations);
        return listener;
    }
    if (is_c_api_listener(listener))
        return listener; /* the closure decides (see the top) */
    /* The C++ consumer's group, for the records of those that read it from
     * the registry (the delivery itself asks the client each time). */
    const struct rc_client *cl = rc_client();
    const char *g = cl->GetPushConsumerGroupID ? cl->GetPushConsumerGroupID(consumer) : NULL;
    if (g)
        rc_registry_set_group(consumer, g);
    bool orderly = rc_listener_type(listener) == RC_LST_TYPE_ORDERLY;
    struct rc_registration *reg = rc_registry_add(consumer, rc_listener_call_cb, orderly);
    void *w = reg ? rc_listener_new(consumer, listener, reg, layout.size, layout.vptr) : NULL;
    if (!w) {
        if (reg)
            rc_log_once(new_said, RC_LOG_WARN, "out of memory; this listener passes through unwrapped");
        rc_count(&rc_stats.passthrough_registrations);
        return listener;
    }
    rc_count(&rc_stats.registrations);
    if (rc_log_enabled(RC_LOG_DEBUG)) {
        char group[RC_GROUP_MAX];
        rc_consumer_group(reg->owner, group, sizeof group);
        rc_log(RC_LOG_DEBUG, "wrapped the %s C++ API listener of group %s (sizeof(MQMessageExt) %zu)",
               orderly ? "orderly" : "concurrent", group[0] ? group : "?", layout.size);
    }
    return w;
}

/* One message: the plain path where the C callback's would take it, else the
 * whole pipeline (as hooks/closure.c decides for a C callback). */
static int deliver_one(const struct rc_registration *reg, CPushConsumer *c, CMessageExt *m)
{
    if (rc_rt.full_path || rc_rt.cfg.stats_path[0])
        return rc_deliver(reg, c, m, NULL, -1);
    struct rc_call call;
    rc_call_by_kind(rc_rt.call_kind, rc_rt.cfg.catch_mask, reg->cb, c, m, &call);
    if (call.outcome == RC_OUT_SUCCESS && rc_attempts_size(rc_rt.attempts) == 0) {
        rc_count_success();
        return RC_CONSUME_SUCCESS;
    }
    return rc_deliver(reg, c, m, &call, -1);
}

/*
 * The batch's status. Every message gets the pipeline on its own: the cap,
 * diversion to every sink before its acknowledgement, observe mode, rules,
 * injection, the journal, stats.
 *
 * Concurrent: every message is called, and the batch is CONSUME_SUCCESS when
 * every one's answer is (succeeded, durably diverted, or retried by its own
 * confirmed retry copy: hooks/retry.c); otherwise the first other answer,
 * RECONSUME_LATER for the whole batch (a copy that was not confirmed, or
 * RECONSUME_RETRY=batch): the client sends every message of the batch back.
 *
 * Orderly: the same per message (orderly batches are 1 message by default),
 * and a failure stops the batch: its answer (SUSPEND_CURRENT_QUEUE_A_MOMENT,
 * RECONSUME_LATER's value) suspends the queue, the rest waits behind it.
 */
int rc_deliver_batch(const struct rc_registration *reg, CPushConsumer *c, char *begin, size_t stride,
                     size_t n)
{
    int model = rc_consumer_model_of(c);
    if (model >= 0 && model != rc_consumer_model(reg->owner))
        rc_registry_set_model(c, model);
    int batch = RC_CONSUME_SUCCESS;
    for (size_t i = 0; i < n; i++) {
        int answer = deliver_one(reg, c, (CMessageExt *)(void *)(begin + i * stride));
        if (answer != RC_CONSUME_SUCCESS) {
            if (batch == RC_CONSUME_SUCCESS)
                batch = answer;
            if (reg->orderly)
                break;
        }
    }
    return batch;
}
