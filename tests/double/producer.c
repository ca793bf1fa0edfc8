/*
 * producer.c - the producer side (CMessage.h, CProducer.h): a message to send
 * and a producer whose sends are written to the event log (log.c) instead of
 * a broker.
 *
 *   RMQ_DOUBLE_SEND_FAIL=N     the first N sends fail (SendMessageSync returns 3,
 *                              PRODUCER_SEND_SYNC_FAILED); "all": every send fails.
 *   RMQ_DOUBLE_SEND_STATUS=K   sends succeed with sendStatus K (e.g. 1, flush
 *                              disk timeout) instead of E_SEND_OK.
 *   RMQ_DOUBLE_SEND_DELAY_MS   pause inside every send (default 0).
 *   RMQ_DOUBLE_PRODUCER_EVENTS=1  also log producer-start/-shutdown/-destroy
 *                              (opt-in: older tests expect the send line last).
 */
#include "tests/double/double.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SEND_FAILED 3 /* the double's code for a failed send (see the top) */

struct CMessage {
    struct rmqd_fields f;
};

struct CProducer {
    char *group, *namesrv, *instance;
    int started, timeout;
    long long sent;
};

static long send_attempts; /* all producers: for RMQ_DOUBLE_SEND_FAIL */

#define PLOG(...)                                                                                  \
    do {                                                                                           \
        if (rmqd_env_long("RMQ_DOUBLE_PRODUCER_EVENTS", 0))                                        \
            rmqd_log(__VA_ARGS__);                                                                 \
    } while (0)

/* ---- the message ---------------------------------------------------------- */

EXPORT CMessage *CreateMessage(const char *topic)
{
    CMessage *m = calloc(1, sizeof *m);
    if (!m)
        return NULL;
    rmqd_fields_init(&m->f, topic ? topic : "");
    return m;
}

EXPORT int DestroyMessage(CMessage *m)
{
    if (!m)
        return NULL_POINTER;
    rmqd_fields_free(&m->f);
    free(m);
    return OK;
}

EXPORT int SetMessageTopic(CMessage *m, const char *v)
{
    return rmqd_set_string(m ? &m->f.topic : NULL, v);
}

EXPORT int SetMessageTags(CMessage *m, const char *v)
{
    return rmqd_set_string(m ? &m->f.tags : NULL, v);
}

EXPORT int SetMessageKeys(CMessage *m, const char *v)
{
    return rmqd_set_string(m ? &m->f.keys : NULL, v);
}

EXPORT int SetByteMessageBody(CMessage *m, const char *body, int len)
{
    if (!m || !body || len < 0)
        return NULL_POINTER;
    rmqd_fields_set_body(&m->f, rmqd_xmemdup0(body, (size_t)len), (size_t)len);
    return OK;
}

EXPORT int SetMessageBody(CMessage *m, const char *body)
{
    if (!body)
        return NULL_POINTER;
    return SetByteMessageBody(m, body, (int)strlen(body));
}

EXPORT int SetMessageProperty(CMessage *m, const char *key, const char *value)
{
    if (!m || !key || !value)
        return NULL_POINTER;
    rmqd_props_set(&m->f.props, key, value);
    return OK;
}

EXPORT int SetDelayTimeLevel(CMessage *m, int level)
{
    if (!m)
        return NULL_POINTER;
    m->f.delay_level = level;
    return OK;
}

/* ---- the producer --------------------------------------------------------- */

EXPORT CProducer *CreateProducer(const char *groupId)
{
    if (!groupId)
        return NULL;
    CProducer *p = calloc(1, sizeof *p);
    if (p)
        p->group = rmqd_xstrdup(groupId);
    return p;
}

EXPORT int DestroyProducer(CProducer *p)
{
    if (!p)
        return NULL_POINTER;
    PLOG("producer-destroy group=%s", p->group);
    free(p->group);
    free(p->namesrv);
    free(p->instance);
    free(p);
    return OK;
}

EXPORT int StartProducer(CProducer *p)
{
    if (!p)
        return NULL_POINTER;
    p->started = 1;
    PLOG("producer-start group=%s namesrv=%s timeout=%d instance=%s", p->group,
         p->namesrv ? p->namesrv : "", p->timeout, p->instance ? p->instance : "");
    return OK;
}

