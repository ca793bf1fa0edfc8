/*
 * divert.h - taking a poison message out of the flow: store it, durably,
 * in the configured sink. The caller acknowledges it only on success.
 */
#ifndef RECONSUME_HOOKS_DIVERT_H
#define RECONSUME_HOOKS_DIVERT_H

#include <stddef.h>

#include "hooks/client_api.h"
#include "hooks/guard.h"
#include "hooks/registry.h"

struct rc_delivery;

/*
 * Store d's message with the reason in *call. action is "diverted" (the
 * caller will acknowledge it) or "observed" (observe mode: kept for study, not
 * acked); because is "cap", "non_retryable", "signal" or "crash_loop".
 * Returns 0 when the record is durable (logged at info, with where it went),
 * else -errno (logged at error).
 */
int rc_divert(const struct rc_delivery *d, const struct rc_call *call, int attempts,
              const char *action, const char *because);

/* Create the sink's directories; 0, or -1 with the reason in err. */
int rc_divert_prepare(char *err, size_t errlen);

#endif
