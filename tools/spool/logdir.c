/*
 * logdir.c - the client's log directory for reconsume-spool (see logdir.h).
 */
#include "tools/spool/logdir.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/scan.h"

int ts_log_dir(char *out, size_t cap, char *err, size_t errlen)
{
    const char *xdg = getenv("XDG_STATE_HOME"), *home = getenv("HOME");
    int n;
    if (xdg && xdg[0] == '/')
        n = snprintf(out, cap, "%s/reconsume/client-logs", xdg);
    else if (home && home[0] == '/')
        n = snprintf(out, cap, "%s/.local/state/reconsume/client-logs", home);
    else
        return rc_errf(err, errlen, "no directory for the client's logs: set HOME or XDG_STATE_HOME");
    if (n < 0 || (size_t)n >= cap)
        return rc_errf(err, errlen, "the client's log directory path is too long");
    for (char *s = out + 1; *s; s++)
        if (*s == '/') {
            *s = '\0';
            (void)mkdir(out, 0700);
            *s = '/';
        }
    if (mkdir(out, 0700) != 0 && errno != EEXIST)
        return rc_errf(err, errlen, "cannot create the client's log directory %s: %s", out,
                       strerror(errno));
    struct stat st;
    if (lstat(out, &st) != 0 || !S_ISDIR(st.st_mode) || st.st_uid != geteuid())
        return rc_errf(err, errlen, "the client's log directory %s is not a directory of "
                       "this user (a symlink?); refused", out);
    return 0;
}

void ts_log_dir_apply(const char *dir)
{
    setenv("HOME", dir, 1);
    setenv("ROCKETMQ_CLIENT_LOG_DIR", dir, 0);
}
