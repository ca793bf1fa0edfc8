#include "obs/stats.h"

#include "io/xfsz.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

struct rc_stats rc_stats;
struct rc_stripe rc_success_stripes[RC_STRIPES] __attribute__((aligned(64)));
__thread unsigned rc_stripe_ix __attribute__((tls_model("initial-exec")));
static atomic_uint next_stripe;

unsigned rc_stripe_assign(void)
{
    rc_stripe_ix = atomic_fetch_add_explicit(&next_stripe, 1, memory_order_relaxed) % RC_STRIPES + 1;
    return rc_stripe_ix;
}

static unsigned long get(atomic_ulong *c) { return atomic_load_explicit(c, memory_order_relaxed); }

unsigned long rc_stats_outcome(enum rc_outcome o)
{
    unsigned long n = get(&rc_stats.deliveries[o]);
    if (o == RC_OUT_SUCCESS)
        for (int i = 0; i < RC_STRIPES; i++)
            n += get(&rc_success_stripes[i].n);
    return n;
}

/* ---- detail: per group and topic ---------------------------------------- */

/*
 * A fixed open-addressing table, filled as new (group, topic) pairs appear.
 * Readers find a slot without a lock: a slot's names are written before its
 * hash is published (release), and never change after. Claiming a slot takes
 * a mutex (once per pair). Pairs beyond the table go to one overflow slot.
 */
#define SLOTS 256
#define NAME_MAX_LEN 128

struct slot {
    _Atomic uint64_t hash; /* 0 = free */
    char group[NAME_MAX_LEN];
    char topic[NAME_MAX_LEN];
    atomic_ulong real[RC_OUT_COUNT];
    atomic_ulong injected[RC_OUT_COUNT];
};

static struct slot slots[SLOTS + 1]; /* the last one is the overflow */
static pthread_mutex_t claim_lock = PTHREAD_MUTEX_INITIALIZER;

static uint64_t hash_pair(const char *g, const char *t)
{
    uint64_t h = 1469598103934665603ULL; /* FNV-1a */
    for (const unsigned char *p = (const unsigned char *)g; *p; p++)
        h = (h ^ *p) * 1099511628211ULL;
    h = (h ^ 0xff) * 1099511628211ULL;
    for (const unsigned char *p = (const unsigned char *)t; *p; p++)
        h = (h ^ *p) * 1099511628211ULL;
    return h ? h : 1;
}

static bool same(const struct slot *s, const char *g, const char *t)
{
    return strncmp(s->group, g, NAME_MAX_LEN - 1) == 0 && strncmp(s->topic, t, NAME_MAX_LEN - 1) == 0;
}

static struct slot *slot_for(const char *g, const char *t)
{
    uint64_t h = hash_pair(g, t);
    for (unsigned i = 0; i < SLOTS; i++) {
        struct slot *s = &slots[(h + i) % SLOTS];
        uint64_t sh = atomic_load_explicit(&s->hash, memory_order_acquire);
        if (sh == h && same(s, g, t))
            return s;
        if (sh != 0)
            continue;
        pthread_mutex_lock(&claim_lock);
        sh = atomic_load_explicit(&s->hash, memory_order_acquire);
        if (sh == 0) {
            snprintf(s->group, sizeof s->group, "%s", g);
            snprintf(s->topic, sizeof s->topic, "%s", t);
            atomic_store_explicit(&s->hash, h, memory_order_release);
            pthread_mutex_unlock(&claim_lock);
            return s;
        }
        pthread_mutex_unlock(&claim_lock);
        if (sh == h && same(s, g, t))
            return s;
    }
    return &slots[SLOTS];
}

/* ---- detail: histograms ------------------------------------------------- */

static const double latency_bounds[] = {0.0001, 0.0005, 0.001, 0.005, 0.01, 0.05,
                                        0.1,    0.5,    1,     5,     10,   60};
#define NLAT (sizeof latency_bounds / sizeof *latency_bounds)
static atomic_ulong latency_buckets[NLAT + 1]; /* not cumulative; the last is +Inf */
static atomic_ulong latency_sum_us, latency_count;

