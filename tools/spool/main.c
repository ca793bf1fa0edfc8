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
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "policy/config.h"
#include "sink/topic.h"
#include "tools/spool/args.h"
#include "tools/spool/client.h"
#include "tools/spool/out.h"
#include "tools/spool/store.h"

#define SAY(...) (fputs("reconsume-spool: ", stderr), fprintf(stderr, __VA_ARGS__), fputc('\n', stderr))

static const char USAGE[] =
    "usage: reconsume-spool COMMAND [OPTIONS]\n"
    "\n"
    "Inspect and replay the messages reconsume diverted (libreconsume.so).\n"
    "\n"
    "commands:\n"
    "  list     one line per record: time, group, topic, msgId, reason, attempts, id\n"
    "  show     one record's headers and body\n"
    "  stats    counts by reason, topic and group\n"
    "  replay   send records back to their topic (or --to TOPIC)\n"
    "  purge    remove records from the spool\n"
    "  help     this text; 'help COMMAND' or 'COMMAND --help' for a command's\n"
    "\n"
    "source (every command):\n"
    "  --spool DIR          a spool directory (default: the shim's, from\n"
    "                       RECONSUME_SPOOL_DIR, XDG_STATE_HOME or HOME)\n"
    "  --from-topic NAME    read a poison topic instead (needs --namesrv)\n"
    "  --namesrv ADDR       name server, host:port[;host:port]\n"
    "  --client-lib PATH    the RocketMQ C client (default: librocketmq.so from\n"
    "                       LD_LIBRARY_PATH and the system paths, like a consumer)\n"
    "\n"
    "exit status: 0 done; 1 done in part (damaged records, a failed send);\n"
    "2 bad command line; 3 spool, client library or name server unusable\n";

static const char *const CMD_HELP[] = {
    [TS_LIST] =
        "usage: reconsume-spool list [SOURCE] [FILTERS] [--replayed] [--json]\n"
        "\n"
        "One line per record, oldest first: time diverted (UTC), group, original\n"
        "topic, msgId, reason, attempts, id. A record that cannot be read is named on\n"
        "stderr with the reason; the others are still listed (exit status 1).\n"
        "\n"
        "  --group GLOB, --topic GLOB   consumer group, original topic (fnmatch patterns)\n"
        "  --reason GLOB                outcome (reconsume, bad_status, exception, signal,\n"
        "                               crash_loop) or outcome:detail, e.g. 'exception:*Timeout*'\n"
        "  --since TIME, --until TIME   unix ms, 2024-05-06T07:08:09Z (UTC), or ago: 30m, 2h, 7d\n"
        "  --replayed                   include records already replayed\n"
        "  --json                       a JSON array instead\n",
    [TS_SHOW] =
        "usage: reconsume-spool show [SOURCE] ID... [--hex] [--json]\n"
        "\n"
        "A record's headers (decoded) and body. ID is what list prints, or a msgId\n"
        "that names one record. The body is text with every byte a terminal could\n"
        "act on written as \\xNN (and '\\' as \\\\); --hex gives a hex dump instead;\n"
        "--json an object with the headers, the body as text and as base64.\n",
    [TS_STATS] =
        "usage: reconsume-spool stats [SOURCE] [FILTERS] [--replayed] [--json]\n"
        "\n"
        "Counts of records by reason, by original topic and by group (filters as list).\n",
    [TS_REPLAY] =
        "usage: reconsume-spool replay --namesrv ADDR [SOURCE] [FILTERS] [ID...]\n"
        "                              [--to TOPIC] [--limit N] [--dry-run] [--json]\n"
        "                              [--state FILE]\n"
        "\n"
        "Send records (those given by ID, else those matching the filters) back to\n"
        "their original topic, or to --to TOPIC, through the client's producer:\n"
        "body, tags and keys as they were, plus the property RECONSUME_REPLAY_OF=<id>.\n"
        "A record is marked replayed only after SendMessageSync reported SEND_OK: a\n"
        "spool record is moved to <spool>/replayed/ (fsync'ed); a topic record is\n"
        "added to a ledger (--state FILE, default <spool>/replayed/topic-NAME.ledger).\n"
        "Records marked replayed are never sent again; a run killed between a send\n"
        "and its mark sends that one record again (at least once, never lost). The\n"
        "first failed send stops the run (exit status 1); what is left stays.\n",
    [TS_PURGE] =
        "usage: reconsume-spool purge [--spool DIR] (ID... | FILTERS | --replayed | --all)\n"
        "                             [--dry-run] [--json]\n"
        "\n"
        "Remove records from the spool: those given by ID; or those matching the\n"
        "filters; --replayed: the replayed ones (with filters: those among them);\n"
        "--all: every record not yet replayed (with --replayed: every record). A\n"
        "topic cannot be purged: the broker drops old messages by its retention.\n",
};

