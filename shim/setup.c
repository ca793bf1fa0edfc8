/*
 * setup.c - see setup.h.
 */
#include "shim/setup.h"

#include <limits.h>
#include <stdbool.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "hooks/guard.h"
#include "hooks/runtime.h"
#include "obs/log.h"
#include "obs/stats.h"
#include "policy/decide.h"
#include "sink/sink.h"
#include "state/journal.h"

void rc_setup_disable(enum rc_state_reason reason, const char *why)
{
    if (rc_rt.cfg.strict) {
        rc_log_stderr("error: %s; exiting (RECONSUME_STRICT=1)", why);
        _exit(RC_STRICT_EXIT);
    }
    if (atomic_exchange(&rc_rt.active, false)) {
        rc_log(RC_LOG_ERROR, "%s; shim disabled (pass-through)", why);
        rc_state_set(reason, why);
    }
}

int rc_setup_rule_sinks(void)
{
    size_t n = rc_rt.cfg.rules.n;
    if (n == 0)
        return 0;
    rc_rt.rule_sinks = calloc(n, sizeof *rc_rt.rule_sinks);
    if (!rc_rt.rule_sinks)
        return -1;
    for (size_t i = 0; i < n; i++) {
        char ignored[8];
        const char *text = rc_rt.cfg.rules.v[i].sink;
        /* Validated at load (policy/config.c): this cannot fail; if it did,
         * the rule would fall back to RECONSUME_SINK, never to nothing. */
        if (text && rc_sinkspec_parse("sink", text, &rc_rt.rule_sinks[i], ignored, sizeof ignored) != 0)
            rc_rt.rule_sinks[i].n = 0;
    }
    return 0;
}

/* Open every sink that RECONSUME_SINK or a rule's sink= uses. */
static int open_sinks(char *err, size_t errlen)
{
    const struct rc_sinkspec *chains[1 + RC_RULES_MAX];
    size_t n = 0;
    chains[n++] = &rc_rt.cfg.sink;
    for (size_t i = 0; rc_rt.rule_sinks && i < rc_rt.cfg.rules.n && n < sizeof chains / sizeof *chains; i++)
        chains[n++] = &rc_rt.rule_sinks[i];
    const struct rc_sink_ctx ctx = {.consumer = NULL, .spool_dir = rc_rt.cfg.spool_dir};
    return rc_sink_open(chains, n, &ctx, err, errlen);
}

/* A cap above what the broker takes back is honoured only where the shim or
 * the client retries (orderly, broadcasting); say so once. */
static void say_broker_max(void)
{
    int cap = rc_rt.cfg.max_retries;
    for (size_t i = 0; i < rc_rt.cfg.rules.n; i++)
        if (rc_rt.cfg.rules.v[i].has_max_retries && rc_rt.cfg.rules.v[i].max_retries > cap)
            cap = rc_rt.cfg.rules.v[i].max_retries;
    if (cap > RC_BROKER_MAX_RECONSUME)
        rc_log(RC_LOG_WARN, "a cap of %d retries is above the broker's %d reconsume times: a "
               "clustering consumer's message is diverted at attempt %d, the last the broker "
               "takes back", cap, RC_BROKER_MAX_RECONSUME, RC_BROKER_MAX_RECONSUME + 1);
}

static pthread_once_t first_once = PTHREAD_ONCE_INIT;

static void first_registration(void)
{
    rc_log_arm(); /* from now on the log file may be opened (obs/log.h) */
    char err[PATH_MAX + 128], why[2 * PATH_MAX + 256];
    /* Observe mode stores nothing unless asked to: it leaves no trace. */
    bool stores = !rc_rt.cfg.observe || rc_rt.cfg.observe_record;
    if (stores && open_sinks(err, sizeof err) != 0) {
        snprintf(why, sizeof why, "RECONSUME_SPOOL_DIR='%s': %s; expected a directory the shim can create and write",
                 rc_rt.cfg.spool_dir, err);
        rc_setup_disable(RC_STATE_SPOOL_REFUSED, why);
        return;
    }
    /* Handlers for every signal any rule may catch (observe mode catches none). */
    unsigned sig = rc_rt.cfg.catch_mask;
    for (size_t i = 0; i < rc_rt.cfg.rules.n; i++)
        if (rc_rt.cfg.rules.v[i].has_catch)
            sig |= rc_rt.cfg.rules.v[i].catch_mask;
    sig &= RC_CATCH_SIGNAL | RC_CATCH_ABORT;
    if (sig && !rc_rt.cfg.observe && rc_sigguard_install(sig, rc_rt.cfg.signal_max) != 0) {
        rc_setup_disable(RC_STATE_SIGNAL_HANDLERS, "cannot install the signal handlers for RECONSUME_CATCH");
        return;
    }
    if (rc_rt.cfg.journal_dir[0]) {
        struct rc_journal *j;
        if (rc_journal_open(rc_rt.cfg.journal_dir, &j, err, sizeof err) != 0) {
            snprintf(why, sizeof why, "RECONSUME_JOURNAL='%s': %s", rc_rt.cfg.journal_dir, err);
            rc_setup_disable(RC_STATE_JOURNAL_REFUSED, why);
            return;
        }
        rc_rt.journal = j;
        if (rc_journal_recovered(j) > 0)
            rc_log(RC_LOG_WARN, "journal: %d message%s in flight when an earlier process died; "
                   "a message is diverted after RECONSUME_MAX_CRASHES=%d crashes",
                   rc_journal_recovered(j), rc_journal_recovered(j) == 1 ? " was" : "s were",
                   rc_rt.cfg.max_crashes);
    }
    rc_stats_backoff_source(&rc_rt.cfg.backoff, &rc_rt.cfg.rules);
    if (rc_rt.cfg.stats_path[0])
        rc_stats_start_writer(rc_rt.cfg.stats_path, rc_rt.cfg.stats_interval_ms);
    say_broker_max();
}

void rc_setup_first_registration(void)
{
    pthread_once(&first_once, first_registration);
}
