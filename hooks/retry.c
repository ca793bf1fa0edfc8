/*
 * retry.c - a failure's own retry copy (see retry.h).
 */
#include "hooks/retry.h"

#include <stdio.h>
#include <string.h>

#include "client/namesrv.h"
#include "hooks/message.h"
#include "obs/log.h"
#include "obs/stats.h"
#include "policy/retry_copy.h"
#include "policy/retry_delay.h"
#include "sink/sink.h"
#include "sink/topic.h"
#include "util/pause.h"

bool rc_retry_by_copy(const struct rc_delivery *d)
{
    return !rc_rt.cfg.retry_batch && d->mode == RC_MODE_CLUSTERING;
}

int rc_retry_copy(struct rc_delivery *d)
{
    char topic[RC_GROUP_MAX + 8], err[512], msg_id[256], attempts[16];
    struct rc_retry_delay delay = {.property = RC_RETRY_PROP_DELAY, .value = "?"};
    const char *id = d->id ? d->id : "?";
    const char *original = rc_delivery_topic(d);
    int rc = -1;
    if (!d->group || !d->group[0])
        snprintf(err, sizeof err, "the consumer's group is not known");
    else if (!original || !original[0])
        snprintf(err, sizeof err, "the message has no topic");
    else if (snprintf(topic, sizeof topic, "%%RETRY%%%s", d->group) >= (int)sizeof topic)
        snprintf(err, sizeof err, "the group's name is too long");
    else {
        /* A C++ API consumer's setNamesrvAddr is not seen: ask the client
         * (else the producer uses the client's default, NAMESRV_ADDR). */
        char ns[256];
        if (!rc_topic_namesrv_known(d->c) && rc_client_consumer_namesrv(d->c, ns, sizeof ns))
            rc_topic_note_namesrv(d->c, ns);
        struct rc_record r;
        memset(&r, 0, sizeof r);
        rc_message_read(d->m, &r);
        snprintf(attempts, sizeof attempts, "%d", d->attempt);
        rc_retry_delay_for(d->backoff, rc_rt.cfg.backoff_timer, d->attempt, &delay);
        const struct rc_topic_setprop extra[] = {
            {RC_RETRY_PROP_TOPIC, original},
            {delay.property, delay.value},
            {RC_RETRY_PROP_ATTEMPTS, attempts},
            {RC_RETRY_PROP_ORIGIN_ID, d->id},
        };
        size_t n = d->id && d->id[0] ? 4 : 3;
        rc = rc_topic_retry_send(d->c, topic, &r, extra, n, msg_id, sizeof msg_id, err, sizeof err);
        /* Once more, shortly: the first send of a new producer to a group's
         * %RETRY% topic can fail before its route is known (seen on broker
         * 4.9.7 with client 1.2.3: "client error 11" once, then never). */
        if (rc != 0) {
            rc_pause_ms(RC_RETRY_COPY_RESEND_MS);
            rc = rc_topic_retry_send(d->c, topic, &r, extra, n, msg_id, sizeof msg_id, err,
                                     sizeof err);
        }
    }
    if (rc == 0) {
        rc_count(&rc_stats.retry_copies);
        if (rc_log_enabled(RC_LOG_DEBUG))
            rc_log(RC_LOG_DEBUG, "msgId=%s attempt %d failed: retry copy %s to %s (%s=%s)",
                   id, d->attempt, msg_id, topic, delay.property, delay.value);
        return 0;
    }
    rc_count(&rc_stats.retry_copy_failures);
    rc_log(RC_LOG_WARN, "msgId=%s: its retry copy was not sent (%s): the client retries it (the "
           "whole batch)", id, err);
    return -1;
}
