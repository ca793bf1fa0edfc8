/*
 * listener_stub.c - a stand-in for the lead's rc_listener_batch, so that the
 * listener/ prototype can be preloaded on its own into real consumers
 * (build/real/liblistener_proto.so, `make -C tests/real listener-proto`):
 * it shows which batches the wrapper sees and that each message can be
 * called alone. NOT the product's policy: it calls every message once
 * (orderly: up to the first failure), counts a thrown exception as a
 * failure, and returns RECONSUME_LATER for the batch if any failed (the
 * client then sends the whole batch back, as without the wrapper).
 *
 * One stderr line per message:
 *   listener-stub: batch=N i=I/COUNT stride=S orderly=O id=MSGID status=ST[ exc=TYPE]
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <stdatomic.h>
#include <stdio.h>
#include <unistd.h>

#include "listener/listener.h"
#include "tests/capi/rocketmq_c.h"

static atomic_long batches;

int rc_listener_batch(void *consumer, void *msgs_begin, size_t stride, size_t count, int orderly,
                      int *statuses)
{
    (void)consumer;
    long seq = atomic_fetch_add(&batches, 1) + 1;
    int result = RC_LST_CONSUME_SUCCESS;
    for (size_t i = 0; i < count; i++) {
        CMessageExt *m = (CMessageExt *)((char *)msgs_begin + i * stride);
        char id[128];
        snprintf(id, sizeof id, "%s", GetMessageId(m) ? GetMessageId(m) : "");
        struct rc_listener_exc exc;
        int st = rc_listener_call_one(i, &exc);
        statuses[i] = st;
        char line[700];
        int n = snprintf(line, sizeof line,
                         "listener-stub: batch=%ld i=%zu/%zu stride=%zu orderly=%d id=%s status=%d%s%s\n",
                         seq, i, count, stride, orderly, id, st, st == RC_LST_THREW ? " exc=" : "",
                         st == RC_LST_THREW ? exc.type : "");
        if (n > 0)
            (void)!write(2, line, (size_t)n < sizeof line ? (size_t)n : sizeof line - 1);
        if (st != RC_LST_CONSUME_SUCCESS) {
            result = RC_LST_RECONSUME_LATER;
            if (orderly)
                break;
        }
    }
    return result;
}
