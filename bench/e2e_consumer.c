/*
 * e2e_consumer.c - a plain push consumer on the RocketMQ C API, for the end
 * to end throughput figures (build/bench/e2e_consumer). It knows nothing of
 * reconsume: bench/bench.py runs it with and without LD_PRELOAD of the shim.
 *
 *   e2e_consumer --namesrv HOST:PORT --topic T --group G --count N
 *                [--threads N] [--timeout S] [--log-dir D]
 *
 * The callback reads the body (as a consumer would) and counts; nothing else,
 * so the shim's share of each delivery is as large as it can be. Exits after
 * N deliveries (or --timeout S, default 120) and prints one line:
 *   e2e <deliveries> <s from start to first> <s from first to Nth> <msgs/s first..Nth> <peak RSS kB>
 *       <CPU s of the whole process, user+system>
 * The peak RSS is this process's VmHWM (its own address space only: a
 * parent's rusage would count the pages of the process that forked it).
 * Linked against the test double's librocketmq.so (same SONAME as the real
 * client); LD_LIBRARY_PATH picks the real client or the double at run time.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "tests/capi/rocketmq_c.h"

static atomic_long n_seen;
static atomic_ulong body_bytes;
static long target;
static double t_start;
static _Atomic double t_first, t_last;

static double now_s(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static int on_message(CPushConsumer *c, CMessageExt *m)
{
    (void)c;
    const char *body = GetMessageBody(m);
    atomic_fetch_add_explicit(&body_bytes, body ? strlen(body) : 0, memory_order_relaxed);
    long n = atomic_fetch_add_explicit(&n_seen, 1, memory_order_relaxed) + 1;
    if (n == 1)
        atomic_store(&t_first, now_s());
    if (n == target)
        atomic_store(&t_last, now_s());
    return 0; /* E_CONSUME_SUCCESS */
}

static long peak_rss_kb(void)
{
    FILE *f = fopen("/proc/self/status", "r");
    char line[256];
    long kb = -1;
    while (f && fgets(line, sizeof line, f))
        if (!strncmp(line, "VmHWM:", 6))
            kb = strtol(line + 6, NULL, 10);
    if (f)
        fclose(f);
    return kb;
}

static void usage(void)
{
    fprintf(stderr, "usage: e2e_consumer --namesrv HOST:PORT --topic T --group G --count N "
                    "[--threads N] [--timeout S] [--log-dir D]\n");
    exit(2);
}

int main(int argc, char **argv)
{
    const char *namesrv = NULL, *topic = NULL, *group = NULL, *log_dir = NULL;
    int threads = 0;
    double timeout = 120;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!v)
            usage();
        if (!strcmp(a, "--namesrv")) namesrv = v;
        else if (!strcmp(a, "--topic")) topic = v;
        else if (!strcmp(a, "--group")) group = v;
        else if (!strcmp(a, "--count")) target = atol(v);
        else if (!strcmp(a, "--threads")) threads = atoi(v);
        else if (!strcmp(a, "--timeout")) timeout = atof(v);
        else if (!strcmp(a, "--log-dir")) log_dir = v;
        else usage();
        i++;
    }
    if (!namesrv || !topic || !group || target <= 0)
        usage();

    t_start = now_s();
    CPushConsumer *c = CreatePushConsumer(group);
    if (!c) {
        fprintf(stderr, "e2e_consumer: CreatePushConsumer failed\n");
        return 2;
    }
    SetPushConsumerNameServerAddress(c, namesrv);
    SetPushConsumerMessageModel(c, CLUSTERING);
    if (threads > 0)
        SetPushConsumerThreadCount(c, threads);
    if (log_dir)
        SetPushConsumerLogPath(c, log_dir);
    Subscribe(c, topic, "*");
    RegisterMessageCallback(c, on_message);
    if (StartPushConsumer(c) != 0) {
        fprintf(stderr, "e2e_consumer: start failed\n");
        return 2;
    }
    while (atomic_load(&n_seen) < target && now_s() - t_start < timeout)
        usleep(2000);
    long n = atomic_load(&n_seen);
    double first = atomic_load(&t_first), last = atomic_load(&t_last);
    int rc = 0;
    if (n < target) {
        fprintf(stderr, "e2e_consumer: only %ld of %ld deliveries in %.0f s\n", n, target, timeout);
        rc = 1;
        last = now_s();
    }
    double span = last - first;
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    double cpu = (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 + (double)ru.ru_stime.tv_sec +
                 (double)ru.ru_stime.tv_usec / 1e6;
    printf("e2e\t%ld\t%.6f\t%.6f\t%.1f\t%ld\t%.4f\n", n, first - t_start, span,
           span > 0 ? (double)(target - 1) / span : 0.0, peak_rss_kb(), cpu);
    fflush(stdout);
    ShutdownPushConsumer(c);
    DestroyPushConsumer(c);
    return rc;
}
