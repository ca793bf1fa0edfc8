/*
 * spool.h - the local spool sink: one file per diverted message.
 *
 * Layout (Maildir's): <dir>/tmp/ holds records being written, <dir>/new/ the
 * durable ones. A record is written to tmp/, fsync'ed, renamed into new/, and
 * new/ is fsync'ed; only then does rc_spool_write() return 0. Files are 0600,
 * directories 0700; the spool directory itself must not be a symlink and must
 * not be writable by others. File names are
 *   <unix-ms>.<pid>_<seq>.<safe msgId>.rec
 * so they sort by time and never come unescaped from the wire.
 */
#ifndef RECONSUME_SINK_SPOOL_H
#define RECONSUME_SINK_SPOOL_H

#include <stddef.h>
#include "policy/record.h"

/*
 * Check (and create where missing, with parents) the spool directory and its
 * tmp/ and new/ subdirectories. Returns 0, or -1 with a one-line reason in err
 * (for example "cannot create /x/y: Permission denied" or "is a symlink").
 * Called once at load to validate configuration; rc_spool_write() calls it
 * again by itself when the directory (or tmp/, new/) has vanished. tmp/ and
 * new/ must not be symlinks nor writable by others either, and must be
 * writable by us (checked with faccessat(AT_EACCESS)). Ownership is not
 * checked.
 */
int rc_spool_prepare(const char *dir, char *err, size_t errlen);

/*
 * rc_spool_prepare's checks of what already exists, creating nothing (for
 * `reconsume run`'s pre-check): 0 when the directory is missing or would be
 * taken as it is, else -1 with the same one-line reason the shim gives.
 */
int rc_spool_check(const char *dir, char *err, size_t errlen);

/*
 * Write r durably. Returns 0 when the record is in new/ and both the file and
 * the directory are fsync'ed; name (cap bytes, may be NULL) receives the file
 * name. Otherwise returns -errno, leaves no file in new/ and removes its
 * temporary file, and writes a one-line reason in err. Thread-safe; takes no
 * lock (uniqueness comes from pid + an atomic sequence; O_EXCL in tmp/ and
 * RENAME_NOREPLACE into new/ turn a collision into a retry, never an
 * overwrite). <unix-ms> is the clock at write time, not r->diverted_at_ms.
 * Notable returns: -ELOOP (a symlink), -EPERM (writable by group/others),
 * -ENOTDIR, -ENOENT (cannot be created), -EFBIG (RLIMIT_FSIZE; note that
 * SIGXFSZ kills the process unless ignored), -ENOSPC, -EDQUOT, -EIO,
 * -EINVAL (empty dir, NULL record), -ENOMEM, -EOVERFLOW.
 * If fsync of new/ fails, the file is unlinked from new/ again. Not
 * async-signal-safe (malloc, snprintf): never call it from a signal handler.
 */
int rc_spool_write(const char *dir, const struct rc_record *r,
                   char *name, size_t cap, char *err, size_t errlen);

#endif
