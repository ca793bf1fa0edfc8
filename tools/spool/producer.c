/*
 * producer.c - reconsume-spool's producer (see producer.h).
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