static void help(enum ts_cmd c)
{
    fputs(c > TS_NONE && c < TS_HELP ? CMD_HELP[c] : USAGE, stdout);
}

/* The shim's own spool default, computed by its own config code. */
static const char *spool_env(const char *name)
{
    if (!strcmp(name, "RECONSUME_SPOOL_DIR") || !strcmp(name, "XDG_STATE_HOME") ||
        !strcmp(name, "HOME"))
        return getenv(name);
    return NULL;
}

static int spool_dir(const struct ts_opts *o, char *out, size_t cap)
{
    if (o->spool) {
        snprintf(out, cap, "%s", o->spool);
        return 0;
    }
    struct rc_config c;
    char err[PATH_MAX + 256];
    if (rc_config_load(&c, spool_env, err, sizeof err) != 0) {
        SAY("%s", err);
        return -1;
    }
    snprintf(out, cap, "%s", c.spool_dir);
    rc_config_free(&c);
    return 0;
}

struct ctx {
    struct ts_opts *o;
    char spool[PATH_MAX];
    char ledger[PATH_MAX + 300];
    struct ts_client client;
    int have_client;
    struct ts_set set;
    int partial;
};

static int open_client(struct ctx *x)
{
    char err[1024];
    if (x->have_client)
        return 0;
    if (ts_client_open(x->o->client_lib, &x->client, err, sizeof err) != 0) {
        SAY("%s", err);
        return -1;
    }
    x->have_client = 1;
    return 0;
}

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

/* Load the records the command works on; TS_EXIT_* on failure, else 0. */
static int load(struct ctx *x, int with_replayed)
{
    char err[PATH_MAX + 512];
    struct ts_opts *o = x->o;
    if (spool_dir(o, x->spool, sizeof x->spool) != 0)
        return TS_EXIT_USAGE;
    if (!o->from_topic) {
        if (ts_spool_load(x->spool, with_replayed, &x->set, err, sizeof err) != 0) {
            SAY("%s", err);
            return TS_EXIT_SOURCE;
        }
        return 0;
    }
    if (open_client(x) != 0)
        return TS_EXIT_SOURCE;
    if (ts_topic_load(&x->client, o->namesrv, o->from_topic, &x->set, &x->partial, err,
                      sizeof err) != 0) {
        SAY("%s", err);
        return TS_EXIT_SOURCE;
    }
    if (o->state)
        snprintf(x->ledger, sizeof x->ledger, "%s", o->state);
    else
        snprintf(x->ledger, sizeof x->ledger, "%s/replayed/topic-%s.ledger", x->spool,
                 o->from_topic);
    struct ts_ledger l;
    if (ts_ledger_load(x->ledger, &l, err, sizeof err) != 0) {
        SAY("%s", err);
        return TS_EXIT_SOURCE;
    }
    for (size_t i = 0; i < x->set.n; i++)
        x->set.v[i].replayed = ts_ledger_has(&l, x->set.v[i].id);
    ts_ledger_free(&l);
    return 0;
}

