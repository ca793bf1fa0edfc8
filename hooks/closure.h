/*
 * closure.h - what the client calls instead of the application's callback:
 * a libffi closure per registration, and its handler.
 */
#ifndef RECONSUME_HOOKS_CLOSURE_H
#define RECONSUME_HOOKS_CLOSURE_H

#include <stdbool.h>

#include "client/api.h"
#include "hooks/registry.h"

/*
 * A new registration wrapping cb for consumer c, its closure bound to the
 * handler; NULL if none can be had (the reason is logged once), and the
 * caller then passes the callback through unwrapped.
 */
struct rc_registration *rc_closure_wrap(CPushConsumer *c, rc_callback_fn cb, bool orderly);

/*
 * Call reg's handler directly, as its closure would, with libffi's
 * arguments (args[0] points at the consumer, args[1] at the message; ret
 * gets the ffi_sarg status): for a caller with its own compiled entry point
 * (the benchmark's static thunk, row f).
 */
void rc_closure_call(struct rc_registration *reg, void *ret, void **args);

#endif
