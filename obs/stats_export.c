/*
 * stats_export.c - see stats_export.h.
 */
#include "obs/stats_export.h"

#include "obs/counters.h"
#include "obs/stats_detail.h"

#include <stddef.h>

static unsigned long get(atomic_ulong *c) { return rc_counter_get(c); }

void rc_stats_summary(char *buf, unsigned long cap)
{
    size_t used = 0;
    for (int o = 0; o < RC_OUT_CRASH_LOOP && used < cap; o++) {
        int n = snprintf(buf + used, cap - used, "%lu %s, ", rc_stats_outcome((enum rc_outcome)o),
                         rc_outcome_name((enum rc_outcome)o));
        if (n > 0)
            used += (size_t)n;
    }
    if (used < cap)
        snprintf(buf + used, cap - used,
                 "%lu injected, %lu timeout, %lu diverted, %lu divert failures, %lu crash loops",
                 rc_stats_injected_total(), get(&rc_stats.timeouts), get(&rc_stats.diverted),
                 get(&rc_stats.divert_failures), get(&rc_stats.crash_loops));
}

/* Prometheus label values escape backslash, double quote and newline. */
static void put_label(FILE *f, const char *v)
{
    for (; *v; v++) {
        if (*v == '\\' || *v == '"')
            fputc('\\', f), fputc(*v, f);
        else if (*v == '\n')
            fputs("\\n", f);
        else
            fputc(*v, f);
    }
}

static void write_histogram(FILE *f, const char *name, const char *help, const struct rc_histogram *h)
{
    fprintf(f, "# HELP %s %s\n# TYPE %s histogram\n", name, help, name);
    unsigned long cum = 0;
    for (size_t i = 0; i < h->n; i++) {
        cum += h->buckets[i];
        if (h->bounds_d)
            fprintf(f, "%s_bucket{le=\"%g\"} %lu\n", name, h->bounds_d[i], cum);
        else
            fprintf(f, "%s_bucket{le=\"%d\"} %lu\n", name, h->bounds_i[i], cum);
    }
    cum += h->buckets[h->n];
    fprintf(f, "%s_bucket{le=\"+Inf\"} %lu\n%s_sum %.6f\n%s_count %lu\n", name, cum, name, h->sum,
            name, h->count);
}

static void write_detail(FILE *f)
{
    bool header = false;
    struct rc_detail_row s;
    for (unsigned i = 0; i <= RC_DETAIL_SLOTS; i++) {
        if (!rc_detail_row(i, &s))
            continue;
        for (int inj = 0; inj < 2; inj++) {
            for (int o = 0; o < RC_OUT_CRASH_LOOP; o++) {
                unsigned long v = get(inj ? &s.injected[o] : &s.real[o]);
                if (v == 0)
                    continue;
                if (!header) {
                    fprintf(f, "# HELP reconsume_topic_deliveries_total Callback calls by group, topic, outcome and whether the fault was injected.\n"
                               "# TYPE reconsume_topic_deliveries_total counter\n");
                    header = true;
                }
                fputs("reconsume_topic_deliveries_total{group=\"", f);
                put_label(f, s.group ? s.group : "(other)");
                fputs("\",topic=\"", f);
                put_label(f, s.topic ? s.topic : "(other)");
                fprintf(f, "\",outcome=\"%s\",injected=\"%s\"} %lu\n", rc_outcome_name((enum rc_outcome)o),
                        inj ? "true" : "false", v);
            }
        }
    }
}