static const int attempt_bounds[] = {1, 2, 3, 4, 6, 8, 12, 17, 32};
#define NATT (sizeof attempt_bounds / sizeof *attempt_bounds)
static atomic_ulong attempt_buckets[NATT + 1];
static atomic_ulong attempt_sum, attempt_count;

void rc_stats_detail(const char *group, const char *topic, enum rc_outcome o, bool injected,
                     long long elapsed_ns)
{
    struct slot *s = slot_for(group ? group : "", topic ? topic : "");
    rc_count(injected ? &s->injected[o] : &s->real[o]);
    if (elapsed_ns < 0)
        return;
    double sec = (double)elapsed_ns / 1e9;
    size_t b = 0;
    while (b < NLAT && sec > latency_bounds[b])
        b++;
    rc_count(&latency_buckets[b]);
    atomic_fetch_add_explicit(&latency_sum_us, (unsigned long)(elapsed_ns / 1000), memory_order_relaxed);
    rc_count(&latency_count);
}

void rc_stats_attempts(int n)
{
    size_t b = 0;
    while (b < NATT && n > attempt_bounds[b])
        b++;
    rc_count(&attempt_buckets[b]);
    atomic_fetch_add_explicit(&attempt_sum, (unsigned long)n, memory_order_relaxed);
    rc_count(&attempt_count);
}

/* ---- export ------------------------------------------------------------- */

unsigned long rc_stats_total(void)
{
    unsigned long n = 0;
    for (int o = 0; o < RC_OUT_COUNT; o++)
        n += rc_stats_outcome((enum rc_outcome)o) + get(&rc_stats.injected[o]);
    return n;
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
    unsigned long inj = 0;
    for (int o = 0; o < RC_OUT_COUNT; o++)
        inj += get(&rc_stats.injected[o]);
    if (used < cap)
        snprintf(buf + used, cap - used,
                 "%lu injected, %lu timeout, %lu diverted, %lu divert failures, %lu crash loops", inj,
                 get(&rc_stats.timeouts), get(&rc_stats.diverted), get(&rc_stats.divert_failures),
                 get(&rc_stats.crash_loops));
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

static void write_histogram(FILE *f, const char *name, const char *help, const double *bounds_d,
                            const int *bounds_i, size_t n, atomic_ulong *buckets, double sum,
                            unsigned long count)
{
    fprintf(f, "# HELP %s %s\n# TYPE %s histogram\n", name, help, name);
    unsigned long cum = 0;
    for (size_t i = 0; i < n; i++) {
        cum += get(&buckets[i]);
        if (bounds_d)
            fprintf(f, "%s_bucket{le=\"%g\"} %lu\n", name, bounds_d[i], cum);
        else
            fprintf(f, "%s_bucket{le=\"%d\"} %lu\n", name, bounds_i[i], cum);
    }
    cum += get(&buckets[n]);
    fprintf(f, "%s_bucket{le=\"+Inf\"} %lu\n%s_sum %.6f\n%s_count %lu\n", name, cum, name, sum, name,
            count);
}

static void write_all(FILE *f)
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
        {"reconsume_crash_loops_total", "Deliveries refused: the message crashed the process RECONSUME_MAX_CRASHES times.",
         offsetof(struct rc_stats, crash_loops)},
        {"reconsume_inprocess_retries_total", "Extra callback calls made by the shim (broadcasting).",
         offsetof(struct rc_stats, inprocess_retries)},
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
    bool header = false;
    for (unsigned i = 0; i <= SLOTS; i++) {
        struct slot *s = &slots[i];
        if (i < SLOTS && atomic_load_explicit(&s->hash, memory_order_acquire) == 0)
            continue;
        for (int inj = 0; inj < 2; inj++) {
            for (int o = 0; o < RC_OUT_CRASH_LOOP; o++) {
                unsigned long v = get(inj ? &s->injected[o] : &s->real[o]);
                if (v == 0)
                    continue;
                if (!header) {
                    fprintf(f, "# HELP reconsume_topic_deliveries_total Callback calls by group, topic, outcome and whether the fault was injected.\n"
                               "# TYPE reconsume_topic_deliveries_total counter\n");
                    header = true;
                }
                fputs("reconsume_topic_deliveries_total{group=\"", f);
                put_label(f, i < SLOTS ? s->group : "(other)");
                fputs("\",topic=\"", f);
                put_label(f, i < SLOTS ? s->topic : "(other)");
                fprintf(f, "\",outcome=\"%s\",injected=\"%s\"} %lu\n", rc_outcome_name((enum rc_outcome)o),
                        inj ? "true" : "false", v);
            }
        }
    }
    if (get(&latency_count))
        write_histogram(f, "reconsume_callback_duration_seconds", "Time spent in the application's callback.",
                        latency_bounds, NULL, NLAT, latency_buckets, (double)get(&latency_sum_us) / 1e6,
                        get(&latency_count));
    if (get(&attempt_count))
        write_histogram(f, "reconsume_attempts", "Attempts a message took until it was acknowledged or diverted.",
                        NULL, attempt_bounds, NATT, attempt_buckets, (double)get(&attempt_sum),
                        get(&attempt_count));
}

