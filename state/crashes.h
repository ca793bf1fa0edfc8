/*
 * crashes.h - the crash counts of the crash-loop journal (state/journal.h):
 * keys, the in-memory table, and the <dir>/crashes file that keeps them
 * across processes. Internal to state/journal.c and its tests.
 */
#ifndef RECONSUME_STATE_CRASHES_H
#define RECONSUME_STATE_CRASHES_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "state/journal_format.h"

/* A key as it is stored: group bytes then id bytes, both possibly cut. */
struct rc_crash_key {
    uint16_t glen, ilen;
    char b[RC_JOURNAL_KEY_MAX];
};

struct rc_crash {
    struct rc_crash_key k;
    int count;
    int64_t last;          /* unix seconds of the last crash counted */
    atomic_int forgotten;  /* set by rc_journal_forget; read lock-free */
};

/*
 * A growable list of crash entries with an open-addressing index over it
 * (1 + position, 0 = empty; kept at most half full). Built while opening;
 * the journal then keeps both, immutable.
 */
struct rc_crash_table {
    struct rc_crash *c;
    size_t n, cap;
    uint32_t *idx;
    size_t idx_cap; /* a power of two, or 0 */
};

/* Build a key from a group and a message id (both cut to fit). */
void rc_crash_key_make(struct rc_crash_key *k, const char *group, const char *id);

/* The entry for k, or NULL. */
struct rc_crash *rc_crash_find(struct rc_crash_table *t, const struct rc_crash_key *k);

/* Add count crashes at time last to k; false when full or out of memory. */
bool rc_crash_add(struct rc_crash_table *t, const struct rc_crash_key *k, int count, int64_t last);

void rc_crash_table_free(struct rc_crash_table *t);

/* Merge <dir>/crashes (dirfd) into t; entries older than the horizon are
 * dropped and *aged says so. Garbage lines are skipped, never trusted. */
void rc_crashes_load(int dirfd, struct rc_crash_table *t, int64_t now, bool *aged);

/* Rewrite <dir>/crashes atomically with n entries (forgotten ones left out).
 * Returns 0 or -errno. */
int rc_crashes_save(int dirfd, const struct rc_crash *c, size_t n);

#endif
