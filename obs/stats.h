/*
 * stats.h - process-wide counters, and their export.
 *
 * Counters are relaxed atomics: the plain success path pays one atomic add
 * and nothing else. With RECONSUME_STATS set, every delivery also feeds a
 * per group/topic table, a callback-latency histogram and an attempts
 * histogram (the full path). The export is the Prometheus text format,
 * rewritten by rename every RECONSUME_STATS_INTERVAL_MS, when a consumer is
 * destroyed and at exit (node_exporter's textfile collector, or a test, never
 * reads half a file), plus one CSV line per write in <path>.csv for charts.
 */
#ifndef RECONSUME_OBS_STATS_H
#define RECONSUME_OBS_STATS_H

#include <stdatomic.h>
#include <stdbool.h>

#include "policy/inject.h"
#include "policy/outcome.h"

#define RC_INJ_ACTIONS 4

struct rc_stats {
    atomic_ulong deliveries[RC_OUT_COUNT]; /* real callback calls, by outcome */
    atomic_ulong injected[RC_OUT_COUNT];   /* calls with an injected fault, by outcome */
    atomic_ulong injected_faults[RC_INJ_ACTIONS]; /* by action */
    atomic_ulong crash_loops;
    atomic_ulong timeouts;
    atomic_ulong diverted;
    atomic_ulong divert_failures;
    atomic_ulong inprocess_retries; /* broadcasting: extra calls made by the shim */
    atomic_ulong signal_recoveries;
    atomic_ulong would_divert;      /* observe mode */
    atomic_ulong registrations;
    atomic_ulong passthrough_registrations;
};

extern struct rc_stats rc_stats;

static inline void rc_count(atomic_ulong *c)
{
    atomic_fetch_add_explicit(c, 1, memory_order_relaxed);
}

/*
 * The plain success count, the one counter every delivery bumps, is striped:
 * each thread adds to its own cache line, so consume threads on different
 * cores do not bounce one line between them. Summed when read.
 */
#define RC_STRIPES 64
struct rc_stripe {
    atomic_ulong n;
    char pad[64 - sizeof(atomic_ulong)];
};
extern struct rc_stripe rc_success_stripes[RC_STRIPES];
extern __thread unsigned rc_stripe_ix __attribute__((tls_model("initial-exec")));
unsigned rc_stripe_assign(void);

static inline void rc_count_success(void)
{
    unsigned i = rc_stripe_ix;
    if (__builtin_expect(i == 0, 0))
        i = rc_stripe_assign();
    atomic_fetch_add_explicit(&rc_success_stripes[i - 1].n, 1, memory_order_relaxed);
}

/* Deliveries of outcome o so far (the success stripes summed). */
unsigned long rc_stats_outcome(enum rc_outcome o);

/* Detailed statistics (RECONSUME_STATS set): one callback call. */
void rc_stats_detail(const char *group, const char *topic, enum rc_outcome o, bool injected,
                     long long elapsed_ns);

/* Detailed statistics: a message resolved (acked or diverted) at attempt n. */
void rc_stats_attempts(int n);

/* Write the counters to path atomically (temp + rename), and append a line
 * to <path>.csv. Returns 0 or -errno. */
int rc_stats_write(const char *path);

/* Start the thread that rewrites path every interval_ms (once). */
void rc_stats_start_writer(const char *path, long interval_ms);

/* Total callback calls seen. */
unsigned long rc_stats_total(void);

/* One-line summary for the log, e.g. "7 success, 2 reconsume, ... 1 diverted". */
void rc_stats_summary(char *buf, unsigned long cap);

#endif