/* Name each damaged record among those chosen on stderr; 1 if any. */
static int damaged(const struct ctx *x, const struct ts_rec *e)
{
    if (e->ok)
        return 0;
    fputs("reconsume-spool: ", stderr);
    ts_put_safe(stderr, e->id, strlen(e->id), 0);
    fprintf(stderr, ": %s\n", e->err);
    (void)x;
    return 1;
}

static const char *or_q(const char *s)
{
    return s ? s : "-";
}

static int cmd_list(struct ctx *x)
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
    if (o->json)
        fputs("[", stdout);
    else
        printf("%-24s  %-*s  %-*s  %-*s  %-*s  %8s  %s\n", "TIME", (int)wg, "GROUP", (int)wt,
               "TOPIC", (int)wm, "MSGID", (int)wr, "REASON", "ATTEMPTS", "ID");
    for (size_t i = 0; i < x->set.n; i++) {
        const struct ts_rec *e = &x->set.v[i];
        if (!ts_match(o, e) || (e->replayed && !o->replayed))
            continue;
        if (damaged(x, e)) {
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
            printf(",\"attempts\":%d,\"tags\":", e->r.attempts);
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
        fputs(e->replayed ? "  (replayed)\n" : "\n", stdout);
        n++;
    }
    if (o->json)
        fputs(n ? "\n]\n" : "]\n", stdout);
    return bad || x->partial ? TS_EXIT_PARTIAL : TS_EXIT_OK;
}

static const struct ts_rec *find(const struct ctx *x, const char *id)
{
    const struct ts_rec *hit = NULL;
    for (size_t i = 0; i < x->set.n; i++)
        if (strcmp(x->set.v[i].id, id) == 0)
            return &x->set.v[i];
    for (size_t i = 0; i < x->set.n; i++) {
        const struct ts_rec *e = &x->set.v[i];
        if (e->ok && e->r.msg_id && strcmp(e->r.msg_id, id) == 0) {
            if (hit)
                return (const struct ts_rec *)-1;
            hit = e;
        }
    }
    return hit;
}

/* The record's values are valid percent-encoding (it was parsed). */
static int pct_decode(const char *s, size_t n, char *out)
{
    static const char hex[] = "0123456789ABCDEF0123456789abcdef";
    size_t o = 0;
    for (size_t i = 0; i < n; i++) {
        const char *h, *l;
        if (s[i] == '%' && i + 2 < n + 0 + 1 && i + 2 <= n - 1 && (h = strchr(hex, s[i + 1])) &&
            (l = strchr(hex, s[i + 2])) && s[i + 1] && s[i + 2]) {
            out[o++] = (char)(((h - hex) % 16) << 4 | ((l - hex) % 16));
            i += 2;
            continue;
        }
        out[o++] = s[i];
    }
    return (int)o;
}