EXPORT int ShutdownProducer(CProducer *p)
{
    if (!p)
        return NULL_POINTER;
    if (p->started)
        PLOG("producer-shutdown group=%s", p->group);
    p->started = 0;
    return OK;
}

EXPORT int SetProducerNameServerAddress(CProducer *p, const char *namesrv)
{
    return rmqd_set_string(p ? &p->namesrv : NULL, namesrv);
}

EXPORT int SetProducerInstanceName(CProducer *p, const char *instance)
{
    return rmqd_set_string(p ? &p->instance : NULL, instance);
}

EXPORT int SetProducerSendMsgTimeout(CProducer *p, int timeout)
{
    if (!p)
        return NULL_POINTER;
    p->timeout = timeout;
    return OK;
}

EXPORT int SetProducerLogPath(CProducer *p, const char *logPath)
{
    return p && logPath ? OK : NULL_POINTER;
}

EXPORT int SetProducerLogLevel(CProducer *p, CLogLevel level)
{
    (void)level;
    return p ? OK : NULL_POINTER;
}

/* ---- sending -------------------------------------------------------------- */

/* The send's properties and its send line, as one text (so that they stay together). */
static char *send_lines(const struct rmqd_fields *f, int queue)
{
    size_t cap = 256 + 4 * (strlen(f->topic) + strlen(f->tags) + strlen(f->keys) + f->body_len);
    for (size_t i = 0; i < f->props.n; i++)
        cap += 64 + 4 * (strlen(f->props.v[i].name) + strlen(f->props.v[i].value));
    char *line = rmqd_xmalloc(cap), *o = line;
    for (size_t i = 0; i < f->props.n; i++) {
        char *n = rmqd_escape(f->props.v[i].name, strlen(f->props.v[i].name));
        char *v = rmqd_escape(f->props.v[i].value, strlen(f->props.v[i].value));
        o += sprintf(o, "send-prop name=%s value=%s\n", n, v);
        free(n);
        free(v);
    }
    char *body = rmqd_escape(f->body, f->body_len);
    sprintf(o, "send topic=%s tags=%s keys=%s queue=%d body=%s", f->topic, f->tags, f->keys, queue,
            body);
    free(body);
    return line;
}

static int record_send(CProducer *p, CMessage *m, int queue, CSendResult *result)
{
    if (!p || !m || !result)
        return NULL_POINTER;
    if (!p->started)
        return SEND_FAILED;
    rmqd_sleep_ms(rmqd_env_long("RMQ_DOUBLE_SEND_DELAY_MS", 0));
    long attempt = __atomic_add_fetch(&send_attempts, 1, __ATOMIC_SEQ_CST);
    const char *fail = getenv("RMQ_DOUBLE_SEND_FAIL");
    if (fail && (!strcmp(fail, "all") || attempt <= atol(fail))) {
        rmqd_log("send-failed topic=%s rc=3 status=-1", m->f.topic);
        return SEND_FAILED;
    }
    char *lines = send_lines(&m->f, queue);
    rmqd_log("%s", lines);
    free(lines);
    long long n = __atomic_fetch_add(&p->sent, 1, __ATOMIC_SEQ_CST);
    memset(result, 0, sizeof *result);
    result->sendStatus = (CSendStatus)rmqd_env_long("RMQ_DOUBLE_SEND_STATUS", E_SEND_OK);
    snprintf(result->msgId, sizeof result->msgId, "SENT%lld", n + 1);
    result->offset = n;
    if (result->sendStatus == E_SEND_OK)
        rmqd_delivery_retry_copy(&m->f, result->msgId);
    return OK;
}

EXPORT int SendMessageSync(CProducer *p, CMessage *m, CSendResult *result)
{
    return record_send(p, m, -1, result);
}

EXPORT int SendMessageOrderly(CProducer *p, CMessage *m, QueueSelectorCallback cb, void *arg,
                              int autoRetryTimes, CSendResult *result)
{
    (void)autoRetryTimes;
    if (!cb)
        return NULL_POINTER;
    int q = cb(4, m, arg);
    return record_send(p, m, q, result);
}
