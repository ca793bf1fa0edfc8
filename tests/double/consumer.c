/*
 * consumer.c - the push consumer's exported life cycle and settings
 * (CPushConsumer.h). StartPushConsumer plans the script and starts the
 * delivery threads (delivery.c); ShutdownPushConsumer waits until they have
 * delivered the whole plan, then joins them.
 */
#include "tests/double/double.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

MessageCallBack rmqd_consumer_callback(CPushConsumer *c)
{
    pthread_mutex_lock(&c->lock);
    MessageCallBack cb = c->callback;
    pthread_mutex_unlock(&c->lock);
    return cb;
}

EXPORT CPushConsumer *CreatePushConsumer(const char *groupId)
{
    if (!groupId)
        return NULL;
    CPushConsumer *c = calloc(1, sizeof *c);
    if (!c)
        return NULL;
    pthread_mutex_init(&c->lock, NULL);
    c->group = rmqd_xstrdup(groupId);
    c->model = CLUSTERING;
    c->threads = 1;
    return c;
}

EXPORT int ShutdownPushConsumer(CPushConsumer *c)
{
    if (!c)
        return NULL_POINTER;
    if (c->started) {
        rmqd_delivery_join(c);
        c->started = 0;
        rmqd_log("shutdown group=%s", c->group);
    }
    return OK;
}

EXPORT int DestroyPushConsumer(CPushConsumer *c)
{
    if (!c)
        return NULL_POINTER;
    ShutdownPushConsumer(c);
    rmqd_log("destroy group=%s", c->group);
    free(c->group);
    free(c->namesrv);
    free(c->instance);
    for (size_t i = 0; i < c->ntopics; i++) {
        free(c->topics[i]);
        free(c->exprs[i]);
    }
    free(c->topics);
    free(c->exprs);
    pthread_mutex_destroy(&c->lock);
    free(c);
    return OK;
}

EXPORT int StartPushConsumer(CPushConsumer *c)
{
    if (!c)
        return NULL_POINTER;
    if (c->started || !rmqd_consumer_callback(c)) {
        rmqd_log("start-failed group=%s reason=%s", c->group,
                 c->started ? "started" : "no-callback");
        return START_FAILED;
    }
    rmqd_delivery_plan(c);
    char topics[1024] = "";
    for (size_t i = 0; i < c->ntopics; i++) {
        size_t l = strlen(topics);
        snprintf(topics + l, sizeof topics - l, "%s%s", i ? "," : "", c->topics[i]);
    }
    rmqd_log("start group=%s model=%s orderly=%d threads=%d topics=%s messages=%zu", c->group,
             c->model == BROADCASTING ? "broadcasting" : "clustering", c->orderly, c->threads,
             topics, c->script.n);
    c->started = 1;
    rmqd_delivery_start(c);
    return OK;
}

EXPORT int SetPushConsumerGroupID(CPushConsumer *c, const char *groupId)
{
    return rmqd_set_string(c ? &c->group : NULL, groupId);
}

EXPORT const char *GetPushConsumerGroupID(CPushConsumer *c)
{
    return c ? c->group : NULL;
}

EXPORT int SetPushConsumerNameServerAddress(CPushConsumer *c, const char *namesrv)
{
    return rmqd_set_string(c ? &c->namesrv : NULL, namesrv);
}

EXPORT int SetPushConsumerInstanceName(CPushConsumer *c, const char *instanceName)
{
    return rmqd_set_string(c ? &c->instance : NULL, instanceName);
}

EXPORT int Subscribe(CPushConsumer *c, const char *topic, const char *expression)
{
    if (!c || !topic || !expression)
        return NULL_POINTER;
    c->topics = rmqd_xrealloc(c->topics, (c->ntopics + 1) * sizeof *c->topics);
    c->exprs = rmqd_xrealloc(c->exprs, (c->ntopics + 1) * sizeof *c->exprs);
    c->topics[c->ntopics] = rmqd_xstrdup(topic);
    c->exprs[c->ntopics] = rmqd_xstrdup(expression);
    c->ntopics++;
    return OK;
}

/* Registering sets the callback and its kind; unregistering (either kind) clears it. */
static int set_callback(CPushConsumer *c, MessageCallBack cb, int orderly)
{
    if (!c)
        return NULL_POINTER;
    pthread_mutex_lock(&c->lock);
    c->callback = cb;
    if (cb)
        c->orderly = orderly;
    pthread_mutex_unlock(&c->lock);
    return OK;
}

EXPORT int RegisterMessageCallbackOrderly(CPushConsumer *c, MessageCallBack cb)
{
    return cb ? set_callback(c, cb, 1) : NULL_POINTER;
}

EXPORT int RegisterMessageCallback(CPushConsumer *c, MessageCallBack cb)
{
    return cb ? set_callback(c, cb, 0) : NULL_POINTER;
}

EXPORT int UnregisterMessageCallbackOrderly(CPushConsumer *c)
{
    return set_callback(c, NULL, 0);
}

EXPORT int UnregisterMessageCallback(CPushConsumer *c)
{
    return set_callback(c, NULL, 0);
}

EXPORT int SetPushConsumerThreadCount(CPushConsumer *c, int threadCount)
{
    if (!c)
        return NULL_POINTER;
    if (threadCount < 1 || threadCount > 1024)
        return 2;
    c->threads = threadCount;
    return OK;
}

EXPORT int SetPushConsumerMessageBatchMaxSize(CPushConsumer *c, int batchSize)
{
    return c ? (batchSize < 1 ? 2 : OK) : NULL_POINTER;
}

EXPORT int SetPushConsumerLogPath(CPushConsumer *c, const char *logPath)
{
    return c && logPath ? OK : NULL_POINTER;
}

EXPORT int SetPushConsumerLogLevel(CPushConsumer *c, CLogLevel level)
{
    (void)level;
    return c ? OK : NULL_POINTER;
}

EXPORT int SetPushConsumerMessageModel(CPushConsumer *c, CMessageModel messageModel)
{
    if (!c)
        return NULL_POINTER;
    c->model = messageModel == BROADCASTING ? BROADCASTING : CLUSTERING;
    return OK;
}
