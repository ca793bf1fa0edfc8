#include "hooks/divert.h"

#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "hooks/delivery.h"
#include "hooks/message.h"
#include "shim/log.h"
#include "shim/runtime.h"
#include "sink/spool.h"

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

int rc_divert_prepare(char *err, size_t errlen)
{
    return rc_spool_prepare(rc_rt.cfg.spool_dir, err, errlen);
}

/*
 * Write the record with SIGXFSZ held off: past RLIMIT_FSIZE the kernel would
 * otherwise kill the host for the shim's write. The write then fails with
 * EFBIG (reported, not acknowledged) and the signal it raised is discarded,
 * unless one was already pending for someone else.
 */
static int write_record(const struct rc_record *r, char *name, size_t cap, char *err, size_t errlen)
{
    sigset_t xfsz, old, pending;
    sigemptyset(&xfsz);
    sigaddset(&xfsz, SIGXFSZ);
    pthread_sigmask(SIG_BLOCK, &xfsz, &old);
    bool was_pending = sigpending(&pending) == 0 && sigismember(&pending, SIGXFSZ);
    int rc = rc_spool_write(rc_rt.cfg.spool_dir, r, name, cap, err, errlen);
    if (!was_pending) {
        struct timespec zero = {0, 0};
        sigtimedwait(&xfsz, NULL, &zero);
    }
    pthread_sigmask(SIG_SETMASK, &old, NULL);
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

    char name[512], err[512];
    int rc = write_record(&r, name, sizeof name, err, sizeof err);
    const char *what = call->outcome == RC_OUT_EXCEPTION ? call->exc_type
                       : call->outcome == RC_OUT_SIGNAL ? r.signal_name
                                                         : "";
    if (rc == 0)
        rc_log(RC_LOG_INFO, "%s msgId=%s topic=%s group=%s after %d attempt%s (%s%s%s) -> %s/new/%s",
               action, r.msg_id ? r.msg_id : "?", r.topic ? r.topic : "?", group, attempts,
               attempts == 1 ? "" : "s", r.outcome, what[0] ? " " : "", what,
               rc_rt.cfg.spool_dir, name);
    else
        rc_log(RC_LOG_ERROR, "could not store msgId=%s topic=%s (%s)%s", r.msg_id ? r.msg_id : "?",
               r.topic ? r.topic : "?", err,
               strcmp(action, "diverted") == 0 ? ": not acknowledged, it will be retried" : "");
    return rc;
}
