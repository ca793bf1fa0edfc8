#include "hooks/message.h"

#include <string.h>

/* Properties worth keeping that the C API can read only by name. */
static const char *const kept_props[] = {
    "UNIQ_KEY", "ORIGIN_MESSAGE_ID", "RETRY_TOPIC", "REAL_TOPIC", "REAL_QID", "DELAY",
    "TRAN_MSG", "SHARDING_KEY",
};
_Static_assert(sizeof kept_props / sizeof *kept_props <= RC_RECORD_MAX_PROPS, "props");

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
        for (size_t i = 0; i < sizeof kept_props / sizeof *kept_props; i++) {
            const char *v = cl->GetMessageProperty(m, kept_props[i]);
            if (v && v[0]) {
                r->props[r->nprops].name = kept_props[i];
                r->props[r->nprops].value = v;
                r->nprops++;
            }
        }
    }
}
