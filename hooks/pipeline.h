/*
 * pipeline.h - one delivery, from the closure to the client's answer.
 */
#ifndef RECONSUME_HOOKS_PIPELINE_H
#define RECONSUME_HOOKS_PIPELINE_H

#include "client/api.h"
#include "hooks/guard.h"
#include "hooks/registry.h"

/*
 * Deliver m to reg's callback for consumer c and return what the client is
 * told. made is the attempt the plain path (closure.c) has already made, or
 * NULL to make it here; made_elapsed_ns is how long it ran (-1: not
 * measured). errno is preserved.
 */
int rc_deliver(const struct rc_registration *reg, CPushConsumer *c, CMessageExt *m,
               const struct rc_call *made, long long made_elapsed_ns);

#endif
