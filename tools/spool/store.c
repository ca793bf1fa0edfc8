/*
 * store.c - reading records, and changing the spool durably (see store.h).
 *
 * Record files are opened with O_NOFOLLOW and must be regular; ids given
 * on the command line are only ever looked up among the names read from
 * the directory, never joined into a path as typed.
 *
 * Nothing outside the spool is ever read, moved or removed: as the shim
 * does (sink/spool.c), the spool directory is opened once and each of its
 * subdirectories relative to it with O_NOFOLLOW | O_DIRECTORY, so a
 * symlink there (new/ or replayed/ pointing elsewhere) is refused, not
 * followed; records are renamed and unlinked relative to those descriptors.
 */
#include "tools/spool/store.h"

#include "util/grow.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define ERR(...) (snprintf(err, errlen, __VA_ARGS__), -1)
#define RECORD_MAX (256u << 20) /* far above RocketMQ's 4 MiB message limit */

struct ts_rec *ts_set_add(struct ts_set *s)
{
    void *v = s->v;
    if (!rc_grow(&v, &s->cap, s->n, sizeof *s->v, 64))
        return NULL;
    s->v = v;
    struct ts_rec *e = &s->v[s->n++];
    memset(e, 0, sizeof *e);
    return e;
}

void ts_set_free(struct ts_set *s)
{
    for (size_t i = 0; i < s->n; i++)
        if (s->v[i].parsed || s->v[i].ok) {
            rc_record_free(&s->v[i].r);
            free(s->v[i].head);
        }
    free(s->v);
    memset(s, 0, sizeof *s);
}

static int cmp(const void *a, const void *b)
{
    const struct ts_rec *x = a, *y = b;
    long long tx = x->ok ? x->r.diverted_at_ms : 0, ty = y->ok ? y->r.diverted_at_ms : 0;
    if (x->ok && y->ok && tx != ty)
        return tx < ty ? -1 : 1;
    return strcmp(x->id, y->id);
}

void ts_set_sort(struct ts_set *s)
{
    if (s->n > 1)
        qsort(s->v, s->n, sizeof *s->v, cmp);
}

void ts_rec_parse(struct ts_rec *e, const char *text, size_t len)
{
    char why[200];
    if (len == 0) {
        snprintf(e->err, sizeof e->err, "empty file (a record torn before its first byte?)");
        return;
    }
    if (rc_record_parse(text, len, &e->r, why, sizeof why) != 0) {
        snprintf(e->err, sizeof e->err, "damaged record: %s", why);
        return;
    }
    /* The body is the input's last body_len bytes; the rest is the header. */
    e->head_len = len - e->r.body_len;
    e->head = malloc(e->head_len + 1);
    if (!e->head) {
        rc_record_free(&e->r);
        snprintf(e->err, sizeof e->err, "out of memory");
        return;
    }
    memcpy(e->head, text, e->head_len);
    e->head[e->head_len] = '\0';
    e->parsed = true;
    /* A header that every record has, missing, is not 0 or empty: the
     * record was not written whole (or not by the shim). */
    char missing[200] = "";
    size_t n = 0;
    for (size_t i = 0; rc_record_required(i); i++)
        if (!rc_record_has(&e->r, rc_record_required(i))) {
            size_t u = strlen(missing);
            snprintf(missing + u, sizeof missing - u, "%s%s", n++ ? ", " : "",
                     rc_record_required(i));
        }
    if (n) {
        snprintf(e->err, sizeof e->err, "damaged record: no %s header%s", missing,
                 n > 1 ? "s" : "");
        return;
    }
    e->ok = true;
}

/* Read dirfd/name whole; NULL with err. */
static char *slurp(int dirfd, const char *name, size_t *len, char *err, size_t errlen)
{
    int fd = openat(dirfd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
    if (fd < 0) {
        (void)ERR("cannot open: %s", strerror(errno));
        return NULL;
    }
    struct stat st;
    char *buf = NULL;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        (void)ERR("not a regular file");
        goto out;
    }
    if ((unsigned long long)st.st_size > RECORD_MAX) {
        (void)ERR("%lld bytes; more than a record can be", (long long)st.st_size);
        goto out;
    }
    buf = malloc((size_t)st.st_size + 1);
    if (!buf) {
        (void)ERR("out of memory");
        goto out;
    }
    size_t got = 0;
    while (got < (size_t)st.st_size) {
        ssize_t n = read(fd, buf + got, (size_t)st.st_size - got);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            (void)ERR("read failed: %s", n < 0 ? strerror(errno) : "file shrank");
            free(buf);
            buf = NULL;
            goto out;
        }
        got += (size_t)n;
    }
    *len = got;
