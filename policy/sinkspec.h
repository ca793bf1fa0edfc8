/*
 * sinkspec.h - RECONSUME_SINK (and a rule's sink=): where a diverted message
 * goes, in order.
 *
 * Grammar
 * -------
 *   SINKS = SINK [ ',' SINK ]          at most one of each kind
 *   SINK  = 'spool'                    the local spool (RECONSUME_SPOOL_DIR)
 *         | 'topic' [ ':' NAME ]       a RocketMQ topic, sent with the
 *                                      client's own producer
 *   NAME  = 1 to 127 of A-Z a-z 0-9 _ - | and the placeholders %GROUP%
 *           (the consumer group) and %TOPIC% (the message's topic)
 *
 * 'topic' alone means RC_SINK_DEFAULT_TOPIC, "POISON_%GROUP%": one poison
 * topic per consumer group, like the broker's own %DLQ%<group>, and listed
 * together by name in the console. The first sink that stores the message
 * durably wins; the next is tried only when the one before failed:
 *   RECONSUME_SINK=topic:POISON_%GROUP%,spool   the topic, the spool if the
 *                                               send fails
 * The default is "spool". Names and placeholders are case-sensitive; the
 * kinds are not. A name is checked again after expansion (a group or topic
 * holding '%' would make it invalid): see rc_sink_topic_expand().
 */
#ifndef RECONSUME_POLICY_SINKSPEC_H
#define RECONSUME_POLICY_SINKSPEC_H

#include <stddef.h>

#define RC_SINKS_MAX 2
#define RC_TOPIC_NAME_MAX 127 /* the broker's limit (TopicValidator) */
#define RC_SINK_DEFAULT_TOPIC "POISON_%GROUP%"

enum rc_sink_kind { RC_SINK_SPOOL, RC_SINK_TOPIC };

struct rc_sink {
    enum rc_sink_kind kind;
    char topic[RC_TOPIC_NAME_MAX + 1]; /* the NAME template (topic only) */
};

struct rc_sinkspec {
    int n; /* 0 in a zeroed spec: treat as "spool" (rc_sinkspec_default) */
    struct rc_sink v[RC_SINKS_MAX];
};

/* "spool". */
void rc_sinkspec_default(struct rc_sinkspec *out);

/*
 * Parse v, the value of the variable (or setting) called name. Returns 0, or
 * -1 with one line in err naming name, the value and what is accepted, and
 * *out unchanged, e.g.
 *   RECONSUME_SINK='kafka:x': unknown sink 'kafka:x'; expected spool,
 *   topic or topic:NAME, or a comma list of them such as topic:NAME,spool
 */
int rc_sinkspec_parse(const char *name, const char *v, struct rc_sinkspec *out, char *err,
                      size_t errlen);

/* True when the chain stores to the spool somewhere. */
int rc_sinkspec_has(const struct rc_sinkspec *s, enum rc_sink_kind kind);

/*
 * Expand a NAME template with the group and topic (NULL counts as "").
 * Returns 0, or -1 with the reason in err when the result is empty, longer
 * than RC_TOPIC_NAME_MAX, or holds a byte a topic name may not.
 */
int rc_sink_topic_expand(const char *tmpl, const char *group, const char *topic, char *out,
                         size_t cap, char *err, size_t errlen);

/* True when s is a valid topic name (1..127 of A-Z a-z 0-9 _ - | %). */
int rc_topic_name_valid(const char *s);

/* "topic:POISON_%GROUP%,spool"; truncated to cap. */
void rc_sinkspec_format(const struct rc_sinkspec *s, char *buf, size_t cap);

#endif