static int show_one(const struct ctx *x, const struct ts_rec *e)
{
    const struct ts_opts *o = x->o;
    size_t need = rc_record_encoded_size(&e->r);
    char *enc = malloc(need + 1);
    char *val = malloc(need + 1);
    if (!enc || !val) {
        free(enc);
        free(val);
        SAY("out of memory");
        return -1;
    }
    size_t len = rc_record_encode(&e->r, enc, need + 1);
    if (o->json) {
        fputs("{\"id\":", stdout);
        ts_put_json_str(stdout, e->id);
        printf(",\"state\":\"%s\",\"headers\":{", e->replayed ? "replayed" : "new");
    } else {
        fputs("Id: ", stdout);
        ts_put_safe(stdout, e->id, strlen(e->id), 0);
        printf("\nState: %s\n", e->replayed ? "replayed" : "new");
    }
    const char *p = enc, *end = enc + len;
    int first = 1;
    while (p < end && *p != '\n') {
        const char *eol = memchr(p, '\n', (size_t)(end - p));
        const char *colon = memchr(p, ':', (size_t)(eol - p));
        size_t hn = (size_t)(colon - p);
        const char *v = colon + 2 <= eol ? colon + 2 : eol;
        int vn = pct_decode(v, (size_t)(eol - v), val);
        if (o->json) {
            if (!first)
                fputc(',', stdout);
            ts_put_json(stdout, p, hn);
            fputc(':', stdout);
            ts_put_json(stdout, val, (size_t)vn);
        } else {
            fwrite(p, 1, hn, stdout);
            fputs(": ", stdout);
            ts_put_safe(stdout, val, (size_t)vn, 0);
            fputc('\n', stdout);
        }
        first = 0;
        p = eol + 1;
    }
    if (o->json) {
        fputs("},\"body\":", stdout);
        ts_put_json(stdout, e->r.body, e->r.body_len);
        fputs(",\"body_base64\":", stdout);
        ts_put_base64(stdout, e->r.body, e->r.body_len);
        fputs("}", stdout);
    } else {
        fputc('\n', stdout);
        if (o->hex) {
            ts_put_hex(stdout, e->r.body, e->r.body_len);
        } else {
            ts_put_safe(stdout, e->r.body, e->r.body_len, 1);
            if (e->r.body_len && e->r.body[e->r.body_len - 1] != '\n')
                fputc('\n', stdout);
        }
    }
    free(enc);
    free(val);
    return 0;
}

static int cmd_show(struct ctx *x)
{
    int rc = TS_EXIT_OK;
    if (x->o->json)
        fputs(x->o->nids > 1 ? "[" : "", stdout);
    for (int i = 0; i < x->o->nids; i++) {
        const struct ts_rec *e = find(x, x->o->ids[i]);
        if (!e || e == (const struct ts_rec *)-1) {
            fputs("reconsume-spool: show: ", stderr);
            ts_put_safe(stderr, x->o->ids[i], strlen(x->o->ids[i]), 0);
            fputs(e ? ": more than one record has this msgId; give the record id (list prints it)\n"
                    : ": no such record\n", stderr);
            rc = TS_EXIT_PARTIAL;
            continue;
        }
        if (damaged(x, e)) {
            rc = TS_EXIT_PARTIAL;
            continue;
        }
        if (x->o->json && i > 0)
            fputs(",\n", stdout);
        if (!x->o->json && i > 0)
            fputs("\n", stdout);
        show_one(x, e);
    }
    if (x->o->json)
        fputs(x->o->nids > 1 ? "]\n" : "\n", stdout);
    return rc;
}

struct count {
    char key[300];
    int n;
};
struct counts {
    struct count *v;
    size_t n;
};

static void bump(struct counts *c, const char *key)
{
    key = key ? key : "-";
    for (size_t i = 0; i < c->n; i++)
        if (strcmp(c->v[i].key, key) == 0) {
            c->v[i].n++;
            return;
        }
    struct count *v = realloc(c->v, (c->n + 1) * sizeof *v);
    if (!v)
        return;
    c->v = v;
    snprintf(c->v[c->n].key, sizeof c->v[c->n].key, "%s", key);
    c->v[c->n++].n = 1;
}

static int by_count(const void *a, const void *b)
{
    const struct count *x = a, *y = b;
    return x->n != y->n ? y->n - x->n : strcmp(x->key, y->key);
}

static void put_counts(const char *title, struct counts *c, int json)
{
    qsort(c->v, c->n, sizeof *c->v, by_count);
    if (json) {
        printf(",\"%s\":{", title);
        for (size_t i = 0; i < c->n; i++) {
            if (i)
                fputc(',', stdout);
            ts_put_json_str(stdout, c->v[i].key);
            printf(":%d", c->v[i].n);
        }
        fputs("}", stdout);
    } else {
        printf("%s:\n", title);
        for (size_t i = 0; i < c->n; i++) {
            printf("  %6d  ", c->v[i].n);
            ts_put_safe(stdout, c->v[i].key, strlen(c->v[i].key), 0);
            fputc('\n', stdout);
        }
    }
    free(c->v);
}

