/*
 * read_file.h - reading a small file the user named, whole.
 *
 * The one reader of RECONSUME_CONFIG's file (policy/ reads no files: the
 * loader is handed this function, policy/config.h's rc_read_fn).
 */
#ifndef RECONSUME_IO_READ_FILE_H
#define RECONSUME_IO_READ_FILE_H

#include <stddef.h>

#include "policy/config.h"

/*
 * Read the regular file at path, at most max bytes, into *text (from malloc,
 * a NUL after the last byte, *len bytes before it; free it with free()).
 * Opened with rc_open_regular (io/open_regular.h), so a FIFO or a device
 * never blocks: it is refused. The file is read to its end whatever its size
 * said (it may change while it is read). Returns 0, or -1 with the reason in
 * err, without the path (the caller names it): "cannot open: <strerror>",
 * "not a regular file", "file is N bytes; expected at most MAX", "file is
 * over MAX bytes", "cannot read: <strerror>" or "out of memory".
 */
int rc_read_file(const char *path, size_t max, char **text, size_t *len, char *err,
                 size_t errlen);

/*
 * Read up to size bytes from fd at offset off (pread, resumed after EINTR and
 * short reads) into buf; the number of bytes read (fewer at end of file or on
 * an error).
 */
size_t rc_pread_full(int fd, void *buf, size_t size, long long off);

/* rc_config_load_from (policy/config.h) with RECONSUME_CONFIG's file read by
 * rc_read_file and no misspelling check: for the tools and tests. */
int rc_config_load(struct rc_config *out, rc_getenv_fn get, char *err, size_t errlen);

#endif