void rc_stats_prometheus(FILE *f)
{
    fprintf(f, "# HELP reconsume_deliveries_total Callback calls, by outcome (injected faults apart).\n"
               "# TYPE reconsume_deliveries_total counter\n");
    for (int o = 0; o < RC_OUT_CRASH_LOOP; o++)
        fprintf(f, "reconsume_deliveries_total{outcome=\"%s\"} %lu\n",
                rc_outcome_name((enum rc_outcome)o), rc_stats_outcome((enum rc_outcome)o));
    fprintf(f, "# HELP reconsume_injected_deliveries_total Deliveries that got an injected fault, by outcome.\n"
               "# TYPE reconsume_injected_deliveries_total counter\n");
    for (int o = 0; o < RC_OUT_CRASH_LOOP; o++)
        fprintf(f, "reconsume_injected_deliveries_total{outcome=\"%s\"} %lu\n",
                rc_outcome_name((enum rc_outcome)o), get(&rc_stats.injected[o]));
    fprintf(f, "# HELP reconsume_injected_faults_total Faults injected, by action.\n"
               "# TYPE reconsume_injected_faults_total counter\n");
    for (int a = 0; a < RC_INJ_ACTIONS; a++)
        fprintf(f, "reconsume_injected_faults_total{action=\"%s\"} %lu\n",
                rc_inject_action_name((enum rc_inject_action)a), get(&rc_stats.injected_faults[a]));
    static const struct { const char *name, *help; size_t off; } one[] = {
        {"reconsume_timeouts_total", "Callback calls longer than RECONSUME_TIMEOUT_MS.",
         offsetof(struct rc_stats, timeouts)},
        {"reconsume_diverted_total", "Messages stored in a sink and then acknowledged.",
         offsetof(struct rc_stats, diverted)},
        {"reconsume_divert_failures_total", "Diversions that failed (message not acknowledged).",
         offsetof(struct rc_stats, divert_failures)},
        {"reconsume_track_evictions_total", "Own attempt counts evicted at RECONSUME_TRACK_MAX (never an orderly queue's head).",
         offsetof(struct rc_stats, track_evictions)},
        {"reconsume_track_refused_total", "Failures the shim could not count itself (id over 4096 bytes, table full).",
         offsetof(struct rc_stats, track_refused)},
        {"reconsume_crash_loops_total", "Deliveries refused: the message crashed the process RECONSUME_MAX_CRASHES times.",
         offsetof(struct rc_stats, crash_loops)},
        {"reconsume_inprocess_retries_total", "Extra callback calls made by the shim (broadcasting).",
         offsetof(struct rc_stats, inprocess_retries)},
        {"reconsume_retry_copies_total", "Failures retried by a retry copy to %RETRY%<group> the broker confirmed.",
         offsetof(struct rc_stats, retry_copies)},
        {"reconsume_retry_copy_failures_total", "Retry copies not confirmed (the message went back to the client as reconsume later).",
         offsetof(struct rc_stats, retry_copy_failures)},
        {"reconsume_signal_recoveries_total", "Fatal signals recovered inside a callback.",
         offsetof(struct rc_stats, signal_recoveries)},
        {"reconsume_would_divert_total", "Observe mode: failures enforcement would have diverted.",
         offsetof(struct rc_stats, would_divert)},
        {"reconsume_registrations_total", "Callbacks wrapped by the shim.",
         offsetof(struct rc_stats, registrations)},
    };
    for (size_t i = 0; i < sizeof one / sizeof *one; i++)
        fprintf(f, "# HELP %s %s\n# TYPE %s counter\n%s %lu\n", one[i].name, one[i].help,
                one[i].name, one[i].name, get((atomic_ulong *)((char *)&rc_stats + one[i].off)));

    /* Detail, present once RECONSUME_STATS has seen deliveries. */
    write_detail(f);
    struct rc_histogram h;
    rc_detail_latency(&h);
    if (h.count)
        write_histogram(f, "reconsume_callback_duration_seconds", "Time spent in the application's callback.", &h);
    rc_detail_attempts(&h);
    if (h.count)
        write_histogram(f, "reconsume_attempts", "Attempts a message took until it was acknowledged or diverted.", &h);
}

int rc_stats_csv_row(char *buf, size_t cap, bool with_header, long long unix_ms)
{
    int n = snprintf(buf, cap, "%s%lld,%lu,%lu,%lu,%lu,%lu,%lu,%lu,%lu\n",
                     with_header ? "unix_ms,success,reconsume,bad_status,exception,signal,injected,diverted,crash_loops\n" : "",
                     unix_ms, rc_stats_outcome(RC_OUT_SUCCESS), get(&rc_stats.deliveries[RC_OUT_RECONSUME]),
                     get(&rc_stats.deliveries[RC_OUT_BAD_STATUS]), get(&rc_stats.deliveries[RC_OUT_EXCEPTION]),
                     get(&rc_stats.deliveries[RC_OUT_SIGNAL]), rc_stats_injected_total(),
                     get(&rc_stats.diverted), get(&rc_stats.crash_loops));
    return n > 0 && (size_t)n < cap ? n : -1;
}
