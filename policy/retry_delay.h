/*
 * retry_delay.h - the delay level of a retry copy (RECONSUME_RETRY=copy).
 *
 * The one place the delay of a retry copy is chosen. A retry copy is sent
 * with the broker's DELAY property: a delay level of the broker's
 * messageDelayLevel table (1s 5s 10s 30s 1m 2m 3m 4m 5m 6m 7m 8m 9m 10m 20m
 * 30m 1h 2h by default, levels 1 to 18).
 */
#ifndef RECONSUME_POLICY_RETRY_DELAY_H
#define RECONSUME_POLICY_RETRY_DELAY_H

#include <stdbool.h>
#include <stdint.h>

#include "policy/backoff.h"

/* The highest delay level of the broker's default table. */
#define RC_RETRY_DELAY_LEVEL_MAX 18

/*
 * The level for the copy made after retries_so_far retries (0 after the
 * first delivery failed): the broker's own schedule for a consumer's
 * send-back, 3 + the reconsume times, capped at 18; below 0 counts as 0.
 */
int rc_retry_delay_level(int retries_so_far);

/* The delay property of a retry copy and what it asks for. */
struct rc_retry_delay {
    const char *property; /* "DELAY" (a level) or RC_BACKOFF_TIMER_PROPERTY (ms) */
    char value[16];       /* its value */
    uint32_t ms;          /* the delay asked for: the level's in the default table, or the timer's */
    int level;            /* the level, or 0 for a timer */
};

/*
 * The delay of the copy made after attempt `attempt` failed. Without a
 * schedule (b unset): the broker's own level for a send-back. With one: its
 * delay for that retry, as the nearest level at or above it (any broker),
 * or with `timer` (RECONSUME_BACKOFF_TIMER=1) as a 5.x broker's timer,
 * exact to its 1 s precision: a 4.x broker has no timer and would deliver
 * at once, and a 5.x broker takes a level over a timer, so never both.
 */
void rc_retry_delay_for(const struct rc_backoff *b, bool timer, int attempt,
                        struct rc_retry_delay *out);

#endif
