/*
 * topicmsg.c - a diversion record as a RocketMQ message, and back.
 *
 * The record's header lines (policy/record.c is the one encoder) become user
 * properties by a fixed table; the values are taken as encoded, so they are
 * printable ASCII and the reader hands them to the same parser. Tags, keys
 * and the body are the message's own, byte for byte.
 */
#include "sink/topic.h"
#include "util/percent.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Record header -> property. Tags, Keys and Body-Length have none. */
static const struct { const char *header, *prop, *old_prop; } map[] = {
    {"Reconsume-Record", "RECONSUME_RECORD", NULL},
    {"Outcome", "RECONSUME_OUTCOME", NULL},
    {"Action", "RECONSUME_ACTION", NULL},
    {"Diverted-Because", "RECONSUME_BECAUSE", NULL},
    {"Injected", "RECONSUME_INJECTED", NULL},
    {"Status", "RECONSUME_STATUS", NULL},
    {"Exception-Type", "RECONSUME_EXCEPTION_TYPE", NULL},
    {"Exception-What", "RECONSUME_EXCEPTION_WHAT", NULL},
    {"Signal", "RECONSUME_SIGNAL", NULL},
    {"Attempts", "RECONSUME_ATTEMPTS", NULL},
    {"Max-Retries", "RECONSUME_MAX_RETRIES", NULL},
    {"Group", "RECONSUME_GROUP", NULL},
    {"Mode", "RECONSUME_MODE", NULL},
    {"Rule", "RECONSUME_RULE", NULL},
    {"Topic", "RECONSUME_ORIGIN_TOPIC", NULL},
    {"Msg-Id", "RECONSUME_ORIGIN_MSG_ID", NULL},
    {"Delivered-Topic", "RECONSUME_DELIVERED_TOPIC", NULL},
    /* The delivered copy's coordinates; messages sent before they were
     * named so carried them as RECONSUME_ORIGIN_*, read too. */
    {"Delivered-Queue-Id", "RECONSUME_DELIVERED_QUEUE_ID", "RECONSUME_ORIGIN_QUEUE_ID"},
    {"Delivered-Queue-Offset", "RECONSUME_DELIVERED_QUEUE_OFFSET", "RECONSUME_ORIGIN_QUEUE_OFFSET"},
    {"Delivered-Commit-Log-Offset", "RECONSUME_DELIVERED_COMMIT_LOG_OFFSET",
     "RECONSUME_ORIGIN_COMMIT_LOG_OFFSET"},
    {"Reconsume-Times", "RECONSUME_ORIGIN_RECONSUME_TIMES", NULL},
    {"Born-Timestamp", "RECONSUME_ORIGIN_BORN_TIMESTAMP", NULL},
    {"Store-Timestamp", "RECONSUME_ORIGIN_STORE_TIMESTAMP", NULL},
    {"Host", "RECONSUME_HOST", NULL},
    {"Pid", "RECONSUME_PID", NULL},
    {"Diverted-At", "RECONSUME_DIVERTED_AT", NULL},
    {"Diverted-At-Ms", "RECONSUME_DIVERTED_AT_MS", NULL},
};
#define NMAP (sizeof map / sizeof *map)

/* Property-<NAME> of the record -> RECONSUME_ORIGIN_PROP_<NAME>. The names
 * are those hooks/message.c keeps (the C API cannot list properties). */
static const char PROP_HEADER[] = "Property-";
static const char PROP_PREFIX[] = "RECONSUME_ORIGIN_PROP_";

size_t rc_topic_props_from_record(const char *enc, size_t len, struct rc_topic_prop *out,
                                  size_t cap)
{
    size_t n = 0;
    const char *p = enc, *end = enc + len;
    while (p < end && *p != '\n' && n < cap) {
        const char *eol = memchr(p, '\n', (size_t)(end - p));
        if (!eol)
            break;
        const char *colon = memchr(p, ':', (size_t)(eol - p));
        if (colon && colon + 1 < eol) {
            size_t hn = (size_t)(colon - p);
            const char *v = colon + 2; /* the encoder writes "Name: value" */
            size_t vn = (size_t)(eol - v);
            const char *prop = NULL;
            char name[64];
            for (size_t i = 0; i < NMAP; i++)
                if (strlen(map[i].header) == hn && memcmp(map[i].header, p, hn) == 0)
                    prop = map[i].prop;
            if (!prop && hn > sizeof PROP_HEADER - 1 &&
                memcmp(p, PROP_HEADER, sizeof PROP_HEADER - 1) == 0 &&
                hn - (sizeof PROP_HEADER - 1) + sizeof PROP_PREFIX <= sizeof name) {
                snprintf(name, sizeof name, "%s%.*s", PROP_PREFIX,
                         (int)(hn - (sizeof PROP_HEADER - 1)), p + sizeof PROP_HEADER - 1);
                prop = name;
            }
            if (prop) {
                snprintf(out[n].name, sizeof out[n].name, "%s", prop);
                out[n].value = v;
                out[n].value_len = vn;
                n++;
            }
        }
        p = eol + 1;
    }
    return n;
}