out:
    close(fd);
    return buf;
}

/* Names the shim writes: <ms>.<pid>_<seq>.<safe id>.rec; others are not ours. */
static bool record_name(const char *n)
{
    size_t l = strlen(n);
    return n[0] != '.' && l > 4 && strcmp(n + l - 4, ".rec") == 0 &&
           strspn(n, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._-") == l;
}

/* dir without trailing slashes ("a/b/" would follow a symlink b). */
static void strip_slashes(const char *dir, char *out, size_t cap)
{
    snprintf(out, cap, "%s", dir);
    for (size_t n = strlen(out); n > 1 && out[n - 1] == '/'; n--)
        out[n - 1] = '\0';
}

/*
 * The spool directory itself, as a base for openat (O_PATH: searching it is
 * all that is needed). -1 with err; a failure is named as the failure to
 * read dir/new, the first thing every command needs.
 */
static int open_spool(const char *dir, char *err, size_t errlen)
{
    char d[4096];
    strip_slashes(dir, d, sizeof d);
    int fd = open(d, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd >= 0)
        return fd;
    int e = errno;
    struct stat st;
    if ((e == ELOOP || e == ENOTDIR) && lstat(d, &st) == 0 && S_ISLNK(st.st_mode))
        (void)ERR("%s is a symlink; refused (the shim refuses it too)", d);
    else
        (void)ERR("cannot read the spool directory %s/new: %s", d, strerror(e));
    errno = e;
    return -1;
}

/*
 * Open the subdirectory sub of the spool (spool: its descriptor), never
 * through a symlink. -1 with err; with missing_ok, a missing sub gives -1
 * with errno ENOENT and err untouched.
 */
static int open_sub(int spool, const char *dir, const char *sub, bool missing_ok, char *err,
                    size_t errlen)
{
    int fd = openat(spool, sub, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd >= 0)
        return fd;
    int e = errno;
    struct stat st;
    if (e == ENOENT && missing_ok)
        return -1;
    if ((e == ELOOP || e == ENOTDIR) && fstatat(spool, sub, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
        S_ISLNK(st.st_mode))
        (void)ERR("%s/%s is a symlink; refused (nothing outside the spool is read, moved or "
                  "removed)", dir, sub);
    else
        (void)ERR("cannot read the spool directory %s/%s: %s", dir, sub, strerror(e));
    errno = e;
    return -1;
}

/* Read every record of the open directory dfd (taken) into out. */
static int load_dir(int dfd, bool replayed, struct ts_set *out, char *err, size_t errlen,
                    const char *path)
{
    DIR *d = fdopendir(dfd);
    if (!d) {
        close(dfd);
        return ERR("cannot read the spool directory %s: %s", path, strerror(errno));
    }
    struct dirent *de;
    int rc = 0;
    while ((de = readdir(d)) != NULL) {
        if (!record_name(de->d_name) || strlen(de->d_name) >= sizeof out->v->id)
            continue;
        struct ts_rec *e = ts_set_add(out);
        if (!e) {
            rc = ERR("out of memory");
            break;
        }
        snprintf(e->id, sizeof e->id, "%s", de->d_name);
        e->replayed = replayed;
        size_t len = 0;
        char *text = slurp(dirfd(d), de->d_name, &len, e->err, sizeof e->err);
        if (text) {
            ts_rec_parse(e, text, len);
            free(text);
        }
    }
    closedir(d);
    return rc;
}

/*
 * replayed/ is opened even when its records are not wanted: a spool with
 * a symlinked replayed/ is refused whole, before replay sends anything it
 * could not then mark.
 */
int ts_spool_load(const char *dir, bool with_replayed, struct ts_set *out, char *err,
                  size_t errlen)
{
    int spool = open_spool(dir, err, errlen);
    if (spool < 0)
        return -1;
    char path[4200];
    int nfd = open_sub(spool, dir, "new", false, err, errlen);
    int rfd = nfd < 0 ? -1 : open_sub(spool, dir, "replayed", true, err, errlen);
    int rc = nfd < 0 || (rfd < 0 && errno != ENOENT) ? -1 : 0;
    close(spool);
    if (rc == 0) {
        snprintf(path, sizeof path, "%s/new", dir);
        rc = load_dir(nfd, false, out, err, errlen, path);
        nfd = -1;
    }
    if (rc == 0 && rfd >= 0 && with_replayed) {
        snprintf(path, sizeof path, "%s/replayed", dir);
        rc = load_dir(rfd, true, out, err, errlen, path);
        rfd = -1;
    }
    if (nfd >= 0)
        close(nfd);
    if (rfd >= 0)
        close(rfd);
    if (rc == 0)
        ts_set_sort(out);
    return rc;
}

int ts_spool_check(const char *dir, char *err, size_t errlen)
{
    int spool = open_spool(dir, err, errlen);
    if (spool < 0)
        return errno == ENOENT ? 0 : -1;
    int rfd = open_sub(spool, dir, "replayed", true, err, errlen);
    int rc = rfd < 0 && errno != ENOENT ? -1 : 0;
    if (rfd >= 0)
        close(rfd);
    close(spool);
    return rc;
}

/* fsync an open directory; 0, or -1 with err naming dir/sub. */
static int sync_dir(int fd, const char *dir, const char *sub, char *err, size_t errlen)
{
    if (fsync(fd) == 0)
        return 0;
    return ERR("cannot fsync %s%s%s: %s", dir, sub ? "/" : "", sub ? sub : "", strerror(errno));
}

int ts_spool_mark_replayed(const char *dir, const char *id, char *err, size_t errlen)
{
    if (!record_name(id))
        return ERR("%s: not a record name; refused", id);
    int spool = open_spool(dir, err, errlen);
    if (spool < 0)
        return -1;
    int nfd = -1, rfd = -1, top = -1, rc = -1;
    if (mkdirat(spool, "replayed", 0700) != 0 && errno != EEXIST) {
        (void)ERR("cannot create %s/replayed: %s", dir, strerror(errno));
        goto out;
    }
    /* The new directory entry must be durable before a record moves in. */
    if ((top = openat(spool, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0) {
        (void)ERR("cannot fsync %s: %s", dir, strerror(errno));
        goto out;
    }
    if (sync_dir(top, dir, NULL, err, errlen) != 0 ||
        (nfd = open_sub(spool, dir, "new", false, err, errlen)) < 0 ||
        (rfd = open_sub(spool, dir, "replayed", false, err, errlen)) < 0)
        goto out;
    if (renameat(nfd, id, rfd, id) != 0) {
        (void)ERR("cannot move %s/new/%s to %s/replayed: %s", dir, id, dir, strerror(errno));
        goto out;
    }
    /* The new name first: after a crash here the record is in both or in
     * replayed/ only, never in neither. */
    if (sync_dir(rfd, dir, "replayed", err, errlen) != 0 ||
        sync_dir(nfd, dir, "new", err, errlen) != 0)
        goto out;
    rc = 0;
out:
    if (top >= 0)
        close(top);
    if (nfd >= 0)
        close(nfd);
    if (rfd >= 0)
        close(rfd);
    close(spool);
    return rc;
}

int ts_spool_remove(const char *dir, const struct ts_rec *e, char *err, size_t errlen)
{
    const char *sub = e->replayed ? "replayed" : "new";
    if (!record_name(e->id))
        return ERR("%s: not a record name; refused", e->id);
    int spool = open_spool(dir, err, errlen);
    if (spool < 0)
        return -1;
    int fd = open_sub(spool, dir, sub, false, err, errlen);
    close(spool);
    if (fd < 0)
        return -1;
    int rc = 0;
    if (unlinkat(fd, e->id, 0) != 0)
        rc = ERR("cannot remove %s/%s/%s: %s", dir, sub, e->id, strerror(errno));
    else if (sync_dir(fd, dir, sub, err, errlen) != 0)
        rc = -1;
    close(fd);
    return rc;
}

int ts_ledger_load(const char *path, struct ts_ledger *l, char *err, size_t errlen)
{
    memset(l, 0, sizeof *l);
    size_t len = 0;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0 && errno == ENOENT)
        return 0;
    if (fd < 0)
        return ERR("cannot read the replay ledger %s: %s", path, strerror(errno));
    close(fd);
    char why[200];
    char *text = slurp(AT_FDCWD, path, &len, why, sizeof why);
    if (!text)
        return ERR("cannot read the replay ledger %s: %s", path, why);
    for (char *p = text; p < text + len;) {
        char *nl = memchr(p, '\n', (size_t)(text + len - p));
        if (!nl)
            break; /* torn by a crash: that send was never confirmed */
        *nl = '\0';
        if (*p) {
            char **ids = realloc(l->ids, (l->n + 1) * sizeof *ids);
            if (!ids || !(ids[l->n] = strdup(p))) {
                if (ids)
                    l->ids = ids;
                free(text);
                return ERR("out of memory");
            }
            l->ids = ids;
            l->n++;
        }
        p = nl + 1;
    }
    free(text);
    return 0;
}

bool ts_ledger_has(const struct ts_ledger *l, const char *id)
{
    for (size_t i = 0; i < l->n; i++)
        if (strcmp(l->ids[i], id) == 0)
            return true;
    return false;
}

static int fsync_dir(const char *path)
{
    int fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    int rc = fsync(fd);
    close(fd);
    return rc;
}

int ts_ledger_append(const char *path, const char *id, char *err, size_t errlen)
{
    struct stat st;
    bool fresh = stat(path, &st) != 0;
    int fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
    if (fd < 0)
        return ERR("cannot write the replay ledger %s: %s", path, strerror(errno));
    char line[400];
    int n = snprintf(line, sizeof line, "%s\n", id);
    int rc = write(fd, line, (size_t)n) == n && fsync(fd) == 0 ? 0 : -1;
    int e = errno;
    close(fd);
    if (rc != 0)
        return ERR("cannot write the replay ledger %s: %s", path, strerror(e));
    if (fresh) {
        char dir[4096];
        snprintf(dir, sizeof dir, "%s", path);
        char *slash = strrchr(dir, '/');
        if (slash)
            *slash = '\0';
        if (fsync_dir(slash ? (dir[0] ? dir : "/") : ".") != 0)
            return ERR("cannot fsync the directory of %s: %s", path, strerror(errno));
    }
    return 0;
}

void ts_ledger_free(struct ts_ledger *l)
{
    for (size_t i = 0; i < l->n; i++)
        free(l->ids[i]);
    free(l->ids);
    memset(l, 0, sizeof *l);
}

void ts_reason(const struct rc_record *r, char *buf, size_t cap)
{
    const char *o = r->outcome ? r->outcome : "?";
    if (r->exc_type)
        snprintf(buf, cap, "%s:%s", o, r->exc_type);
    else if (r->signal_name)
        snprintf(buf, cap, "%s:%s", o, r->signal_name);
    else if (strcmp(o, "bad_status") == 0)
        snprintf(buf, cap, "%s:%d", o, r->status);
    else
        snprintf(buf, cap, "%s", o);
}

static bool glob(const char *pat, const char *s)
{
    return !pat || fnmatch(pat, s ? s : "", 0) == 0;
}

bool ts_match(const struct ts_opts *o, const struct ts_rec *e)
{
    bool filtered = o->group || o->topic || o->reason || o->has_since || o->has_until;
    if (!e->ok)
        return !filtered;
    char reason[300];
    ts_reason(&e->r, reason, sizeof reason);
    if (!glob(o->group, e->r.group) || !glob(o->topic, e->r.topic))
        return false;
    if (o->reason && !glob(o->reason, e->r.outcome) && !glob(o->reason, reason))
        return false;
    if (o->has_since && e->r.diverted_at_ms < o->since_ms)
        return false;
    if (o->has_until && e->r.diverted_at_ms >= o->until_ms)
        return false;
    return true;
}
