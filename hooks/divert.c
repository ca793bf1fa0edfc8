/*
 * divert.c - storing a poison message in the sink chain in force (see
 * divert.h, policy/sinkspec.h): the spool (sink/spool.c) and a RocketMQ
 * topic (sink/topic.c, the client's own producer).
 */
#include "hooks/divert.h"

#include <dlfcn.h>
#include <errno.h>

#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "hooks/delivery.h"
#include "hooks/message.h"
#include "obs/log.h"
#include "hooks/runtime.h"
#include "io/xfsz.h"
#include "policy/sinkspec.h"
#include "sink/spool.h"
#include "sink/topic.h"

static const char *signal_name(int sig)
{
    switch (sig) {
    case SIGSEGV: return "SIGSEGV";
    case SIGBUS: return "SIGBUS";
    case SIGFPE: return "SIGFPE";
    case SIGILL: return "SIGILL";
    case SIGABRT: return "SIGABRT";
    default: return "signal";
    }
}

/* The chain for a delivery: its rule's sink= (validated at load), else the
 * process's RECONSUME_SINK. */
static void chain_for(const struct rc_rule *rule, struct rc_sinkspec *out)
{
    char ignored[8];
    if (rule && rule->sink && rc_sinkspec_parse("sink", rule->sink, out, ignored, sizeof ignored) == 0)
        return;
    *out = rc_rt.cfg.sink;
    if (out->n == 0)
        rc_sinkspec_default(out);
}

int rc_divert_prepare(char *err, size_t errlen)
{
    struct rc_sinkspec s;
    bool spool = false;
    chain_for(NULL, &s);
    spool = rc_sinkspec_has(&s, RC_SINK_SPOOL);
    for (size_t i = 0; !spool && i < rc_rt.cfg.rules.n; i++) {
        chain_for(&rc_rt.cfg.rules.v[i], &s);
        spool = rc_sinkspec_has(&s, RC_SINK_SPOOL);
    }
    return spool ? rc_spool_prepare(rc_rt.cfg.spool_dir, err, errlen) : 0;
}

/* The client's producer functions, resolved once, from where the consumer
 * functions came (client/resolve.c): RTLD_NEXT, the client the host
 * linked or dlopen'ed with RTLD_GLOBAL, or the handle of one it dlopen'ed
 * privately (Python's ctypes). A diversion comes after a registration, so
 * the handle is known by then. */
static struct rc_topic_api topic_api;
static char topic_api_err[256];
static int topic_api_ok;
static pthread_once_t topic_api_once = PTHREAD_ONCE_INIT;

static void topic_api_resolve(void)
{
    topic_api_ok = rc_topic_api_load(&topic_api, rc_client_handle(), topic_api_err,
                                     sizeof topic_api_err) == 0;
}

void rc_divert_note_namesrv(const void *consumer, const char *namesrv)
{
    rc_topic_note_namesrv(consumer, namesrv);
}

void rc_divert_consumer_gone(const void *consumer)
{
    pthread_once(&topic_api_once, topic_api_resolve);
    if (topic_api_ok && !atomic_load(&rc_rt.in_forked_child))
        rc_topic_consumer_gone(&topic_api, consumer);
}

static int send_topic(const struct rc_delivery *d, const char *tmpl, const struct rc_record *r,
                      char *where, size_t cap, char *err, size_t errlen)
{
    char topic[RC_TOPIC_NAME_MAX + 1], msg_id[256];
    if (rc_sink_topic_expand(tmpl, r->group, r->topic, topic, sizeof topic, err, errlen) != 0)
        return -EINVAL;
    pthread_once(&topic_api_once, topic_api_resolve);
    if (!topic_api_ok) {
        snprintf(err, errlen, "%s", topic_api_err);
        return -ENOSYS;
    }
    if (rc_topic_pool_send(&topic_api, d->c, topic, r, msg_id, sizeof msg_id, err, errlen) != 0)
        return -EIO;
    snprintf(where, cap, "topic %s (msgId %s)", topic, msg_id);
    return 0;
}

