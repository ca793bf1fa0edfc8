/*
 * spool.c - the local Maildir-style spool sink (see spool.h).
 *
 * Every name below the spool directory is opened relative to a directory
 * descriptor with O_NOFOLLOW, so a symlink planted in the spool is refused
 * rather than followed. No locks: the only shared state is an atomic sequence
 * number; the pid (read at each write, so it is right after fork) and the
 * time complete the file name, and O_EXCL / RENAME_NOREPLACE make a collision
 * a retry rather than an overwrite.
 */
#include "sink/spool.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>

#ifndef RENAME_NOREPLACE
#define RENAME_NOREPLACE (1 << 0)
#endif

static _Atomic unsigned long spool_seq;

/* Name collisions (pid reuse within one millisecond) are retried this often. */
#define NAME_TRIES 64

static const char *errstr(int e, char *buf, size_t n)
{
#if defined(__GLIBC__) && defined(_GNU_SOURCE)
    return strerror_r(e, buf, n);
#else
    if (strerror_r(e, buf, n) != 0)
        snprintf(buf, n, "error %d", e);
    return buf;
#endif
}

static int failf(int rc, char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static int failf(int rc, char *err, size_t errlen, const char *fmt, ...)
{
    if (err && errlen) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err, errlen, fmt, ap);
        va_end(ap);
    }
    return rc;
}

/* An errno-based failure: "<what> <path>: <strerror>", returns -e. */
static int fail_errno(int e, char *err, size_t errlen, const char *what, const char *path,
                      const char *sub)
{
    char eb[128];
    return failf(-e, err, errlen, "%s %s%s%s: %s", what, path, sub ? "/" : "", sub ? sub : "",
                 errstr(e, eb, sizeof eb));
}

/* A copy of dir without trailing slashes ("a/b/" would follow a symlink b). */
static char *norm_dir(const char *dir)
{
    size_t n = strlen(dir);
    while (n > 1 && dir[n - 1] == '/')
        n--;
    char *p = malloc(n + 1);
    if (p) {
        memcpy(p, dir, n);
        p[n] = '\0';
    }
    return p;
}

