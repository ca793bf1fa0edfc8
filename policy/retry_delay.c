/*
 * retry_delay.c - the delay level of a retry copy (see retry_delay.h).
 */
#include "policy/retry_delay.h"

int rc_retry_delay_level(int retries_so_far)
{
    if (retries_so_far < 0)
        retries_so_far = 0;
    if (retries_so_far >= RC_RETRY_DELAY_LEVEL_MAX - 3)
        return RC_RETRY_DELAY_LEVEL_MAX;
    return 3 + retries_so_far;
}
