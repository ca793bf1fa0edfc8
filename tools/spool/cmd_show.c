/*
 * cmd_show.c - reconsume-spool show: a record's headers and body, as text,
 * hex or JSON.
 *
 * The headers are shown as the record has them, in its order, values
 * decoded: a header that is not in the file is not shown (never as 0 or
 * 1970), every property and every header this build does not know are.
 * A record without a header that every record has is shown, marked
 * damaged, with those headers named; show then exits 1.
 */
#include "tools/spool/commands.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "policy/record.h"
#include "tools/spool/out.h"

static int hexval(char c)
{
    return c >= '0' && c <= '9' ? c - '0' : c >= 'A' && c <= 'F' ? c - 'A' + 10
                                          : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* Percent-decode s[0..n) into out (n bytes suffice); returns the length.
 * The record was parsed, so every escape is valid; a stray '%' is kept. */
static size_t decode(const char *s, size_t n, char *out)
{
    size_t o = 0;
    for (size_t i = 0; i < n; i++) {
        int h, l;
        if (s[i] == '%' && n - i >= 3 && (h = hexval(s[i + 1])) >= 0 &&
            (l = hexval(s[i + 2])) >= 0) {
            out[o++] = (char)(h << 4 | l);
            i += 2;
        } else {
            out[o++] = s[i];
        }
    }
    return o;
}

/* One header line of the record: its name and its (encoded, trimmed) value. */
struct hline {
    const char *name, *val;
    size_t nlen, vlen;
};

/* The header line at *p (below end); advances *p. 0 at the blank line. */
static int next_header(const char **p, const char *end, struct hline *h)
{
    const char *eol = memchr(*p, '\n', (size_t)(end - *p));
    if (!eol)
        return 0;
    const char *line = *p, *stop = eol > line && eol[-1] == '\r' ? eol - 1 : eol;
    *p = eol + 1;
    const char *colon = memchr(line, ':', (size_t)(stop - line));
    if (stop == line || !colon)
        return 0;
    h->name = line;
    h->nlen = (size_t)(colon - line);
    h->val = colon + 1;
    while (h->val < stop && *h->val == ' ')
        h->val++;
    while (stop > h->val && stop[-1] == ' ')
        stop--;
    h->vlen = (size_t)(stop - h->val);
    return 1;
}

static void put_headers(const struct ts_opts *o, const struct ts_rec *e, char *val)
{
    const char *p = e->head, *end = e->head + e->head_len;
    struct hline h;
    for (int first = 1; next_header(&p, end, &h); first = 0) {
        size_t vn = decode(h.val, h.vlen, val);
        if (o->json) {
            if (!first)
                fputc(',', stdout);
            ts_put_json(stdout, h.name, h.nlen);
            fputc(':', stdout);
            ts_put_json(stdout, val, vn);
        } else {
            ts_put_safe(stdout, h.name, h.nlen, 0);
            fputs(": ", stdout);
            ts_put_safe(stdout, val, vn, 0);
            fputc('\n', stdout);
        }
    }
}

/* The headers every record has that e lacks: "A, B" in text, ["A","B"] in JSON. */
static void put_missing(const struct ts_rec *e, int json)
{
    int n = 0;
    for (size_t i = 0; rc_record_required(i); i++) {
        const char *name = rc_record_required(i);
        if (rc_record_has(&e->r, name))
            continue;
        if (n++)
            fputs(json ? "," : ", ", stdout);
        if (json)
            ts_put_json_str(stdout, name);
        else
            fputs(name, stdout);
    }
}

static void put_body(const struct ts_opts *o, const struct ts_rec *e)
{
    if (o->json) {
        fputs("},\"body\":", stdout);
        ts_put_json(stdout, e->r.body, e->r.body_len);
        fputs(",\"body_base64\":", stdout);
        ts_put_base64(stdout, e->r.body, e->r.body_len);
        fputs("}", stdout);
        return;
    }
    fputc('\n', stdout);
    if (o->hex) {
        ts_put_hex(stdout, e->r.body, e->r.body_len);
    } else {
        ts_put_safe(stdout, e->r.body, e->r.body_len, 1);
        if (e->r.body_len && e->r.body[e->r.body_len - 1] != '\n')
            fputc('\n', stdout);
    }
}

static int show_one(const struct ts_ctx *x, const struct ts_rec *e)
{
    const struct ts_opts *o = x->o;
    char *val = malloc(e->head_len + 1);
    if (!val) {
        TS_SAY("out of memory");
        return -1;
    }
    if (o->json) {
        fputs("{\"id\":", stdout);
        ts_put_json_str(stdout, e->id);
        printf(",\"state\":\"%s\",", e->replayed ? "replayed" : "new");
        if (!e->ok) {
            fputs("\"damaged\":", stdout);
            ts_put_json_str(stdout, e->err);
            fputs(",\"missing\":[", stdout);
            put_missing(e, 1);
            fputs("],", stdout);
        }
        fputs("\"headers\":{", stdout);
    } else {
        fputs("Id: ", stdout);
        ts_put_safe(stdout, e->id, strlen(e->id), 0);
        printf("\nState: %s\n", e->replayed ? "replayed" : "new");
        if (!e->ok) {
            fputs("Damaged: missing ", stdout);
            put_missing(e, 0);
            fputc('\n', stdout);
        }
    }
    put_headers(o, e, val);
    put_body(o, e);
    free(val);
    return 0;
}

int ts_cmd_show(struct ts_ctx *x)
{
    int rc = TS_EXIT_OK;
    if (x->o->json)
        fputs(x->o->nids > 1 ? "[" : "", stdout);
    for (int i = 0, shown = 0; i < x->o->nids; i++) {
        const char *what = "";
        const struct ts_rec *e = ts_ctx_find_loose(x, x->o->ids[i], &what);
        if (!e || e == TS_AMBIGUOUS) {
            fputs("reconsume-spool: show: ", stderr);
            ts_put_safe(stderr, x->o->ids[i], strlen(x->o->ids[i]), 0);
            if (!e)
                fputs(": no such record\n", stderr);
            else if (strcmp(what, "prefix") == 0)
                fputs(": more than one record id or msgId starts with this; give more of it\n",
                      stderr);
            else
                fprintf(stderr, ": more than one record has this %s; give the record id (list "
                        "prints it)\n", what);
            rc = TS_EXIT_PARTIAL;
            continue;
        }
        if (ts_say_damaged(e)) {
            rc = TS_EXIT_PARTIAL;
            if (!e->parsed)
                continue; /* nothing to show */
        }
        if (shown > 0) /* (counting those shown: a JSON array has no empty element) */
            fputs(x->o->json ? ",\n" : "\n", stdout);
        if (show_one(x, e) != 0)
            rc = TS_EXIT_PARTIAL;
        shown++;
    }
    if (x->o->json)
        fputs(x->o->nids > 1 ? "]\n" : "\n", stdout);
    return rc;
}
