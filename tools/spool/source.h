/*
 * source.h - what every reconsume-spool command works on: the records of
 * the spool (or of a poison topic and its replay ledger), loaded once, and
 * how a command line id names one of them.
 */
#ifndef RECONSUME_TOOLS_SPOOL_SOURCE_H
#define RECONSUME_TOOLS_SPOOL_SOURCE_H

#include <limits.h>

#include "tools/spool/args.h"
#include "tools/spool/client.h"
#include "tools/spool/store.h"

/* One line on stderr, prefixed "reconsume-spool: ". */
#define TS_SAY(...) \
    (fputs("reconsume-spool: ", stderr), fprintf(stderr, __VA_ARGS__), fputc('\n', stderr))

struct ts_ctx {
    struct ts_opts *o;
    char spool[PATH_MAX];
    char ledger[PATH_MAX + 300]; /* topic source: the replay ledger's path */
    struct ts_client client;
    int have_client;
    struct ts_set set;
    int partial;                 /* a topic queue could not be read to its end */
};

/* Load the records the command works on; 0, or TS_EXIT_* (said on stderr). */
int ts_ctx_load(struct ts_ctx *x, int with_replayed);

/* Open the client library once; 0, or -1 (said on stderr). */
int ts_ctx_open_client(struct ts_ctx *x);

/* If e is damaged, name it on stderr with the reason and return 1; else 0. */
int ts_say_damaged(const struct ts_rec *e);

/* The record an id names: its record id, else a msgId of exactly one record
 * (copies of one message count as one: the first not replayed is named).
 * NULL when none does; TS_AMBIGUOUS when several have that msgId. */
#define TS_AMBIGUOUS ((const struct ts_rec *)-1)
const struct ts_rec *ts_ctx_find(const struct ts_ctx *x, const char *id);

/*
 * For show, more ways to name a record, tried in this order: a record id,
 * a msgId, a key (one of the record's space-separated Keys), then a prefix
 * of a record id or of a msgId. The first kind that matches decides: NULL
 * when none matches; TS_AMBIGUOUS when it matches several records, with
 * *what naming the kind ("msgId", "key" or "prefix").
 */
const struct ts_rec *ts_ctx_find_loose(const struct ts_ctx *x, const char *id, const char **what);

/* Does every id given name exactly one record? 0, or -1 with the first
 * that does not said on stderr ("cmd: ID: no such record ..."). */
int ts_ctx_check_ids(const struct ts_ctx *x, const char *cmd);

/* Was e chosen: by id when ids are given, else by the filters. */
int ts_ctx_chosen(const struct ts_ctx *x, const struct ts_rec *e);

#endif
