/*
 * read_file.c - see read_file.h.
 */
#include "io/read_file.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "io/open_regular.h"
#include "policy/config.h"
#include "util/scan.h"

/* Read fd to its end into a buffer that grows from cap, up to max bytes. */
static int read_all(int fd, size_t cap, size_t max, char **text, size_t *len, char *err,
                    size_t errlen)
{
    size_t n = 0;
    char *b = malloc(cap + 1);
    if (!b)
        return rc_errf(err, errlen, "out of memory");
    for (;;) {
        if (n == cap) {
            if (cap > max) {
                free(b);
                return rc_errf(err, errlen, "file is over %zu bytes", max);
            }
            char *g = realloc(b, cap * 2 + 1);
            if (!g) {
                free(b);
                return rc_errf(err, errlen, "out of memory");
            }
            b = g;
            cap *= 2;
        }
        ssize_t k = read(fd, b + n, cap - n);
        if (k < 0 && errno == EINTR)
            continue;
        if (k < 0) {
            int e = errno;
            free(b);
            return rc_errf(err, errlen, "cannot read: %s", strerror(e));
        }
        if (k == 0)
            break;
        n += (size_t)k;
    }
    b[n] = '\0';
    *text = b;
    *len = n;
    return 0;
}

int rc_read_file(const char *path, size_t max, char **text, size_t *len, char *err,
                 size_t errlen)
{
    *text = NULL;
    *len = 0;
    /* Never blocks: a FIFO is opened non-blocking and refused, like a device
     * (a plain open(2) of a FIFO waits for a writer, in the host's loader). */
    int fd = rc_open_regular(AT_FDCWD, path, O_RDONLY, 0);
    if (fd < 0 && errno == EINVAL)
        return rc_errf(err, errlen, "%s", rc_open_regular_error(errno));
    if (fd < 0)
        return rc_errf(err, errlen, "cannot open: %s", strerror(errno));
    struct stat st;
    if (fstat(fd, &st) != 0) {
        int e = errno;
        close(fd);
        return rc_errf(err, errlen, "cannot read: %s", strerror(e));
    }
    if ((unsigned long long)st.st_size > max) {
        close(fd);
        return rc_errf(err, errlen, "file is %lld bytes; expected at most %zu",
                       (long long)st.st_size, max);
    }
    int rc = read_all(fd, (size_t)st.st_size + 1, max, text, len, err, errlen);
    close(fd);
    return rc;
}

/*
 * The loader as the callers that pass no reader of their own call it
 * (tools/cli/doctor.c, tools/spool/main.c, some unit tests): the file is read
 * from disk here. It lives in io/, not policy/, because policy/ does no I/O
 * (io/ may use policy/; the Makefile's LIB_DIRS order).
 */
size_t rc_pread_full(int fd, void *buf, size_t size, long long off)
{
    size_t got = 0;
    while (got < size) {
        ssize_t k = pread(fd, (char *)buf + got, size - got, (off_t)(off + (long long)got));
        if (k < 0 && errno == EINTR)
            continue;
        if (k <= 0)
            break;
        got += (size_t)k;
    }
    return got;
}

int rc_config_load(struct rc_config *out, rc_getenv_fn get, char *err, size_t errlen)
{
    const struct rc_config_source src = {get, rc_read_file, NULL};
    return rc_config_load_from(out, &src, err, errlen);
}
