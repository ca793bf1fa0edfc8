/*
 * entry.c - the only symbols the shim exports: the client functions it
 * interposes. Each resolves the real one (lazily, once), tells the layers
 * below what they need to know (hooks/registry.c, hooks/closure.c, sink/),
 * and calls through. When the shim is not active, each is a plain forwarder.
 */
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "client/real_dlsym.h"

#include "client/api.h"
#include "client/msgext.h"
#include "hooks/closure.h"
#include "hooks/listener.h"
#include "hooks/registry.h"
#include "hooks/runtime.h"
#include "obs/log.h"
#include "obs/shim_state.h"
#include "obs/stats.h"
#include "shim/setup.h"
#include "sink/sink.h"
#include "sink/topic.h"

#define RC_EXPORT __attribute__((visibility("default")))

/* Call the real function, or fail like the client would on a bad handle when
 * the loaded client lacks it (it cannot: the program linked against it). */
#define REAL(name, fail, ...)                                                          \
    do {                                                                               \
        const struct rc_client *cl_ = rc_client();                                     \
        if (!cl_->name) {                                                              \
            rc_log_once(missing_##name, RC_LOG_ERROR, "the client's %s was not found", \
                        #name);                                                        \
            return fail;                                                               \
        }                                                                              \
        return cl_->name(__VA_ARGS__);                                                 \
    } while (0)

RC_EXPORT CPushConsumer *CreatePushConsumer(const char *groupId)
{
    const struct rc_client *cl = rc_client();
    if (!cl->CreatePushConsumer)
        return NULL;
    CPushConsumer *c = cl->CreatePushConsumer(groupId);
    if (c && rc_active()) {
        int e = errno;
        rc_registry_set_group(c, groupId);
        errno = e;
    }
    return c;
}

RC_EXPORT int SetPushConsumerGroupID(CPushConsumer *consumer, const char *groupId)
{
    if (consumer && rc_active())
        rc_registry_set_group(consumer, groupId);
    REAL(SetPushConsumerGroupID, 1, consumer, groupId);
}

RC_EXPORT int SetPushConsumerMessageModel(CPushConsumer *consumer, int messageModel)
{
    if (consumer && rc_active())
        rc_registry_set_model(consumer, messageModel);
    REAL(SetPushConsumerMessageModel, 1, consumer, messageModel);
}

/* The topic sink's producer uses the consumer's own name server. */
RC_EXPORT int SetPushConsumerNameServerAddress(CPushConsumer *consumer, const char *namesrv)
{
    if (consumer && namesrv && rc_active())
        rc_topic_note_namesrv(consumer, namesrv);
    REAL(SetPushConsumerNameServerAddress, 1, consumer, namesrv);
}

/* A registration, active or not: its group on the series, the state published. */
static void note_registration(const struct rc_client *cl, CPushConsumer *consumer)
{
    int e = errno;
    rc_stats_note_group(cl->GetPushConsumerGroupID ? cl->GetPushConsumerGroupID(consumer) : NULL);
    rc_state_arm();
    errno = e;
}

static int do_register(CPushConsumer *consumer, rc_callback_fn cb, bool orderly)
{
    const struct rc_client *cl = rc_client();
    int (*real)(CPushConsumer *, rc_callback_fn) =
        orderly ? cl->RegisterMessageCallbackOrderly : cl->RegisterMessageCallback;
    if (!real) {
        rc_log_once(missing_register, RC_LOG_ERROR, "the client's RegisterMessageCallback%s was not found",
                    orderly ? "Orderly" : "");
        return 1;
    }
    if (consumer && cb) /* what the shim is doing, published (obs/shim_state.h) */
        note_registration(cl, consumer);
    if (!consumer || !cb || !rc_active())
        return real(consumer, cb);

    int e = errno;
    rc_setup_first_registration();
    if (!rc_active()) {
        errno = e;
        return real(consumer, cb);
    }
    struct rc_registration *reg = rc_closure_wrap(consumer, cb, orderly);
    errno = e;
    if (!reg) {
        rc_count(&rc_stats.passthrough_registrations);
        return real(consumer, cb);
    }
    /* Whatever it returns, the client may hold the closure now (1.2.x's
     * RegisterMessageCallbackOrderly returns no value at all), so it stays
     * with the consumer until DestroyPushConsumer. */
    int rc = real(consumer, reg->entry);
    rc_count(&rc_stats.registrations);
    char group[RC_GROUP_MAX];
    if (rc_log_enabled(RC_LOG_DEBUG)) {
        rc_consumer_group(reg->owner, group, sizeof group);
        rc_log(RC_LOG_DEBUG, "wrapped the %s callback of group %s", orderly ? "orderly" : "concurrent",
               group);
    }
    errno = e;
    return rc;
}

RC_EXPORT int RegisterMessageCallback(CPushConsumer *consumer, rc_callback_fn pCallback)
{
    return do_register(consumer, pCallback, false);
}

RC_EXPORT int RegisterMessageCallbackOrderly(CPushConsumer *consumer, rc_callback_fn pCallback)
{
    return do_register(consumer, pCallback, true);
}

/* The client deletes its listener here while the consumer may still be
 * delivering on other threads, so the closure stays until destroy. */
RC_EXPORT int UnregisterMessageCallback(CPushConsumer *consumer)
{
    REAL(UnregisterMessageCallback, 1, consumer);
}

RC_EXPORT int UnregisterMessageCallbackOrderly(CPushConsumer *consumer)
{
    REAL(UnregisterMessageCallbackOrderly, 1, consumer);
}

/*
 * DefaultMQPushConsumer::registerMessageListener(MQMessageListener *), the
 * C++ API's registration (issue 12). Why this hook, and not
 * MessageListenerInner::consumeMessage (weak, in its vtable through an
 * R_X86_64_64 relocation, so interposable too):
 * - every listener passes here: a C++ API program calls it through its PLT,
 *   and the C API's RegisterMessageCallback[Orderly] builds its
 *   MessageListenerInner and calls it through the client's own PLT
 *   (R_X86_64_JUMP_SLOT against the exported symbol, both builds): a
 *   preloaded definition wins both;
 * - MessageListenerInner::consumeMessage sees only C API listeners, never a
 *   C++ application's own listener class;
 * - the wrapper is made once per registration, not per batch.
 * In 2.1.0 this is a facade that tail-calls
 * DefaultMQPushConsumerImpl::registerMessageListener through the PLT; only
 * the facade is interposed: one wrap per registration. `this` is the
 * pointer the C API knows as CPushConsumer* (both builds).
 * What is registered is decided in hooks/batch.c (rc_listener_register).
 */
typedef void (*register_listener_fn)(CPushConsumer *, void *);
RC_EXPORT void _ZN8rocketmq21DefaultMQPushConsumer23registerMessageListenerEPNS_17MQMessageListenerE(
    CPushConsumer *self, void *listener)
{
    register_listener_fn real =
        rc_client()->_ZN8rocketmq21DefaultMQPushConsumer23registerMessageListenerEPNS_17MQMessageListenerE;
    if (!real) {
        /* A client dlopen()ed RTLD_LOCAL is invisible to RTLD_NEXT, but its
         * own code called us (the C API's registration): find it from the
         * return address. */
        int e = errno;
        void *lib = rc_msgext_handle_of(__builtin_return_address(0));
        void *p = lib ? rc_real_dlsym(lib, "_ZN8rocketmq21DefaultMQPushConsumer23registerMessageListenerEPNS_17MQMessageListenerE")
                      : NULL;
        errno = e;
        if (!p) {
            rc_log_once(missing_register_listener, RC_LOG_ERROR,
                        "the client's DefaultMQPushConsumer::registerMessageListener was not found");
            return;
        }
        memcpy(&real, &p, sizeof p);
    }
    if (self && listener)
        note_registration(rc_client(), self);
    if (!self || !listener || !rc_active()) {
        real(self, listener);
        return;
    }
    int e = errno;
    rc_setup_first_registration();
    void *w = listener;
    if (rc_active()) {
        void *fn;
        memcpy(&fn, &real, sizeof fn);
        w = rc_listener_register(self, listener, fn);
    }
    errno = e;
    real(self, w);
    errno = e;
}

RC_EXPORT int DestroyPushConsumer(CPushConsumer *consumer)
{
    const struct rc_client *cl = rc_client();
    if (!cl->DestroyPushConsumer)
        return 1;
    int rc = cl->DestroyPushConsumer(consumer);
    if (consumer && rc_active()) {
        int e = errno;
        rc_registry_forget(consumer); /* only now: the real destroy has returned */
        /* Its topic sink producer, if no one else's (never in a forked
         * child: the client's threads are not there). */
        if (!atomic_load(&rc_rt.in_forked_child))
            rc_sink_close(consumer);
        if (rc_rt.cfg.stats_path[0])
            rc_stats_write(rc_rt.cfg.stats_path);
        errno = e;
    }
    return rc;
}
