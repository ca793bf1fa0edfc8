/*
 * retry_copy.h - what a retry copy carries (RECONSUME_RETRY=copy).
 *
 * A clustering, concurrent consumer's failure below the cap is not handed
 * back to the client (which would send the whole batch back): the shim
 * sends a copy of the message to %RETRY%<group> with its own producer and,
 * only once the broker confirmed it, reports that message consumed. The
 * copy carries, besides the message's body, tags, keys and properties:
 *   RETRY_TOPIC                     the original topic: the client puts it
 *                                   back before the application sees the
 *                                   copy (both client builds, like a
 *                                   send-back's);
 *   DELAY                           the delay level (retry_delay.h);
 *   RECONSUME_RETRY_ATTEMPTS        the calls made so far (the broker's
 *                                   reconsume times of a copy start at 0);
 *   RECONSUME_RETRY_ORIGIN_MSG_ID   the first delivery's message id: the
 *                                   id the shim's records and counts use.
 * The names are apart from the topic sink's RECONSUME_ATTEMPTS and
 * RECONSUME_ORIGIN_MSG_ID, so a diverted message read back from a poison
 * topic is never taken for a retry copy.
 */
#ifndef RECONSUME_POLICY_RETRY_COPY_H
#define RECONSUME_POLICY_RETRY_COPY_H

#define RC_RETRY_PROP_TOPIC "RETRY_TOPIC"
#define RC_RETRY_PROP_DELAY "DELAY"
#define RC_RETRY_PROP_ATTEMPTS "RECONSUME_RETRY_ATTEMPTS"
#define RC_RETRY_PROP_ORIGIN_ID "RECONSUME_RETRY_ORIGIN_MSG_ID"

/* The most calls a copy may say were made (a larger value is taken as this). */
#define RC_RETRY_CARRIED_MAX 1000000

/*
 * The calls a copy's RECONSUME_RETRY_ATTEMPTS value v says were made: a
 * decimal number (at most RC_RETRY_CARRIED_MAX). NULL, empty or anything
 * else (the property comes from the wire): 0.
 */
int rc_retry_carried(const char *v);

#endif
