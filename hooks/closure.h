/*
 * dispatch.h - what runs, in the client's consume thread, instead of the
 * application's callback: the libffi closure handler.
 */
#ifndef RECONSUME_HOOKS_CLOSURE_H
#define RECONSUME_HOOKS_CLOSURE_H

#include <ffi.h>

/* The callback's libffi signature, int (*)(CPushConsumer *, CMessageExt *),
 * prepared once and shared by every closure for the life of the process. */
ffi_cif *rc_dispatch_cif(void);

/* The closure handler; user is the struct rc_registration. */
void rc_dispatch(ffi_cif *cif, void *ret, void **args, void *user);

#endif
