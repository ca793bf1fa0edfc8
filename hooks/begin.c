/*
 * begin.c - the first stage of a delivery: the facts about it, each worked
 * out once (delivery.h), before anything is called.
 */
#include "hooks/begin.h"

#include <stdio.h>

#include "obs/log.h"
#include "policy/retry_copy.h"

const char *rc_mode_name(enum rc_mode m)
{
    return m == RC_MODE_ORDERLY ? "orderly" : m == RC_MODE_BROADCASTING ? "broadcasting" : "clustering";
}

/* The first matching rule's settings replace the process's. */
static void apply_rule(struct rc_delivery *d)
{
    const char *topic = rc_delivery_topic(d), *tags = rc_delivery_tags(d);
    const struct rc_rule *r = rc_rules_match(&rc_rt.cfg.rules, d->group, topic ? topic : "",
                                             tags ? tags : "");
    if (!r)
        return;
    d->rule = r;
    if (r->has_max_retries)
        d->settings.max_retries = r->max_retries;
    if (r->has_catch) {
        d->settings.catch_mask = r->catch_mask;
        if (rc_rt.cfg.observe)
            d->settings.catch_mask &= RC_CATCH_STATUS | RC_CATCH_EXCEPTION;
        d->kind = rc_call_kind_for(d->settings.catch_mask, rc_rt.cfg.observe);
    }
    if (r->has_non_retryable)
        d->settings.non_retryable = &r->non_retryable;
    if (r->has_backoff)
        d->backoff = &r->backoff;
    size_t i = (size_t)(r - rc_rt.cfg.rules.v);
    if (rc_rt.rule_sinks && rc_rt.rule_sinks[i].n > 0)
        d->sinks = &rc_rt.rule_sinks[i];
    if (rc_log_enabled(RC_LOG_DEBUG)) {
        char desc[512];
        rc_rule_describe(r, desc, sizeof desc);
        rc_log(RC_LOG_DEBUG, "msgId=%s group=%s topic=%s tags=%s: %s", d->id ? d->id : "?", d->group,
               topic ? topic : "", tags ? tags : "", desc);
    }
}

void rc_begin(struct rc_delivery *d, const struct rc_registration *reg, CPushConsumer *c,
              CMessageExt *m)
{
    const struct rc_client *cl = rc_client();
    d->reg = reg;
    d->c = c;
    d->m = m;
    d->id = cl->GetMessageId ? cl->GetMessageId(m) : NULL;
    /* The client's own answer is lock-free and always current. */
    const char *g = cl->GetPushConsumerGroupID ? cl->GetPushConsumerGroupID(c) : NULL;
    if (!g) {
        rc_consumer_group(reg->owner, d->group_buf, sizeof d->group_buf);
        g = d->group_buf;
    }
    d->group = g;
    d->topic = d->tags = NULL;
    d->topic_read = d->tags_read = false;
    d->mode = reg->orderly ? RC_MODE_ORDERLY
              : rc_consumer_model(reg->owner) == RC_BROADCASTING ? RC_MODE_BROADCASTING
                                                                 : RC_MODE_CLUSTERING;
    d->reconsume_times = cl->GetMessageReconsumeTimes ? cl->GetMessageReconsumeTimes(m) : 0;

    d->rule = NULL;
    d->settings = (struct rc_decide_settings){
        .max_retries = rc_rt.cfg.max_retries,
        .catch_mask = rc_rt.cfg.catch_mask,
        .non_retryable = &rc_rt.cfg.non_retryable,
        .broker_last = d->mode == RC_MODE_CLUSTERING ? 1 + RC_BROKER_MAX_RECONSUME : 0,
    };
    d->kind = rc_rt.call_kind;
    d->sinks = &rc_rt.cfg.sink;
    d->backoff = &rc_rt.cfg.backoff;
    if (rc_rt.cfg.rules.n > 0)
        apply_rule(d);

    /* A retry copy (hooks/retry.c): the calls made before it, and the
     * first delivery's id, which the records and counts keep using (the
     * client gives the copy a new one). */
    d->carried = 0;
    if (d->mode != RC_MODE_BROADCASTING && cl->GetMessageProperty) {
        const char *v = cl->GetMessageProperty(m, RC_RETRY_PROP_ATTEMPTS);
        if (v && v[0]) {
            d->carried = rc_retry_carried(v);
            const char *origin = cl->GetMessageProperty(m, RC_RETRY_PROP_ORIGIN_ID);
            if (origin && origin[0])
                d->id = origin;
        }
    }
    d->attempt = d->carried + d->reconsume_times + 1;
    d->injected = NULL;
    d->elapsed_ns = -1;
}
