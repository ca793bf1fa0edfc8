/*
 * stats.h - process-wide counters, and their export.
 *
 * Counters are relaxed atomics: the success path pays one uncontended-ish
 * atomic add and nothing else. The export is the Prometheus text format
 * (written to RECONSUME_STATS by rename, so node_exporter's textfile
 * collector or a test never reads half a file).
 */
#ifndef RECONSUME_SHIM_STATS_H
#define RECONSUME_SHIM_STATS_H

#include <stdatomic.h>

#include "policy/outcome.h"

struct rc_stats {
    atomic_ulong deliveries[RC_OUT_COUNT]; /* by outcome of each callback call */
    atomic_ulong timeouts;
    atomic_ulong diverted;
    atomic_ulong divert_failures;
    atomic_ulong inprocess_retries; /* broadcasting: extra calls made by the shim */
    atomic_ulong signal_recoveries;
    atomic_ulong registrations;
    atomic_ulong passthrough_registrations;
};

extern struct rc_stats rc_stats;

static inline void rc_count(atomic_ulong *c)
{
    atomic_fetch_add_explicit(c, 1, memory_order_relaxed);
}

/* Write the counters to path atomically (temp + rename). Returns 0 or -errno. */
int rc_stats_write(const char *path);

/* Total callback calls seen. */
unsigned long rc_stats_total(void);

/* One-line summary for the log, e.g. "7 success, 2 reconsume, ... 1 diverted". */
void rc_stats_summary(char *buf, unsigned long cap);

#endif
