/*
 * backoff.h - RECONSUME_BACKOFF (and a rule's backoff=): the shim's own
 * schedule of pauses between the attempts of a failing message.
 *
 * Pure: parsing, the delay of a retry, the broker's delay levels. No I/O,
 * no allocation; a schedule is a value (copy it freely), read-only after
 * load, so any number of threads may read one at once.
 *
 * Grammar. The anchors: NATS JetStream's consumer BackOff, a list of
 * durations whose last one is reused; RocketMQ 5's group retry policies
 * (remoting/.../subscription, 5.3.3): CustomizedRetryPolicy, a list (by
 * default the 18 delay levels) whose last one repeats, and
 * ExponentialRetryPolicy, min(max, initial * multiplier^reconsumeTimes),
 * initial 5s, max 2h, multiplier 2 by default (its first retry waits
 * initial, as retry 1 here waits DELAY).
 * ------------------------------------------------------------------------
 *   BACKOFF = LIST | EXP | 'off'
 *   LIST    = DELAY [ ',' DELAY ]...        1 to RC_BACKOFF_MAX_STEPS delays:
 *                                           the first is the pause before the
 *                                           2nd call, and so on; the last repeats
 *   EXP     = 'exp:' DELAY [ '*' N ] [ ',max=' DELAY ]
 *                                           retry k waits DELAY * N^(k-1), at
 *                                           most max; N 1 to 100 (default 2),
 *                                           max default 2h (RocketMQ 5's)
 *   DELAY   = DIGITS UNIT | '0'             UNIT ms, s, m or h; at most 24h
 *   'off'   no schedule: today's behaviour (a rule's way to undo the global)
 * No blanks (a rule's settings are blank-separated).
 *
 *   RECONSUME_BACKOFF=1s,5s,30s,2m          1 s, 5 s, 30 s, then 2 min each time
 *   RECONSUME_BACKOFF=exp:1s*2,max=10m      1 s, 2 s, 4 s ... 8m32s, 10m, 10m ...
 *
 * What it changes (man/reconsume.7): orderly, the pause before the local
 * retry (the shim waits rc_backoff_delay_ms in the consume thread before it
 * hands the failure back; the client then adds its own pause: measured
 * about 100 ms with client 1.2.3 and 1000 ms with 2.1.0, as in the 1.2.5+
 * sources, ConsumeMessageOrderlyService's tryLockLaterAndReconsumeDelay);
 * broadcasting, the pause between in-process retries (instead of
 * RECONSUME_BROADCAST_BACKOFF_MS); clustering, the delay of the shim's own
 * retry copy (4.x: rc_backoff_level_at_or_above; 5.x: RC_BACKOFF_TIMER_*).
 *
 * The brokers, as their sources say (apache/rocketmq, facts only):
 * - 4.9.7: messageDelayLevel defaults to "1s 5s 10s 30s 1m 2m 3m 4m 5m 6m
 *   7m 8m 9m 10m 20m 30m 1h 2h" (levels 1..18, MessageStoreConfig). It has
 *   no timer messages: TIMER_DELAY_MS, TIMER_DELAY_SEC and TIMER_DELIVER_MS
 *   appear nowhere in its source, so such a property is kept as a plain
 *   property and the message is deliverable at once: no delay at all.
 * - 5.3.3: every put goes through HookUtils.handleScheduleMessage (a store
 *   hook, BrokerController), so a plain send to %RETRY%<group> does too:
 *   - a DELAY level > 0 wins: the TIMER_* properties are removed and the
 *     level is used (clamped to the highest level), as on 4.x;
 *   - otherwise TIMER_DELAY_SEC, else TIMER_DELAY_MS, else TIMER_DELIVER_MS
 *     (absolute, Unix ms) makes it a timer message, if timerWheelEnable
 *     (default true; false: the put is refused, WHEEL_TIMER_NOT_ENABLE);
 *     a delay beyond timerMaxDelaySec (default 3 days) is refused
 *     (WHEEL_TIMER_MSG_ILLEGAL); a deliver time not in the future is
 *     delivered at once; the time is rounded down to timerPrecisionMs
 *     (default 1000), so a delay is exact to about 1 s.
 * So on 5.x send TIMER_DELAY_MS = the delay (RC_BACKOFF_TIMER_MAX_MS at
 * most) and no DELAY; on 4.x, DELAY = the level; never both.
 */
