#include "hooks/message.h"

#include <stdio.h>
#include <string.h>


/* The topic the delivered copy is stored in (message.h). A redelivery comes from the
 * group's %RETRY% topic (by way of the broker's schedule topic, which leaves
 * it in REAL_TOPIC); the client puts the original topic back, from
 * RETRY_TOPIC, before the application sees it. */
const char *rc_message_delivered_topic(const struct rc_record *r, char *buf, size_t cap)
{
    const char *real = NULL, *retry = NULL;
    for (size_t i = 0; i < r->nprops; i++) {
        if (strcmp(r->props[i].name, "REAL_TOPIC") == 0)
            real = r->props[i].value;
        else if (strcmp(r->props[i].name, "RETRY_TOPIC") == 0)
            retry = r->props[i].value;
    }
    if (real && strncmp(real, "%RETRY%", 7) == 0)
        return real;
    if (retry && r->group && snprintf(buf, cap, "%%RETRY%%%s", r->group) < (int)cap)
        return buf;
    return r->topic;
}

void rc_message_read(CMessageExt *m, struct rc_record *r)
{
    const struct rc_client *cl = rc_client();
#define STR(f) (cl->f ? cl->f(m) : NULL)
#define NUM(f) (cl->f ? cl->f(m) : -1)
    r->topic = STR(GetMessageTopic);
    r->tags = STR(GetMessageTags);
    r->keys = STR(GetMessageKeys);
    r->msg_id = STR(GetMessageId);
    r->queue_id = NUM(GetMessageQueueId);
    r->queue_offset = NUM(GetMessageQueueOffset);
    r->commit_log_offset = NUM(GetMessageCommitLogOffset);
    r->reconsume_times = NUM(GetMessageReconsumeTimes);
    r->born_ts = NUM(GetMessageBornTimestamp);
    r->store_ts = NUM(GetMessageStoreTimestamp);
    r->body = STR(GetMessageBody);
    if (r->body && cl->GetMessageBodyLength) {
        int n = cl->GetMessageBodyLength(m);
        r->body_len = n > 0 ? (size_t)n : 0;
    } else {
        r->body_len = r->body ? strlen(r->body) : 0;
    }
#undef STR
#undef NUM
    r->nprops = 0;
    if (cl->GetMessageProperty) {
        for (size_t i = 0; rc_record_kept_props[i] && r->nprops < RC_RECORD_MAX_PROPS; i++) {
            const char *v = cl->GetMessageProperty(m, rc_record_kept_props[i]);
            if (v && v[0]) {
                r->props[r->nprops].name = rc_record_kept_props[i];
                r->props[r->nprops].value = v;
                r->nprops++;
            }
        }
    }
}
