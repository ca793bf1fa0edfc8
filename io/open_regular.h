/*
 * open_regular.h - opening a file the user named, without ever blocking.
 *
 * A path from the environment may name a FIFO, a device or a socket. A plain
 * open(2) of a FIFO blocks until a writer (or reader) comes, which would hang
 * the host at load or in a consume thread. So every user-named path is opened
 * with O_NONBLOCK and O_NOCTTY, checked with fstat, and refused unless it is
 * a regular file; O_NONBLOCK is then cleared (it means nothing for a regular
 * file, but the descriptor should not surprise anyone who inherits it).
 */
#ifndef RECONSUME_IO_OPEN_REGULAR_H
#define RECONSUME_IO_OPEN_REGULAR_H

#include <stddef.h>
#include <sys/types.h>

/*
 * open(path, flags | O_NONBLOCK | O_NOCTTY | O_CLOEXEC, mode), relative to
 * dirfd as openat(2) takes it (AT_FDCWD for none). Returns the descriptor,
 * or -1 with errno set: the open's own errno, or EINVAL when the path names
 * something other than a regular file (the descriptor is closed again).
 */
int rc_open_regular(int dirfd, const char *path, int flags, mode_t mode);

/* "not a regular file" for EINVAL from rc_open_regular, else strerror. */
const char *rc_open_regular_error(int err);

#endif
