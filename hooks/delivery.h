/*
 * delivery.h - one delivery in flight: the facts about it, each worked out
 * once by hooks/begin.c, and what this attempt did.
 *
 * The stages (hooks/pipeline.c tells the story) read and fill it in order:
 *   begin   who delivers, the message's id and group, the mode, the rule in
 *           force and its settings, the call kind, the attempt number;
 *   call    injection, journal, the guarded call, timing (hooks/call.c);
 *   decide  the verdict (policy/decide.c, pure);
 *   act     pass, retry later, divert then acknowledge, observe (hooks/act.c).
 * The plain success path (hooks/closure.c) never builds one.
 */
#ifndef RECONSUME_HOOKS_DELIVERY_H
#define RECONSUME_HOOKS_DELIVERY_H

#include <stdbool.h>

#include "client/api.h"
#include "hooks/registry.h"
#include "hooks/runtime.h"
#include "policy/decide.h"
#include "policy/inject.h"
#include "policy/rules.h"
#include "policy/sinkspec.h"

enum rc_mode { RC_MODE_CLUSTERING, RC_MODE_ORDERLY, RC_MODE_BROADCASTING };

struct rc_delivery {
    /* who and what: begin */
    const struct rc_registration *reg;
    CPushConsumer *c;
    CMessageExt *m;
    const char *id;     /* GetMessageId (NULL if the client lacks it) */
    const char *group;  /* the consumer group ("" if unknown) */
    char group_buf[RC_GROUP_MAX];
    const char *topic;  /* read at first use: rc_delivery_topic() */
    const char *tags;   /* likewise: rc_delivery_tags() */
    bool topic_read, tags_read;
    enum rc_mode mode;
    int reconsume_times; /* the client's count (0 where it keeps none) */
    int carried;         /* calls made before, as a retry copy says (policy/retry_copy.h); else 0 */

    /* the settings in force: a matching rule's, else the process's */
    const struct rc_rule *rule;
    struct rc_decide_settings settings;
    enum rc_call_kind kind;
    const struct rc_sinkspec *sinks;
    const struct rc_backoff *backoff; /* the schedule in force (rc_backoff_set: one is) */

    /* this attempt: call */
    int attempt;                           /* 1 for the first delivery */
    const struct rc_inject_rule *injected; /* the fault injected, or NULL */
    long long elapsed_ns;                  /* callback time; -1 when not measured */
};

/* "clustering", "orderly", "broadcasting". */
const char *rc_mode_name(enum rc_mode m);

/* The message's topic, read from the client once (NULL if it has none). */
static inline const char *rc_delivery_topic(struct rc_delivery *d)
{
    if (!d->topic_read) {
        const struct rc_client *cl = rc_client();
        d->topic = cl->GetMessageTopic ? cl->GetMessageTopic(d->m) : NULL;
        d->topic_read = true;
    }
    return d->topic;
}

/* The message's tags, read from the client once (NULL if it has none). */
static inline const char *rc_delivery_tags(struct rc_delivery *d)
{
    if (!d->tags_read) {
        const struct rc_client *cl = rc_client();
        d->tags = cl->GetMessageTags ? cl->GetMessageTags(d->m) : NULL;
        d->tags_read = true;
    }
    return d->tags;
}

#endif
