/*
 * script.c - the delivery plan: the messages the test double delivers instead
 * of a broker's, read from a script at StartPushConsumer.
 *
 *   RMQ_DOUBLE_SCRIPT  script file, one message per line (blank lines and
 *                      lines starting with '#' are skipped):
 *                        id=M1 topic=T tags=TA keys=K queue=0 offset=5 reconsume=0 body=ok
 *                      Fields: id topic tags keys queue offset reconsume born
 *                      store commitlog delay prop.NAME=VALUE; body= is last and
 *                      takes the rest of the line. Values understand \xNN,
 *                      \n, \r, \t, \\ escapes (so bodies may hold NUL bytes).
 *                      Defaults: id=MSG<line>, topic = first subscription,
 *                      queue 0, offset = message index, reconsume 0.
 *   RMQ_DOUBLE_REPEAT=K  deliver the script K times; ids become <id>.<k>, k=1..K.
 */
#include "tests/double/double.h"

#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int hexval(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* Decode escapes of s[0..n) into a fresh buffer; *outlen gets the length. */
static char *unescape(const char *s, size_t n, size_t *outlen)
{
    char *out = rmqd_xmalloc(n + 1);
    size_t o = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '\\' && i + 1 < n) {
            char c = s[i + 1];
            if (c == 'x' && i + 3 < n && hexval(s[i + 2]) >= 0 && hexval(s[i + 3]) >= 0) {
                out[o++] = (char)(hexval(s[i + 2]) * 16 + hexval(s[i + 3]));
                i += 3;
                continue;
            } else if (c == 'n' || c == 'r' || c == 't' || c == '\\') {
                out[o++] = c == 'n' ? '\n' : c == 'r' ? '\r' : c == 't' ? '\t' : '\\';
                i += 1;
                continue;
            }
        }
        out[o++] = s[i];
    }
    out[o] = '\0';
    *outlen = o;
    return out;
}

static char *unescape0(const char *s, size_t n)
{
    size_t len;
    return unescape(s, n, &len);
}

static void set_unescaped(char **dst, const char *v, size_t n)
{
    free(*dst);
    *dst = unescape0(v, n);
}

static void script_add(struct rmqd_script *s, const struct CMessageExt *m)
{
    s->msgs = rmqd_reserve(s->msgs, &s->cap, s->n, sizeof *s->msgs);
    s->msgs[s->n++] = *m;
}

void rmqd_script_free(struct rmqd_script *s)
{
    for (size_t i = 0; i < s->n; i++)
        rmqd_msg_fini(&s->msgs[i]);
    free(s->msgs);
    s->msgs = NULL;
    s->n = s->cap = 0;
}

/* The script's key=value fields (body= and prop.NAME= aside), where they go. */
enum kind { TEXT, INT, LLONG };
static const struct field {
    const char *name;
    enum kind kind;
    size_t off;
} fields[] = {
    { "id", TEXT, offsetof(struct CMessageExt, id) },
    { "topic", TEXT, offsetof(struct CMessageExt, f.topic) },
    { "tags", TEXT, offsetof(struct CMessageExt, f.tags) },
    { "keys", TEXT, offsetof(struct CMessageExt, f.keys) },
    { "queue", INT, offsetof(struct CMessageExt, queue) },
    { "offset", LLONG, offsetof(struct CMessageExt, offset) },
    { "reconsume", INT, offsetof(struct CMessageExt, reconsume) },
    { "born", LLONG, offsetof(struct CMessageExt, born) },
    { "store", LLONG, offsetof(struct CMessageExt, store) },
    { "commitlog", LLONG, offsetof(struct CMessageExt, commitlog) },
    { "delay", INT, offsetof(struct CMessageExt, f.delay_level) },
};

/* One key=value token (not body=) of a script line into *m. */
static void set_field(struct CMessageExt *m, size_t lineno, const char *key, size_t klen,
                      const char *v, size_t vlen)
{
    if (klen > 5 && !strncmp(key, "prop.", 5)) {
        rmqd_props_add(&m->f.props, rmqd_xmemdup0(key + 5, klen - 5), unescape0(v, vlen));
        return;
    }
    const struct field *fd = fields;
    while (fd < fields + sizeof fields / sizeof *fields &&
           !(strlen(fd->name) == klen && !strncmp(key, fd->name, klen)))
        fd++;
    if (fd == fields + sizeof fields / sizeof *fields) {
        fprintf(stderr, "rocketmq double: script line %zu: unknown field '%.*s'\n", lineno,
                (int)klen, key);
        return;
    }
    char num[64];
    size_t nl = vlen < sizeof num - 1 ? vlen : sizeof num - 1;
    memcpy(num, v, nl);
    num[nl] = '\0';
    char *at = (char *)m + fd->off;
    if (fd->kind == TEXT)
        set_unescaped((char **)(void *)at, v, vlen);
    else if (fd->kind == INT)
        *(int *)(void *)at = atoi(num);
    else
        *(long long *)(void *)at = atoll(num);
}