#ifndef RECONSUME_POLICY_BACKOFF_H
#define RECONSUME_POLICY_BACKOFF_H

#include <stddef.h>
#include <stdint.h>

#define RC_BACKOFF_MAX_STEPS 32
#define RC_BACKOFF_MAX_MS 86400000u    /* 24 h: the longest DELAY */
#define RC_BACKOFF_MAX_MULTIPLIER 100
#define RC_BACKOFF_EXP_DEFAULT_MULTIPLIER 2
#define RC_BACKOFF_EXP_DEFAULT_MAX_MS 7200000u /* 2 h */
/* The longest delay a 5.x broker's timer takes (timerMaxDelaySec's default). */
#define RC_BACKOFF_TIMER_MAX_MS 259200000u
/* The property a 5.x broker reads a relative timer delay from (ms). */
#define RC_BACKOFF_TIMER_PROPERTY "TIMER_DELAY_MS"
/* The 4.x broker's default messageDelayLevel has this many levels. */
#define RC_BACKOFF_LEVELS 18

enum rc_backoff_kind {
    RC_BACKOFF_NONE = 0, /* unset or 'off': today's behaviour */
    RC_BACKOFF_LIST,
    RC_BACKOFF_EXP,
};

struct rc_backoff {
    enum rc_backoff_kind kind;
    unsigned n;                           /* LIST: delays in steps */
    uint32_t steps[RC_BACKOFF_MAX_STEPS]; /* LIST: ms */
    uint32_t initial_ms, max_ms;          /* EXP */
    unsigned multiplier;                  /* EXP */
};

/*
 * Parse v, the value of the setting called name ("RECONSUME_BACKOFF", or
 * "backoff" in a rule), into *out. Returns 0, or -1 with one line in err
 * naming it, the value and what is accepted, e.g.
 *   RECONSUME_BACKOFF='1s,,5s': delay 2 is empty; expected DELAY[,DELAY]...,
 *   exp:DELAY[*N][,max=DELAY] or off (DELAY: digits then ms, s, m or h, or 0;
 *   at most 24h)
 * *out is zeroed (RC_BACKOFF_NONE) on failure.
 */
int rc_backoff_parse(const char *name, const char *v, struct rc_backoff *out, char *err,
                     size_t errlen);

/* Whether b is a schedule (NULL or RC_BACKOFF_NONE: no). */
static inline int rc_backoff_set(const struct rc_backoff *b)
{
    return b && b->kind != RC_BACKOFF_NONE;
}

/*
 * The pause before call retry + 1, in ms (retry 1: the pause before the
 * 2nd call). 0 for retry 0, or when b is not set.
 */
uint32_t rc_backoff_delay_ms(const struct rc_backoff *b, unsigned retry);

/*
 * The lowest 4.x delay level (default messageDelayLevel, 1..18) whose delay
 * is at or above ms: 0..1000 -> 1 (1 s), 1001..5000 -> 2, ...; above 2 h ->
 * 18 (the highest).
 */
int rc_backoff_level_at_or_above(uint32_t ms);

/* The delay of a 4.x level (1..18) in ms; 0 for any other level. */
uint32_t rc_backoff_level_ms(int level);

/*
 * The schedule as it would be written, canonical ("200ms,1s,2s",
 * "exp:1s*2,max=10m", "off"), into buf (always NUL-terminated when cap > 0,
 * truncated to cap).
 */
void rc_backoff_format(const struct rc_backoff *b, char *buf, size_t cap);

/* One delay as written: "0", "200ms", "1s", "90s", "10m", "2h". */
void rc_backoff_format_ms(uint32_t ms, char *buf, size_t cap);

#endif
