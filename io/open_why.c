/*
 * open_why.c - see open_why.h.
 */
#include "io/open_why.h"

#include "io/open_regular.h"

#include <errno.h>
#include <string.h>
#include <sys/stat.h>

const char *rc_open_why(const char *path, int err)
{
    int saved = errno;
    struct stat st;
    if (err != EINVAL && err != ENOENT && path && stat(path, &st) == 0 && !S_ISREG(st.st_mode))
        err = EINVAL;
    const char *why = rc_open_regular_error(err);
    errno = saved;
    return why;
}
