/*
 * crashes.c - the crash counts of the journal: keys, the table, and the
 * crashes file (see crashes.h).
 */
#include "state/crashes.h"

#include "io/read_file.h"
#include "util/grow.h"
#include "util/percent.h"
#include "util/scan.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define CRASHES "crashes"
#define CRASHES_HEAD "reconsume-crashes 1\n"
#define CRASHES_MAX_BYTES (16u << 20)

/* ---- keys and the crash table -------------------------------------------- */

void rc_crash_key_make(struct rc_crash_key *k, const char *group, const char *id)
{
    size_t il = id ? strlen(id) : 0, gl = group ? strlen(group) : 0;
    if (il > RC_JOURNAL_ID_MAX)
        il = RC_JOURNAL_ID_MAX;
    if (gl > RC_JOURNAL_KEY_MAX - il)
        gl = RC_JOURNAL_KEY_MAX - il;
    memset(k, 0, sizeof *k);
    k->glen = (uint16_t)gl;
    k->ilen = (uint16_t)il;
    if (gl)
        memcpy(k->b, group, gl);
    if (il)
        memcpy(k->b + gl, id, il);
}

static bool key_eq(const struct rc_crash_key *a, const struct rc_crash_key *b)
{
    return a->glen == b->glen && a->ilen == b->ilen &&
           memcmp(a->b, b->b, (size_t)a->glen + a->ilen) == 0;
}

static uint64_t key_hash(const struct rc_crash_key *k)
{
    uint64_t h = 0xcbf29ce484222325ull;
    h = (h ^ k->glen) * 0x100000001b3ull;
    for (size_t i = 0; i < (size_t)k->glen + k->ilen; i++)
        h = (h ^ (unsigned char)k->b[i]) * 0x100000001b3ull;
    return h ^ (h >> 29);
}

uint32_t rc_journal_check(uint32_t seq, uint16_t glen, uint16_t ilen, const char *key)
{
    uint32_t h = 2166136261u;
    unsigned char head[8] = {
        (unsigned char)seq,  (unsigned char)(seq >> 8),  (unsigned char)(seq >> 16),
        (unsigned char)(seq >> 24), (unsigned char)glen, (unsigned char)(glen >> 8),
        (unsigned char)ilen, (unsigned char)(ilen >> 8),
    };
    for (size_t i = 0; i < sizeof head; i++)
        h = (h ^ head[i]) * 16777619u;
    size_t n = (size_t)glen + ilen;
    if (n > RC_JOURNAL_KEY_MAX)
        n = RC_JOURNAL_KEY_MAX;
    for (size_t i = 0; i < n; i++)
        h = (h ^ (unsigned char)key[i]) * 16777619u;
    return h;
}


struct rc_crash *rc_crash_find(struct rc_crash_table *l, const struct rc_crash_key *k)
{
    if (!l->idx_cap)
        return NULL;
    size_t h = (size_t)key_hash(k) & (l->idx_cap - 1);
    for (size_t probes = 0; probes < l->idx_cap; probes++) {
        uint32_t at = l->idx[h];
        if (!at)
            return NULL;
        if (key_eq(&l->c[at - 1].k, k))
            return &l->c[at - 1];
        h = (h + 1) & (l->idx_cap - 1);
    }
    return NULL;
}

static void idx_put(uint32_t *idx, size_t cap, const struct rc_crash_key *k, uint32_t at)
{
    size_t h = (size_t)key_hash(k) & (cap - 1);
    while (idx[h])
        h = (h + 1) & (cap - 1);
    idx[h] = at;
}

