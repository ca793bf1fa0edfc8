/*
 * args.h - the command line of reconsume-spool, parsed without side effects
 * (unit-tested in tests/unit/test_spooltool_args.c).
 */
#ifndef RECONSUME_TOOLS_SPOOL_ARGS_H
#define RECONSUME_TOOLS_SPOOL_ARGS_H

#include <stdbool.h>
#include <stddef.h>

/* Exit statuses (documented in --help and tools/SINKS.md). */
enum {
    TS_EXIT_OK = 0,
    TS_EXIT_PARTIAL = 1, /* damaged records skipped, or a send failed (the rest done) */
    TS_EXIT_USAGE = 2,   /* bad command line */
    TS_EXIT_SOURCE = 3,  /* spool unreadable, client library or name server unusable */
};

#define TS_IDS_MAX 256

enum ts_cmd { TS_NONE, TS_LIST, TS_SHOW, TS_STATS, TS_REPLAY, TS_PURGE, TS_HELP };

struct ts_opts {
    enum ts_cmd cmd;
    const char *spool;       /* --spool DIR (NULL: the shim's default) */
    const char *from_topic;  /* --from-topic NAME: read a poison topic instead */
    const char *namesrv;     /* --namesrv ADDR */
    const char *client_lib;  /* --client-lib PATH */
    const char *to;          /* replay --to TOPIC */
    const char *to_group;    /* replay --to-group G: %RETRY%G with RETRY_TOPIC */
    double rate;             /* replay --rate N/s: sends a second (0: unpaced) */
    const char *state;       /* replay --state FILE (topic source) */
    const char *group, *topic, *reason; /* filters: fnmatch(3) patterns */
    bool has_since, has_until;
    long long since_ms, until_ms;
    bool json, hex, replayed, all, dry_run, help;
    bool yes;                /* purge --yes: records never replayed may go too */
    long limit;              /* replay --limit N (0: no limit) */
    const char *ids[TS_IDS_MAX];
    int nids;
};

/*
 * Parse argv (argv[0] the program). now_ms anchors relative times. Returns 0,
 * or -1 with one line in err (the caller prints it and exits TS_EXIT_USAGE).
 * "--help" anywhere sets help (with cmd set when a command came first).
 */
int ts_parse_args(int argc, char **argv, long long now_ms, struct ts_opts *o, char *err,
                  size_t errlen);

/*
 * A time for --since/--until: unix ms (digits), ISO 8601 UTC
 * (2024-05-06, 2024-05-06T07:08, ...:09, ...:09.123, optional trailing Z), or
 * a duration ago (30s, 15m, 2h, 7d). Returns 0, or -1.
 */
int ts_parse_time(const char *v, long long now_ms, long long *out);

/* A rate for --rate: N/s or N/m, N from 1 to 100000. 0 with *per_s, or -1. */
int ts_parse_rate(const char *v, double *per_s);

const char *ts_cmd_name(enum ts_cmd c);

#endif
