/*
 * divert.h - taking a poison message out of the flow: its record, stored
 * durably in the sink chain in force. The caller acknowledges it only on
 * success.
 */
#ifndef RECONSUME_HOOKS_DIVERT_H
#define RECONSUME_HOOKS_DIVERT_H

#include "hooks/delivery.h"
#include "hooks/guard.h"

/*
 * Store d's message with the reason in *call in d->sinks, in order: the
 * first that stores it durably wins (a topic: SendMessageSync said SEND_OK;
 * the spool: file and directory fsync'ed). action is "diverted" (the caller
 * will acknowledge it) or "observed" (observe mode: kept for study, not
 * acked); because is "cap", "non_retryable", "signal" or "crash_loop".
 * Returns 0 when the record is durable (logged at info, with where it went),
 * else -errno (logged at error).
 */
int rc_divert(const struct rc_delivery *d, const struct rc_call *call, const char *action,
              const char *because);

#endif
