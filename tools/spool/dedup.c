/*
 * dedup.c - copies of one message (see dedup.h): entries sorted by their
 * key (body hash, msgId, group, then set order), equal neighbours joined.
 */
#include "tools/spool/dedup.h"

#include <stdlib.h>
#include <string.h>

uint64_t ts_fnv1a64(const void *p, size_t n)
{
    const unsigned char *b = p;
    uint64_t h = 0xcbf29ce484222325ULL; /* the FNV offset basis */
    for (size_t i = 0; i < n; i++) {
        h ^= b[i];
        h *= 0x100000001b3ULL;          /* the FNV prime */
    }
    return h;
}

struct key {
    uint64_t hash;
    const struct ts_rec *e;
    size_t i;
};

static int keyed(const struct ts_rec *e)
{
    return e->ok && e->r.msg_id && e->r.msg_id[0];
}

static int same(const struct key *a, const struct key *b)
{
    const char *ga = a->e->r.group ? a->e->r.group : "", *gb = b->e->r.group ? b->e->r.group : "";
    return a->hash == b->hash && a->e->r.body_len == b->e->r.body_len &&
           strcmp(a->e->r.msg_id, b->e->r.msg_id) == 0 && strcmp(ga, gb) == 0;
}

static int cmp(const void *pa, const void *pb)
{
    const struct key *a = pa, *b = pb;
    if (a->hash != b->hash)
        return a->hash < b->hash ? -1 : 1;
    int c = strcmp(a->e->r.msg_id, b->e->r.msg_id);
    if (!c)
        c = strcmp(a->e->r.group ? a->e->r.group : "", b->e->r.group ? b->e->r.group : "");
    if (!c && a->e->r.body_len != b->e->r.body_len)
        c = a->e->r.body_len < b->e->r.body_len ? -1 : 1;
    if (!c)
        c = a->i < b->i ? -1 : a->i > b->i;
    return c;
}

int ts_set_dedup(struct ts_set *s)
{
    for (size_t i = 0; i < s->n; i++)
        s->v[i].copy_of = i;
    struct key *k = malloc((s->n ? s->n : 1) * sizeof *k);
    if (!k)
        return -1;
    size_t m = 0;
    for (size_t i = 0; i < s->n; i++)
        if (keyed(&s->v[i])) {
            const struct rc_record *r = &s->v[i].r;
            k[m++] = (struct key){ts_fnv1a64(r->body, r->body_len), &s->v[i], i};
        }
    qsort(k, m, sizeof *k, cmp);
    /* In each run of equal keys the first has the lowest index. */
    for (size_t j = 1; j < m; j++)
        if (same(&k[j - 1], &k[j]))
            s->v[k[j].i].copy_of = s->v[k[j - 1].i].copy_of;
    free(k);
    return 0;
}
