/*
 * init.c - load-time set-up and exit-time report.
 *
 * The constructor reads the environment once (secure_getenv, and a set-uid
 * or set-gid host is left alone altogether), validates all of it, and either switches the shim on
 * or leaves it as a pure forwarder, saying why once. It never ends the host,
 * except in strict mode with a bad configuration, which is what strict means.
 */
#include <errno.h>
#include <dlfcn.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <unistd.h>

#include "hooks/call.h"
#include "hooks/registry.h"
#include "shim/setup.h"
#include "state/journal.h"
#include "obs/log.h"
#include "hooks/runtime.h"
#include "io/read_file.h"
#include "obs/shim_state.h"
#include "obs/stats.h"



static const char *env(const char *name) { return secure_getenv(name); }

/* A bad configuration: the statistics file and its labels as far as they
 * are valid, so that reconsume_up says 0 there too. */
static void stats_despite(void)
{
    static char path[PATH_MAX];
    static struct rc_labels labels;
    const char *p = env("RECONSUME_STATS"), *l = env("RECONSUME_STATS_LABELS");
    char ignored[256];
    if (l && rc_labels_parse("RECONSUME_STATS_LABELS", l, &labels, ignored, sizeof ignored) == 0)
        rc_stats_set_labels(&labels, -1);
    if (p && p[0] && strlen(p) < sizeof path)
        rc_state_set_stats_path(strcpy(path, p));
}

static void before_fork(void)
{
    rc_registry_lock();
    rc_attempts_lock(rc_rt.attempts);
    rc_log_atfork_prepare(); /* innermost: taken last, released first */
}
static void after_fork_parent(void)
{
    rc_log_atfork_parent();
    rc_attempts_unlock(rc_rt.attempts);
    rc_registry_unlock();
}
static void after_fork_child(void)
{
    rc_log_atfork_child();
    atomic_store(&rc_rt.in_forked_child, true);
    if (rc_rt.journal)
        rc_journal_atfork_child(rc_rt.journal);
    rc_attempts_unlock(rc_rt.attempts);
    rc_registry_unlock();
}

__attribute__((constructor)) static void rc_init(void)
{
    char err[PATH_MAX + 256];
    int saved = errno;
    /* A set-uid or set-gid process (the loader only preloads into one from
     * /etc/ld.so.preload): the environment is not the user's to trust, and
     * creating directories as root on a default path is not ours to do. The
     * shim stays out, silently (stderr there is not necessarily the user's). */
    if (getauxval(AT_SECURE))
        goto out;
    if (rc_config_load_from(&rc_rt.cfg, &(struct rc_config_source){env, rc_read_file, (const char *const *)environ}, err, sizeof err) != 0) {
        rc_log_stderr("error: %s; %s", err,
                      rc_rt.cfg.strict ? "exiting (RECONSUME_STRICT=1)" : "shim disabled (pass-through)");
        if (rc_rt.cfg.strict)
            _exit(RC_STRICT_EXIT);
        stats_despite();
        rc_state_set(RC_STATE_CONFIG_INVALID, err);
        goto out;
    }
    rc_stats_set_labels(&rc_rt.cfg.stats_labels, rc_rt.cfg.max_retries);
    rc_state_set_stats_path(rc_rt.cfg.stats_path);
    if (!rc_rt.cfg.enable) {
        rc_state_set(RC_STATE_DISABLED, "RECONSUME_ENABLE=0");
        goto out;
    }
    /* Opens nothing yet: the file is opened at the first line after a
     * consumer registered (obs/log.h). */
    rc_log_open(rc_rt.cfg.log_path, rc_rt.cfg.log_level);
    if (rc_rt.cfg.warning[0]) rc_log(RC_LOG_WARN, "%s; ignored", rc_rt.cfg.warning);
    rc_rt.attempts = rc_attempts_new((size_t)rc_rt.cfg.track_max);
    if (rc_rt.attempts)
        rc_rt.tracked = rc_attempts_size_word(rc_rt.attempts);
    if (!rc_rt.attempts) {
        rc_log(RC_LOG_ERROR, "out of memory at load; shim disabled (pass-through)");
        rc_state_set(RC_STATE_OUT_OF_MEMORY, "out of memory at load");
        goto out;
    }
    /* Observing changes nothing: statuses pass, exceptions are rethrown,
     * and no signal handler is installed. */
    if (rc_rt.cfg.observe)
        rc_rt.cfg.catch_mask &= RC_CATCH_STATUS | RC_CATCH_EXCEPTION;
    rc_rt.call_kind = rc_call_kind_for(rc_rt.cfg.catch_mask, rc_rt.cfg.observe);
    if (rc_setup_rule_sinks() != 0) {
        rc_log(RC_LOG_ERROR, "out of memory at load; shim disabled (pass-through)");
        rc_state_set(RC_STATE_OUT_OF_MEMORY, "out of memory at load");
        goto out;
    }
    /* The plain path can serve only a process with none of these; detailed
     * statistics alone keep it, timed (hooks/closure.c). */
    rc_rt.full_path = rc_rt.cfg.rules.n > 0 || rc_rt.cfg.inject.n > 0 || rc_rt.cfg.journal_dir[0] ||
                      rc_rt.cfg.timeout_ms > 0;
    if (gethostname(rc_rt.host, sizeof rc_rt.host - 1) != 0)
        strcpy(rc_rt.host, "unknown");
    if (pthread_atfork(before_fork, after_fork_parent, after_fork_child) != 0) {
        rc_log(RC_LOG_ERROR, "pthread_atfork failed; shim disabled (pass-through)");
        rc_state_set(RC_STATE_ATFORK_FAILED, "pthread_atfork failed");
        goto out;
    }
    /* A consumer process (the client is loaded already): keep a few closures
     * for registrations made in children forked later. */
    if (dlsym(RTLD_NEXT, "RegisterMessageCallback"))
        rc_registry_prealloc(4);
    atomic_store(&rc_rt.active, true);
    rc_state_set(RC_STATE_ACTIVE, NULL);
    if (rc_log_enabled(RC_LOG_DEBUG)) {
        char kinds[64];
        rc_catch_format(rc_rt.cfg.catch_mask, kinds, sizeof kinds);
        rc_log(RC_LOG_DEBUG, "loaded: %s mode, max retries %d, catch %s, spool %s",
               rc_rt.cfg.observe ? "observe" : "enforce", rc_rt.cfg.max_retries, kinds,
               rc_rt.cfg.spool_dir);
    }
out:
    errno = saved;
}

__attribute__((destructor)) static void rc_fini(void)
{
    rc_state_remove();
    if (!rc_active() || rc_counter_get(&rc_stats.registrations) == 0)
        return;
    int saved = errno;
    if (rc_rt.cfg.stats_path[0]) {
        int rc = rc_stats_write(rc_rt.cfg.stats_path);
        if (rc != 0)
            rc_log(RC_LOG_ERROR, "cannot write RECONSUME_STATS=%s: %s", rc_rt.cfg.stats_path,
                   strerror(-rc));
    }
    char line[512];
    rc_stats_summary(line, sizeof line);
    rc_log(RC_LOG_INFO, "exit: %s", line);
    errno = saved;
}
