/*
 * xfsz.h - writing a file without risking the host's life to SIGXFSZ.
 *
 * Past RLIMIT_FSIZE the kernel sends SIGXFSZ, whose default action ends the
 * process. Around its own writes (spool records, the log, statistics) the
 * shim holds the signal off, so the write fails with EFBIG instead, and
 * discards the one it raised (unless one was pending for someone else).
 */
#ifndef RECONSUME_IO_XFSZ_H
#define RECONSUME_IO_XFSZ_H

#include <signal.h>
#include <stdbool.h>

struct rc_xfsz {
    sigset_t old;
    bool was_pending;
};

void rc_xfsz_hold(struct rc_xfsz *h);
void rc_xfsz_release(struct rc_xfsz *h);

#endif