/* Add count crashes at time last to k; false when full or out of memory. */
bool rc_crash_add(struct rc_crash_table *l, const struct rc_crash_key *k, int count, int64_t last)
{
    struct rc_crash *e = rc_crash_find(l, k);
    if (e) {
        e->count = e->count > INT_MAX - count ? INT_MAX : e->count + count;
        if (last > e->last)
            e->last = last;
        return true;
    }
    if (l->n >= RC_JOURNAL_MAX_ENTRIES)
        return false;
    void *c = l->c;
    if (!rc_grow(&c, &l->cap, l->n, sizeof *l->c, 16))
        return false;
    l->c = c;
    if ((l->n + 1) * 2 > l->idx_cap) {
        size_t cap = l->idx_cap ? l->idx_cap * 2 : 32;
        uint32_t *idx = calloc(cap, sizeof *idx);
        if (!idx)
            return false;
        for (size_t i = 0; i < l->n; i++)
            idx_put(idx, cap, &l->c[i].k, (uint32_t)(i + 1));
        free(l->idx);
        l->idx = idx;
        l->idx_cap = cap;
    }
    e = &l->c[l->n++];
    memset(e, 0, sizeof *e);
    e->k = *k;
    e->count = count;
    e->last = last;
    atomic_init(&e->forgotten, 0);
    idx_put(l->idx, l->idx_cap, k, (uint32_t)l->n);
    return true;
}

void rc_crash_table_free(struct rc_crash_table *l)
{
    free(l->c);
    free(l->idx);
    memset(l, 0, sizeof *l);
}

/* ---- the crashes file -------------------------------------------------------
 *
 *   reconsume-crashes 1
 *   <count> <last unix seconds> <group> <id>
 *
 * group and id percent-encoded (bytes up to ' ', '%', and from 0x7f: %XX);
 * an empty one is written "-" (a literal '-' is "%2d"). A line that does not
 * parse is skipped.
 */

static size_t encode(const char *s, size_t n, char *out)
{
    size_t k = 0;
    if (n == 0) {
        out[k++] = '-';
        return k;
    }
    for (size_t i = 0; i < n; i++) {
        unsigned char b = (unsigned char)s[i];
        if (b <= ' ' || b == '%' || b >= 0x7f || (n == 1 && b == '-')) {
            rc_percent_put(out + k, b);
            k += 3;
        } else {
            out[k++] = (char)b;
        }
    }
    return k;
}

/* Decode s[0..n) into out (at most cap bytes); -1 if malformed or too long. */
static long decode(const char *s, size_t n, char *out, size_t cap)
{
    if (n == 1 && s[0] == '-')
        return 0;
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        if (k >= cap)
            return -1;
        if (s[i] == '%') {
            unsigned char b;
            if (!rc_percent_take(s + i, n - i, &b))
                return -1;
            out[k++] = (char)b;
            i += 2;
        } else if ((unsigned char)s[i] <= ' ' || (unsigned char)s[i] >= 0x7f) {
            return -1;
        } else {
            out[k++] = s[i];
        }
    }
    return (long)k;
}

/* A count or a time: decimal digits, at most max (util/scan.h's parser). */
static bool parse_u(const char *s, size_t n, long long max, long long *out)
{
    long v;
    if (n == 0 || s[0] == '-' || !rc_scan_long(s, n, 0, (long)max, &v))
        return false;
    *out = v;
    return true;
}

/* One line of the crashes file into *k, *count, *last; false to skip it. */
static bool parse_line(const char *s, size_t n, struct rc_crash_key *k, int *count, int64_t *last)
{
    const char *f[4];
    size_t fl[4];
    size_t i = 0;
    for (int w = 0; w < 4; w++) {
        if (i >= n || s[i] == ' ')
            return false;
        f[w] = s + i;
        while (i < n && s[i] != ' ')
            i++;
        fl[w] = (size_t)(s + i - f[w]);
        if (w < 3) {
            if (i >= n)
                return false;
            i++; /* the single space */
        }
    }
    if (i != n)
        return false;
    long long c, t;
    if (!parse_u(f[0], fl[0], INT_MAX, &c) || c < 1 || !parse_u(f[1], fl[1], INT64_MAX / 2, &t))
        return false;
    char g[RC_JOURNAL_KEY_MAX], id[RC_JOURNAL_KEY_MAX];
    long gl = decode(f[2], fl[2], g, sizeof g), il = decode(f[3], fl[3], id, sizeof id);
    if (gl < 0 || il < 0 || il > RC_JOURNAL_ID_MAX || gl + il > RC_JOURNAL_KEY_MAX)
        return false;
    memset(k, 0, sizeof *k);
    k->glen = (uint16_t)gl;
    k->ilen = (uint16_t)il;
    memcpy(k->b, g, (size_t)gl);
    memcpy(k->b + gl, id, (size_t)il);
    *count = (int)c;
    *last = (int64_t)t;
    return true;
}

