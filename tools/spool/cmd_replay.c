/*
 * cmd_replay.c - reconsume-spool replay: send records back through the
 * client's producer, marking each replayed only after the broker confirmed
 * it (a run killed in between sends that one again: at least once). Copies
 * of one message (dedup.h) are sent once and marked with it; --rate paces
 * the sends (pace.h); a summary line ends every run.
 */
#include "tools/spool/commands.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "policy/sinkspec.h"
#include "sink/topic.h"
#include "tools/spool/out.h"
#include "tools/spool/pace.h"
#include "tools/spool/producer.h"

struct run {
    struct ts_ctx *x;
    rc_cproducer *p;
    struct ts_pace pace;
    size_t *next;           /* next[i]: the next copy of i's message, or SIZE_MAX */
    char *handled;          /* handled[root]: its message was sent or marked */
    char *was_replayed;     /* was_replayed[root]: a copy is replayed already */
    char retry[160];        /* --to-group: %RETRY%G */
    int n;                  /* JSON results written */
    long sent, marked, left, todo;
    int failed_send;
};

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
static int to_send(const struct run *u, const struct ts_rec *e, const char **to)
{
    const struct ts_opts *o = u->x->o;
    if (ts_say_damaged(e))
        return TS_EXIT_PARTIAL;
    if (e->replayed) {
        if (o->nids) /* asked for by name: say why nothing happens */
            TS_SAY("replay: %s: replayed already; not sent again", e->id);
        return TS_EXIT_OK;
    }
    const char *orig = e->r.topic;
    if (o->to_group) {
        if (!orig || !rc_topic_name_valid(orig)) {
            TS_SAY("replay: %s: no valid original topic for RETRY_TOPIC; --to-group needs one",
                   e->id);
            return TS_EXIT_PARTIAL;
        }
        *to = u->retry;
        return -1;
    }
    *to = o->to ? o->to : orig;
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
    rc_cproducer *p = ts_producer_start(&x->client, group, x->o->namesrv, err, sizeof err);
    if (!p)
        TS_SAY("replay: %s", err);
    return p;
}

static int mark(struct ts_ctx *x, const struct ts_rec *e, char *err, size_t errlen)
{
    return x->o->from_topic ? ts_ledger_append(x->ledger, e->id, err, errlen)
                            : ts_spool_mark_replayed(x->spool, e->id, err, errlen);
}

/* Mark every copy of e's message not replayed yet, e too unless skip_e.
 * 0, or TS_EXIT_PARTIAL (said). */
static int mark_copies(struct run *u, const struct ts_rec *e, int skip_e)
{
    struct ts_ctx *x = u->x;
    char err[1024];
    for (size_t j = e->copy_of; j != SIZE_MAX; j = u->next[j]) {
        const struct ts_rec *c = &x->set.v[j];
        if (c->replayed || (skip_e && c == e))
            continue;
        if (mark(x, c, err, sizeof err) != 0) {
            ts_pace_clear(&u->pace);
            TS_SAY("replay: %s: a copy of a message sent, not marked replayed: %s; a later "
                   "replay would send it again; stopping", c->id, err);
            return TS_EXIT_PARTIAL;
        }
        if (c != e) {
            u->marked++;
            if (!x->o->json) {
                ts_pace_clear(&u->pace);
                printf("marked %s (a copy of %s)\n", c->id, e->id);
            }
        }
    }
    return 0;
}

/*
 * Send e to topic to, then mark it and its copies replayed (only after
 * SEND_OK). 0, or TS_EXIT_PARTIAL when the run must stop.
 */
static int replay_one(struct run *u, const struct ts_rec *e, const char *to)
{
    struct ts_ctx *x = u->x;
    const struct ts_opts *o = x->o;
    char err[1024], msg_id[256];
    ts_pace_wait(&u->pace);
    if (rc_topic_send(&x->client.api, u->p, to, &e->r, false, e->id,
                      o->to_group ? e->r.topic : NULL, msg_id, sizeof msg_id, err, sizeof err) != 0) {
        ts_pace_clear(&u->pace);
        TS_SAY("replay: %s: %s; stopping, nothing was marked for it", e->id, err);
        if (o->json)
            json_result(&u->n, e->id, to, "failed", NULL, err);
        u->failed_send = 1;
        return TS_EXIT_PARTIAL;
    }
    if (mark(x, e, err, sizeof err) != 0) {
        ts_pace_clear(&u->pace);
        TS_SAY("replay: %s: sent (msgId %s) but not marked replayed: %s; a later replay "
               "would send it again; stopping", e->id, msg_id, err);
        return TS_EXIT_PARTIAL;
    }
    u->sent++;
    if (o->json) {
        json_result(&u->n, e->id, to, "replayed", msg_id, NULL);
    } else {
        ts_pace_clear(&u->pace);
        printf("replayed %s -> %s (msgId %s)\n", e->id, to, msg_id);
    }
    fflush(stdout);
    int rc = mark_copies(u, e, 1);
    ts_pace_sent(&u->pace);
    return rc;
}

/* One chosen record: -1 when it is to be sent (*to set), else its status. */
static int consider(struct run *u, const struct ts_rec *e, const char **to)
{
    int skip = to_send(u, e, to);
    if (skip >= 0)
        return skip;
    if (u->handled[e->copy_of])
        return TS_EXIT_OK; /* a copy of a message already sent or marked in this run */
    return -1;
}

