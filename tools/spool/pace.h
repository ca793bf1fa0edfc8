/*
 * pace.h - replay's pacing (--rate) and its progress line: sends spaced
 * evenly from the start (send k not before start + k/rate, so a slow send
 * is not made up by a burst above the rate), and "done/total, rate, ETA"
 * redrawn on stderr when it is a terminal.
 */
#ifndef RECONSUME_TOOLS_SPOOL_PACE_H
#define RECONSUME_TOOLS_SPOOL_PACE_H

#include <stdbool.h>
#include <time.h>

struct ts_pace {
    double rate;            /* sends a second; 0: as fast as the broker answers */
    struct timespec start;  /* CLOCK_MONOTONIC */
    long done, total;
    bool progress;          /* stderr is a terminal: draw the line */
};

void ts_pace_start(struct ts_pace *p, double rate, long total, bool progress);
/* Wait until the next send may go (none with rate 0). */
void ts_pace_wait(struct ts_pace *p);
/* One more sent: count it, redraw the progress line. */
void ts_pace_sent(struct ts_pace *p);
/* Seconds since start. */
double ts_pace_elapsed(const struct ts_pace *p);
/* Clear the progress line (before any other line on stderr, and at the end). */
void ts_pace_clear(struct ts_pace *p);

#endif
