/*
 * config.h - the shim's settings, read once from RECONSUME_* variables.
 *
 * Parsing is pure: the environment is reached through a lookup function so
 * that tests can feed any table. Every value is validated; the first bad one
 * fails the whole load with one line naming the variable, the value and what
 * is accepted. A config is either applied whole or not at all.
 */
#ifndef RECONSUME_POLICY_CONFIG_H
#define RECONSUME_POLICY_CONFIG_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>

#include "policy/backoff.h"
#include "policy/catch.h"
#include "policy/inject.h"
#include "policy/labels.h"
#include "policy/nonretry.h"
#include "policy/rules.h"
#include "policy/sinkspec.h"

enum rc_log_level { RC_LOG_ERROR = 0, RC_LOG_WARN, RC_LOG_INFO, RC_LOG_DEBUG };

/* Exit status of a strict-mode process whose configuration is bad (EX_CONFIG). */
#define RC_STRICT_EXIT 78

/* The kinds of setting (the KIND column of policy/settings.def). */
enum rc_setting_kind {
    RC_KIND_BOOL,
    RC_KIND_LONG,
    RC_KIND_LEVEL,
    RC_KIND_CATCH,
    RC_KIND_MODE,
    RC_KIND_RETRY,
    RC_KIND_PATH_FILE,
    RC_KIND_PATH_DIR,
    RC_KIND_SPOOL_DIR,
    RC_KIND_SINK,
    RC_KIND_INJECT,
    RC_KIND_INJECT_SEED,
    RC_KIND_NON_RETRYABLE,
    RC_KIND_RULES,
    RC_KIND_BACKOFF,
    RC_KIND_CONFIG,
    RC_KIND_LABELS,
};

/* The ranges of the table, as constants: RC_SETTING_LO_MAX_RETRIES, ... */
enum {
#define RC_SETTING(id, kind, field, lo, hi, ...) \
    RC_SETTING_LO_##id = (lo), RC_SETTING_HI_##id = (hi),
#include "policy/settings.def"
};

#define RC_MAX_RETRIES_LIMIT RC_SETTING_HI_MAX_RETRIES

struct rc_config {
    bool enable;
    bool strict;
    bool observe;        /* RECONSUME_MODE=observe: classify and count, change nothing */
    bool observe_record; /* RECONSUME_OBSERVE_RECORD: in observe mode, spool would-be diversions */
    bool backoff_timer;  /* RECONSUME_BACKOFF_TIMER: a retry copy's delay as a 5.x timer */
    bool retry_batch;    /* RECONSUME_RETRY=batch: a failure is the client's (whole batch back) */
    int max_retries;
    unsigned catch_mask;
    int log_level;
    int broadcast_backoff_ms;
    long timeout_ms;
    long track_max;
    long signal_max;
    char spool_dir[PATH_MAX];
    char log_path[PATH_MAX];   /* "" = stderr */
    char stats_path[PATH_MAX]; /* "" = none */
    long stats_interval_ms;    /* how often RECONSUME_STATS is rewritten while running */
    struct rc_labels stats_labels; /* RECONSUME_STATS_LABELS: on every series of the file */
    char journal_dir[PATH_MAX]; /* RECONSUME_JOURNAL: "" = no crash-loop detection */
    int max_crashes;            /* RECONSUME_MAX_CRASHES */
    struct rc_sinkspec sink;    /* RECONSUME_SINK: where diverted messages go, in order */
    struct rc_backoff backoff;  /* RECONSUME_BACKOFF: RC_BACKOFF_NONE when unset */
    /* Owned; released by rc_config_free(). */
    struct rc_inject inject;          /* RECONSUME_INJECT, RECONSUME_INJECT_SEED */
    struct rc_nonretry non_retryable; /* RECONSUME_NON_RETRYABLE */
    struct rc_rules rules;            /* RECONSUME_RULES, then RECONSUME_CONFIG's rule lines */
    /* A RECONSUME_* name in the environment that is no setting (a misspelling),
     * as one line for a warning; "" = none. In strict mode it fails the load. */
    char warning[1024];
};

typedef const char *(*rc_getenv_fn)(const char *name);

/*
 * Reads the file at path whole, at most max bytes, into *text (from malloc,
 * NUL-terminated, *len bytes before the NUL). Returns 0, or -1 with the
 * reason in err, without the path. io/read_file.h's rc_read_file is the one
 * the shim and the tools pass; a test may pass its own.
 */
typedef int (*rc_read_fn)(const char *path, size_t max, char **text, size_t *len, char *err,
                          size_t errlen);

/* What the loader reads from, handed in by the caller (policy/ does no I/O). */
struct rc_config_source {
    rc_getenv_fn get; /* the environment */
    rc_read_fn read;  /* RECONSUME_CONFIG's file; NULL: setting it is an error */
    /* "NAME=value" entries (environ) checked for RECONSUME_* names that are
     * no setting (rc_config_unknown_name); NULL: not checked. */
    const char *const *envp;
};

/*
 * Fill *out from the variables seen through src->get, and the file named by
 * RECONSUME_CONFIG as src->read reads it; then look for a misspelt name in
 * src->envp (out->warning, or an error in strict mode). Returns 0, or -1
 * with the one-line reason in err. out->strict is valid even on failure (so the
 * caller knows whether to stop the process), as long as RECONSUME_STRICT
 * itself parsed.
 */
int rc_config_load_from(struct rc_config *out, const struct rc_config_source *src, char *err,
                        size_t errlen);

/*
 * The first entry of envp ("NAME=value", NULL-terminated) whose name starts
 * with RECONSUME_ but is neither a setting nor one of the project's own names
 * (RC_NOT_SETTING in policy/settings.def, e.g. RECONSUME_LIB, RECONSUME_TEST_*),
 * as one printable line in msg, with the nearest setting when one is close:
 *   RECONSUME_MAXRETRIES: unknown variable (did you mean RECONSUME_MAX_RETRIES?)
 * Returns 1 when one was found, else 0 (msg "").
 */
int rc_config_unknown_name(const char *const *envp, char *msg, size_t cap);

/* Release what the load allocated (also after a failed load). */
void rc_config_free(struct rc_config *c);

#endif
