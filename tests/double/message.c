/*
 * message.c - a delivered message (CMessageExt) and its exported accessors
 * (CMessageExt.h). Built with -DRMQ_DOUBLE_LEGACY it leaves out
 * GetMessageBodyLength, like the released 1.2.x clients (the body is then only
 * reachable as a C string).
 */
#include "tests/double/double.h"

#include <stdlib.h>
#include <string.h>

struct CMessageExt *rmqd_msg_clone(const struct CMessageExt *t)
{
    struct CMessageExt *m = rmqd_xmalloc(sizeof *m);
    *m = *t;
    m->id = rmqd_xstrdup(t->id);
    rmqd_fields_copy(&m->f, &t->f);
    return m;
}

void rmqd_msg_fini(struct CMessageExt *m)
{
    free(m->id);
    m->id = NULL;
    rmqd_fields_free(&m->f);
}

void rmqd_msg_free(struct CMessageExt *m)
{
    if (!m)
        return;
    rmqd_msg_fini(m);
    free(m);
}

EXPORT const char *GetMessageTopic(CMessageExt *m) { return m ? m->f.topic : NULL; }
EXPORT const char *GetMessageTags(CMessageExt *m) { return m ? m->f.tags : NULL; }
EXPORT const char *GetMessageKeys(CMessageExt *m) { return m ? m->f.keys : NULL; }
EXPORT const char *GetMessageBody(CMessageExt *m) { return m ? m->f.body : NULL; }
#ifndef RMQ_DOUBLE_LEGACY
EXPORT int GetMessageBodyLength(CMessageExt *m) { return m ? (int)m->f.body_len : 0; }
#endif
EXPORT const char *GetMessageId(CMessageExt *m) { return m ? m->id : NULL; }
EXPORT int GetMessageDelayTimeLevel(CMessageExt *m) { return m ? m->f.delay_level : NULL_POINTER; }
EXPORT int GetMessageQueueId(CMessageExt *m) { return m ? m->queue : NULL_POINTER; }
EXPORT int GetMessageReconsumeTimes(CMessageExt *m) { return m ? m->reconsume : NULL_POINTER; }
EXPORT int GetMessageStoreSize(CMessageExt *m) { return m ? (int)m->f.body_len + 128 : NULL_POINTER; }
EXPORT long long GetMessageBornTimestamp(CMessageExt *m) { return m ? m->born : NULL_POINTER; }
EXPORT long long GetMessageStoreTimestamp(CMessageExt *m) { return m ? m->store : NULL_POINTER; }
EXPORT long long GetMessageQueueOffset(CMessageExt *m) { return m ? m->offset : NULL_POINTER; }
EXPORT long long GetMessageCommitLogOffset(CMessageExt *m) { return m ? m->commitlog : NULL_POINTER; }

/* Like the real client: an absent property reads as "". */
EXPORT const char *GetMessageProperty(CMessageExt *m, const char *key)
{
    if (!m || !key)
        return NULL;
    const char *v = rmqd_props_get(&m->f.props, key);
    return v ? v : "";
}
