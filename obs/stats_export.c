/*
 * stats_export.c - see stats_export.h.
 */
#include "obs/stats_export.h"

#include "obs/counters.h"
#include "obs/shim_state.h"
#include "obs/stats_detail.h"

#include <pthread.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

static unsigned long get(atomic_ulong *c) { return rc_counter_get(c); }

/* ---- the labels that tell processes apart -------------------------------- */

/* The consumer groups of this process, sorted, and the operator's labels
 * (RECONSUME_STATS_LABELS). Set at load and at registrations, read by the
 * writer: under a lock (never on a delivery's path). */
#define GROUPS_MAX 16
static pthread_mutex_t labels_lock = PTHREAD_MUTEX_INITIALIZER;
static char groups[GROUPS_MAX][RC_DETAIL_NAME_MAX];
static int n_groups;
static struct rc_labels user_labels;
static int max_retries = -1;

void rc_stats_set_labels(const struct rc_labels *labels, int cap)
{
    pthread_mutex_lock(&labels_lock);
    if (labels)
        user_labels = *labels;
    max_retries = cap;
    pthread_mutex_unlock(&labels_lock);
}

void rc_stats_note_group(const char *group)
{
    if (!group || !group[0])
        return;
    pthread_mutex_lock(&labels_lock);
    int i = 0;
    while (i < n_groups && strncmp(groups[i], group, RC_DETAIL_NAME_MAX - 1) < 0)
        i++;
    if (n_groups < GROUPS_MAX && (i == n_groups || strncmp(groups[i], group, RC_DETAIL_NAME_MAX - 1) != 0)) {
        memmove(groups[i + 1], groups[i], (size_t)(n_groups - i) * sizeof groups[0]);
        snprintf(groups[i], sizeof groups[i], "%s", group);
        n_groups++;
    }
    pthread_mutex_unlock(&labels_lock);
}

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

/* The labels of every series, a snapshot per write: group="g1,g2" (the
 * groups joined by ',', "" before any registration: no label) and the
 * operator's; `user` the operator's alone (the detail has its own group). */
struct common {
    char all[2048], user[1536];
    int cap;
};

static void append_label(char *buf, size_t cap, const char *name, const char *v)
{
    size_t n = strlen(buf);
    FILE *f = n + 1 < cap ? fmemopen(buf + n, cap - n, "w") : NULL;
    if (!f)
        return;
    fprintf(f, "%s%s=\"", n ? "," : "", name);
    put_label(f, v);
    fputc('"', f);
    if (fclose(f) != 0 || strlen(buf) + 1 >= cap)
        buf[n] = '\0'; /* did not fit: left out whole */
}

static void snapshot(struct common *c)
{
    char joined[GROUPS_MAX * RC_DETAIL_NAME_MAX];
    joined[0] = c->all[0] = c->user[0] = '\0';
    pthread_mutex_lock(&labels_lock);
    for (int i = 0; i < n_groups; i++) {
        if (i)
            strcat(joined, ",");
        strcat(joined, groups[i]);
    }
    if (joined[0])
        append_label(c->all, sizeof c->all, "group", joined);
    for (int i = 0; i < user_labels.n; i++) {
        append_label(c->all, sizeof c->all, user_labels.v[i].name, user_labels.v[i].value);
        append_label(c->user, sizeof c->user, user_labels.v[i].name, user_labels.v[i].value);
    }
    c->cap = max_retries;
    pthread_mutex_unlock(&labels_lock);
}

/* "{common,rest}", "{common}", "{rest}" or nothing. */
static void labels(FILE *f, const char *common, const char *rest)
{
    if (!common[0] && !rest[0])
        return;
    fprintf(f, "{%s%s%s}", common, common[0] && rest[0] ? "," : "", rest);
}

static void write_histogram(FILE *f, const struct common *c, const char *name, const char *help,
                            const struct rc_histogram *h)
{
    fprintf(f, "# HELP %s %s\n# TYPE %s histogram\n", name, help, name);
    unsigned long cum = 0;
    char le[64];
    for (size_t i = 0; i < h->n; i++) {
        cum += h->buckets[i];
        if (h->bounds_d)
            snprintf(le, sizeof le, "le=\"%g\"", h->bounds_d[i]);
        else
            snprintf(le, sizeof le, "le=\"%d\"", h->bounds_i[i]);
        fprintf(f, "%s_bucket", name);
        labels(f, c->all, le);
        fprintf(f, " %lu\n", cum);
    }
    cum += h->buckets[h->n];
    fprintf(f, "%s_bucket", name);
    labels(f, c->all, "le=\"+Inf\"");
    fprintf(f, " %lu\n%s_sum", cum, name);
    labels(f, c->all, "");
    fprintf(f, " %.6f\n%s_count", h->sum, name);
    labels(f, c->all, "");
    fprintf(f, " %lu\n", h->count);
}

static void write_detail(FILE *f, const struct common *c)
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
                fprintf(f, "reconsume_topic_deliveries_total{%s%sgroup=\"", c->user, c->user[0] ? "," : "");
                put_label(f, s.group ? s.group : "(other)");
                fputs("\",topic=\"", f);
                put_label(f, s.topic ? s.topic : "(other)");
                fprintf(f, "\",outcome=\"%s\",injected=\"%s\"} %lu\n", rc_outcome_name((enum rc_outcome)o),
                        inj ? "true" : "false", v);
            }
        }
    }
}

static const struct rc_backoff *backoff_global;
static const struct rc_rules *backoff_rules;

