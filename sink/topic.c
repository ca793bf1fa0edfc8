/*
 * topic.c - sending a diverted record to a RocketMQ topic with the client's
 * own producer (see topic.h).
 *
 * The shim keeps one producer per name server address (in practice one per
 * process), created and started by the first diversion that needs it, so a
 * process that never diverts starts no producer. Sends hold a read lock on
 * the pool and run in parallel; creating and shutting down a producer take
 * the write lock, so a producer is never shut down under a send in flight.
 * A send is bounded by RC_TOPIC_SEND_TIMEOUT_MS (SetProducerSendMsgTimeout).
 *
 * A forked child must not touch producers whose threads stayed in the
 * parent: the child forgets them (leaks them, deliberately) and creates its
 * own when it needs one.
 */
#include "util/scan.h"
#include "sink/topic.h"

#include <dlfcn.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>


int rc_topic_api_load(struct rc_topic_api *api, void *handle, char *err, size_t errlen)
{
    memset(api, 0, sizeof *api);
    /* dlsym returns an object pointer; POSIX guarantees it converts. */
#define R(name) *(void **)(&api->name) = dlsym(handle, #name)
#define NEED(name)                                                          \
    do {                                                                    \
        R(name);                                                            \
        if (!api->name)                                                     \
            return rc_errf(err, errlen, "the client library has no %s", #name);              \
    } while (0)
#define RC_CLIENT_FN(name, ret, params, shim, topic, pull, route) \
    RC_IF_NEED_##topic(NEED(name);) RC_IF_OPT_##topic(R(name);)
#include "client/symbols.def"
#undef NEED
#undef R
    return 0;
}

/* ---- one producer -------------------------------------------------------- */

rc_cproducer *rc_topic_producer_start(const struct rc_topic_api *api, const char *group,
                                      const char *instance, const char *namesrv, int timeout_ms,
                                      char *err, size_t errlen)
{
    rc_cproducer *p = api->CreateProducer(group);
    if (!p) {
        (void)rc_errf(err, errlen, "CreateProducer(%s) failed", group);
        return NULL;
    }
    int rc = 0;
    if (namesrv && namesrv[0])
        rc = api->SetProducerNameServerAddress(p, namesrv);
    if (rc == 0)
        rc = api->SetProducerSendMsgTimeout(p, timeout_ms);
    if (rc == 0 && instance && api->SetProducerInstanceName)
        rc = api->SetProducerInstanceName(p, instance);
    if (rc != 0) {
        (void)rc_errf(err, errlen, "configuring the producer failed (client error %d)", rc);
        api->DestroyProducer(p);
        return NULL;
    }
    rc = api->StartProducer(p);
    if (rc != 0) {
        (void)rc_errf(err, errlen, "StartProducer failed (client error %d; name server '%s')", rc,
            namesrv && namesrv[0] ? namesrv : "client default");
        api->DestroyProducer(p);
        return NULL;
    }
    return p;
}

void rc_topic_producer_stop(const struct rc_topic_api *api, rc_cproducer *p)
{
    if (!p)
        return;
    api->ShutdownProducer(p);
    api->DestroyProducer(p);
}

/* Property values are kept NUL-terminated in one scratch buffer. */
static int set_props(const struct rc_topic_api *api, rc_cmessage *msg, const struct rc_record *r,
                     char *err, size_t errlen)
{
    size_t need = rc_record_encoded_size(r);
    if (need == (size_t)-1)
        return rc_errf(err, errlen, "record too large");
    char *enc = malloc(need + 1);
    if (!enc)
        return rc_errf(err, errlen, "out of memory");
    size_t len = rc_record_encode(r, enc, need + 1);
    struct rc_topic_prop props[64];
    size_t n = rc_topic_props_from_record(enc, len, props, sizeof props / sizeof *props);
    int rc = 0;
    for (size_t i = 0; i < n && rc == 0; i++) {
        char *v = (char *)props[i].value; /* inside enc, which we own */
        char saved = v[props[i].value_len];
        v[props[i].value_len] = '\0';
        rc = api->SetMessageProperty(msg, props[i].name, v);
        v[props[i].value_len] = saved;
    }
    free(enc);
    return rc == 0 ? 0 : rc_errf(err, errlen, "SetMessageProperty failed (client error %d)", rc);
}

/* A message to topic with r's tags, keys and body; NULL with err said. */
static rc_cmessage *new_message(const struct rc_topic_api *api, const char *topic,
                                const struct rc_record *r, char *err, size_t errlen)
{
    if (r->body_len > 0x7fffffff) {
        rc_errf(err, errlen, "body of %zu bytes is too large to send", r->body_len);
        return NULL;
    }
    rc_cmessage *msg = api->CreateMessage(topic);
    if (!msg) {
        rc_errf(err, errlen, "CreateMessage(%s) failed", topic);
        return NULL;
    }
    int rc = 0;
    if (r->tags && r->tags[0])
        rc = api->SetMessageTags(msg, r->tags);
    if (rc == 0 && r->keys && r->keys[0])
        rc = api->SetMessageKeys(msg, r->keys);
    if (rc == 0)
        rc = api->SetByteMessageBody(msg, r->body ? r->body : "", (int)r->body_len);
    if (rc != 0) {
        api->DestroyMessage(msg);
        rc_errf(err, errlen, "building the message failed (client error %d)", rc);
        return NULL;
    }
    return msg;
}

/* Send msg (then destroyed): 0 only on SEND_OK, with its id in msg_id. */
static int send_confirmed(const struct rc_topic_api *api, rc_cproducer *p, rc_cmessage *msg,
                          const char *topic, char *msg_id, size_t cap, char *err, size_t errlen)
{
    CSendResult res;
    memset(&res, 0, sizeof res);
    int rc = api->SendMessageSync(p, msg, &res);
    api->DestroyMessage(msg);
    if (rc != 0)
        return rc_errf(err, errlen, "SendMessageSync to %s failed (client error %d)", topic, rc);
    if (res.status != 0)
        return rc_errf(err, errlen, "SendMessageSync to %s: send status %d, not SEND_OK", topic, res.status);
    if (msg_id && cap)
        snprintf(msg_id, cap, "%.*s", (int)sizeof res.msg_id, res.msg_id);
    return 0;
}

int rc_topic_send(const struct rc_topic_api *api, rc_cproducer *p, const char *topic,
                  const struct rc_record *r, bool with_reason, const char *replay_of,
                  const char *retry_topic, char *msg_id, size_t cap, char *err, size_t errlen)
{
    rc_cmessage *msg = new_message(api, topic, r, err, errlen);
    if (!msg)
        return -1;
    int rc = 0;
    if (with_reason) {
        if (set_props(api, msg, r, err, errlen) != 0) {
            api->DestroyMessage(msg);
            return -1;
        }
    } else {
        /* A replay is the original message again; of its properties only the
         * sharding key is the application's (the others are the broker's). */
        for (size_t i = 0; i < r->nprops && rc == 0; i++)
            if (r->props[i].name && strcmp(r->props[i].name, "SHARDING_KEY") == 0)
                rc = api->SetMessageProperty(msg, "SHARDING_KEY", r->props[i].value);
        if (rc == 0 && replay_of)
            rc = api->SetMessageProperty(msg, "RECONSUME_REPLAY_OF", replay_of);
        if (rc == 0 && retry_topic)
            rc = api->SetMessageProperty(msg, "RETRY_TOPIC", retry_topic);
        if (rc != 0) {
            api->DestroyMessage(msg);
            return rc_errf(err, errlen, "SetMessageProperty failed (client error %d)", rc);
        }
    }
    return send_confirmed(api, p, msg, topic, msg_id, cap, err, errlen);
}

/* The original's properties a retry copy must not carry: the producer's
 * and the broker's own (a new id, the schedule's, a transaction's), and
 * those the copy sets itself. */
static bool copy_skips(const char *name)
{
    static const char *const skip[] = {
        "UNIQ_KEY", "ORIGIN_MESSAGE_ID", "RETRY_TOPIC", "REAL_TOPIC", "REAL_QID", "DELAY",
        "TRAN_MSG", "KEYS", "TAGS", "WAIT", "MSG_REGION", "TRACE_ON", "MIN_OFFSET", "MAX_OFFSET",
        "CONSUME_START_TIME", "RECONSUME_TIME", "MAX_RECONSUME_TIMES", "PGROUP",
        "TRANSACTION_CHECK_TIMES", "CHECK_IMMUNITY_TIME_IN_SECONDS", "TIMER_DELAY_MS",
        "TIMER_DELAY_SEC", "TIMER_DELIVER_MS", NULL,
    };
    for (size_t i = 0; skip[i]; i++)
        if (strcmp(name, skip[i]) == 0)
            return true;
    return false;
}

int rc_topic_send_copy(const struct rc_topic_api *api, rc_cproducer *p, const char *topic,
                       const struct rc_record *r, const struct rc_topic_setprop *extra,
                       size_t nextra, char *msg_id, size_t cap, char *err, size_t errlen)
{
    rc_cmessage *msg = new_message(api, topic, r, err, errlen);
    if (!msg)
        return -1;
    int rc = 0;
    for (size_t i = 0; i < r->nprops && rc == 0; i++)
        if (r->props[i].name && r->props[i].value && !copy_skips(r->props[i].name))
            rc = api->SetMessageProperty(msg, r->props[i].name, r->props[i].value);
    for (size_t i = 0; i < nextra && rc == 0; i++)
        rc = api->SetMessageProperty(msg, extra[i].name, extra[i].value);
    if (rc != 0) {
        api->DestroyMessage(msg);
        return rc_errf(err, errlen, "building the retry copy failed (client error %d)", rc);
    }
    return send_confirmed(api, p, msg, topic, msg_id, cap, err, errlen);
}

/* ---- the shim's pool ------------------------------------------------------- */

#define USERS_MAX 64

struct slot {
    char namesrv[256];
    rc_cproducer *p;
};

static struct slot slots[RC_TOPIC_PRODUCERS_MAX];
static pthread_rwlock_t pool_lock = PTHREAD_RWLOCK_INITIALIZER;

/* Consumers: their name server, and whether they sent (use a producer). */
static struct user {
    const void *consumer;
    char namesrv[256];
    int sent;
} users[USERS_MAX];
static pthread_mutex_t users_lock = PTHREAD_MUTEX_INITIALIZER;
static atomic_uint producer_seq;
static pthread_once_t atfork_once = PTHREAD_ONCE_INIT;

static void forget_in_child(void)
{
    memset(slots, 0, sizeof slots);
    pthread_rwlock_t fresh = PTHREAD_RWLOCK_INITIALIZER;
    pool_lock = fresh;
    pthread_mutex_t m = PTHREAD_MUTEX_INITIALIZER;
    users_lock = m;
}
static void register_atfork(void)
{
    pthread_atfork(NULL, NULL, forget_in_child);
}

static struct user *user_find(const void *consumer)
{
    for (int i = 0; i < USERS_MAX; i++)
        if (users[i].consumer == consumer)
            return &users[i];
    return NULL;
}

void rc_topic_note_namesrv(const void *consumer, const char *namesrv)
{
    if (!consumer || !namesrv)
        return;
    pthread_mutex_lock(&users_lock);
    struct user *u = user_find(consumer);
    if (!u)
        u = user_find(NULL);
    if (u) { /* beyond USERS_MAX consumers, the client's default address */
        u->consumer = consumer;
        snprintf(u->namesrv, sizeof u->namesrv, "%s", namesrv);
    }
    pthread_mutex_unlock(&users_lock);
}

bool rc_topic_namesrv_known(const void *consumer)
{
    pthread_mutex_lock(&users_lock);
    struct user *u = consumer ? user_find(consumer) : NULL;
    bool known = u && u->namesrv[0];
    pthread_mutex_unlock(&users_lock);
    return known;
}

/* The consumer's address ("" when unknown), and mark it a producer user. */
static void user_namesrv(const void *consumer, char *out, size_t cap)
{
    pthread_mutex_lock(&users_lock);
    struct user *u = user_find(consumer);
    if (!u && (u = user_find(NULL)) != NULL) {
        u->consumer = consumer;
        u->namesrv[0] = '\0';
    }
    if (u)
        u->sent = 1;
    snprintf(out, cap, "%s", u ? u->namesrv : "");
    pthread_mutex_unlock(&users_lock);
}

static struct slot *slot_find(const char *namesrv)
{
    for (int i = 0; i < RC_TOPIC_PRODUCERS_MAX; i++)
        if (slots[i].p && strcmp(slots[i].namesrv, namesrv) == 0)
            return &slots[i];
    return NULL;
}

static void shutdown_at_exit(void);
static const struct rc_topic_api *exit_api;

/* With the write lock held: the started producer for namesrv, or NULL. */
static struct slot *slot_create(const struct rc_topic_api *api, const char *namesrv, char *err,
                                size_t errlen)
{
    struct slot *s = slot_find(namesrv);
    if (s)
        return s;
    for (int i = 0; i < RC_TOPIC_PRODUCERS_MAX && !s; i++)
        if (!slots[i].p)
            s = &slots[i];
    if (!s) {
        (void)rc_errf(err, errlen, "more than %d name servers; no producer for '%s'", RC_TOPIC_PRODUCERS_MAX, namesrv);
        return NULL;
    }
    /* Its own group and client instance: apart from the host's producers
     * (1.2.x refuses a second producer of one group in one instance) and
     * its consumer (shutting our producer down must not touch it). */
    char group[64], instance[64];
    unsigned n = atomic_fetch_add(&producer_seq, 1);
    snprintf(group, sizeof group, "reconsume_%ld_%u", (long)getpid(), n);
    snprintf(instance, sizeof instance, "reconsume_%ld_%u", (long)getpid(), n);
    s->p = rc_topic_producer_start(api, group, instance, namesrv, RC_TOPIC_SEND_TIMEOUT_MS, err,
                                   errlen);
    if (!s->p)
        return NULL;
    snprintf(s->namesrv, sizeof s->namesrv, "%s", namesrv);
    /* Registered after the client started: atexit handlers run in reverse,
     * so this one runs before any the client registered while starting. */
    if (!exit_api) {
        exit_api = api;
        atexit(shutdown_at_exit);
    }
    return s;
}

/* The consumer's producer, created at the first call, with the pool's read
 * lock held (the caller unlocks); NULL with err (no lock held). */
static struct slot *pool_acquire(const struct rc_topic_api *api, const void *consumer, char *err,
                                 size_t errlen)
{
    pthread_once(&atfork_once, register_atfork);
    char namesrv[256];
    user_namesrv(consumer, namesrv, sizeof namesrv);
    pthread_rwlock_rdlock(&pool_lock);
    struct slot *s = slot_find(namesrv);
    while (!s) {
        pthread_rwlock_unlock(&pool_lock);
        pthread_rwlock_wrlock(&pool_lock);
        s = slot_create(api, namesrv, err, errlen);
        pthread_rwlock_unlock(&pool_lock);
        if (!s)
            return NULL;
        /* Shut down again in the gap (its consumer went)? Then go round. */
        pthread_rwlock_rdlock(&pool_lock);
        s = slot_find(namesrv);
    }
    return s;
}

int rc_topic_pool_send(const struct rc_topic_api *api, const void *consumer, const char *topic,
                       const struct rc_record *r, char *msg_id, size_t cap, char *err,
                       size_t errlen)
{
    struct slot *s = pool_acquire(api, consumer, err, errlen);
    if (!s)
        return -1;
    int rc = rc_topic_send(api, s->p, topic, r, true, NULL, NULL, msg_id, cap, err, errlen);
    pthread_rwlock_unlock(&pool_lock);
    return rc;
}

int rc_topic_pool_send_copy(const struct rc_topic_api *api, const void *consumer,
                            const char *topic, const struct rc_record *r,
                            const struct rc_topic_setprop *extra, size_t nextra, char *msg_id,
                            size_t cap, char *err, size_t errlen)
{
    struct slot *s = pool_acquire(api, consumer, err, errlen);
    if (!s)
        return -1;
    int rc = rc_topic_send_copy(api, s->p, topic, r, extra, nextra, msg_id, cap, err, errlen);
    pthread_rwlock_unlock(&pool_lock);
    return rc;
}

void rc_topic_consumer_gone(const struct rc_topic_api *api, const void *consumer)
{
    char namesrv[256];
    int still_used = 0, sent;
    pthread_mutex_lock(&users_lock);
    struct user *u = user_find(consumer);
    if (!u) {
        pthread_mutex_unlock(&users_lock);
        return;
    }
    snprintf(namesrv, sizeof namesrv, "%s", u->namesrv);
    sent = u->sent;
    memset(u, 0, sizeof *u);
    for (int i = 0; i < USERS_MAX; i++)
        if (users[i].consumer && users[i].sent && strcmp(users[i].namesrv, namesrv) == 0)
            still_used = 1;
    pthread_mutex_unlock(&users_lock);
    if (!sent || still_used)
        return;
    pthread_rwlock_wrlock(&pool_lock);
    struct slot *s = slot_find(namesrv);
    if (s) {
        rc_topic_producer_stop(api, s->p);
        memset(s, 0, sizeof *s);
    }
    pthread_rwlock_unlock(&pool_lock);
}

void rc_topic_pool_shutdown(const struct rc_topic_api *api)
{
    pthread_rwlock_wrlock(&pool_lock);
    for (int i = 0; i < RC_TOPIC_PRODUCERS_MAX; i++) {
        if (slots[i].p)
            rc_topic_producer_stop(api, slots[i].p);
        memset(&slots[i], 0, sizeof slots[i]);
    }
    pthread_rwlock_unlock(&pool_lock);
}

static void shutdown_at_exit(void)
{
    if (exit_api)
        rc_topic_pool_shutdown(exit_api);
}
