/*
 * retry.h - a failure's own retry copy (RECONSUME_RETRY=copy, the default).
 *
 * The client's answer to RECONSUME_LATER is the whole batch's: every message
 * of it goes back to the broker (the good ones to be called again, the
 * unseen ones counted as failed). For a clustering, concurrent consumer the
 * shim retries one message instead: it sends a copy of it to
 * %RETRY%<group> with the topic sink's producer (sink/topic.c, created at
 * the first need, for the consumer's name server), and only when the broker
 * confirmed it (SEND_OK) tells the client the message was consumed, so the
 * client's MessageListenerInner goes on to the next message and nothing
 * else is sent back. What the copy carries: policy/retry_copy.h; its delay:
 * policy/retry_delay.h. A copy not confirmed is sent once more after
 * RC_RETRY_COPY_RESEND_MS; not confirmed again: the client gets RECONSUME_LATER, as
 * with RECONSUME_RETRY=batch, never an acknowledgement.
 */
#ifndef RECONSUME_HOOKS_RETRY_H
#define RECONSUME_HOOKS_RETRY_H

#include <stdbool.h>

#include "hooks/delivery.h"

/* The pause before a copy that was not confirmed is sent once more, ms. */
#define RC_RETRY_COPY_RESEND_MS 250

/* A retry of d goes by copy: RECONSUME_RETRY=copy and a clustering,
 * concurrent consumer (orderly and broadcasting keep their own retries). */
bool rc_retry_by_copy(const struct rc_delivery *d);

/* Send d's retry copy after its attempt d->attempt failed: 0 once the broker
 * confirmed it, else -1 (said in the log, counted). */
int rc_retry_copy(struct rc_delivery *d);

#endif
