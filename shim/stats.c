#include "shim/stats.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <stddef.h>

struct rc_stats rc_stats;

static unsigned long get(atomic_ulong *c) { return atomic_load_explicit(c, memory_order_relaxed); }

unsigned long rc_stats_total(void)
{
    unsigned long n = 0;
    for (int o = 0; o < RC_OUT_COUNT; o++)
        n += get(&rc_stats.deliveries[o]);
    return n;
}

void rc_stats_summary(char *buf, unsigned long cap)
{
    size_t used = 0;
    for (int o = 0; o < RC_OUT_COUNT && used < cap; o++) {
        int n = snprintf(buf + used, cap - used, "%lu %s, ", get(&rc_stats.deliveries[o]),
                         rc_outcome_name((enum rc_outcome)o));
        if (n > 0)
            used += (size_t)n;
    }
    if (used < cap)
        snprintf(buf + used, cap - used, "%lu timeout, %lu diverted, %lu divert failures",
                 get(&rc_stats.timeouts), get(&rc_stats.diverted),
                 get(&rc_stats.divert_failures));
}

int rc_stats_write(const char *path)
{
    char tmp[4200];
    if (snprintf(tmp, sizeof tmp, "%s.tmp.%ld", path, (long)getpid()) >= (int)sizeof tmp)
        return -ENAMETOOLONG;
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0644);
    if (fd < 0)
        return -errno;
    FILE *f = fdopen(fd, "w");
    if (!f) {
        int e = errno;
        close(fd);
        unlink(tmp);
        return -e;
    }
    fprintf(f, "# HELP reconsume_deliveries_total Callback calls, by outcome.\n"
               "# TYPE reconsume_deliveries_total counter\n");
    for (int o = 0; o < RC_OUT_COUNT; o++)
        fprintf(f, "reconsume_deliveries_total{outcome=\"%s\"} %lu\n",
                rc_outcome_name((enum rc_outcome)o), get(&rc_stats.deliveries[o]));
    static const struct { const char *name, *help; size_t off; } one[] = {
        {"reconsume_timeouts_total", "Callback calls longer than RECONSUME_TIMEOUT_MS.",
         offsetof(struct rc_stats, timeouts)},
        {"reconsume_diverted_total", "Messages stored in a sink and then acknowledged.",
         offsetof(struct rc_stats, diverted)},
        {"reconsume_divert_failures_total", "Diversions that failed (message not acknowledged).",
         offsetof(struct rc_stats, divert_failures)},
        {"reconsume_inprocess_retries_total", "Extra callback calls made by the shim (broadcasting).",
         offsetof(struct rc_stats, inprocess_retries)},
        {"reconsume_signal_recoveries_total", "Fatal signals recovered inside a callback.",
         offsetof(struct rc_stats, signal_recoveries)},
        {"reconsume_registrations_total", "Callbacks wrapped by the shim.",
         offsetof(struct rc_stats, registrations)},
    };
    for (size_t i = 0; i < sizeof one / sizeof *one; i++)
        fprintf(f, "# HELP %s %s\n# TYPE %s counter\n%s %lu\n", one[i].name, one[i].help,
                one[i].name, one[i].name, get((atomic_ulong *)((char *)&rc_stats + one[i].off)));
    int bad = ferror(f);
    bad |= fflush(f) != 0;
    bad |= fsync(fd) != 0;
    int e = errno;
    bad |= fclose(f) != 0;
    if (bad || rename(tmp, path) != 0) {
        if (!bad)
            e = errno;
        unlink(tmp);
        return -(e ? e : EIO);
    }
    return 0;
}