/* A growing buffer; on out of memory, ok goes false and appends stop. */
struct buf {
    char *p;
    size_t len, cap;
    int ok;
};

static void add(struct buf *b, const char *s, size_t n)
{
    if (!b->ok)
        return;
    if (b->len + n + 1 > b->cap) {
        size_t cap = (b->cap ? b->cap * 2 : 1024) + n;
        char *q = realloc(b->p, cap);
        if (!q) {
            b->ok = 0;
            return;
        }
        b->p = q;
        b->cap = cap;
    }
    memcpy(b->p + b->len, s, n);
    b->len += n;
    b->p[b->len] = '\0';
}

/*
 * Append a header line. raw: the value is the message's own bytes and is
 * percent-encoded here (policy/record.h's rules); else it is a property
 * value, encoded already, and only bytes that could break the line are
 * escaped (a damaged value then fails to parse instead of adding a line).
 */
static void add_line(struct buf *b, const char *name, const char *v, int raw)
{
    size_t n = strlen(v);
    add(b, name, strlen(name));
    add(b, ": ", 2);
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)v[i];
        int edge = i == 0 || i == n - 1;
        if (c < 0x20 || c == 0x7f || c >= 0x80 || (raw && (c == '%' || (c == ' ' && edge)))) {
            char esc[3];
            rc_percent_put(esc, c);
            add(b, esc, 3);
        } else {
            add(b, (const char *)&v[i], 1);
        }
    }
    add(b, "\n", 1);
}

char *rc_topic_record_text(const struct rc_topic_api *api, rc_cmessage_ext *m, size_t *len,
                           char *err, size_t errlen)
{
    const char *(*get)(rc_cmessage_ext *, const char *) = api->GetMessageProperty;
    const char *v = get ? get(m, "RECONSUME_RECORD") : NULL;
    if (!v || !v[0]) {
        snprintf(err, errlen, "not a diverted message (no RECONSUME_RECORD property)");
        return NULL;
    }
    struct buf b = {NULL, 0, 0, 1};
    for (size_t i = 0; i < NMAP; i++) {
        v = get(m, map[i].prop);
        if ((!v || !v[0]) && map[i].old_prop)
            v = get(m, map[i].old_prop);
        if (v && v[0])
            add_line(&b, map[i].header, v, 0);
        if (strcmp(map[i].header, "Topic") == 0) {
            /* Tags and Keys go where the record has them. */
            const char *t = api->GetMessageTags ? api->GetMessageTags(m) : NULL;
            const char *k = api->GetMessageKeys ? api->GetMessageKeys(m) : NULL;
            if (t && t[0])
                add_line(&b, "Tags", t, 1);
            if (k && k[0])
                add_line(&b, "Keys", k, 1);
        }
        if (strcmp(map[i].header, "Store-Timestamp") == 0) {
            /* Then the original's properties, where the record has them. */
            for (size_t k = 0; rc_record_kept_props[k]; k++) {
                char pname[64], hname[64];
                snprintf(pname, sizeof pname, "%s%s", PROP_PREFIX, rc_record_kept_props[k]);
                snprintf(hname, sizeof hname, "%s%s", PROP_HEADER, rc_record_kept_props[k]);
                v = get(m, pname);
                if (v && v[0])
                    add_line(&b, hname, v, 0);
            }
        }
    }
    const char *body = api->GetMessageBody ? api->GetMessageBody(m) : NULL;
    size_t bn = body ? strlen(body) : 0;
    char num[64];
    snprintf(num, sizeof num, "Body-Length: %zu\n\n", bn);
    add(&b, num, strlen(num));
    if (bn)
        add(&b, body, bn);
    if (!b.ok) {
        free(b.p);
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    *len = b.len;
    return b.p;
}
