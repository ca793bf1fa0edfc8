/*
 * fakeclient.h - the bench-only fake client (bench/fakeclient.c): the client
 * ABI of tests/capi/rocketmq_c.h, plus what the driver needs to reach in.
 */
#ifndef RECONSUME_BENCH_FAKECLIENT_H
#define RECONSUME_BENCH_FAKECLIENT_H

#include "tests/capi/rocketmq_c.h"

#define FAKE_MAX_CONSUMERS 16
#define FAKE_ID_MAX 40

struct CPushConsumer {
    const char *group;
    CMessageModel model;
    MessageCallBack registered;
    int orderly;
};

struct CMessageExt {
    char id[FAKE_ID_MAX]; /* 32 hex digits, like an offset msgId */
    const char *topic, *tags, *keys, *body;
    int body_len, queue, reconsume;
    long long born, store, offset, commitlog;
};

/* What the last Register* call on c was given: the application's callback,
 * or, with the shim preloaded, the closure that wraps it. */
MessageCallBack fake_registered(CPushConsumer *c);

/* Calls of any GetMessage* accessor so far, by the calling thread. */
unsigned long fake_accessor_calls(void);

int GetMessageBodyLength(CMessageExt *m);

#endif
