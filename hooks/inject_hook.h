/*
 * inject_hook.h - carrying out an injected fault (policy/inject.h decides
 * which): the application's callback is swapped, for one call, for a stand-in
 * that fails the chosen way, so the fault goes through exactly the machinery
 * a real one would (the guards, the cap, the sinks).
 */
#ifndef RECONSUME_HOOKS_INJECT_HOOK_H
#define RECONSUME_HOOKS_INJECT_HOOK_H

#include "client/api.h"
#include "policy/inject.h"

#ifdef __cplusplus
extern "C" {
#endif

/*
 * The callback to call for this delivery: a stand-in returning the rule's
 * status, or throwing its text; for a delay, app itself, after the pause.
 * Thread-local state: call it right before the call, on the same thread.
 */
rc_callback_fn rc_inject_begin(const struct rc_inject_rule *r, rc_callback_fn app);

/* For guard_cxx.cc's thrower: the text of the fault being injected. */
const char *rc_inject_text(void);

/* The stand-in that throws std::runtime_error(rc_inject_text()) (C++). */
int rc_inject_throw(CPushConsumer *c, CMessageExt *m);

#ifdef __cplusplus
}
#endif
#endif
