/*
 * deliver.c - the full path of a delivery, taken when the process runs with
 * rules, fault injection, a crash journal, a timeout or detailed statistics.
 *
 * Order of business: find the rule in force; refuse a message that keeps
 * crashing the process (it is diverted without being handed over); pick an
 * injected fault; note the message in the journal; call; settle.
 */
#include "hooks/delivery.h"

#include <errno.h>
#include <string.h>
#include <time.h>

#include "hooks/inject_hook.h"
#include "state/journal.h"
#include "policy/msgview.h"
#include "obs/log.h"
#include "obs/stats.h"

void rc_delivery_init(struct rc_delivery *d, const struct rc_registration *reg, CPushConsumer *c,
                      CMessageExt *m)
{
    const struct rc_client *cl = rc_client();
    d->reg = reg;
    d->c = c;
    d->m = m;
    d->id = cl->GetMessageId ? cl->GetMessageId(m) : NULL;
    d->rule = NULL;
    d->max_retries = rc_rt.cfg.max_retries;
    d->catch_mask = rc_rt.cfg.catch_mask;
    d->kind = rc_rt.call_kind;
    d->non_retryable = &rc_rt.cfg.non_retryable;
    d->injected = NULL;
    d->elapsed_ns = -1;
}

void rc_delivery_call(const struct rc_delivery *d, rc_callback_fn cb, struct rc_call *out)
{
    rc_call_by_kind(d->kind, d->catch_mask, cb, d->c, d->m, out);
}

const char *rc_delivery_mode(const struct rc_delivery *d)
{
    if (d->reg->orderly)
        return "orderly";
    return rc_consumer_model(d->reg->owner) == RC_BROADCASTING ? "broadcasting" : "clustering";
}

const char *rc_delivery_group(const struct rc_delivery *d, char *buf, size_t cap)
{
    /* The client's own answer is lock-free and always current. */
    const struct rc_client *cl = rc_client();
    const char *g = cl->GetPushConsumerGroupID ? cl->GetPushConsumerGroupID(d->c) : NULL;
    if (g)
        return g;
    rc_consumer_group(d->reg->owner, buf, cap);
    return buf;
}

/* The call kind for a catch mask (a rule may change the process's). */
static enum rc_call_kind kind_for(unsigned mask)
{
    if (rc_rt.cfg.observe)
        return (mask & RC_CATCH_EXCEPTION) ? RC_CALL_OBSERVING : RC_CALL_PLAIN;
    if (mask & (RC_CATCH_SIGNAL | RC_CATCH_ABORT))
        return RC_CALL_SIGGUARDED;
    return (mask & RC_CATCH_EXCEPTION) ? RC_CALL_CATCHING : RC_CALL_PLAIN;
}

static void apply_rule(struct rc_delivery *d, const char *group)
{
    const struct rc_client *cl = rc_client();
    const char *topic = cl->GetMessageTopic ? cl->GetMessageTopic(d->m) : NULL;
    const char *tags = cl->GetMessageTags ? cl->GetMessageTags(d->m) : NULL;
    const struct rc_rule *r = rc_rules_match(&rc_rt.cfg.rules, group, topic ? topic : "",
                                             tags ? tags : "");
    if (!r)
        return;
    d->rule = r;
    if (r->has_max_retries)
        d->max_retries = r->max_retries;
    if (r->has_catch) {
        d->catch_mask = r->catch_mask;
        if (rc_rt.cfg.observe)
            d->catch_mask &= RC_CATCH_STATUS | RC_CATCH_EXCEPTION;
        d->kind = kind_for(d->catch_mask);
    }
    if (r->has_non_retryable)
        d->non_retryable = &r->non_retryable;
    if (rc_log_enabled(RC_LOG_DEBUG)) {
        char desc[512];
        rc_rule_describe(r, desc, sizeof desc);
        rc_log(RC_LOG_DEBUG, "msgId=%s group=%s topic=%s tags=%s: %s", d->id ? d->id : "?", group,
               topic ? topic : "", tags ? tags : "", desc);
    }
}

/* The attempt this delivery is, before the call: what injection's first=
 * and attempt= count. */
static int attempt_before(const struct rc_delivery *d)
{
    const struct rc_client *cl = rc_client();
    int n = (cl->GetMessageReconsumeTimes ? cl->GetMessageReconsumeTimes(d->m) : 0) + 1;
    if (d->id) {
        int own = rc_attempts_peek(rc_rt.attempts, d->reg->owner, d->id) + 1;
        if (own > n)
            n = own;
    }
    return n;
}

rc_callback_fn rc_delivery_pick(struct rc_delivery *d, const char *group, int attempt)
{
    d->injected = NULL;
    if (rc_rt.cfg.inject.n == 0)
        return d->reg->cb;
    const struct rc_client *cl = rc_client();
    struct rc_msgview v = {
        .group = group,
        .topic = cl->GetMessageTopic ? cl->GetMessageTopic(d->m) : NULL,
        .tags = cl->GetMessageTags ? cl->GetMessageTags(d->m) : NULL,
        .keys = cl->GetMessageKeys ? cl->GetMessageKeys(d->m) : NULL,
        .msg_id = d->id,
        .body = cl->GetMessageBody ? cl->GetMessageBody(d->m) : NULL,
    };
    /* The released clients give the body only as a C string. */
    v.body_len = v.body ? strlen(v.body) : 0;
    d->injected = rc_inject_pick(&rc_rt.cfg.inject, &v, attempt);
    if (!d->injected)
        return d->reg->cb;
    rc_count(&rc_stats.injected_faults[d->injected->action]);
    return rc_inject_begin(d->injected, d->reg->cb);
}

static long long now_ns(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (long long)t.tv_sec * 1000000000LL + t.tv_nsec;
}

int rc_deliver_full(const struct rc_registration *reg, CPushConsumer *c, CMessageExt *m)
{
    struct rc_delivery d;
    struct rc_call call;
    char gbuf[RC_GROUP_MAX];
    int saved_errno = errno;

    rc_delivery_init(&d, reg, c, m);
    const char *group = rc_delivery_group(&d, gbuf, sizeof gbuf);
    if (rc_rt.cfg.rules.n > 0)
        apply_rule(&d, group);

    /* A message that was in flight when the process died too often is not
     * handed over again: it is diverted as it is. */
    struct rc_journal *j = rc_rt.journal;
    if (j && d.id && rc_journal_known(j) > 0 &&
        rc_journal_crashes(j, group, d.id) >= rc_rt.cfg.max_crashes) {
        call.outcome = RC_OUT_CRASH_LOOP;
        call.status = RC_RECONSUME_LATER;
        errno = saved_errno;
        return rc_settle(&d, &call);
    }

    /* Timed from before the pick: an injected delay stands for a slow callback. */
    bool timed = rc_rt.cfg.timeout_ms > 0 || rc_rt.cfg.stats_path[0];
    long long t0 = timed ? now_ns() : 0;
    rc_callback_fn cb = rc_delivery_pick(&d, group, attempt_before(&d));
    int slot = j && d.id ? rc_journal_enter(j, group, d.id) : -1;
    errno = saved_errno;
    rc_delivery_call(&d, cb, &call);
    saved_errno = errno;
    if (slot >= 0)
        rc_journal_leave(j, slot);
    if (timed)
        d.elapsed_ns = now_ns() - t0;
    errno = saved_errno;
    return rc_settle(&d, &call);
}
