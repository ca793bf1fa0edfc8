/*
 * topic.h - the RocketMQ topic sink: a diverted message sent to a topic with
 * the client library's own C producer API, so that no second client is
 * linked. Also what the reconsume-spool tool needs to read such a message
 * back and to replay a record.
 *
 * The client's functions are found at run time: in the shim with
 * dlsym(RTLD_NEXT, ...) (the library the consumer linked), in the tool with
 * dlsym() on the handle of a library it dlopen'ed. Nothing here logs; every
 * failure comes back as a return value and one line in err.
 *
 * The message sent keeps the body, tags and keys byte for byte; the reason
 * and the original coordinates travel as user properties named RECONSUME_*
 * (see topicmsg.c for the table). Their values are the record's header
 * values, percent-encoded the same way (policy/record.h), so a value from
 * the wire can hold neither the client's property separators (\001, \002)
 * nor a terminal escape sequence.
 */
#ifndef RECONSUME_SINK_TOPIC_H
#define RECONSUME_SINK_TOPIC_H

#include <stdbool.h>
#include <stddef.h>

#include "client/api.h"
#include "policy/record.h"

/* How long one SendMessageSync may take (SetProducerSendMsgTimeout), ms. */
#define RC_TOPIC_SEND_TIMEOUT_MS 3000
/* Distinct name servers (so producers) one process sends to, at most. */
#define RC_TOPIC_PRODUCERS_MAX 4

/* The client's types (client/api.h), by the names this sink has always
 * used; CSendResult as the client lays it out. */
typedef CProducer rc_cproducer;
typedef CMessage rc_cmessage;
typedef CMessageExt rc_cmessage_ext;
struct CSendResult {
    int status; /* E_SEND_OK = 0 */
    char msg_id[256];
    long long offset;
};

/* The client's C functions the sink and the tool use: the topic rows
 * (NEED and OPT) of client/symbols.def. */
struct rc_topic_api {
#define RC_CLIENT_FN(name, ret, params, shim, topic, pull, route) RC_IF_USED_##topic(ret(*name) params;)
#include "client/symbols.def"
};

/*
 * Resolve the functions with dlsym(handle, ...) (RTLD_NEXT in the shim).
 * Returns 0, or -1 naming the first required (NEED) function that is
 * missing; an OPT one may be left NULL.
 */
int rc_topic_api_load(struct rc_topic_api *api, void *handle, char *err, size_t errlen);

/* ---- one producer (the tool; the shim's pool below is built on it) ------ */

/*
 * Create, configure and start a producer of group `group` for name server
 * namesrv ("" or NULL: the client's own default, e.g. NAMESRV_ADDR).
 * instance (may be NULL) keeps it apart from the host's own client instance.
 * Returns the producer, or NULL with the reason in err.
 */
rc_cproducer *rc_topic_producer_start(const struct rc_topic_api *api, const char *group,
                                      const char *instance, const char *namesrv, int timeout_ms,
                                      char *err, size_t errlen);
void rc_topic_producer_stop(const struct rc_topic_api *api, rc_cproducer *p);

/*
 * Send r's message to topic: body, tags, keys as they are, and, with
 * with_reason, every header of the record as a RECONSUME_* property (the
 * diversion); without it only the original's SHARDING_KEY,
 * RECONSUME_REPLAY_OF=<replay_of> and RETRY_TOPIC=<retry_topic> (a replay,
 * by reconsume-spool; either may be NULL; with retry_topic, topic is a
 * group's %RETRY% topic and the client gives the message back its original
 * topic on delivery).
 * Returns 0 only when SendMessageSync returned 0 and E_SEND_OK; msg_id (cap
 * bytes, may be NULL) then gets the broker's msgId. Else -1 with err.
 */
int rc_topic_send(const struct rc_topic_api *api, rc_cproducer *p, const char *topic,
                  const struct rc_record *r, bool with_reason, const char *replay_of,
                  const char *retry_topic, char *msg_id, size_t cap, char *err, size_t errlen);

/* A property to set: both NUL-terminated. */
struct rc_topic_setprop {
    const char *name, *value;
};

/*
 * A retry copy (RECONSUME_RETRY=copy, policy/retry_copy.h): r's body, tags
 * and keys as they are, r's properties but the producer's and the broker's
 * own (UNIQ_KEY, the schedule's, a transaction's), then extra (the copy's
 * own: RETRY_TOPIC, DELAY, the carried count and origin id). Returns 0 only
 * when SendMessageSync returned 0 and E_SEND_OK, else -1 with err.
 */
int rc_topic_send_copy(const struct rc_topic_api *api, rc_cproducer *p, const char *topic,
                       const struct rc_record *r, const struct rc_topic_setprop *extra,
                       size_t nextra, char *msg_id, size_t cap, char *err, size_t errlen);

/* ---- the shim's producers: lazily, once per name server ----------------- */

/* A consumer's name server address (SetPushConsumerNameServerAddress). */
void rc_topic_note_namesrv(const void *consumer, const char *namesrv);

/* Whether a (non-empty) address was noted for consumer. */
bool rc_topic_namesrv_known(const void *consumer);

/*
 * Send r (with the reason) for consumer through the process's producer for
 * that consumer's name server, created and started at the first call.
 * Thread-safe; sends run in parallel. Returns 0 when the broker has it, else
 * -1 with err (also when the producer cannot be created or started: the next
 * call tries again).
 */
int rc_topic_pool_send(const struct rc_topic_api *api, const void *consumer, const char *topic,
                       const struct rc_record *r, char *msg_id, size_t cap, char *err,
                       size_t errlen);

/* rc_topic_send_copy through the consumer's producer, as rc_topic_pool_send. */
int rc_topic_pool_send_copy(const struct rc_topic_api *api, const void *consumer,
                            const char *topic, const struct rc_record *r,
                            const struct rc_topic_setprop *extra, size_t nextra, char *msg_id,
                            size_t cap, char *err, size_t errlen);

/* The consumer is destroyed: a producer no other consumer used is shut down. */
void rc_topic_consumer_gone(const struct rc_topic_api *api, const void *consumer);

/* Shut down and destroy every producer (at exit). */
void rc_topic_pool_shutdown(const struct rc_topic_api *api);

/* ---- the message <-> record mapping (topicmsg.c) ----------------------- */

/* One property to set; name and value point into storage the caller keeps. */
struct rc_topic_prop {
    char name[64];
    const char *value;
    size_t value_len;
};

/*
 * The RECONSUME_* properties for record text enc (rc_record_encode's
 * output, len bytes): one per header line but Tags, Keys and Body-Length
 * (those travel as the message's own). Fills up to cap entries whose values
 * point into enc (not NUL-terminated: value_len). Returns the count.
 */
size_t rc_topic_props_from_record(const char *enc, size_t len, struct rc_topic_prop *out,
                                  size_t cap);

/*
 * Rebuild the record text from a message read back from a poison topic:
 * headers from its RECONSUME_* properties, Tags and Keys and the body from
 * the message. Returns a malloc'ed buffer (its length in *len), or NULL with
 * err when the message carries no RECONSUME_RECORD property (not a diverted
 * message) or memory runs out. Parse it with rc_record_parse.
 */
char *rc_topic_record_text(const struct rc_topic_api *api, rc_cmessage_ext *m, size_t *len,
                           char *err, size_t errlen);

#endif
