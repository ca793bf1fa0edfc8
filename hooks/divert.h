/*
 * divert.h - taking a poison message out of the flow: store it, durably,
 * in the configured sink. The caller acknowledges it only on success.
 */
#ifndef RECONSUME_HOOKS_DIVERT_H
#define RECONSUME_HOOKS_DIVERT_H

#include <stddef.h>

#include "client/api.h"
#include "hooks/guard.h"
#include "hooks/registry.h"

struct rc_delivery;

/*
 * Store d's message with the reason in *call, in the sinks of the chain in
 * force (the rule's sink=, else RECONSUME_SINK), in order: the first that
 * stores it durably wins (a topic: SendMessageSync said SEND_OK; the spool:
 * file and directory fsync'ed); a failure is logged and the next is tried. action is "diverted" (the
 * caller will acknowledge it) or "observed" (observe mode: kept for study, not
 * acked); because is "cap", "non_retryable", "signal" or "crash_loop".
 * Returns 0 when the record is durable (logged at info, with where it went),
 * else -errno (logged at error).
 */
int rc_divert(const struct rc_delivery *d, const struct rc_call *call, int attempts,
              const char *action, const char *because);

/* Create the spool's directories if any sink chain (RECONSUME_SINK, a
 * rule's sink=) uses the spool; 0, or -1 with the reason in err. */
int rc_divert_prepare(char *err, size_t errlen);

/* A consumer's name server (the topic sink's producer uses the same). */
void rc_divert_note_namesrv(const void *consumer, const char *namesrv);

/* A consumer is destroyed: shut down a topic producer only it used. */
void rc_divert_consumer_gone(const void *consumer);

#endif
