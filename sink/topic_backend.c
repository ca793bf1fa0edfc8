/*
 * topic_backend.c - the topic sink (sink/topic.c) behind the sink interface.
 *
 * The client's producer functions are resolved once, from where the consumer
 * functions came (client/resolve.c): RTLD_NEXT, the client the host linked or
 * dlopen'ed RTLD_GLOBAL, or the handle of one it dlopen'ed privately
 * (Python's ctypes). A diversion comes after a registration, so the handle
 * is known by then.
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>

#include "client/api.h"
#include "sink/sink.h"
#include "sink/topic.h"

static struct rc_topic_api api;
static char api_err[256];
static int api_ok;
static pthread_once_t api_once = PTHREAD_ONCE_INIT;

static void api_resolve(void)
{
    api_ok = rc_topic_api_load(&api, rc_client_handle(), api_err, sizeof api_err) == 0;
}

static int topic_write(const struct rc_sink *k, const struct rc_sink_ctx *ctx,
                       const struct rc_record *r, char *where, size_t cap, char *err, size_t errlen)
{
    char topic[RC_TOPIC_NAME_MAX + 1], msg_id[256];
    if (rc_sink_topic_expand(k->topic, r->group, r->topic, topic, sizeof topic, err, errlen) != 0)
        return -EINVAL;
    pthread_once(&api_once, api_resolve);
    if (!api_ok) {
        snprintf(err, errlen, "%s", api_err);
        return -ENOSYS;
    }
    if (rc_topic_pool_send(&api, ctx->consumer, topic, r, msg_id, sizeof msg_id, err, errlen) != 0)
        return -EIO;
    snprintf(where, cap, "topic %s (msgId %s)", topic, msg_id);
    return 0;
}

int rc_topic_retry_send(const void *consumer, const char *topic, const struct rc_record *r,
                        const struct rc_topic_setprop *extra, size_t nextra, char *msg_id,
                        size_t cap, char *err, size_t errlen)
{
    pthread_once(&api_once, api_resolve);
    if (!api_ok) {
        snprintf(err, errlen, "%s", api_err);
        return -ENOSYS;
    }
    if (rc_topic_pool_send_copy(&api, consumer, topic, r, extra, nextra, msg_id, cap, err,
                                errlen) != 0)
        return -EIO;
    return 0;
}

/* Shut down a producer only this consumer used. */
static void topic_close(const void *consumer)
{
    pthread_once(&api_once, api_resolve);
    if (api_ok)
        rc_topic_consumer_gone(&api, consumer);
}

const struct rc_sink_backend rc_topic_backend = {
    .name = "topic",
    .open = NULL,
    .write = topic_write,
    .close = topic_close,
};
