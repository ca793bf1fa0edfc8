/*
 * namesrv.c - a push consumer's name server address (see namesrv.h).
 */
#include "client/namesrv.h"

#include <string.h>

#include "client/api.h"
#include "client/real_dlsym.h"

typedef const void *(*getter_fn)(const void *self);

const char *rc_client_consumer_namesrv(const void *consumer, char *buf, size_t cap)
{
    static const char *const names[] = {
        "_ZNK8rocketmq8MQClient14getNamesrvAddrEv",                        /* 1.2.x */
        "_ZNK8rocketmq21DefaultMQPushConsumer14getNamesrvAddrB5cxx11Ev", /* 2.x */
    };
    void *h = rc_client_handle();
    if (!consumer || !h || cap < 2)
        return NULL;
    getter_fn get = NULL;
    for (size_t i = 0; i < sizeof names / sizeof *names && !get; i++)
        *(void **)&get = rc_real_dlsym(h, names[i]);
    if (!get)
        return NULL;
    const void *s = get(consumer);
    const char *p = s ? *(const char *const *)s : NULL;
    if (!p)
        return NULL;
    size_t n = strnlen(p, cap);
    if (n == 0 || n >= cap)
        return NULL;
    memcpy(buf, p, n + 1);
    return buf;
}
