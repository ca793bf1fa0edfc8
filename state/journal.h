/*
 * journal.h - crash-loop detection across restarts (RECONSUME_JOURNAL=<dir>).
 *
 * The one failure no broker counts is a crash: the process dies inside the
 * callback, the message was never acknowledged, it is delivered again after
 * the restart, and the process dies again. The journal remembers, cheaply,
 * which message each consume thread is inside of, so that the next start can
 * count a crash against the messages that were in flight.
 *
 * While running
 *   Each process maps a small file <dir>/inflight.<pid> (a header and
 *   RC_JOURNAL_SLOTS fixed slots). A thread claims a slot once (an atomic
 *   counter; when all are taken, that thread is simply not journalled) and,
 *   around each callback, writes the message's key (consumer group + message
 *   id) into it and clears it again: plain stores into a shared mapping, no
 *   system call, no fsync. If the process dies, the kernel still holds the
 *   stores; they reach the file whatever killed the process (not a power
 *   failure, which is not a crash loop).
 *
 * At open (the next start)
 *   Under an flock on <dir>/lock, every inflight.<pid> file whose process is
 *   gone (kill(pid, 0) fails with ESRCH, the process is a zombie, or its start
 *   time in /proc/<pid>/stat differs from the one in the header: the pid was
 *   reused; a file with the opener's own pid is always from an earlier image)
 *   is read: each valid slot adds 1 to that message's count in <dir>/crashes,
 *   which is rewritten atomically (temporary file, fsync, rename, fsync of the
 *   directory); then the dead file is deleted. The counts are then loaded
 *   into an immutable table, read lock-free by rc_journal_crashes().
 *
 * Robustness: a slot is trusted only when its state word says "in flight",
 * its lengths are in range and its checksum (over sequence, lengths, key)
 * matches; a torn, truncated or garbage file, or a garbage crashes line, is
 * skipped, never trusted and never a crash. Entries of <dir>/crashes not
 * bumped for RC_JOURNAL_MAX_AGE seconds are dropped at the next rewrite, and
 * the table holds at most RC_JOURNAL_MAX_ENTRIES keys.
 *
 * Caveat: a process killed (SIGKILL, SIGTERM without a handler) inside a
 * callback counts as a crash of that message too: the journal cannot tell
 * a kill from a crash. Set RECONSUME_MAX_CRASHES above 1 so that an unlucky
 * restart does not divert a healthy message.
 *
 * Fork: the mapping is shared, so a child must not write into its parent's
 * file. Call rc_journal_atfork_child() in the child (pthread_atfork): it
 * drops the mapping, after which enter returns -1 and close deletes nothing.
 *
 * One journal per process: a second open in the same process would treat the
 * first one's file as an earlier image's (close the first one before).
 */
#ifndef RECONSUME_STATE_JOURNAL_H
#define RECONSUME_STATE_JOURNAL_H

#include <stddef.h>
#include <stdint.h>

#include "state/journal_format.h"

struct rc_journal;

/*
 * Open (creating dir 0700 when missing; its parent must exist) and recover:
 * see above. Returns 0 and *out, or -1 with one line in err naming dir.
 */
int rc_journal_open(const char *dir, struct rc_journal **out, char *err, size_t errlen);

/*
 * Before the callback: record (group, msg_id) as in flight in this thread's
 * slot. Returns the slot, or -1 (no journal, no slot left, after fork). No
 * system call, no lock, no allocation.
 */
int rc_journal_enter(struct rc_journal *j, const char *group, const char *msg_id);

/* After the callback (whatever it did): clear the slot; -1 is ignored. */
void rc_journal_leave(struct rc_journal *j, int slot);

/* Crashes counted against (group, msg_id) when the journal was opened; 0 if none. Lock-free. */
int rc_journal_crashes(const struct rc_journal *j, const char *group, const char *msg_id);

/* Keys with a crash count (0: rc_journal_crashes can be skipped). */
size_t rc_journal_known(const struct rc_journal *j);

/* In-flight messages of dead processes found (and counted) at open. */
int rc_journal_recovered(const struct rc_journal *j);

/*
 * Drop the count of (group, msg_id): it was diverted (or succeeded) and must
 * not grow the crashes file for ever. Takes a lock and the directory's flock,
 * and rewrites <dir>/crashes (a failure is left for the next forget or open).
 * Afterwards rc_journal_crashes() returns 0 for it. Returns 0, or -1.
 */
int rc_journal_forget(struct rc_journal *j, const char *group, const char *msg_id);

/* In a forked child (pthread_atfork child handler): stop journalling. */
void rc_journal_atfork_child(struct rc_journal *j);

/*
 * Delete this process's inflight file and free everything. No callback may
 * run with this journal any more (call at exit, after the consumers stopped).
 */
void rc_journal_close(struct rc_journal *j);

#endif
