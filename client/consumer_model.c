/*
 * consumer_model.c - the message model of a C++ API consumer (see
 * consumer_model.h).
 */
#include "client/consumer_model.h"

#include <stdint.h>
#include <string.h>

#include "client/api.h"

typedef int (*get_model_fn)(const void *consumer);

static get_model_fn get_model;   /* 2.1.0 */
static int field_offset = -1;    /* 1.2.x */

/*
 * 1.2.x's SetPushConsumerMessageModel(consumer, model) is
 *     test %rdi,%rdi ; je 1f ; mov %esi,DISP8(%rdi) ; xor %eax,%eax ; ret
 * (48 85 ff, 74 rel8, 89 77 disp8, 31 c0, c3): DISP8 is the field's offset.
 */
static int offset_from_setter(const unsigned char *p)
{
    static const unsigned char test_rdi[] = {0x48, 0x85, 0xff};
    if (!p || memcmp(p, test_rdi, sizeof test_rdi) != 0 || p[3] != 0x74 || p[5] != 0x89 ||
        p[6] != 0x77 || p[8] != 0x31 || p[9] != 0xc0 || p[10] != 0xc3)
        return -1;
    return p[7];
}

void rc_consumer_model_probe(rc_msgext_sym_fn sym, void *h)
{
    void *g = sym(h, "_ZNK8rocketmq21DefaultMQPushConsumer15getMessageModelEv");
    if (g) {
        __builtin_memcpy(&get_model, &g, sizeof g);
        return;
    }
    field_offset = offset_from_setter(sym(h, "SetPushConsumerMessageModel"));
}

int rc_consumer_model_of(const void *consumer)
{
    int m = -1;
    if (!consumer)
        return -1;
    if (get_model)
        m = get_model(consumer);
    else if (field_offset >= 0)
        __builtin_memcpy(&m, (const char *)consumer + field_offset, sizeof m);
    return m == RC_BROADCASTING || m == RC_CLUSTERING ? m : -1;
}