/* Parse one script line into *m. Returns 0, or -1 for a line to skip. */
static int parse_line(char *line, size_t lineno, const char *dflt_topic, struct CMessageExt *m)
{
    size_t len = strlen(line);
    while (len && (line[len - 1] == '\n' || line[len - 1] == '\r'))
        line[--len] = '\0';
    const char *p = line;
    while (*p == ' ' || *p == '\t')
        p++;
    if (!*p || *p == '#')
        return -1;
    memset(m, 0, sizeof *m);
    char idbuf[32];
    snprintf(idbuf, sizeof idbuf, "MSG%zu", lineno);
    m->id = rmqd_xstrdup(idbuf);
    rmqd_fields_init(&m->f, dflt_topic);
    m->offset = -1;
    m->commitlog = -1;
    m->born = -1;
    m->store = -1;
    while (*p) {
        while (*p == ' ' || *p == '\t')
            p++;
        if (!*p)
            break;
        const char *eq = strchr(p, '=');
        const char *sp = strpbrk(p, " \t");
        if (!eq || (sp && sp < eq)) {
            fprintf(stderr, "rocketmq double: script line %zu: bad token near '%s'\n", lineno, p);
            p = sp ? sp : p + strlen(p);
            continue;
        }
        size_t klen = (size_t)(eq - p);
        const char *v = eq + 1;
        if (klen == 4 && !strncmp(p, "body", 4)) {
            size_t blen;
            char *body = unescape(v, strlen(v), &blen);
            rmqd_fields_set_body(&m->f, body, blen);
            break;
        }
        const char *vend = v + strcspn(v, " \t");
        set_field(m, lineno, p, klen, v, (size_t)(vend - v));
        p = vend;
    }
    return 0;
}

static void read_script(FILE *f, const char *dflt_topic, struct rmqd_script *base)
{
    char *line = NULL;
    size_t cap = 0, lineno = 0;
    while (getline(&line, &cap, f) != -1) {
        struct CMessageExt m;
        lineno++;
        if (parse_line(line, lineno, dflt_topic, &m) == 0)
            script_add(base, &m);
    }
    free(line);
}

/* Appends copy K of T to the plan, with the defaults that follow from its place. */
static void add_copy(struct rmqd_script *s, const struct CMessageExt *t, long k, long repeat)
{
    struct CMessageExt *c = rmqd_msg_clone(t);
    long long idx = (long long)s->n;
    if (repeat > 1) {
        size_t n = strlen(c->id) + 24;
        char *id = rmqd_xmalloc(n);
        snprintf(id, n, "%s.%ld", c->id, k);
        free(c->id);
        c->id = id;
    }
    if (c->offset < 0)
        c->offset = idx;
    if (c->commitlog < 0)
        c->commitlog = 4096LL * idx;
    if (c->born < 0)
        c->born = 1700000000000LL + idx;
    if (c->store < 0)
        c->store = c->born + 1;
    script_add(s, c);
    free(c); /* the fields now belong to s */
}

void rmqd_script_load(struct rmqd_script *s, const char *dflt_topic)
{
    memset(s, 0, sizeof *s);
    const char *path = getenv("RMQ_DOUBLE_SCRIPT");
    if (!path || !*path)
        return;
    FILE *f = fopen(path, "re");
    if (!f) {
        fprintf(stderr, "rocketmq double: cannot open script %s: %s\n", path, strerror(errno));
        return;
    }
    struct rmqd_script base = { 0 };
    read_script(f, dflt_topic, &base);
    fclose(f);
    long repeat = rmqd_env_long("RMQ_DOUBLE_REPEAT", 1);
    if (repeat < 1)
        repeat = 1;
    for (long k = 1; k <= repeat; k++)
        for (size_t i = 0; i < base.n; i++)
            add_copy(s, &base.msgs[i], k, repeat);
    rmqd_script_free(&base);
}
