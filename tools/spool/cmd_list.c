/*
 * cmd_list.c - reconsume-spool list: one line per record (or a JSON array), damaged records
 * named on stderr.
 */
#include "tools/spool/commands.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tools/spool/out.h"

static const char *or_q(const char *s)
{
    return s ? s : "-";
}

int ts_cmd_list(struct ts_ctx *x)
{
    const struct ts_opts *o = x->o;
    int bad = 0, n = 0;
    size_t wg = 5, wt = 5, wm = 5, wr = 6;
    for (size_t i = 0; i < x->set.n; i++) {
        const struct ts_rec *e = &x->set.v[i];
        if (!e->ok || !ts_match(o, e) || (e->replayed && !o->replayed))
            continue;
        char reason[300];
        ts_reason(&e->r, reason, sizeof reason);
#define W(w, s) if (strlen(or_q(s)) > w) w = strlen(or_q(s)) < 40 ? strlen(or_q(s)) : 40
        W(wg, e->r.group);
        W(wt, e->r.topic);
        W(wm, e->r.msg_id);
        W(wr, reason);
#undef W
    }
    /* Copies of one message (dedup.h) are one line: the first shown, with
     * the count. copies[root] counts the shown ones; shown[root] is set
     * once its line is out. */
    unsigned *copies = calloc(x->set.n ? x->set.n : 1, sizeof *copies);
    char *shown = calloc(x->set.n ? x->set.n : 1, 1);
    if (!copies || !shown) {
        free(copies);
        free(shown);
        TS_SAY("out of memory");
        return TS_EXIT_SOURCE;
    }
    for (size_t i = 0; i < x->set.n; i++) {
        const struct ts_rec *e = &x->set.v[i];
        if (e->ok && ts_match(o, e) && (!e->replayed || o->replayed))
            copies[e->copy_of]++;
    }
    if (o->json)
        fputs("[", stdout);
    else
        printf("%-24s  %-*s  %-*s  %-*s  %-*s  %8s  %s\n", "TIME", (int)wg, "GROUP", (int)wt,
               "TOPIC", (int)wm, "MSGID", (int)wr, "REASON", "ATTEMPTS", "ID");
    for (size_t i = 0; i < x->set.n; i++) {
        const struct ts_rec *e = &x->set.v[i];
        if (!ts_match(o, e) || (e->replayed && !o->replayed))
            continue;
        if (ts_say_damaged(e)) {
            bad = 1;
            if (o->json) {
                fputs(n++ ? ",\n {\"id\":" : "\n {\"id\":", stdout);
                ts_put_json_str(stdout, e->id);
                fputs(",\"error\":", stdout);
                ts_put_json_str(stdout, e->err);
                fputs("}", stdout);
            }
            continue;
        }
        if (shown[e->copy_of])
            continue;
        shown[e->copy_of] = 1;
        unsigned nc = copies[e->copy_of];
        char t[40], reason[300];
        ts_iso(e->r.diverted_at_ms, t, sizeof t);
        ts_reason(&e->r, reason, sizeof reason);
        if (o->json) {
            fputs(n++ ? ",\n {" : "\n {", stdout);
            printf("\"id\":");
            ts_put_json_str(stdout, e->id);
            printf(",\"state\":\"%s\",\"source\":\"%s\",\"time\":\"%s\",\"time_ms\":%lld,\"group\":",
                   e->replayed ? "replayed" : "new", o->from_topic ? "topic" : "spool", t,
                   e->r.diverted_at_ms);
            ts_put_json_str(stdout, e->r.group);
            fputs(",\"topic\":", stdout);
            ts_put_json_str(stdout, e->r.topic);
            fputs(",\"msg_id\":", stdout);
            ts_put_json_str(stdout, e->r.msg_id);
            fputs(",\"reason\":", stdout);
            ts_put_json_str(stdout, reason);
            fputs(",\"outcome\":", stdout);
            ts_put_json_str(stdout, e->r.outcome);
            printf(",\"attempts\":%d,\"copies\":%u,\"tags\":", e->r.attempts, nc);
            ts_put_json_str(stdout, e->r.tags);
            fputs(",\"keys\":", stdout);
            ts_put_json_str(stdout, e->r.keys);
            fputs("}", stdout);
            continue;
        }
        const char *cols[4] = {or_q(e->r.group), or_q(e->r.topic), or_q(e->r.msg_id), reason};
        size_t w[4] = {wg, wt, wm, wr};
        printf("%-24s", t);
        for (int k = 0; k < 4; k++) {
            fputs("  ", stdout);
            ts_put_safe(stdout, cols[k], strlen(cols[k]), 0);
            for (size_t pad = strlen(cols[k]); pad < w[k]; pad++)
                fputc(' ', stdout);
        }
        printf("  %8d  ", e->r.attempts);
        ts_put_safe(stdout, e->id, strlen(e->id), 0);
        if (nc > 1)
            printf("  (%u copies)", nc);
        fputs(e->replayed ? "  (replayed)\n" : "\n", stdout);
        n++;
    }
    free(copies);
    free(shown);
    if (o->json)
        fputs(n ? "\n]\n" : "]\n", stdout);
    return bad || x->partial ? TS_EXIT_PARTIAL : TS_EXIT_OK;
}
