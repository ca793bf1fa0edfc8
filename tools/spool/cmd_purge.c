/*
 * cmd_purge.c - reconsume-spool purge: remove records from the spool
 * (those never replayed only with --yes).
 */
#include "tools/spool/commands.h"

#include <stdio.h>
#include <string.h>

#include "tools/spool/out.h"

/* Is e among the records to remove: by id; --all; or the filters among new/
 * (replayed/ with --replayed). */
static int picked(const struct ts_ctx *x, const struct ts_rec *e)
{
    const struct ts_opts *o = x->o;
    if (o->nids)
        return ts_ctx_chosen(x, e);
    if (o->all)
        return !e->replayed || o->replayed;
    return (e->replayed == o->replayed) && ts_match(o, e);
}

/*
 * A record never replayed is the only copy of its message (the broker's
 * was acknowledged when it was diverted): removing one takes --yes. The
 * whole purge is refused, so that nothing is half done.
 */
static int never_replayed_refused(const struct ts_ctx *x)
{
    size_t n = 0;
    if (x->o->yes || x->o->dry_run)
        return 0;
    for (size_t i = 0; i < x->set.n; i++)
        n += picked(x, &x->set.v[i]) && !x->set.v[i].replayed;
    if (n == 0)
        return 0;
    TS_SAY("purge: %zu of the records chosen %s never replayed, and nothing else holds %s "
           "message%s; give --yes to remove %s (--dry-run lists %s)", n, n == 1 ? "was" : "were",
           n == 1 ? "its" : "their", n == 1 ? "" : "s", n == 1 ? "it" : "them",
           n == 1 ? "it" : "them");
    return 1;
}

int ts_cmd_purge(struct ts_ctx *x)
{
    const struct ts_opts *o = x->o;
    int rc = TS_EXIT_OK, n = 0;
    char err[PATH_MAX + 256];
    if (ts_ctx_check_ids(x, "purge") != 0 || never_replayed_refused(x))
        return TS_EXIT_USAGE;
    if (o->json)
        fputs("[", stdout);
    for (size_t i = 0; i < x->set.n; i++) {
        const struct ts_rec *e = &x->set.v[i];
        if (!picked(x, e))
            continue;
        if (!o->dry_run && ts_spool_remove(x->spool, e, err, sizeof err) != 0) {
            TS_SAY("purge: %s", err);
            rc = TS_EXIT_PARTIAL;
            continue;
        }
        if (o->json) {
            fputs(n++ ? ",\n " : "\n ", stdout);
            ts_put_json_str(stdout, e->id);
        } else {
            printf("%s %s%s\n", o->dry_run ? "would remove" : "removed", e->id,
                   e->replayed ? " (replayed)" : "");
        }
    }
    if (o->json)
        fputs(n ? "\n]\n" : "]\n", stdout);
    return rc;
}
