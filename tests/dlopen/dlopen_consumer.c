/*
 * dlopen_consumer.c - a RocketMQ consumer that is not linked with the
 * client: it dlopen()s it (RTLD_LOCAL, as Python's ctypes does, unless
 * --global) and finds every function with dlsym on the handle. Knows
 * nothing of reconsume.
 *
 *   dlopen_consumer --lib PATH --group G --topic T [--orderly] [--broadcast]
 *                   [--global] [--dlvsym VERSION]
 *
 * Create, set group, Subscribe, set the model, register, Start, Shutdown
 * (the test double delivers its whole script before Shutdown returns),
 * Destroy. Each callback prints
 *   deliver id=<msgId> reconsume=<n> body=<body> ret=<ret>
 * and returns N for a body "status:N", else 0. With --dlvsym, the consumer
 * functions are looked up with dlvsym(handle, name, VERSION) instead.
 * Exit status 0, or 2 when the library or a function cannot be found.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct CPushConsumer CPushConsumer;
typedef struct CMessageExt CMessageExt;
typedef int (*MessageCallBack)(CPushConsumer *, CMessageExt *);

static struct {
    CPushConsumer *(*CreatePushConsumer)(const char *);
    int (*DestroyPushConsumer)(CPushConsumer *);
    int (*StartPushConsumer)(CPushConsumer *);
    int (*ShutdownPushConsumer)(CPushConsumer *);
    int (*SetPushConsumerGroupID)(CPushConsumer *, const char *);
    int (*SetPushConsumerMessageModel)(CPushConsumer *, int);
    int (*Subscribe)(CPushConsumer *, const char *, const char *);
    int (*RegisterMessageCallback)(CPushConsumer *, MessageCallBack);
    int (*RegisterMessageCallbackOrderly)(CPushConsumer *, MessageCallBack);
    const char *(*GetMessageId)(CMessageExt *);
    const char *(*GetMessageBody)(CMessageExt *);
    int (*GetMessageReconsumeTimes)(CMessageExt *);
} api;

static pthread_mutex_t out_lock = PTHREAD_MUTEX_INITIALIZER;

static int on_message(CPushConsumer *c, CMessageExt *m)
{
    (void)c;
    const char *id = api.GetMessageId(m), *body = api.GetMessageBody(m);
    int ret = 0;
    if (body && strncmp(body, "status:", 7) == 0)
        ret = atoi(body + 7);
    pthread_mutex_lock(&out_lock);
    printf("deliver id=%s reconsume=%d body=%s ret=%d\n", id ? id : "", api.GetMessageReconsumeTimes(m),
           body ? body : "", ret);
    fflush(stdout);
    pthread_mutex_unlock(&out_lock);
    return ret;
}

int main(int argc, char **argv)
{
    const char *lib = NULL, *group = "G1", *topic = "T", *version = NULL;
    int orderly = 0, broadcast = 0, global = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(a, "--orderly"))
            orderly = 1;
        else if (!strcmp(a, "--broadcast"))
            broadcast = 1;
        else if (!strcmp(a, "--global"))
            global = 1;
        else if (!strcmp(a, "--lib") && v)
            lib = argv[++i];
        else if (!strcmp(a, "--group") && v)
            group = argv[++i];
        else if (!strcmp(a, "--topic") && v)
            topic = argv[++i];
        else if (!strcmp(a, "--dlvsym") && v)
            version = argv[++i];
        else {
            fprintf(stderr, "usage: dlopen_consumer --lib PATH [--group G] [--topic T] [--orderly] "
                            "[--broadcast] [--global] [--dlvsym VERSION]\n");
            return 2;
        }
    }
    void *h = dlopen(lib ? lib : "librocketmq.so", RTLD_NOW | (global ? RTLD_GLOBAL : RTLD_LOCAL));
    if (!h) {
        fprintf(stderr, "dlopen: %s\n", dlerror());
        return 2;
    }
#define L(name)                                                                              \
    do {                                                                                     \
        void *p_ = version ? dlvsym(h, #name, version) : dlsym(h, #name);                    \
        if (!p_) {                                                                           \
            fprintf(stderr, "dlsym %s: %s\n", #name, dlerror());                             \
            return 2;                                                                        \
        }                                                                                    \
        memcpy(&api.name, &p_, sizeof p_);                                                   \
    } while (0)
    L(CreatePushConsumer);
    L(DestroyPushConsumer);
    L(StartPushConsumer);
    L(ShutdownPushConsumer);
    L(SetPushConsumerGroupID);
    L(SetPushConsumerMessageModel);
    L(Subscribe);
    L(RegisterMessageCallback);
    L(RegisterMessageCallbackOrderly);
    L(GetMessageId);
    L(GetMessageBody);
    L(GetMessageReconsumeTimes);
#undef L
    CPushConsumer *c = api.CreatePushConsumer(group);
    if (!c)
        return 2;
    api.SetPushConsumerGroupID(c, group);
    api.Subscribe(c, topic, "*");
    if (broadcast)
        api.SetPushConsumerMessageModel(c, 0);
    if ((orderly ? api.RegisterMessageCallbackOrderly : api.RegisterMessageCallback)(c, on_message) != 0)
        return 2;
    api.StartPushConsumer(c);
    api.ShutdownPushConsumer(c);
    api.DestroyPushConsumer(c);
    return 0;
}
