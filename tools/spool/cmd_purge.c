/*
 * cmd_purge.c - reconsume-spool purge: remove records from the spool.
 */
#include "tools/spool/commands.h"

#include <stdio.h>
#include <string.h>

#include "tools/spool/out.h"

int ts_cmd_purge(struct ts_ctx *x)
{
    const struct ts_opts *o = x->o;
    int rc = TS_EXIT_OK, n = 0;
    char err[PATH_MAX + 256];
    if (ts_ctx_check_ids(x, "purge") != 0)
        return TS_EXIT_USAGE;
    if (o->json)
        fputs("[", stdout);
    for (size_t i = 0; i < x->set.n; i++) {
        const struct ts_rec *e = &x->set.v[i];
        int pick;
        if (o->nids)
            pick = ts_ctx_chosen(x, e);
        else if (o->all)
            pick = !e->replayed || o->replayed;
        else
            pick = (e->replayed == o->replayed) && ts_match(o, e);
        if (!pick)
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
