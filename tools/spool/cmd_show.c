/*
 * cmd_show.c - reconsume-spool show: a record's headers and body, as text, hex or JSON.
 */
#include "tools/spool/commands.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tools/spool/out.h"

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

static int show_one(const struct ts_ctx *x, const struct ts_rec *e)
{
    const struct ts_opts *o = x->o;
    size_t need = rc_record_encoded_size(&e->r);
    char *enc = malloc(need + 1);
    char *val = malloc(need + 1);
    if (!enc || !val) {
        free(enc);
        free(val);
        TS_SAY("out of memory");
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

int ts_cmd_show(struct ts_ctx *x)
{
    int rc = TS_EXIT_OK;
    if (x->o->json)
        fputs(x->o->nids > 1 ? "[" : "", stdout);
    for (int i = 0; i < x->o->nids; i++) {
        const struct ts_rec *e = ts_ctx_find(x, x->o->ids[i]);
        if (!e || e == TS_AMBIGUOUS) {
            fputs("reconsume-spool: show: ", stderr);
            ts_put_safe(stderr, x->o->ids[i], strlen(x->o->ids[i]), 0);
            fputs(e ? ": more than one record has this msgId; give the record id (list prints it)\n"
                    : ": no such record\n", stderr);
            rc = TS_EXIT_PARTIAL;
            continue;
        }
        if (ts_say_damaged(e)) {
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
