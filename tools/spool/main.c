/*
 * main.c - reconsume-spool: list, show, count, replay and purge the
 * messages reconsume diverted, from a spool directory or a poison topic.
 *
 * Exit statuses: 0 done; 1 done in part (damaged records skipped, or a
 * replay stopped at a failed send); 2 bad command line; 3 the source or the
 * client cannot be used (spool unreadable, library missing, name server or
 * topic unreachable). Messages go to stderr, one line each, prefixed
 * "reconsume-spool: "; results go to stdout (text, or JSON with --json).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "tools/spool/args.h"
#include "tools/spool/commands.h"
#include "tools/spool/help.h"
#include "tools/spool/source.h"

/* Which records a command needs: replayed ones too when asked for, and
 * whenever a record may be named by id. */
static int needs_replayed(const struct ts_opts *o)
{
    return o->replayed || o->cmd == TS_SHOW || o->nids > 0 || o->cmd == TS_PURGE ||
           o->cmd == TS_REPLAY; /* replay: a copy replayed already is not sent again */
}

static int dispatch(struct ts_ctx *x)
{
    switch (x->o->cmd) {
    case TS_LIST: return ts_cmd_list(x);
    case TS_SHOW: return ts_cmd_show(x);
    case TS_STATS: return ts_cmd_stats(x);
    case TS_REPLAY: return ts_cmd_replay(x);
    case TS_PURGE: return ts_cmd_purge(x);
    default: return TS_EXIT_OK;
    }
}

int main(int argc, char **argv)
{
    struct ts_opts o;
    char err[1024];
    struct timespec now;
    clock_gettime(CLOCK_REALTIME, &now);
    long long now_ms = (long long)now.tv_sec * 1000 + now.tv_nsec / 1000000;
    if (ts_parse_args(argc, argv, now_ms, &o, err, sizeof err) != 0) {
        TS_SAY("%s", err);
        fputs("(reconsume-spool --help for usage)\n", stderr);
        return TS_EXIT_USAGE;
    }
    if (o.help || o.cmd == TS_HELP) {
        ts_help(o.cmd);
        return TS_EXIT_OK;
    }
    if (o.cmd == TS_PURGE && o.from_topic) {
        TS_SAY("purge: a topic cannot be purged; the broker drops old messages by its retention "
               "(fileReservedTime)");
        return TS_EXIT_USAGE;
    }
    struct ts_ctx x;
    memset(&x, 0, sizeof x);
    x.o = &o;
    int rc = ts_ctx_load(&x, needs_replayed(&o));
    if (rc == 0)
        rc = dispatch(&x);
    ts_set_free(&x.set);
    fflush(stdout);
    if (ferror(stdout)) {
        TS_SAY("cannot write the output: %s", strerror(errno));
        return rc ? rc : TS_EXIT_PARTIAL;
    }
    return rc;
}
