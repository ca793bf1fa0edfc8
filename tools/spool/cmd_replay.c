/*
 * cmd_replay.c - reconsume-spool replay: send records back through the
 * client's producer, marking each replayed only after the broker confirmed
 * it (a run killed in between sends that one again: at least once).
 */
#include "tools/spool/commands.h"

#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "policy/sinkspec.h"
#include "sink/topic.h"
#include "tools/spool/out.h"

static void mkdirs(const char *path)
{
    char p[PATH_MAX + 32];
    snprintf(p, sizeof p, "%s", path);
    for (char *s = p + 1; *s; s++)
        if (*s == '/') {
            *s = '\0';
            mkdir(p, 0700);
            *s = '/';
        }
    mkdir(p, 0700);
}

static void json_result(int *n, const char *id, const char *topic, const char *status,
                        const char *msg_id, const char *err)
{
    fputs((*n)++ ? ",\n {\"id\":" : "\n {\"id\":", stdout);
    ts_put_json_str(stdout, id);
    fputs(",\"topic\":", stdout);
    ts_put_json_str(stdout, topic);
    printf(",\"status\":\"%s\",\"msg_id\":", status);
    ts_put_json_str(stdout, msg_id);
    fputs(",\"error\":", stdout);
    ts_put_json_str(stdout, err);
    fputs("}", stdout);
}

/*
 * Whether e is to be sent, and where: -1 with *to set when it is; else the
 * status it leaves (TS_EXIT_PARTIAL: damaged or no topic, said on stderr;
 * TS_EXIT_OK: replayed already).
 */
static int to_send(const struct ts_ctx *x, const struct ts_rec *e, const char **to)
{
    if (ts_say_damaged(e))
        return TS_EXIT_PARTIAL;
    if (e->replayed) {
        if (x->o->nids) /* asked for by name: say why nothing happens */
            TS_SAY("replay: %s: replayed already; not sent again", e->id);
        return TS_EXIT_OK;
    }
    *to = x->o->to ? x->o->to : e->r.topic;
    if (!*to || !rc_topic_name_valid(*to)) {
        TS_SAY("replay: %s: no valid original topic; give --to TOPIC", e->id);
        return TS_EXIT_PARTIAL;
    }
    return -1;
}

/* The producer, started at the first send; NULL (said on stderr). */
static rc_cproducer *start_producer(struct ts_ctx *x)
{
    char err[1024];
    if (ts_ctx_open_client(x) != 0)
        return NULL;
    char group[64];
    snprintf(group, sizeof group, "reconsume_replay_%ld", (long)getpid());
    rc_cproducer *p = rc_topic_producer_start(&x->client.api, group, group, x->o->namesrv,
                                              RC_TOPIC_SEND_TIMEOUT_MS, err, sizeof err);
    if (!p)
        TS_SAY("replay: %s", err);
    return p;
}

/*
 * Send e to topic to, then mark it replayed (only after SEND_OK). 0, or
 * TS_EXIT_PARTIAL when the run must stop; *failed_send is set when the send
 * itself failed.
 */
static int replay_one(struct ts_ctx *x, rc_cproducer *p, const struct ts_rec *e, const char *to,
                      int *n, int *failed_send)
{
    const struct ts_opts *o = x->o;
    char err[1024], msg_id[256];
    if (rc_topic_send(&x->client.api, p, to, &e->r, false, e->id, msg_id, sizeof msg_id, err,
                      sizeof err) != 0) {
        TS_SAY("replay: %s: %s; stopping, nothing was marked for it", e->id, err);
        if (o->json)
            json_result(n, e->id, to, "failed", NULL, err);
        *failed_send = 1;
        return TS_EXIT_PARTIAL;
    }
    int marked = o->from_topic ? ts_ledger_append(x->ledger, e->id, err, sizeof err)
                               : ts_spool_mark_replayed(x->spool, e->id, err, sizeof err);
    if (marked != 0) {
        TS_SAY("replay: %s: sent (msgId %s) but not marked replayed: %s; a later replay "
               "would send it again; stopping", e->id, msg_id, err);
        return TS_EXIT_PARTIAL;
    }
    if (o->json)
        json_result(n, e->id, to, "replayed", msg_id, NULL);
    else
        printf("replayed %s -> %s (msgId %s)\n", e->id, to, msg_id);
    fflush(stdout);
    return 0;
}

int ts_cmd_replay(struct ts_ctx *x)
{
    const struct ts_opts *o = x->o;
    int rc = TS_EXIT_OK, n = 0, failed_send = 0;
    long sent = 0, left = 0;
    rc_cproducer *p = NULL;
    if (o->from_topic && !o->state && !o->dry_run) {
        /* The default ledger's directory. */
        char d[PATH_MAX + 16];
        snprintf(d, sizeof d, "%s/replayed", x->spool);
        mkdirs(d);
    }
    if (ts_ctx_check_ids(x, "replay") != 0)
        return TS_EXIT_USAGE;
    if (o->json)
        fputs("[", stdout);
    for (size_t i = 0; i < x->set.n; i++) {
        const struct ts_rec *e = &x->set.v[i];
        const char *to = NULL;
        if (!ts_ctx_chosen(x, e))
            continue;
        int skip = to_send(x, e, &to);
        if (skip >= 0) {
            if (skip != TS_EXIT_OK)
                rc = skip;
            continue;
        }
        if (o->limit && sent >= o->limit) {
            left++;
            continue;
        }
        if (o->dry_run) {
            if (o->json)
                json_result(&n, e->id, to, "would_replay", NULL, NULL);
            else
                printf("would replay %s -> %s\n", e->id, to);
            sent++;
            continue;
        }
        if (!p && !(p = start_producer(x))) {
            rc = TS_EXIT_SOURCE;
            break;
        }
        int st = replay_one(x, p, e, to, &n, &failed_send);
        if (st != 0) {
            rc = st;
            break;
        }
        sent++;
    }
    if (o->json)
        fputs(n ? "\n]\n" : "]\n", stdout);
    if (p)
        rc_topic_producer_stop(&x->client.api, p);
    if (left > 0 && !failed_send)
        TS_SAY("replay: --limit %ld reached; %ld more left", o->limit, left);
    return rc;
}
