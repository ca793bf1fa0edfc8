/*
 * retry_delay.c - the delay level of a retry copy (see retry_delay.h).
 */
#include "policy/retry_delay.h"

#include <stdio.h>

int rc_retry_delay_level(int retries_so_far)
{
    if (retries_so_far < 0)
        retries_so_far = 0;
    if (retries_so_far >= RC_RETRY_DELAY_LEVEL_MAX - 3)
        return RC_RETRY_DELAY_LEVEL_MAX;
    return 3 + retries_so_far;
}

void rc_retry_delay_for(const struct rc_backoff *b, bool timer, int attempt,
                        struct rc_retry_delay *out)
{
    if (attempt < 1)
        attempt = 1;
    if (!rc_backoff_set(b)) {
        out->level = rc_retry_delay_level(attempt - 1);
        out->ms = rc_backoff_level_ms(out->level);
    } else {
        uint32_t ms = rc_backoff_delay_ms(b, (unsigned)attempt);
        if (timer) {
            out->property = RC_BACKOFF_TIMER_PROPERTY;
            out->level = 0;
            out->ms = ms < RC_BACKOFF_TIMER_MAX_MS ? ms : RC_BACKOFF_TIMER_MAX_MS;
            snprintf(out->value, sizeof out->value, "%u", (unsigned)out->ms);
            return;
        }
        out->level = rc_backoff_level_at_or_above(ms);
        out->ms = out->level > 0 ? rc_backoff_level_ms(out->level) : 0;
    }
    out->property = "DELAY";
    snprintf(out->value, sizeof out->value, "%d", out->level);
}
