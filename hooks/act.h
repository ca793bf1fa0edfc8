/*
 * act.h - the last stage of a delivery: carry out the verdict.
 */
#ifndef RECONSUME_HOOKS_ACT_H
#define RECONSUME_HOOKS_ACT_H

#include <stdbool.h>

#include "hooks/delivery.h"
#include "hooks/guard.h"

/*
 * Carry out dec for the attempt that ended in *call: pass the callback's
 * status; retry later; divert (store first, acknowledge only after; a failed
 * store is never an acknowledgement); or, in observe mode, say what enforcing
 * would have done and pass. Returns true with *answer (what the client is
 * told), or false when broadcasting must retry in the consume thread (its
 * client never retries).
 */
bool rc_act(struct rc_delivery *d, const struct rc_call *call, struct rc_decision dec, int *answer);

/* The message resolved (succeeded or left): its counters can go. */
void rc_act_resolved(const struct rc_delivery *d);

#endif