void rc_stats_backoff_source(const struct rc_backoff *global, const struct rc_rules *rules)
{
    backoff_global = global;
    backoff_rules = rules;
}

/* reconsume_backoff_info: the schedule in force, globally (rule="") and per
 * rule that sets backoff= (rule="<index>"); "off" where there is none. */
static void write_backoff(FILE *f, const struct common *c)
{
    char b[RC_BACKOFF_MAX_STEPS * 8], rest[RC_BACKOFF_MAX_STEPS * 8 + 64];
    fprintf(f, "# HELP reconsume_backoff_info The backoff schedule in force (RECONSUME_BACKOFF; "
               "rule=\"N\": a rule's backoff=).\n# TYPE reconsume_backoff_info gauge\n");
    rc_backoff_format(backoff_global, b, sizeof b);
    snprintf(rest, sizeof rest, "rule=\"\",schedule=\"%s\"", b);
    fputs("reconsume_backoff_info", f);
    labels(f, c->all, rest);
    fputs(" 1\n", f);
    for (size_t i = 0; backoff_rules && i < backoff_rules->n; i++) {
        if (!backoff_rules->v[i].has_backoff)
            continue;
        rc_backoff_format(&backoff_rules->v[i].backoff, b, sizeof b);
        snprintf(rest, sizeof rest, "rule=\"%d\",schedule=\"%s\"", backoff_rules->v[i].index, b);
        fputs("reconsume_backoff_info", f);
        labels(f, c->all, rest);
        fputs(" 1\n", f);
    }
}

void rc_stats_prometheus(FILE *f)
{
    struct common c;
    snapshot(&c);
    char rest[128];
    enum rc_state_reason st = rc_state_get();
    fprintf(f, "# HELP reconsume_up 1 when the shim wraps callbacks, 0 when it passes through (reason says why).\n"
               "# TYPE reconsume_up gauge\nreconsume_up");
    snprintf(rest, sizeof rest, "reason=\"%s\"", rc_state_reason_name(st));
    labels(f, c.all, rest);
    fprintf(f, " %d\n", st == RC_STATE_ACTIVE);
    fprintf(f, "# HELP reconsume_build_info The shim's version.\n"
               "# TYPE reconsume_build_info gauge\nreconsume_build_info");
    labels(f, c.all, "version=\"" RC_VERSION "\"");
    fprintf(f, " 1\n");
    if (c.cap >= 0) {
        fprintf(f, "# HELP reconsume_max_retries RECONSUME_MAX_RETRIES, the cap outside any rule (enforced only while reconsume_up is 1).\n"
                   "# TYPE reconsume_max_retries gauge\nreconsume_max_retries");
        labels(f, c.all, "");
        fprintf(f, " %d\n", c.cap);
    }
    fprintf(f, "# HELP reconsume_deliveries_total Callback calls, by outcome (injected faults apart).\n"
               "# TYPE reconsume_deliveries_total counter\n");
    for (int o = 0; o < RC_OUT_CRASH_LOOP; o++) {
        snprintf(rest, sizeof rest, "outcome=\"%s\"", rc_outcome_name((enum rc_outcome)o));
        fputs("reconsume_deliveries_total", f);
        labels(f, c.all, rest);
        fprintf(f, " %lu\n", rc_stats_outcome((enum rc_outcome)o));
    }
    fprintf(f, "# HELP reconsume_injected_deliveries_total Deliveries that got an injected fault, by outcome.\n"
               "# TYPE reconsume_injected_deliveries_total counter\n");
    for (int o = 0; o < RC_OUT_CRASH_LOOP; o++) {
        snprintf(rest, sizeof rest, "outcome=\"%s\"", rc_outcome_name((enum rc_outcome)o));
        fputs("reconsume_injected_deliveries_total", f);
        labels(f, c.all, rest);
        fprintf(f, " %lu\n", get(&rc_stats.injected[o]));
    }
    fprintf(f, "# HELP reconsume_injected_faults_total Faults injected, by action.\n"
               "# TYPE reconsume_injected_faults_total counter\n");
    for (int a = 0; a < RC_INJ_ACTIONS; a++) {
        snprintf(rest, sizeof rest, "action=\"%s\"", rc_inject_action_name((enum rc_inject_action)a));
        fputs("reconsume_injected_faults_total", f);
        labels(f, c.all, rest);
        fprintf(f, " %lu\n", get(&rc_stats.injected_faults[a]));
    }
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
        {"reconsume_backoff_pauses_total", "Pauses of the backoff schedule taken (orderly, broadcasting).",
         offsetof(struct rc_stats, backoff_pauses)},
        {"reconsume_backoff_pause_milliseconds_total", "Time spent in those pauses.",
         offsetof(struct rc_stats, backoff_pause_ms)},
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
    for (size_t i = 0; i < sizeof one / sizeof *one; i++) {
        fprintf(f, "# HELP %s %s\n# TYPE %s counter\n%s", one[i].name, one[i].help, one[i].name,
                one[i].name);
        labels(f, c.all, "");
        fprintf(f, " %lu\n", get((atomic_ulong *)((char *)&rc_stats + one[i].off)));
    }

    write_backoff(f, &c);

    /* Detail, present once RECONSUME_STATS has seen deliveries. */
    write_detail(f, &c);
    struct rc_histogram h;
    rc_detail_latency(&h);
    if (h.count)
        write_histogram(f, &c, "reconsume_callback_duration_seconds", "Time spent in the application's callback.", &h);
    rc_detail_attempts(&h);
    if (h.count)
        write_histogram(f, &c, "reconsume_attempts", "Attempts a message took until it was acknowledged or diverted.", &h);
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