static int cmd_stats(struct ctx *x)
{
    const struct ts_opts *o = x->o;
    struct counts reason = {0}, topic = {0}, group = {0};
    int total = 0, replayed = 0, bad = 0;
    for (size_t i = 0; i < x->set.n; i++) {
        const struct ts_rec *e = &x->set.v[i];
        if (!ts_match(o, e) || (e->replayed && !o->replayed))
            continue;
        if (damaged(x, e)) {
            bad++;
            continue;
        }
        char r[300];
        ts_reason(&e->r, r, sizeof r);
        total++;
        replayed += e->replayed;
        bump(&reason, r);
        bump(&topic, e->r.topic);
        bump(&group, e->r.group);
    }
    if (o->json)
        printf("{\"records\":%d,\"replayed\":%d,\"damaged\":%d", total, replayed, bad);
    else
        printf("records: %d (%d replayed), damaged: %d\n", total, replayed, bad);
    put_counts("by_reason", &reason, o->json);
    put_counts("by_topic", &topic, o->json);
    put_counts("by_group", &group, o->json);
    if (o->json)
        fputs("}\n", stdout);
    return bad || x->partial ? TS_EXIT_PARTIAL : TS_EXIT_OK;
}

/* Was e chosen: by id when ids are given, else by the filters. */
static int chosen(const struct ctx *x, const struct ts_rec *e)
{
    if (x->o->nids == 0)
        return ts_match(x->o, e);
    for (int i = 0; i < x->o->nids; i++)
        if (find(x, x->o->ids[i]) == e)
            return 1;
    return 0;
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

static int cmd_replay(struct ctx *x)
{
    const struct ts_opts *o = x->o;
    int rc = TS_EXIT_OK, n = 0;
    long sent = 0, left = 0;
    rc_cproducer *p = NULL;
    char err[1024];
    for (int i = 0; i < o->nids; i++)
        if (!find(x, o->ids[i]) || find(x, o->ids[i]) == (const struct ts_rec *)-1) {
            SAY("replay: %s: no such record (or a msgId of several)", o->ids[i]);
            return TS_EXIT_USAGE;
        }
    if (o->json)
        fputs("[", stdout);
    for (size_t i = 0; i < x->set.n; i++) {
        const struct ts_rec *e = &x->set.v[i];
        if (!chosen(x, e))
            continue;
        if (damaged(x, e)) {
            rc = TS_EXIT_PARTIAL;
            continue;
        }
        if (e->replayed) {
            if (o->nids) /* asked for by name: say why nothing happens */
                SAY("replay: %s: replayed already; not sent again", e->id);
            continue;
        }
        const char *to = o->to ? o->to : e->r.topic;
        if (!to || !rc_topic_name_valid(to)) {
            SAY("replay: %s: no valid original topic; give --to TOPIC", e->id);
            rc = TS_EXIT_PARTIAL;
            continue;
        }
        if (rc != TS_EXIT_OK && left >= 0 && sent < 0)
            break;
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
        if (!p) {
            if (open_client(x) != 0) {
                rc = TS_EXIT_SOURCE;
                break;
            }
            char group[64];
            snprintf(group, sizeof group, "reconsume_replay_%ld", (long)getpid());
            p = rc_topic_producer_start(&x->client.api, group, group, o->namesrv,
                                        RC_TOPIC_SEND_TIMEOUT_MS, err, sizeof err);
            if (!p) {
                SAY("replay: %s", err);
                rc = TS_EXIT_SOURCE;
                break;
            }
        }
        char msg_id[256];
        if (rc_topic_send(&x->client.api, p, to, &e->r, false, e->id, msg_id, sizeof msg_id, err,
                          sizeof err) != 0) {
            SAY("replay: %s: %s; stopping, nothing was marked for it", e->id, err);
            if (o->json)
                json_result(&n, e->id, to, "failed", NULL, err);
            rc = TS_EXIT_PARTIAL;
            left = -1;
            break;
        }
        int marked = o->from_topic ? ts_ledger_append(x->ledger, e->id, err, sizeof err)
                                   : ts_spool_mark_replayed(x->spool, e->id, err, sizeof err);
        if (marked != 0) {
            SAY("replay: %s: sent (msgId %s) but not marked replayed: %s; a later replay "
                "would send it again; stopping", e->id, msg_id, err);
            rc = TS_EXIT_PARTIAL;
            break;
        }
        sent++;
        if (o->json)
            json_result(&n, e->id, to, "replayed", msg_id, NULL);
        else
            printf("replayed %s -> %s (msgId %s)\n", e->id, to, msg_id);
        fflush(stdout);
    }
    if (o->json)
        fputs(n ? "\n]\n" : "]\n", stdout);
    if (p)
        rc_topic_producer_stop(&x->client.api, p);
    if (left > 0)
        SAY("replay: --limit %ld reached; %ld more left", o->limit, left);
    return rc;
}

static int cmd_purge(struct ctx *x)
{
    const struct ts_opts *o = x->o;
    int rc = TS_EXIT_OK, n = 0;
    char err[PATH_MAX + 256];
    for (int i = 0; i < o->nids; i++)
        if (!find(x, o->ids[i]) || find(x, o->ids[i]) == (const struct ts_rec *)-1) {
            SAY("purge: %s: no such record (or a msgId of several)", o->ids[i]);
            return TS_EXIT_USAGE;
        }
    if (o->json)
        fputs("[", stdout);
    for (size_t i = 0; i < x->set.n; i++) {
        const struct ts_rec *e = &x->set.v[i];
        int pick;
        if (o->nids)
            pick = chosen(x, e);
        else if (o->all)
            pick = !e->replayed || o->replayed;
        else
            pick = (e->replayed == o->replayed) && ts_match(o, e);
        if (!pick)
            continue;
        if (!o->dry_run && ts_spool_remove(x->spool, e, err, sizeof err) != 0) {
            SAY("purge: %s", err);
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

int main(int argc, char **argv)
{
    struct ts_opts o;
    char err[1024];
    struct timespec now;
    clock_gettime(CLOCK_REALTIME, &now);
    long long now_ms = (long long)now.tv_sec * 1000 + now.tv_nsec / 1000000;
    if (ts_parse_args(argc, argv, now_ms, &o, err, sizeof err) != 0) {
        SAY("%s", err);
        fputs("(reconsume-spool --help for usage)\n", stderr);
        return TS_EXIT_USAGE;
    }
    if (o.help || o.cmd == TS_HELP) {
        help(o.cmd);
        return TS_EXIT_OK;
    }
    if (o.cmd == TS_PURGE && o.from_topic) {
        SAY("purge: a topic cannot be purged; the broker drops old messages by its retention "
            "(fileReservedTime)");
        return TS_EXIT_USAGE;
    }
    struct ctx x;
    memset(&x, 0, sizeof x);
    x.o = &o;
    int with_replayed = o.replayed || o.cmd == TS_SHOW || o.nids > 0 || o.cmd == TS_PURGE;
    int rc = load(&x, with_replayed);
    if (rc == 0) {
        switch (o.cmd) {
        case TS_LIST: rc = cmd_list(&x); break;
        case TS_SHOW: rc = cmd_show(&x); break;
        case TS_STATS: rc = cmd_stats(&x); break;
        case TS_REPLAY:
            if (o.from_topic && !o.state && !o.dry_run) {
                char d[PATH_MAX + 16];
                snprintf(d, sizeof d, "%s/replayed", x.spool);
                mkdirs(d);
            }
            rc = cmd_replay(&x);
            break;
        case TS_PURGE: rc = cmd_purge(&x); break;
        default: break;
        }
    }
    ts_set_free(&x.set);
    fflush(stdout);
    if (ferror(stdout)) {
        SAY("cannot write the output: %s", strerror(errno));
        return rc ? rc : TS_EXIT_PARTIAL;
    }
    return rc;
}
