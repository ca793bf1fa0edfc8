/*
 * msgview.h - the fields of one delivered message that the policy grammars
 * look at (fault injection, rules, the crash journal), borrowed from the
 * client for the length of one delivery.
 *
 * Any string may be NULL (the client lacks the accessor, or the message lacks
 * the field); matchers treat NULL as "". body points to body_len bytes that
 * may contain NUL bytes and need not be NUL-terminated.
 */
#ifndef RECONSUME_POLICY_MSGVIEW_H
#define RECONSUME_POLICY_MSGVIEW_H

#include <stddef.h>

struct rc_msgview {
    const char *group;  /* consumer group */
    const char *topic;
    const char *tags;   /* the message's tag (RocketMQ has one per message) */
    const char *keys;   /* space-separated keys, as the client returns them */
    const char *msg_id;
    const char *body;
    size_t body_len;
};

#endif