static int open_dir_at(int at, const char *name)
{
    int fd;
    do
        fd = openat(at, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    while (fd < 0 && errno == EINTR);
    return fd;
}

/* Check an opened spool directory (or its tmp/ new/): a directory, not writable by others. */
static int check_dir_fd(int fd, const char *path, const char *sub, char *err, size_t errlen)
{
    struct stat st;
    if (fstat(fd, &st) < 0)
        return fail_errno(errno, err, errlen, "cannot stat", path, sub);
    if (!S_ISDIR(st.st_mode))
        return failf(-ENOTDIR, err, errlen, "%s%s%s is not a directory", path, sub ? "/" : "",
                     sub ? sub : "");
    if (st.st_mode & (S_IWGRP | S_IWOTH))
        return failf(-EPERM, err, errlen,
                     "%s%s%s is writable by group/others (mode %04o); refused (chmod go-w it)",
                     path, sub ? "/" : "", sub ? sub : "", (unsigned)(st.st_mode & 07777));
    return 0;
}

/* The open failed; say why, naming a symlink as such. */
static int open_failure(int e, int at, const char *path, const char *sub, char *err, size_t errlen)
{
    struct stat st;
    if (e == ELOOP || e == ENOTDIR) {
        if (fstatat(at, sub ? sub : path, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISLNK(st.st_mode))
            return failf(-ELOOP, err, errlen, "%s%s%s is a symlink; refused", path,
                         sub ? "/" : "", sub ? sub : "");
    }
    return fail_errno(e, err, errlen, "cannot open", path, sub);
}

/* mkdir -p path (mode 0700 for what it creates). */
static int make_parents(char *path, char *err, size_t errlen)
{
    for (char *p = path + 1;; p++) {
        if (*p != '/' && *p != '\0')
            continue;
        char save = *p;
        *p = '\0';
        int rc = 0;
        if (mkdir(path, 0700) < 0 && errno != EEXIST) {
            rc = fail_errno(errno, err, errlen, "cannot create", path, NULL);
        } else {
            struct stat st;
            if (stat(path, &st) < 0)
                rc = fail_errno(errno, err, errlen, "cannot create", path, NULL);
            else if (!S_ISDIR(st.st_mode))
                rc = failf(-ENOTDIR, err, errlen, "cannot create %s: it exists and is not a directory", path);
        }
        *p = save;
        if (rc < 0 || save == '\0')
            return rc;
        while (p[1] == '/')
            p++;
    }
}

static const char *const subs[] = { "tmp", "new" };

/* Check the spool's existing tmp/ or new/: a directory, not a symlink, not
 * writable by others, writable by us. */
static int check_sub(int dfd, const char *path, const char *sub, char *err, size_t errlen)
{
    int fd = open_dir_at(dfd, sub);
    if (fd < 0)
        return open_failure(errno, dfd, path, sub, err, errlen);
    int rc = check_dir_fd(fd, path, sub, err, errlen);
    if (rc == 0 && faccessat(dfd, sub, W_OK | X_OK, AT_EACCESS) < 0)
        rc = fail_errno(errno, err, errlen, "cannot write to", path, sub);
    close(fd);
    return rc;
}

static int prepare_norm(const char *path, char *err, size_t errlen)
{
    char *tmp = strdup(path);
    if (!tmp)
        return failf(-ENOMEM, err, errlen, "out of memory");
    int rc = make_parents(tmp, err, errlen);
    free(tmp);
    if (rc < 0)
        return rc;

    struct stat st;
    if (lstat(path, &st) < 0)
        return fail_errno(errno, err, errlen, "cannot stat", path, NULL);
    if (S_ISLNK(st.st_mode))
        return failf(-ELOOP, err, errlen, "%s is a symlink; refused", path);
    int dfd = open_dir_at(AT_FDCWD, path);
    if (dfd < 0)
        return open_failure(errno, AT_FDCWD, path, NULL, err, errlen);
    rc = check_dir_fd(dfd, path, NULL, err, errlen);
    for (size_t i = 0; rc == 0 && i < 2; i++) {
        if (mkdirat(dfd, subs[i], 0700) < 0 && errno != EEXIST) {
            rc = fail_errno(errno, err, errlen, "cannot create", path, subs[i]);
            break;
        }
        rc = check_sub(dfd, path, subs[i], err, errlen);
    }
    close(dfd);
    return rc;
}

int rc_spool_check(const char *dir, char *err, size_t errlen)
{
    if (!dir || !*dir)
        return failf(-1, err, errlen, "spool directory is empty");
    char *path = norm_dir(dir);
    if (!path)
        return failf(-1, err, errlen, "out of memory");
    struct stat st;
    int rc = 0;
    if (lstat(path, &st) < 0) {
        if (errno != ENOENT)
            rc = fail_errno(errno, err, errlen, "cannot stat", path, NULL);
    } else if (S_ISLNK(st.st_mode)) {
        rc = failf(-ELOOP, err, errlen, "%s is a symlink; refused", path);
    } else {
        int dfd = open_dir_at(AT_FDCWD, path);
        rc = dfd < 0 ? open_failure(errno, AT_FDCWD, path, NULL, err, errlen)
                     : check_dir_fd(dfd, path, NULL, err, errlen);
        for (size_t i = 0; dfd >= 0 && rc == 0 && i < 2; i++)
            if (fstatat(dfd, subs[i], &st, AT_SYMLINK_NOFOLLOW) == 0 || errno != ENOENT)
                rc = check_sub(dfd, path, subs[i], err, errlen);
        if (dfd >= 0)
            close(dfd);
    }
    free(path);
    return rc < 0 ? -1 : 0;
}

/*
 * Maildir's rule for tmp/: a file there older than 36 hours is a write that
 * died with its process (its message was never acknowledged, so the broker
 * delivers it again). Remove those; never anything that is not a plain file.
 */
#define TMP_STALE_SECONDS (36 * 3600)

static void sweep_tmp(const char *path)
{
    int dfd = open_dir_at(AT_FDCWD, path);
    if (dfd < 0)
        return;
    int tfd = openat(dfd, "tmp", O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    close(dfd);
    if (tfd < 0)
        return;
    DIR *d = fdopendir(tfd);
    if (!d) {
        close(tfd);
        return;
    }
    time_t now = time(NULL);
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        struct stat st;
        if (e->d_name[0] == '.')
            continue;
        if (fstatat(tfd, e->d_name, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISREG(st.st_mode) &&
            now - st.st_mtime > TMP_STALE_SECONDS)
            unlinkat(tfd, e->d_name, 0);
    }
    closedir(d);
}

int rc_spool_prepare(const char *dir, char *err, size_t errlen)
{
    if (!dir || !*dir)
        return failf(-1, err, errlen, "spool directory is empty");
    char *path = norm_dir(dir);
    if (!path)
        return failf(-1, err, errlen, "out of memory");
    int rc = prepare_norm(path, err, errlen);
    if (rc == 0)
        sweep_tmp(path);
    free(path);
    return rc < 0 ? -1 : 0;
}

/* Open <dir>/tmp and <dir>/new, checked. Returns 0 or -errno. */
static int open_spool(const char *path, int *tmpfd, int *newfd, char *err, size_t errlen)
{
    *tmpfd = *newfd = -1;
    int dfd = open_dir_at(AT_FDCWD, path);
    if (dfd < 0)
        return open_failure(errno, AT_FDCWD, path, NULL, err, errlen);
    int rc = check_dir_fd(dfd, path, NULL, err, errlen);
    if (rc == 0) {
        *tmpfd = open_dir_at(dfd, "tmp");
        if (*tmpfd < 0)
            rc = open_failure(errno, dfd, path, "tmp", err, errlen);
    }
    if (rc == 0) {
        *newfd = open_dir_at(dfd, "new");
        if (*newfd < 0)
            rc = open_failure(errno, dfd, path, "new", err, errlen);
    }
    if (rc == 0)
        rc = check_dir_fd(*tmpfd, path, "tmp", err, errlen);
    if (rc == 0)
        rc = check_dir_fd(*newfd, path, "new", err, errlen);
    close(dfd);
    if (rc < 0) {
        if (*tmpfd >= 0)
            close(*tmpfd);
        if (*newfd >= 0)
            close(*newfd);
        *tmpfd = *newfd = -1;
    }
    return rc;
}

static int write_all(int fd, const char *p, size_t n)
{
    while (n > 0) {
        size_t chunk = n < (size_t)1 << 30 ? n : (size_t)1 << 30;
        ssize_t w = write(fd, p, chunk);
        if (w < 0) {
            if (errno == EINTR)
                continue;
            return -errno;
        }
        if (w == 0)
            return -EIO;
        p += w;
        n -= (size_t)w;
    }
    return 0;
}

static int fsync_fd(int fd)
{
    while (fsync(fd) < 0) {
        if (errno != EINTR)
            return -errno;
    }
    return 0;
}

static long long now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void make_name(char *out, size_t cap, const char *stem)
{
    unsigned long seq = atomic_fetch_add_explicit(&spool_seq, 1, memory_order_relaxed);
    snprintf(out, cap, "%lld.%ld_%lu.%s.rec", now_ms(), (long)getpid(), seq, stem);
}

/* Move tmp/<from> to new/<to> without ever replacing a file; may pick a new <to>. */
static int publish(int tmpfd, const char *from, int newfd, char *to, size_t tocap, const char *stem)
{
    for (int i = 0; i < NAME_TRIES; i++) {
        if (renameat2(tmpfd, from, newfd, to, RENAME_NOREPLACE) == 0)
            return 0;
        if (errno == EEXIST) {
            make_name(to, tocap, stem);
            continue;
        }
        if (errno == EINVAL || errno == ENOSYS) {
            /* a file system without RENAME_NOREPLACE: names are unique enough */
            if (renameat(tmpfd, from, newfd, to) == 0)
                return 0;
        }
        return -errno;
    }
    return -EEXIST;
}

int rc_spool_write(const char *dir, const struct rc_record *r,
                   char *name, size_t cap, char *err, size_t errlen)
{
    if (name && cap)
        name[0] = '\0';
    if (!dir || !*dir)
        return failf(-EINVAL, err, errlen, "spool directory is empty");
    if (!r)
        return failf(-EINVAL, err, errlen, "no record");

    char *path = norm_dir(dir);
    if (!path)
        return failf(-ENOMEM, err, errlen, "out of memory");

    char *buf = NULL;
    int tmpfd = -1, newfd = -1, fd = -1, rc;

    rc = open_spool(path, &tmpfd, &newfd, err, errlen);
    if (rc == -ENOENT) {
        /* the spool (or a part of it) has vanished: make it again, once */
        rc = prepare_norm(path, err, errlen);
        if (rc == 0)
            rc = open_spool(path, &tmpfd, &newfd, err, errlen);
    }
    if (rc < 0)
        goto out;

    size_t size = rc_record_encoded_size(r);
    if (size == SIZE_MAX) {
        rc = failf(-EOVERFLOW, err, errlen, "record too large to encode");
        goto out;
    }
    buf = malloc(size ? size : 1);
    if (!buf) {
        rc = failf(-ENOMEM, err, errlen, "out of memory for a %zu-byte record", size);
        goto out;
    }
    if (rc_record_encode(r, buf, size) != size) {
        rc = failf(-EINVAL, err, errlen, "record encoding failed");
        goto out;
    }

    char stem[80], tname[256], nname[256];
    rc_record_safe_name(r->msg_id ? r->msg_id : "", stem, sizeof stem);
    for (int i = 0;; i++) {
        make_name(tname, sizeof tname, stem);
        do
            fd = openat(tmpfd, tname, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
        while (fd < 0 && errno == EINTR);
        if (fd >= 0)
            break;
        if (errno != EEXIST || i + 1 >= NAME_TRIES) {
            rc = fail_errno(errno, err, errlen, "cannot create", path, "tmp");
            goto out;
        }
    }

    char eb[128];
    if ((rc = write_all(fd, buf, size)) < 0) {
        failf(rc, err, errlen, "cannot write %s/tmp/%s: %s", path, tname, errstr(-rc, eb, sizeof eb));
        goto unlink_tmp;
    }
    if ((rc = fsync_fd(fd)) < 0) {
        failf(rc, err, errlen, "cannot fsync %s/tmp/%s: %s", path, tname, errstr(-rc, eb, sizeof eb));
        goto unlink_tmp;
    }
    int crc = close(fd);
    fd = -1;
    if (crc < 0 && errno != EINTR) {
        rc = -errno;
        failf(rc, err, errlen, "cannot close %s/tmp/%s: %s", path, tname, errstr(-rc, eb, sizeof eb));
        goto unlink_tmp;
    }

    memcpy(nname, tname, sizeof nname);
    if ((rc = publish(tmpfd, tname, newfd, nname, sizeof nname, stem)) < 0) {
        failf(rc, err, errlen, "cannot rename %s/tmp/%s into new/: %s", path, tname,
              errstr(-rc, eb, sizeof eb));
        goto unlink_tmp;
    }
    if ((rc = fsync_fd(newfd)) < 0) {
        failf(rc, err, errlen, "cannot fsync %s/new: %s", path, errstr(-rc, eb, sizeof eb));
        /* not durable: take it back, the caller will not ack the message */
        unlinkat(newfd, nname, 0);
        goto out;
    }
    if (name && cap)
        snprintf(name, cap, "%s", nname);
    rc = 0;
    goto out;

unlink_tmp:
    if (fd >= 0)
        close(fd);
    fd = -1;
    unlinkat(tmpfd, tname, 0);
out:
    if (fd >= 0)
        close(fd);
    if (tmpfd >= 0)
        close(tmpfd);
    if (newfd >= 0)
        close(newfd);
    free(buf);
    free(path);
    return rc;
}
