/*
 * store.h - the records reconsume-spool works on, from a spool directory or
 * a poison topic, and what it changes in the spool (replayed/, purge) and in
 * a replay ledger. Unit-tested in tests/unit/test_spooltool_store.c.
 */
#ifndef RECONSUME_TOOLS_SPOOL_STORE_H
#define RECONSUME_TOOLS_SPOOL_STORE_H

#include <stdbool.h>
#include <stddef.h>

#include "policy/record.h"
#include "tools/spool/args.h"

struct ts_rec {
    char id[320];       /* spool: the file name; topic: <broker>:<queue>:<offset> */
    bool replayed;      /* in <spool>/replayed/, or in the topic's ledger */
    bool ok;            /* parsed and whole; else err says why (damaged) */
    bool parsed;        /* r and head are set: ok, or damaged only by missing headers */
    char err[256];
    struct rc_record r; /* when parsed */
    char *head;         /* when parsed: the header lines as in the input, for show */
    size_t head_len;
    size_t copy_of;     /* ts_set_dedup: index of the first record of the same
                           message (itself when it is the first or not ok) */
};

struct ts_set {
    struct ts_rec *v;
    size_t n, cap;
};

/* A new zeroed entry at the end of *s, or NULL (out of memory). */
struct ts_rec *ts_set_add(struct ts_set *s);
void ts_set_free(struct ts_set *s);
/* Sort by diversion time, then id; damaged records by id among them. */
void ts_set_sort(struct ts_set *s);

/* Parse text (len bytes) into e: ok; or not ok with e->err, and parsed
 * when only headers that every record has are missing (they are named). */
void ts_rec_parse(struct ts_rec *e, const char *text, size_t len);

/*
 * Load dir/new/ (and dir/replayed/ with with_replayed). A record that
 * cannot be read or parsed is still an entry, not ok, with the reason.
 * Returns 0, or -1 with err when dir/new cannot be read at all (a missing
 * spool directory is an error: it names the directory), or when dir, its
 * new/ or its replayed/ is a symlink (refused, whether or not replayed
 * records were asked for).
 */
int ts_spool_load(const char *dir, bool with_replayed, struct ts_set *out, char *err,
                  size_t errlen);

/* For a topic source's default ledger: 0 when dir/replayed is a directory
 * or missing (dir too); -1 with err when dir or dir/replayed is a symlink. */
int ts_spool_check(const char *dir, char *err, size_t errlen);

/* Move dir/new/<id> to dir/replayed/<id>, durably (fsync of both
 * directories), never through a symlink. 0, or -1 with err. */
int ts_spool_mark_replayed(const char *dir, const char *id, char *err, size_t errlen);

/* Remove a record (from new/, or replayed/ when e->replayed); durable. The
 * unlink is relative to that subdirectory, opened without following a
 * symlink: it never reaches outside the spool. 0, or -1 with err. */
int ts_spool_remove(const char *dir, const struct ts_rec *e, char *err, size_t errlen);

/* A replay ledger: one id per line, appended and fsync'ed per confirmed send. */
struct ts_ledger {
    char **ids;
    size_t n;
};
/* Load (a missing file is empty); a torn last line (no newline) is ignored. */
int ts_ledger_load(const char *path, struct ts_ledger *l, char *err, size_t errlen);
bool ts_ledger_has(const struct ts_ledger *l, const char *id);
int ts_ledger_append(const char *path, const char *id, char *err, size_t errlen);
void ts_ledger_free(struct ts_ledger *l);

/* "exception:std::runtime_error", "signal:SIGSEGV", "bad_status:7", "reconsume". */
void ts_reason(const struct rc_record *r, char *buf, size_t cap);

/* Does e pass the filters of o (group, topic, reason, since, until)? A
 * damaged record passes only when no filter is given. */
bool ts_match(const struct ts_opts *o, const struct ts_rec *e);

#endif
