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

/* The highest delay level of the broker's default table. */
#define RC_RETRY_DELAY_LEVEL_MAX 18

/*
 * The level for the copy made after retries_so_far retries (0 after the
 * first delivery failed): the broker's own schedule for a consumer's
 * send-back, 3 + the reconsume times, capped at 18; below 0 counts as 0.
 */
int rc_retry_delay_level(int retries_so_far);

#endif
