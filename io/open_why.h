/*
 * open_why.h - the reason to give, in one line, for a user-named path that
 * rc_open_regular (io/open_regular.h) did not open.
 */
#ifndef RECONSUME_IO_OPEN_WHY_H
#define RECONSUME_IO_OPEN_WHY_H

/*
 * "not a regular file" when err is rc_open_regular's EINVAL, or when the
 * path names something that exists and is not a regular file (a FIFO
 * without a reader fails the non-blocking open with ENXIO, a directory with
 * EISDIR); else strerror(err). Looks with stat(2), which never blocks.
 * errno is preserved.
 */
const char *rc_open_why(const char *path, int err);

#endif