/* One line of the time series beside the file, for charts of a run. */
static void append_series(const char *path)
{
    char csv[4200], line[512];
    if (snprintf(csv, sizeof csv, "%s.csv", path) >= (int)sizeof csv)
        return;
    int fd = open(csv, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0644);
    if (fd < 0)
        return;
    off_t end = lseek(fd, 0, SEEK_END);
    struct timespec now;
    clock_gettime(CLOCK_REALTIME, &now);
    unsigned long inj = 0;
    for (int o = 0; o < RC_OUT_COUNT; o++)
        inj += get(&rc_stats.injected[o]);
    int n = snprintf(line, sizeof line, "%s%lld,%lu,%lu,%lu,%lu,%lu,%lu,%lu,%lu\n",
                     end == 0 ? "unix_ms,success,reconsume,bad_status,exception,signal,injected,diverted,crash_loops\n" : "",
                     (long long)now.tv_sec * 1000 + now.tv_nsec / 1000000,
                     rc_stats_outcome(RC_OUT_SUCCESS), get(&rc_stats.deliveries[RC_OUT_RECONSUME]),
                     get(&rc_stats.deliveries[RC_OUT_BAD_STATUS]), get(&rc_stats.deliveries[RC_OUT_EXCEPTION]),
                     get(&rc_stats.deliveries[RC_OUT_SIGNAL]), inj, get(&rc_stats.diverted),
                     get(&rc_stats.crash_loops));
    if (n > 0 && (size_t)n < sizeof line) {
        ssize_t w = write(fd, line, (size_t)n);
        (void)w;
    }
    close(fd);
}

static int write_file(const char *path);

/* The statistics file past RLIMIT_FSIZE fails; it does not end the host. */
int rc_stats_write(const char *path)
{
    struct rc_xfsz hold;
    rc_xfsz_hold(&hold);
    int rc = write_file(path);
    rc_xfsz_release(&hold);
    return rc;
}

static int write_file(const char *path)
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
    write_all(f);
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
    append_series(path);
    return 0;
}

static const char *writer_path;
static long writer_interval_ms;
static pthread_once_t writer_once = PTHREAD_ONCE_INIT;

static void *writer_main(void *arg)
{
    (void)arg;
    for (;;) {
        struct timespec t = {writer_interval_ms / 1000, (writer_interval_ms % 1000) * 1000000L};
        while (nanosleep(&t, &t) != 0 && errno == EINTR)
            ;
        rc_stats_write(writer_path);
    }
    return NULL;
}

static void start_writer(void)
{
    pthread_t th;
    pthread_attr_t a;
    pthread_attr_init(&a);
    pthread_attr_setdetachstate(&a, PTHREAD_CREATE_DETACHED);
    pthread_attr_setstacksize(&a, 64 * 1024);
    /* The writer must not take signals meant for the host's threads. */
    sigset_t all, old;
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &old);
    pthread_create(&th, &a, writer_main, NULL);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    pthread_attr_destroy(&a);
}

void rc_stats_start_writer(const char *path, long interval_ms)
{
    writer_path = path;
    writer_interval_ms = interval_ms;
    pthread_once(&writer_once, start_writer);
}
