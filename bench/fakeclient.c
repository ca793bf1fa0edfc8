/*
 * fakeclient.c - a bench-only stand-in for the RocketMQ client library.
 *
 * Built as build/bench/libfakeclient.so and linked into the bench driver
 * (bench/percall.c). It exports the consumer functions the shim interposes
 * and the message accessors it reads, with no threads and no broker: the
 * register functions only remember the function pointer they are given (the
 * application's callback, or the shim's libffi closure when the shim is
 * preloaded), and fake_registered() hands it back to the driver, which then
 * calls it in a tight loop with a fake message. That isolates the cost of a
 * delivery through the shim from everything a real client does around it.
 *
 * Every accessor call is counted, per thread (fake_accessor_calls()): the shim's success
 * path must not read the message at all, and the driver checks that it did not.
 */
#include <stddef.h>

#include "bench/fakeclient.h"

#define EXPORT __attribute__((visibility("default")))

static struct CPushConsumer consumers[FAKE_MAX_CONSUMERS];
static int n_consumers;
/* Per thread (initial-exec): the failure rows from N threads read the
 * message on every call, and one counter written by every thread would move
 * its line between the cores on each call -- a cost of this bench double,
 * not of the shim. The check reads the count of the thread that ran the probe. */
static __thread unsigned long accessor_calls __attribute__((tls_model("initial-exec")));

EXPORT CPushConsumer *CreatePushConsumer(const char *groupId)
{
    if (n_consumers >= FAKE_MAX_CONSUMERS)
        return NULL;
    CPushConsumer *c = &consumers[n_consumers++];
    c->group = groupId;
    c->model = CLUSTERING;
    return c;
}

EXPORT int DestroyPushConsumer(CPushConsumer *c) { return c ? 0 : 1; }
EXPORT int StartPushConsumer(CPushConsumer *c) { return c ? 0 : 1; }
EXPORT int ShutdownPushConsumer(CPushConsumer *c) { return c ? 0 : 1; }

EXPORT int SetPushConsumerGroupID(CPushConsumer *c, const char *groupId)
{
    if (!c)
        return 1;
    c->group = groupId;
    return 0;
}

EXPORT const char *GetPushConsumerGroupID(CPushConsumer *c) { return c ? c->group : NULL; }

EXPORT int SetPushConsumerMessageModel(CPushConsumer *c, CMessageModel model)
{
    if (!c)
        return 1;
    c->model = model;
    return 0;
}

static int do_register(CPushConsumer *c, MessageCallBack cb, int orderly)
{
    if (!c || !cb)
        return 1;
    c->registered = cb;
    c->orderly = orderly;
    return 0;
}

EXPORT int RegisterMessageCallback(CPushConsumer *c, MessageCallBack cb) { return do_register(c, cb, 0); }
EXPORT int RegisterMessageCallbackOrderly(CPushConsumer *c, MessageCallBack cb)
{
    return do_register(c, cb, 1);
}
EXPORT int UnregisterMessageCallback(CPushConsumer *c) { return c ? 0 : 1; }
EXPORT int UnregisterMessageCallbackOrderly(CPushConsumer *c) { return c ? 0 : 1; }

EXPORT MessageCallBack fake_registered(CPushConsumer *c) { return c ? c->registered : NULL; }
EXPORT unsigned long fake_accessor_calls(void) { return accessor_calls; }

#define ACCESS(m) (accessor_calls++, (m))

EXPORT const char *GetMessageTopic(CMessageExt *m) { return ACCESS(m)->topic; }
EXPORT const char *GetMessageTags(CMessageExt *m) { return ACCESS(m)->tags; }
EXPORT const char *GetMessageKeys(CMessageExt *m) { return ACCESS(m)->keys; }
EXPORT const char *GetMessageBody(CMessageExt *m) { return ACCESS(m)->body; }
EXPORT int GetMessageBodyLength(CMessageExt *m) { return ACCESS(m)->body_len; }
EXPORT const char *GetMessageProperty(CMessageExt *m, const char *key)
{
    (void)ACCESS(m);
    (void)key;
    return NULL;
}
EXPORT const char *GetMessageId(CMessageExt *m) { return ACCESS(m)->id; }
EXPORT int GetMessageQueueId(CMessageExt *m) { return ACCESS(m)->queue; }
EXPORT int GetMessageReconsumeTimes(CMessageExt *m) { return ACCESS(m)->reconsume; }
EXPORT long long GetMessageBornTimestamp(CMessageExt *m) { return ACCESS(m)->born; }
EXPORT long long GetMessageStoreTimestamp(CMessageExt *m) { return ACCESS(m)->store; }
EXPORT long long GetMessageQueueOffset(CMessageExt *m) { return ACCESS(m)->offset; }
EXPORT long long GetMessageCommitLogOffset(CMessageExt *m) { return ACCESS(m)->commitlog; }