static int run_all(struct run *u)
{
    struct ts_ctx *x = u->x;
    const struct ts_opts *o = x->o;
    int rc = TS_EXIT_OK;
    for (size_t i = 0; i < x->set.n; i++) {
        const struct ts_rec *e = &x->set.v[i];
        const char *to = NULL;
        if (!ts_ctx_chosen(x, e))
            continue;
        int st = consider(u, e, &to);
        if (st >= 0) {
            if (st != TS_EXIT_OK)
                rc = st;
            continue;
        }
        u->handled[e->copy_of] = 1;
        if (u->was_replayed[e->copy_of]) {
            /* The broker confirmed this message already (a run stopped
             * between marking it and its copies): mark, do not resend. */
            if (!o->dry_run && (st = mark_copies(u, e, 0)) != 0)
                return st;
            if (!o->json)
                printf("%s %s (a copy of a message replayed already)\n",
                       o->dry_run ? "would mark" : "marked", e->id);
            u->marked += o->dry_run ? 0 : 1;
            continue;
        }
        if (o->limit && u->sent >= o->limit) {
            u->left++;
            continue;
        }
        if (o->dry_run) {
            if (o->json)
                json_result(&u->n, e->id, to, "would_replay", NULL, NULL);
            else
                printf("would replay %s -> %s\n", e->id, to);
            u->sent++;
            continue;
        }
        if (!u->p && !(u->p = start_producer(x)))
            return TS_EXIT_SOURCE;
        if ((st = replay_one(u, e, to)) != 0)
            return st;
    }
    return rc;
}

/* next[], was_replayed[] and the number of messages to send (for progress). */
static int plan(struct run *u)
{
    struct ts_ctx *x = u->x;
    size_t n = x->set.n ? x->set.n : 1;
    size_t *tail = malloc(n * sizeof *tail);
    u->next = malloc(n * sizeof *u->next);
    u->handled = calloc(n, 1);
    u->was_replayed = calloc(n, 1);
    char *counted = calloc(n, 1);
    if (!tail || !u->next || !u->handled || !u->was_replayed || !counted) {
        free(tail);
        free(counted);
        return -1;
    }
    for (size_t i = 0; i < x->set.n; i++) {
        const struct ts_rec *e = &x->set.v[i];
        size_t r = e->copy_of;
        u->next[i] = SIZE_MAX;
        if (r != i)
            u->next[tail[r]] = i;
        tail[r] = i;
        if (e->replayed)
            u->was_replayed[r] = 1;
    }
    for (size_t i = 0; i < x->set.n; i++) {
        const struct ts_rec *e = &x->set.v[i];
        if (e->ok && !e->replayed && ts_ctx_chosen(x, e) && !counted[e->copy_of] &&
            !u->was_replayed[e->copy_of]) {
            counted[e->copy_of] = 1;
            u->todo++;
        }
    }
    if (x->o->limit && u->todo > x->o->limit)
        u->todo = x->o->limit;
    free(tail);
    free(counted);
    return 0;
}

static void summary(const struct run *u, int rc)
{
    const struct ts_opts *o = u->x->o;
    if (o->dry_run) {
        if (u->sent == 0)
            TS_SAY("replay: dry run: nothing left to send");
        else
            TS_SAY("replay: dry run: would send %ld message%s; nothing was sent", u->sent,
                   u->sent == 1 ? "" : "s");
        return;
    }
    if (u->sent == 0 && u->marked == 0 && rc == TS_EXIT_OK) {
        TS_SAY("replay: nothing left to send");
        return;
    }
    double el = ts_pace_elapsed(&u->pace);
    char more[256] = "";
    size_t k = 0;
    if (u->marked)
        k += (size_t)snprintf(more + k, sizeof more - k, "; %ld duplicate record%s marked with them",
                              u->marked, u->marked == 1 ? "" : "s");
    if (u->left && k < sizeof more)
        k += (size_t)snprintf(more + k, sizeof more - k, "; %ld left by --limit", u->left);
    if (rc != TS_EXIT_OK && k < sizeof more)
        snprintf(more + k, sizeof more - k, "; stopped early (exit status %d)", rc);
    TS_SAY("replay: sent %ld of %ld in %.1fs (%.1f/s)%s", u->sent, u->todo, el,
           el > 0 ? u->sent / el : 0.0, more);
}

int ts_cmd_replay(struct ts_ctx *x)
{
    const struct ts_opts *o = x->o;
    struct run u;
    memset(&u, 0, sizeof u);
    u.x = x;
    if (o->from_topic && !o->state && !o->dry_run) {
        /* The default ledger's directory. */
        char d[PATH_MAX + 16];
        snprintf(d, sizeof d, "%s/replayed", x->spool);
        mkdirs(d);
    }
    if (ts_ctx_check_ids(x, "replay") != 0)
        return TS_EXIT_USAGE;
    if (o->to_group)
        snprintf(u.retry, sizeof u.retry, "%%RETRY%%%s", o->to_group);
    int rc = TS_EXIT_OK;
    if (plan(&u) != 0) {
        TS_SAY("out of memory");
        rc = TS_EXIT_SOURCE;
        goto out;
    }
    ts_pace_start(&u.pace, o->rate, u.todo, !o->dry_run && isatty(STDERR_FILENO));
    if (o->json)
        fputs("[", stdout);
    rc = run_all(&u);
    if (o->json)
        fputs(u.n ? "\n]\n" : "]\n", stdout);
    fflush(stdout);
    ts_pace_clear(&u.pace);
    if (u.p)
        rc_topic_producer_stop(&x->client.api, u.p);
    if (u.left > 0 && !u.failed_send)
        TS_SAY("replay: --limit %ld reached; %ld more left", o->limit, u.left);
    summary(&u, rc);
out:
    free(u.next);
    free(u.handled);
    free(u.was_replayed);
    return rc;
}
