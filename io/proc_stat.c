#include "io/proc_stat.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

uint64_t rc_proc_start_ticks(pid_t pid, bool *zombie)
{
    char path[64], buf[1024];
    if (zombie)
        *zombie = false;
    snprintf(path, sizeof path, "/proc/%ld/stat", (long)pid);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return 0;
    ssize_t n = read(fd, buf, sizeof buf - 1);
    close(fd);
    if (n <= 0)
        return 0;
    buf[n] = '\0';
    /* The command name (field 2) may hold blanks and ')': count from the last ')'. */
    char *p = strrchr(buf, ')');
    if (!p)
        return 0;
    p++;
    /* p is at " S ppid ...": field 3 is the state. */
    for (int field = 3; field <= 22; field++) {
        while (*p == ' ')
            p++;
        if (!*p)
            return 0;
        if (field == 3 && zombie)
            *zombie = *p == 'Z' || *p == 'X';
        if (field == 22) {
            char *end;
            errno = 0;
            unsigned long long v = strtoull(p, &end, 10);
            return end != p && errno == 0 ? (uint64_t)v : 0;
        }
        while (*p && *p != ' ')
            p++;
    }
    return 0;
}
