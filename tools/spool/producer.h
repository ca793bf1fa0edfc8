/*
 * producer.h - reconsume-spool's producer and its replay send: the client's
 * own C API (sink/topic.h's table), with the client's log path set to the
 * tool's directory, and a send to one group's retry topic (--to-group).
 */
#ifndef RECONSUME_TOOLS_SPOOL_PRODUCER_H
#define RECONSUME_TOOLS_SPOOL_PRODUCER_H

#include <stddef.h>

#include "policy/record.h"
#include "sink/topic.h"
#include "tools/spool/client.h"

/* Create, configure (name server, send timeout, instance, log path: the
 * client's SetProducerLogPath when it has one) and start a producer of
 * group. NULL with err. Stop it with rc_topic_producer_stop. */
rc_cproducer *ts_producer_start(struct ts_client *c, const char *group, const char *namesrv,
                                char *err, size_t errlen);

/*
 * Send r's message again to topic: body, tags, keys, its SHARDING_KEY,
 * RECONSUME_REPLAY_OF=<replay_of> and, when retry_topic is not NULL,
 * RETRY_TOPIC=<retry_topic> (topic is then a group's %RETRY% topic: the
 * client gives the message back its original topic on delivery). 0 only on
 * SEND_OK, with the broker's msgId in msg_id; else -1 with err.
 */
int ts_send(const struct rc_topic_api *api, rc_cproducer *p, const char *topic,
            const struct rc_record *r, const char *replay_of, const char *retry_topic,
            char *msg_id, size_t cap, char *err, size_t errlen);

#endif
