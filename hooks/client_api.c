/*
 * client_api.c - lazy, once-only resolution of the client's functions.
 *
 * RTLD_NEXT finds the definition after the shim in the lookup order: the
 * client library the program linked, or one it dlopen'ed with RTLD_GLOBAL
 * before its first call into the client. Resolving lazily (not in the
 * constructor) is what makes the second case work.
 */
#include "hooks/client_api.h"

#include <dlfcn.h>
#include <pthread.h>

static struct rc_client client;
static pthread_once_t client_once = PTHREAD_ONCE_INIT;

static void resolve(void)
{
    /* dlsym returns an object pointer; POSIX guarantees it converts. */
#define R(name) *(void **)(&client.name) = dlsym(RTLD_NEXT, #name)
    R(CreatePushConsumer);
    R(DestroyPushConsumer);
    R(SetPushConsumerGroupID);
    R(SetPushConsumerMessageModel);
    R(SetPushConsumerNameServerAddress);
    R(RegisterMessageCallback);
    R(RegisterMessageCallbackOrderly);
    R(UnregisterMessageCallback);
    R(UnregisterMessageCallbackOrderly);
    R(GetPushConsumerGroupID);
    R(GetMessageTopic);
    R(GetMessageTags);
    R(GetMessageKeys);
    R(GetMessageBody);
    R(GetMessageBodyLength);
    R(GetMessageProperty);
    R(GetMessageId);
    R(GetMessageQueueId);
    R(GetMessageReconsumeTimes);
    R(GetMessageBornTimestamp);
    R(GetMessageStoreTimestamp);
    R(GetMessageQueueOffset);
    R(GetMessageCommitLogOffset);
#undef R
}

const struct rc_client *rc_client(void)
{
    pthread_once(&client_once, resolve);
    return &client;
}
