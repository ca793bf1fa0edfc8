/*
 * retry_copy.c - what a retry copy carries (see retry_copy.h).
 */
#include "policy/retry_copy.h"

int rc_retry_carried(const char *v)
{
    if (!v || !*v)
        return 0;
    long n = 0;
    for (; *v; v++) {
        if (*v < '0' || *v > '9')
            return 0;
        n = n * 10 + (*v - '0');
        if (n > RC_RETRY_CARRIED_MAX)
            n = RC_RETRY_CARRIED_MAX + 1;
    }
    return n > RC_RETRY_CARRIED_MAX ? RC_RETRY_CARRIED_MAX : (int)n;
}
