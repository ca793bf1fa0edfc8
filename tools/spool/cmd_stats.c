/*
 * cmd_stats.c - reconsume-spool stats: counts of records by reason, topic and group.
 */
#include "tools/spool/commands.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tools/spool/out.h"

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

int ts_cmd_stats(struct ts_ctx *x)
{
    const struct ts_opts *o = x->o;
    struct counts reason = {0}, topic = {0}, group = {0};
    int total = 0, replayed = 0, bad = 0;
    for (size_t i = 0; i < x->set.n; i++) {
        const struct ts_rec *e = &x->set.v[i];
        if (!ts_match(o, e) || (e->replayed && !o->replayed))
            continue;
        if (ts_say_damaged(e)) {
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