/* Write the record with SIGXFSZ held off (io/xfsz.h): past RLIMIT_FSIZE
 * the write fails with EFBIG (reported, not acknowledged) instead. */
static int write_record(const struct rc_record *r, char *name, size_t cap, char *err, size_t errlen)
{
    struct rc_xfsz hold;
    rc_xfsz_hold(&hold);
    int rc = rc_spool_write(rc_rt.cfg.spool_dir, r, name, cap, err, errlen);
    rc_xfsz_release(&hold);
    return rc;
}

int rc_divert(const struct rc_delivery *d, const struct rc_call *call, int attempts,
              const char *action, const char *because)
{
    struct rc_record r;
    memset(&r, 0, sizeof r);
    rc_message_read(d->m, &r);

    char gbuf[RC_GROUP_MAX], rule[512], injected[600];
    const char *group = rc_delivery_group(d, gbuf, sizeof gbuf);
    if (d->rule) {
        rc_rule_describe(d->rule, rule, sizeof rule);
        r.rule = rule;
    }
    if (d->injected) {
        snprintf(injected, sizeof injected, "rule %d: %s", d->injected->index, d->injected->spec);
        r.injected = injected;
    }
    struct timespec now;
    clock_gettime(CLOCK_REALTIME, &now);

    r.outcome = rc_outcome_name(call->outcome);
    r.action = action;
    r.because = because;
    r.status = call->status;
    if (call->outcome == RC_OUT_EXCEPTION) {
        r.exc_type = call->exc_type;
        r.exc_what = call->has_what ? call->exc_what : NULL;
    }
    if (call->outcome == RC_OUT_SIGNAL)
        r.signal_name = signal_name(call->signo);
    r.attempts = attempts;
    r.max_retries = d->max_retries;
    r.group = group;
    r.mode = rc_delivery_mode(d);
    r.host = rc_rt.host;
    r.pid = (long)getpid();
    r.diverted_at_ms = (long long)now.tv_sec * 1000 + now.tv_nsec / 1000000;

    struct rc_sinkspec chain;
    chain_for(d->rule, &chain);
    char name[512], err[512], where[PATH_MAX + 600];
    int rc = -EINVAL;
    for (int i = 0; i < chain.n; i++) {
        const struct rc_sink *k = &chain.v[i];
        if (k->kind == RC_SINK_SPOOL) {
            rc = write_record(&r, name, sizeof name, err, sizeof err);
            if (rc == 0)
                snprintf(where, sizeof where, "%s/new/%s", rc_rt.cfg.spool_dir, name);
        } else {
            rc = send_topic(d, k->topic, &r, where, sizeof where, err, sizeof err);
        }
        if (rc == 0)
            break;
        if (i + 1 < chain.n)
            rc_log(RC_LOG_WARN, "could not store msgId=%s in the %s sink (%s); trying the %s sink",
                   r.msg_id ? r.msg_id : "?", k->kind == RC_SINK_SPOOL ? "spool" : "topic", err,
                   chain.v[i + 1].kind == RC_SINK_SPOOL ? "spool" : "topic");
    }
    const char *what = call->outcome == RC_OUT_EXCEPTION ? call->exc_type
                       : call->outcome == RC_OUT_SIGNAL ? r.signal_name
                                                         : "";
    if (rc == 0)
        rc_log(RC_LOG_INFO, "%s msgId=%s topic=%s group=%s after %d attempt%s (%s%s%s) -> %s",
               action, r.msg_id ? r.msg_id : "?", r.topic ? r.topic : "?", group, attempts,
               attempts == 1 ? "" : "s", r.outcome, what[0] ? " " : "", what, where);
    else
        rc_log(RC_LOG_ERROR, "could not store msgId=%s topic=%s (%s)%s", r.msg_id ? r.msg_id : "?",
               r.topic ? r.topic : "?", err,
               strcmp(action, "diverted") == 0 ? ": not acknowledged, it will be retried" : "");
    return rc;
}
