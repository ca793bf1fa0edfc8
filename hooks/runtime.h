/*
 * runtime.h - the process-wide state a delivery reads, set once by the
 * shim's set-up (shim/init.c, shim/entry.c's first registration).
 *
 * After set-up the config is read-only, so the delivery path reads it
 * without a lock. `active` is the switch between wrapping and pure
 * pass-through.
 */
#ifndef RECONSUME_HOOKS_RUNTIME_H
#define RECONSUME_HOOKS_RUNTIME_H

#include <stdatomic.h>
#include <stdbool.h>

#include "policy/config.h"
#include "policy/sinkspec.h"
#include "state/attempts.h"

/* How the application's callback is called (hooks/call.h). */
enum rc_call_kind {
    RC_CALL_PLAIN,      /* nothing caught */
    RC_CALL_CATCHING,   /* C++ exceptions caught */
    RC_CALL_SIGGUARDED, /* fatal signals recovered (and exceptions, if caught) */
    RC_CALL_OBSERVING,  /* observe mode: exceptions seen and rethrown */
};

struct rc_journal;

struct rc_runtime {
    enum rc_call_kind call_kind;
    bool full_path;             /* rules, injection, a journal or a timeout */
    struct rc_journal *journal; /* RECONSUME_JOURNAL, opened at the first registration */
    atomic_bool active;
    atomic_bool in_forked_child; /* set in the child of a fork() */
    struct rc_config cfg;
    /* Each rule's sink= chain, parsed once at the first registration
     * (indexed like cfg.rules.v; n == 0 where the rule has none). */
    struct rc_sinkspec *rule_sinks;
    struct rc_attempts *attempts;
    const atomic_size_t *tracked; /* its entry count (rc_attempts_size_word), read inline */
    char host[256];
};

extern struct rc_runtime rc_rt;

static inline bool rc_active(void)
{
    return atomic_load_explicit(&rc_rt.active, memory_order_acquire);
}

#endif
