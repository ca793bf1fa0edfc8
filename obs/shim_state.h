/*
 * shim_state.h - what the shim says it is doing, published where the
 * operator's tools can read it: `reconsume doctor PID` reads the state file,
 * and the statistics file carries it as reconsume_up{reason=...}.
 *
 * The state file is <dir>/<pid>.state, dir being $XDG_RUNTIME_DIR/reconsume
 * when XDG_RUNTIME_DIR is an absolute path, else /tmp/reconsume-<euid>. The
 * directory is created 0700 and used only if it is a directory (not a
 * link) of the process's effective user that no one else may write. The
 * file is rewritten atomically (a temporary file, then rename) at the first
 * registration of a callback or listener (a process that never consumes is
 * left as it was) and whenever the state changes after, and removed at a
 * normal exit. Lines:
 *
 *   state=active | pass-through
 *   reason=none | disabled | config-invalid | out-of-memory | atfork-failed |
 *          spool-refused | signal-handlers | journal-refused
 *   detail=<the line the shim logged, escaped to printable text>
 *   pid=<pid>
 *   start=<the process's start time, field 22 of /proc/PID/stat>
 *   version=<RC_VERSION>
 *
 * A reader compares start= with the process's own, so that the file of an
 * earlier process with the same pid (killed before it could remove it) is
 * not taken for this one's.
 */
#ifndef RECONSUME_OBS_SHIM_STATE_H
#define RECONSUME_OBS_SHIM_STATE_H

#include <stdbool.h>
#include <stdio.h>

/* The version of the library and of its tools (tools/cli/cli.h's CLI_VERSION). */
#define RC_VERSION "0.9"

enum rc_state_reason {
    RC_STATE_ACTIVE,
    RC_STATE_DISABLED,        /* RECONSUME_ENABLE=0 */
    RC_STATE_CONFIG_INVALID,  /* a setting did not parse */
    RC_STATE_OUT_OF_MEMORY,
    RC_STATE_ATFORK_FAILED,
    RC_STATE_SPOOL_REFUSED,   /* the spool or a sink could not be opened safely */
    RC_STATE_SIGNAL_HANDLERS, /* the signal handlers could not be installed */
    RC_STATE_JOURNAL_REFUSED, /* RECONSUME_JOURNAL could not be opened */
    RC_STATE_REASONS
};

const char *rc_state_reason_name(enum rc_state_reason r);

/* Record the state (detail: the logged line, or NULL); once armed, rewrite
 * the state file, and in pass-through with a statistics file known
 * (rc_state_set_stats_path) that too, so that reconsume_up says 0 there.
 * Not for a delivery's path: it does I/O. Never fails the host. */
void rc_state_set(enum rc_state_reason r, const char *detail);

/* A registration, whether the shim is active or not (its group noted
 * before, rc_stats_note_group): the first one writes the state file, and in
 * pass-through each one the statistics (a new group). */
void rc_state_arm(void);

/* The current state (RC_STATE_ACTIVE until rc_state_set says otherwise). */
enum rc_state_reason rc_state_get(void);

/* The statistics path to rewrite on a change to pass-through ("" or NULL:
 * none). The string must outlive the process's use of it. */
void rc_state_set_stats_path(const char *path);

/* Remove the state file (a normal exit). */
void rc_state_remove(void);

/* The state file of pid: xdg is that process's XDG_RUNTIME_DIR (or NULL),
 * euid its effective user. Returns false when it does not fit. */
static inline bool rc_state_path(char *buf, size_t cap, const char *xdg, unsigned euid, long pid,
                                 bool dir_only)
{
    int n = xdg && xdg[0] == '/'
                ? snprintf(buf, cap, "%s/reconsume", xdg)
                : snprintf(buf, cap, "/tmp/reconsume-%u", euid);
    if (n > 0 && (size_t)n < cap && !dir_only)
        n += snprintf(buf + n, cap - (size_t)n, "/%ld.state", pid);
    return n > 0 && (size_t)n < cap;
}

#endif