/* Read <dir>/crashes into l (merged by key); a missing or bad file is empty. */
void rc_crashes_load(int dirfd, struct rc_crash_table *l, int64_t now, bool *aged)
{
    int fd = openat(dirfd, CRASHES, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY);
    if (fd < 0)
        return;
    struct stat st;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || st.st_size > CRASHES_MAX_BYTES) {
        close(fd);
        return;
    }
    size_t size = (size_t)st.st_size, got = 0;
    char *b = malloc(size + 1);
    if (!b) {
        close(fd);
        return;
    }
    got = rc_pread_full(fd, b, size, 0);
    close(fd);
    const char *s = b, *end = b + got;
    if ((size_t)(end - s) < sizeof CRASHES_HEAD - 1 ||
        memcmp(s, CRASHES_HEAD, sizeof CRASHES_HEAD - 1) != 0) {
        free(b);
        return;
    }
    s += sizeof CRASHES_HEAD - 1;
    while (s < end) {
        const char *nl = memchr(s, '\n', (size_t)(end - s));
        if (!nl)
            break; /* a line cut short is not trusted */
        struct rc_crash_key k;
        int count;
        int64_t last;
        if (parse_line(s, (size_t)(nl - s), &k, &count, &last)) {
            if (now - last > RC_JOURNAL_MAX_AGE)
                *aged = true;
            else
                rc_crash_add(l, &k, count, last);
        }
        s = nl + 1;
    }
    free(b);
}

static int write_all(int fd, const char *p, size_t n)
{
    while (n > 0) {
        ssize_t k = write(fd, p, n);
        if (k < 0 && errno == EINTR)
            continue;
        if (k <= 0)
            return -1;
        p += k;
        n -= (size_t)k;
    }
    return 0;
}

/* Rewrite <dir>/crashes with the entries of c not forgotten: temp, fsync, rename, fsync dir. */
int rc_crashes_save(int dirfd, const struct rc_crash *c, size_t n)
{
    char tmp[64];
    snprintf(tmp, sizeof tmp, "%s.tmp.%ld", CRASHES, (long)getpid());
    int fd = openat(dirfd, tmp, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (fd < 0)
        return -1;
    /* Worst case per line: two numbers, two keys fully encoded. */
    size_t cap = 64 + 3 * RC_JOURNAL_KEY_MAX + 8, used = 0;
    char *buf = malloc(cap * 64);
    int rc = buf ? write_all(fd, CRASHES_HEAD, sizeof CRASHES_HEAD - 1) : -1;
    for (size_t i = 0; rc == 0 && i < n; i++) {
        if (atomic_load_explicit(&c[i].forgotten, memory_order_relaxed))
            continue;
        char *o = buf + used;
        int k = snprintf(o, cap, "%d %lld ", c[i].count, (long long)c[i].last);
        size_t m = (size_t)k;
        m += encode(c[i].k.b, c[i].k.glen, o + m);
        o[m++] = ' ';
        m += encode(c[i].k.b + c[i].k.glen, c[i].k.ilen, o + m);
        o[m++] = '\n';
        used += m;
        if (used > cap * 63) {
            rc = write_all(fd, buf, used);
            used = 0;
        }
    }
    if (rc == 0 && used)
        rc = write_all(fd, buf, used);
    free(buf);
    if (rc == 0)
        rc = fsync(fd);
    if (close(fd) != 0)
        rc = -1;
    if (rc == 0)
        rc = renameat(dirfd, tmp, dirfd, CRASHES);
    if (rc != 0) {
        unlinkat(dirfd, tmp, 0);
        return -1;
    }
    fsync(dirfd);
    return 0;
}
