/*
 * producer.c - reconsume-spool's producer and replay send (see producer.h).
 */
#include "tools/spool/producer.h"

#include <dlfcn.h>
#include <stdio.h>
#include <string.h>

#include "util/scan.h"

rc_cproducer *ts_producer_start(struct ts_client *c, const char *group, const char *namesrv,
                                char *err, size_t errlen)
{
    const struct rc_topic_api *api = &c->api;
    rc_cproducer *p = api->CreateProducer(group);
    if (!p) {
        (void)rc_errf(err, errlen, "CreateProducer(%s) failed", group);
        return NULL;
    }
    int (*log_path)(CProducer *, const char *);
    *(void **)(&log_path) = dlsym(c->handle, "SetProducerLogPath");
    int rc = api->SetProducerNameServerAddress(p, namesrv);
    if (rc == 0)
        rc = api->SetProducerSendMsgTimeout(p, RC_TOPIC_SEND_TIMEOUT_MS);
    if (rc == 0 && api->SetProducerInstanceName)
        rc = api->SetProducerInstanceName(p, group);
    if (rc == 0 && log_path)
        rc = log_path(p, c->log_dir);
    if (rc != 0) {
        (void)rc_errf(err, errlen, "configuring the producer failed (client error %d)", rc);
        api->DestroyProducer(p);
        return NULL;
    }
    if ((rc = api->StartProducer(p)) != 0) {
        (void)rc_errf(err, errlen, "StartProducer failed (client error %d; name server '%s')", rc,
                      namesrv);
        api->DestroyProducer(p);
        return NULL;
    }
    return p;
}

static int build(const struct rc_topic_api *api, rc_cmessage *m, const struct rc_record *r,
                 const char *replay_of, const char *retry_topic)
{
    int rc = 0;
    if (r->tags && r->tags[0])
        rc = api->SetMessageTags(m, r->tags);
    if (rc == 0 && r->keys && r->keys[0])
        rc = api->SetMessageKeys(m, r->keys);
    if (rc == 0)
        rc = api->SetByteMessageBody(m, r->body ? r->body : "", (int)r->body_len);
    for (size_t i = 0; i < r->nprops && rc == 0; i++)
        if (r->props[i].name && strcmp(r->props[i].name, "SHARDING_KEY") == 0)
            rc = api->SetMessageProperty(m, "SHARDING_KEY", r->props[i].value);
    if (rc == 0 && replay_of)
        rc = api->SetMessageProperty(m, "RECONSUME_REPLAY_OF", replay_of);
    if (rc == 0 && retry_topic)
        rc = api->SetMessageProperty(m, "RETRY_TOPIC", retry_topic);
    return rc;
}

int ts_send(const struct rc_topic_api *api, rc_cproducer *p, const char *topic,
            const struct rc_record *r, const char *replay_of, const char *retry_topic,
            char *msg_id, size_t cap, char *err, size_t errlen)
{
    if (r->body_len > 0x7fffffff)
        return rc_errf(err, errlen, "body of %zu bytes is too large to send", r->body_len);
    rc_cmessage *m = api->CreateMessage(topic);
    if (!m)
        return rc_errf(err, errlen, "CreateMessage(%s) failed", topic);
    int rc = build(api, m, r, replay_of, retry_topic);
    if (rc != 0) {
        api->DestroyMessage(m);
        return rc_errf(err, errlen, "building the message failed (client error %d)", rc);
    }
    CSendResult res;
    memset(&res, 0, sizeof res);
    rc = api->SendMessageSync(p, m, &res);
    api->DestroyMessage(m);
    if (rc != 0)
        return rc_errf(err, errlen, "SendMessageSync to %s failed (client error %d)", topic, rc);
    if (res.status != 0)
        return rc_errf(err, errlen, "SendMessageSync to %s: send status %d, not SEND_OK", topic,
                       res.status);
    snprintf(msg_id, cap, "%.*s", (int)sizeof res.msg_id, res.msg_id);
    return 0;
}
