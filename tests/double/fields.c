/*
 * fields.c - what a message carries (topic, tags, keys, body bytes, delay
 * level, properties), the same for a message a producer sends (CMessage) and
 * one the consumer delivers (CMessageExt).
 */
#include "tests/double/double.h"

#include <stdlib.h>
#include <string.h>

static size_t props_find(const struct rmqd_props *p, const char *name)
{
    size_t i = 0;
    while (i < p->n && strcmp(p->v[i].name, name))
        i++;
    return i;
}

void rmqd_props_add(struct rmqd_props *p, char *name, char *value)
{
    p->v = rmqd_reserve(p->v, &p->cap, p->n, sizeof *p->v);
    p->v[p->n].name = name;
    p->v[p->n].value = value;
    p->n++;
}

void rmqd_props_set(struct rmqd_props *p, const char *name, const char *value)
{
    size_t i = props_find(p, name);
    if (i < p->n)
        rmqd_set_string(&p->v[i].value, value);
    else
        rmqd_props_add(p, rmqd_xstrdup(name), rmqd_xstrdup(value));
}

const char *rmqd_props_get(const struct rmqd_props *p, const char *name)
{
    size_t i = props_find(p, name);
    return i < p->n ? p->v[i].value : NULL;
}

void rmqd_fields_init(struct rmqd_fields *f, const char *topic)
{
    memset(f, 0, sizeof *f);
    f->topic = rmqd_xstrdup(topic);
    f->tags = rmqd_xstrdup("");
    f->keys = rmqd_xstrdup("");
    f->body = rmqd_xstrdup("");
}

void rmqd_fields_copy(struct rmqd_fields *dst, const struct rmqd_fields *src)
{
    memset(dst, 0, sizeof *dst);
    dst->topic = rmqd_xstrdup(src->topic);
    dst->tags = rmqd_xstrdup(src->tags);
    dst->keys = rmqd_xstrdup(src->keys);
    dst->body = rmqd_xmemdup0(src->body, src->body_len);
    dst->body_len = src->body_len;
    dst->delay_level = src->delay_level;
    for (size_t i = 0; i < src->props.n; i++)
        rmqd_props_add(&dst->props, rmqd_xstrdup(src->props.v[i].name),
                       rmqd_xstrdup(src->props.v[i].value));
}

void rmqd_fields_set_body(struct rmqd_fields *f, char *body, size_t len)
{
    free(f->body);
    f->body = body;
    f->body_len = len;
}

void rmqd_fields_free(struct rmqd_fields *f)
{
    free(f->topic);
    free(f->tags);
    free(f->keys);
    free(f->body);
    for (size_t i = 0; i < f->props.n; i++) {
        free(f->props.v[i].name);
        free(f->props.v[i].value);
    }
    free(f->props.v);
    memset(f, 0, sizeof *f);
}
