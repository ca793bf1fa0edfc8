/*
 * record_dump.c - read spool records back with the product's own parser
 * (rc_record_parse), for the hardening tests.
 *
 *   record_dump --check FILE...   one line per file: "ok FILE" or "bad FILE: reason";
 *                                 exit 1 if any is bad
 *   record_dump FILE              the fields, one per line, values in hex:
 *                                 name=<hex>   (strings present; absent ones left out)
 *                                 name=<decimal> (numbers)
 *                                 prop=<hex name>:<hex value>
 *                                 body=<hex>
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "policy/record.h"

static char *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    size_t cap = 1 << 16, n = 0;
    char *buf = malloc(cap);
    for (;;) {
        if (n == cap) {
            cap *= 2;
            buf = realloc(buf, cap);
        }
        size_t r = fread(buf + n, 1, cap - n, f);
        n += r;
        if (r == 0)
            break;
    }
    fclose(f);
    *len = n;
    return buf;
}

static void hex(const char *name, const char *v, size_t n)
{
    printf("%s=", name);
    for (size_t i = 0; i < n; i++)
        printf("%02x", (unsigned char)v[i]);
    putchar('\n');
}

static void str(const char *name, const char *v)
{
    if (v)
        hex(name, v, strlen(v));
}

int main(int argc, char **argv)
{
    int checking = argc > 1 && strcmp(argv[1], "--check") == 0;
    int bad = 0;
    for (int i = 1 + checking; i < argc; i++) {
        size_t len;
        char *data = slurp(argv[i], &len);
        if (!data) {
            printf("bad %s: %s\n", argv[i], strerror(errno));
            bad = 1;
            continue;
        }
        struct rc_record r;
        char err[256];
        if (rc_record_parse(data, len, &r, err, sizeof err) != 0) {
            printf("bad %s: %s\n", argv[i], err);
            bad = 1;
        } else if (checking) {
            printf("ok %s\n", argv[i]);
        } else {
            str("outcome", r.outcome);
            str("exc_type", r.exc_type);
            str("exc_what", r.exc_what);
            str("signal", r.signal_name);
            str("group", r.group);
            str("mode", r.mode);
            str("host", r.host);
            str("topic", r.topic);
            str("tags", r.tags);
            str("keys", r.keys);
            str("msg_id", r.msg_id);
            printf("status=%d\nattempts=%d\nmax_retries=%d\npid=%ld\nqueue_id=%d\n"
                   "queue_offset=%lld\nreconsume_times=%d\n",
                   r.status, r.attempts, r.max_retries, r.pid, r.queue_id, r.queue_offset,
                   r.reconsume_times);
            for (size_t k = 0; k < r.nprops; k++) {
                printf("prop=");
                for (const char *p = r.props[k].name; *p; p++)
                    printf("%02x", (unsigned char)*p);
                putchar(':');
                for (const char *p = r.props[k].value; *p; p++)
                    printf("%02x", (unsigned char)*p);
                putchar('\n');
            }
            hex("body", r.body, r.body_len);
        }
        rc_record_free(&r);
        free(data);
    }
    return bad;
}
