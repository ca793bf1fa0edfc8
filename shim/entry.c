/*
 * entry.c - the only symbols the shim exports: the client functions it
 * interposes. Each resolves the real one (lazily, once), does its small part,
 * and calls through. When the shim is not active, each is a plain forwarder.
 */
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>

#include "client/api.h"
#include "hooks/divert.h"
#include "hooks/guard.h"
#include "hooks/registry.h"
#include "state/journal.h"
#include "obs/log.h"
#include "hooks/runtime.h"
#include "obs/stats.h"

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
        rc_divert_note_namesrv(consumer, namesrv);
    REAL(SetPushConsumerNameServerAddress, 1, consumer, namesrv);
}

/*
 * The parts of set-up with side effects (creating the spool, installing
 * signal handlers) wait for the first registration, so that a process that
 * never consumes is left exactly as it was.
 */
static pthread_once_t first_once = PTHREAD_ONCE_INIT;

static void first_registration(void)
{
    char err[PATH_MAX + 128], why[2 * PATH_MAX + 256];
    if (rc_divert_prepare(err, sizeof err) != 0) {
        snprintf(why, sizeof why, "RECONSUME_SPOOL_DIR='%s': %s; expected a directory the shim can create and write",
                 rc_rt.cfg.spool_dir, err);
        rc_runtime_disable(why);
        return;
    }
    /* Handlers for every signal any rule may catch (observe mode catches none). */
    unsigned sig = rc_rt.cfg.catch_mask;
    for (size_t i = 0; i < rc_rt.cfg.rules.n; i++)
        if (rc_rt.cfg.rules.v[i].has_catch)
            sig |= rc_rt.cfg.rules.v[i].catch_mask;
    sig &= RC_CATCH_SIGNAL | RC_CATCH_ABORT;
    if (sig && !rc_rt.cfg.observe && rc_sigguard_install(sig, rc_rt.cfg.signal_max) != 0) {
        rc_runtime_disable("cannot install the signal handlers for RECONSUME_CATCH");
        return;
    }
    if (rc_rt.cfg.journal_dir[0]) {
        struct rc_journal *j;
        if (rc_journal_open(rc_rt.cfg.journal_dir, &j, err, sizeof err) != 0) {
            snprintf(why, sizeof why, "RECONSUME_JOURNAL='%s': %s", rc_rt.cfg.journal_dir, err);
            rc_runtime_disable(why);
            return;
        }
        rc_rt.journal = j;
        if (rc_journal_recovered(j) > 0)
            rc_log(RC_LOG_WARN, "journal: %d message%s in flight when an earlier process died; "
                   "a message is diverted after RECONSUME_MAX_CRASHES=%d crashes",
                   rc_journal_recovered(j), rc_journal_recovered(j) == 1 ? " was" : "s were",
                   rc_rt.cfg.max_crashes);
    }
    if (rc_rt.cfg.stats_path[0])
        rc_stats_start_writer(rc_rt.cfg.stats_path, rc_rt.cfg.stats_interval_ms);
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
    if (!consumer || !cb || !rc_active())
        return real(consumer, cb);

    int e = errno;
    pthread_once(&first_once, first_registration);
    if (!rc_active()) {
        errno = e;
        return real(consumer, cb);
    }
    struct rc_registration *reg = rc_registry_wrap(consumer, cb, orderly);
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

RC_EXPORT int DestroyPushConsumer(CPushConsumer *consumer)
{
    const struct rc_client *cl = rc_client();
    if (!cl->DestroyPushConsumer)
        return 1;
    int rc = cl->DestroyPushConsumer(consumer);
    if (consumer && rc_active()) {
        int e = errno;
        rc_registry_forget(consumer); /* only now: the real destroy has returned */
        rc_divert_consumer_gone(consumer); /* its topic sink producer, if no one else's */
        if (rc_rt.cfg.stats_path[0])
            rc_stats_write(rc_rt.cfg.stats_path);
        errno = e;
    }
    return rc;
}
