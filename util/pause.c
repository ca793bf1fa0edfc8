/*
 * pause.c - see pause.h.
 */
#include "util/pause.h"

#include <errno.h>
#include <time.h>

void rc_pause_ms(long ms)
{
    if (ms <= 0)
        return;
    struct timespec t = {ms / 1000, (ms % 1000) * 1000000L};
    while (nanosleep(&t, &t) != 0 && errno == EINTR)
        ;
}
