/*
 * util.c - the test double's small helpers: memory that cannot fail (the
 * double aborts instead), string setters, whole-number settings from the
 * environment, an EINTR-safe sleep and the log's escaping.
 */
#include "tests/double/double.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static void out_of_memory(void)
{
    fputs("rocketmq double: out of memory\n", stderr);
    abort();
}

void *rmqd_xmalloc(size_t n)
{
    void *p = malloc(n ? n : 1);
    if (!p)
        out_of_memory();
    return p;
}

void *rmqd_xrealloc(void *p, size_t n)
{
    void *q = realloc(p, n ? n : 1);
    if (!q)
        out_of_memory();
    return q;
}

char *rmqd_xmemdup0(const char *s, size_t n)
{
    char *p = rmqd_xmalloc(n + 1);
    memcpy(p, s, n);
    p[n] = '\0';
    return p;
}

char *rmqd_xstrdup(const char *s)
{
    return rmqd_xmemdup0(s, strlen(s));
}

void *rmqd_reserve(void *arr, size_t *cap, size_t n, size_t elem)
{
    if (n < *cap)
        return arr;
    *cap = *cap ? 2 * *cap : 16;
    return rmqd_xrealloc(arr, *cap * elem);
}

int rmqd_set_string(char **dst, const char *v)
{
    if (!dst || !v)
        return NULL_POINTER;
    free(*dst);
    *dst = rmqd_xstrdup(v);
    return OK;
}

long rmqd_env_long(const char *name, long dflt)
{
    const char *v = getenv(name);
    if (!v || !*v)
        return dflt;
    char *end;
    errno = 0;
    long n = strtol(v, &end, 10);
    if (errno || *end)
        return dflt;
    return n;
}

void rmqd_sleep_ms(long ms)
{
    if (ms <= 0)
        return;
    struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };
    while (nanosleep(&ts, &ts) == -1 && errno == EINTR)
        ;
}

char *rmqd_escape(const char *s, size_t n)
{
    char *out = rmqd_xmalloc(4 * n + 1), *o = out;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c == '\\') {
            *o++ = '\\';
            *o++ = '\\';
        } else if (c >= 0x20 && c < 0x7f) {
            *o++ = (char)c;
        } else {
            o += sprintf(o, "\\x%02x", c);
        }
    }
    *o = '\0';
    return out;
}
