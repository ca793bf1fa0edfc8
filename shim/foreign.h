/*
 * foreign.h - registrations made through a dlsym() of the client's handle,
 * whose callbacks may be libffi closures (Python's ctypes, cffi, ...).
 *
 * Such a callback can return without setting its status: ctypes does not
 * write the return value when the Python function raises (it prints the
 * exception and returns), so C reads whatever was in libffi's return slot
 * on the stack, often 0, a silent acknowledgement. The shim makes that value
 * known: it calls these callbacks through rc_call_painted(), which fills the
 * red zone below the stack pointer with RC_STATUS_UNSET just before the
 * call, so an unset status reads as RC_STATUS_UNSET, a bad status, and the
 * delivery is reconsumed later, counted and capped like any failure.
 */
#ifndef RECONSUME_SHIM_FOREIGN_H
#define RECONSUME_SHIM_FOREIGN_H

#include "client/api.h"

/* What a callback that set no status is read as (0x0BADCA11, "bad call"). */
#define RC_STATUS_UNSET 0x0BADCA11

/* What a dlsym() on the client's handle returns for RegisterMessageCallback,
 * RegisterMessageCallbackOrderly and DestroyPushConsumer: the shim's own
 * functions, with the callback bound to a painted call. */
int rc_foreign_register(CPushConsumer *consumer, rc_callback_fn cb);
int rc_foreign_register_orderly(CPushConsumer *consumer, rc_callback_fn cb);
int rc_foreign_destroy(CPushConsumer *consumer);

/* Call fn(c, m) with the 128 bytes below the stack pointer (the x86-64 red
 * zone, which signal delivery never touches) filled with RC_STATUS_UNSET;
 * a tail jump, so fn's frame is exactly below the caller's. */
int rc_call_painted(rc_callback_fn fn, CPushConsumer *c, CMessageExt *m);

#endif
