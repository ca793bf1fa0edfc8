/*
 * pace.c - replay's pacing and progress line (see pace.h).
 */
#include "tools/spool/pace.h"

#include <errno.h>
#include <stdio.h>

static double now_s(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + t.tv_nsec / 1e9;
}

void ts_pace_start(struct ts_pace *p, double rate, long total, bool progress)
{
    p->rate = rate;
    p->done = 0;
    p->total = total;
    p->progress = progress;
    clock_gettime(CLOCK_MONOTONIC, &p->start);
}

double ts_pace_elapsed(const struct ts_pace *p)
{
    return now_s() - ((double)p->start.tv_sec + p->start.tv_nsec / 1e9);
}

void ts_pace_wait(struct ts_pace *p)
{
    if (p->rate <= 0 || p->done == 0)
        return;
    double at = (double)p->done / p->rate; /* seconds after start */
    struct timespec t = p->start;
    long long ns = (long long)(at * 1e9) + t.tv_nsec;
    t.tv_sec += (time_t)(ns / 1000000000LL);
    t.tv_nsec = (long)(ns % 1000000000LL);
    while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &t, NULL) == EINTR)
        ;
}

void ts_pace_sent(struct ts_pace *p)
{
    p->done++;
    if (!p->progress)
        return;
    double el = ts_pace_elapsed(p), r = el > 0 ? p->done / el : 0;
    fprintf(stderr, "\r\033[Kreconsume-spool: replay: %ld/%ld sent, %.1f/s", p->done, p->total, r);
    if (r > 0 && p->done < p->total)
        fprintf(stderr, ", ETA %.0fs", (p->total - p->done) / r);
    fflush(stderr);
}

void ts_pace_clear(struct ts_pace *p)
{
    if (p->progress && p->done > 0) {
        fputs("\r\033[K", stderr);
        fflush(stderr);
    }
}
