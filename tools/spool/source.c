/*
 * source.c - loading the records a command works on, and finding one by id
 * (see source.h).
 */
#include "tools/spool/source.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "io/read_file.h"
#include "policy/config.h"
#include "tools/spool/dedup.h"
#include "tools/spool/out.h"

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
        TS_SAY("%s", err);
        return -1;
    }
    snprintf(out, cap, "%s", c.spool_dir);
    rc_config_free(&c);
    return 0;
}

int ts_ctx_open_client(struct ts_ctx *x)
{
    char err[1024];
    if (x->have_client)
        return 0;
    if (ts_client_open(x->o->client_lib, &x->client, err, sizeof err) != 0) {
        TS_SAY("%s", err);
        return -1;
    }
    x->have_client = 1;
    return 0;
}

/* Which records are copies of one message (dedup.h). */
static int dedup(struct ts_ctx *x)
{
    if (ts_set_dedup(&x->set) != 0) {
        TS_SAY("out of memory");
        return TS_EXIT_SOURCE;
    }
    return 0;
}

int ts_ctx_load(struct ts_ctx *x, int with_replayed)
{
    char err[PATH_MAX + 512];
    struct ts_opts *o = x->o;
    if (spool_dir(o, x->spool, sizeof x->spool) != 0)
        return TS_EXIT_USAGE;
    if (!o->from_topic) {
        if (ts_spool_load(x->spool, with_replayed, &x->set, err, sizeof err) != 0) {
            TS_SAY("%s", err);
            return TS_EXIT_SOURCE;
        }
        return dedup(x);
    }
    if (ts_ctx_open_client(x) != 0)
        return TS_EXIT_SOURCE;
    if (ts_topic_load(&x->client, o->namesrv, o->from_topic, &x->set, &x->partial, err,
                      sizeof err) != 0) {
        TS_SAY("%s", err);
        return TS_EXIT_SOURCE;
    }
    if (o->state) {
        snprintf(x->ledger, sizeof x->ledger, "%s", o->state);
    } else {
        /* The default ledger lives in the spool's replayed/: never through a symlink. */
        if (ts_spool_check(x->spool, err, sizeof err) != 0) {
            TS_SAY("%s", err);
            return TS_EXIT_SOURCE;
        }
        snprintf(x->ledger, sizeof x->ledger, "%s/replayed/topic-%s.ledger", x->spool,
                 o->from_topic);
    }
    struct ts_ledger l;
    if (ts_ledger_load(x->ledger, &l, err, sizeof err) != 0) {
        TS_SAY("%s", err);
        return TS_EXIT_SOURCE;
    }
    for (size_t i = 0; i < x->set.n; i++)
        x->set.v[i].replayed = ts_ledger_has(&l, x->set.v[i].id);
    ts_ledger_free(&l);
    return dedup(x);
}

int ts_say_damaged(const struct ts_rec *e)
{
    if (e->ok)
        return 0;
    fputs("reconsume-spool: ", stderr);
    ts_put_safe(stderr, e->id, strlen(e->id), 0);
    fprintf(stderr, ": %s\n", e->err);
    return 1;
}


static bool has_msg_id(const struct ts_rec *e, const char *id, size_t n)
{
    return e->parsed && e->r.msg_id && strlen(e->r.msg_id) == n && !strncmp(e->r.msg_id, id, n);
}

static bool has_key(const struct ts_rec *e, const char *id, size_t n)
{
    if (!e->parsed || !e->r.keys)
        return false;
    for (const char *k = e->r.keys; *k;) {
        size_t kn = strcspn(k, " "); /* RocketMQ's key separator */
        if (kn == n && strncmp(k, id, n) == 0)
            return true;
        k += kn + (k[kn] == ' ');
    }
    return false;
}

static bool has_prefix(const struct ts_rec *e, const char *id, size_t n)
{
    return strncmp(e->id, id, n) == 0 ||
           (e->parsed && e->r.msg_id && strncmp(e->r.msg_id, id, n) == 0);
}

/* The one record that match accepts; TS_AMBIGUOUS for several, NULL for none. */
static const struct ts_rec *unique(const struct ts_ctx *x, const char *id,
                                   bool (*match)(const struct ts_rec *, const char *, size_t))
{
    const struct ts_rec *hit = NULL;
    size_t n = strlen(id);
    for (size_t i = 0; i < x->set.n; i++) {
        const struct ts_rec *e = &x->set.v[i];
        if (!match(e, id, n))
            continue;
        if (hit && hit->copy_of != e->copy_of)
            return TS_AMBIGUOUS;
        /* Copies of one message (dedup.h) are one: the first not replayed. */
        if (!hit || (hit->replayed && !e->replayed))
            hit = e;
    }
    return hit;
}

const struct ts_rec *ts_ctx_find_loose(const struct ts_ctx *x, const char *id, const char **what)
{
    static const struct {
        const char *what;
        bool (*match)(const struct ts_rec *, const char *, size_t);
    } kinds[] = {{"msgId", has_msg_id}, {"key", has_key}, {"prefix", has_prefix}};
    for (size_t i = 0; i < x->set.n; i++)
        if (strcmp(x->set.v[i].id, id) == 0)
            return &x->set.v[i];
    for (size_t k = 0; id[0] && k < sizeof kinds / sizeof *kinds; k++) {
        const struct ts_rec *e = unique(x, id, kinds[k].match);
        *what = kinds[k].what;
        if (e)
            return e;
    }
    return NULL;
}

const struct ts_rec *ts_ctx_find(const struct ts_ctx *x, const char *id)
{
    for (size_t i = 0; i < x->set.n; i++)
        if (strcmp(x->set.v[i].id, id) == 0)
            return &x->set.v[i];
    return unique(x, id, has_msg_id);
}

int ts_ctx_check_ids(const struct ts_ctx *x, const char *cmd)
{
    for (int i = 0; i < x->o->nids; i++) {
        const struct ts_rec *e = ts_ctx_find(x, x->o->ids[i]);
        if (!e || e == TS_AMBIGUOUS) {
            TS_SAY("%s: %s: no such record (or a msgId of several)", cmd, x->o->ids[i]);
            return -1;
        }
    }
    return 0;
}

int ts_ctx_chosen(const struct ts_ctx *x, const struct ts_rec *e)
{
    if (x->o->nids == 0)
        return ts_match(x->o, e);
    for (int i = 0; i < x->o->nids; i++)
        if (ts_ctx_find(x, x->o->ids[i]) == e)
            return 1;
    return 0;
}
