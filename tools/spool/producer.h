/*
 * producer.h - reconsume-spool's producer: the client's own C API
 * (sink/topic.h's table), with the client's log path set to the tool's
 * directory. A replay is sent with sink/topic.h's rc_topic_send (to one
 * group's retry topic with --to-group).
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

#endif
