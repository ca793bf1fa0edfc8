/*
 * smoke_consumer.c - a push consumer on the C API of the real client, used to
 * observe what the client and broker do with each callback outcome.
 *
 *   smoke_consumer --namesrv HOST:PORT --topic T --group G
 *                  [--orderly] [--broadcast] [--action A] [--poison KEYS]
 *                  [--fail-times N] [--count N] [--idle S] [--timeout S]
 *                  [--threads N] [--log-dir D] [--no-shutdown]
 *
 * Action A (what the callback does for a "poison" message: all messages, or
 * only those whose keys equal --poison KEYS; the others return 0):
 *   ok        return 0 (E_CONSUME_SUCCESS)
 *   later     return 1 (E_RECONSUME_LATER)
 *   status=K  return the int K
 *   throw     throw a C++ std::runtime_error (from smoke_throw.cc)
 * --fail-times N: apply A only to the first N deliveries of a message (counted
 *   by msgId in this process), then return 0.
 * One line per delivery on stdout (flushed):
 *   deliver n=.. ms=.. msgid=.. topic=.. tags=.. keys=.. body=.. reconsume=..
 *           queue=.. offset=.. ret=..
 * Exits after --count deliveries, or --idle S seconds without a delivery
 * (after the first), or --timeout S seconds (default 60); prints
 * "done deliveries=N" and exits 0. --no-shutdown: exit with _exit(0) without
 * ShutdownPushConsumer (the 2.1.0 client crashes in it with SIGSEGV).
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "tests/capi/rocketmq_c.h"

void smoke_throw(const char *what); /* smoke_throw.cc */

static const char *g_action = "ok";
static const char *g_poison;
static int g_fail_times = -1;
static pthread_mutex_t g_mu = PTHREAD_MUTEX_INITIALIZER;
static long g_n;
static double g_t0, g_last;

#define MAX_SEEN 4096
static struct { char id[128]; int n; } g_seen[MAX_SEEN];
static int g_nseen;

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

static const char *nz(const char *s) { return s ? s : ""; }

/* deliveries of this msgId so far in this process, including this one */
static int seen_count(const char *id)
{
    for (int i = 0; i < g_nseen; i++)
        if (!strcmp(g_seen[i].id, id)) return ++g_seen[i].n;
    if (g_nseen < MAX_SEEN) {
        snprintf(g_seen[g_nseen].id, sizeof g_seen[0].id, "%s", id);
        g_seen[g_nseen].n = 1;
        g_nseen++;
    }
    return 1;
}

static int on_message(CPushConsumer *c, CMessageExt *m)
{
    (void)c;
    const char *id = nz(GetMessageId(m));
    const char *keys = nz(GetMessageKeys(m));
    int poison = !g_poison || !strcmp(keys, g_poison);
    pthread_mutex_lock(&g_mu);
    long n = ++g_n;
    double t = now_s();
    g_last = t;
    int seen = seen_count(id);
    pthread_mutex_unlock(&g_mu);
    if (g_fail_times >= 0 && seen > g_fail_times) poison = 0;

    int ret = 0;
    int do_throw = 0;
    if (poison) {
        if (!strcmp(g_action, "later")) ret = 1;
        else if (!strncmp(g_action, "status=", 7)) ret = atoi(g_action + 7);
        else if (!strcmp(g_action, "throw")) do_throw = 1;
    }
    printf("deliver n=%ld ms=%.0f msgid=%s topic=%s tags=%s keys=%s body=%s reconsume=%d "
           "queue=%d offset=%lld seen=%d ret=%s\n",
           n, (t - g_t0) * 1000, id, nz(GetMessageTopic(m)), nz(GetMessageTags(m)), keys,
           nz(GetMessageBody(m)), GetMessageReconsumeTimes(m), GetMessageQueueId(m),
           GetMessageQueueOffset(m), seen, do_throw ? "throw" : (ret ? (ret == 1 ? "1" : "other") : "0"));
    fflush(stdout);
    if (do_throw) smoke_throw(id);
    return ret;
}

static void usage(void)
{
    fprintf(stderr, "usage: smoke_consumer --namesrv HOST:PORT --topic T --group G [--orderly] "
                    "[--broadcast] [--action ok|later|status=K|throw] [--poison KEYS] "
                    "[--fail-times N] [--count N] [--idle S] [--timeout S] [--threads N] "
                    "[--log-dir D] [--no-shutdown]\n");
    exit(2);
}

int main(int argc, char **argv)
{
    const char *namesrv = NULL, *topic = NULL, *group = NULL, *log_dir = NULL;
    int orderly = 0, broadcast = 0, threads = 0, no_shutdown = 0;
    long count = 0;
    double idle = 0, timeout = 60;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(a, "--orderly")) { orderly = 1; continue; }
        if (!strcmp(a, "--broadcast")) { broadcast = 1; continue; }
        if (!strcmp(a, "--no-shutdown")) { no_shutdown = 1; continue; }
        if (!v) usage();
        if (!strcmp(a, "--namesrv")) namesrv = v;
        else if (!strcmp(a, "--topic")) topic = v;
        else if (!strcmp(a, "--group")) group = v;
        else if (!strcmp(a, "--action")) g_action = v;
        else if (!strcmp(a, "--poison")) g_poison = v;
        else if (!strcmp(a, "--fail-times")) g_fail_times = atoi(v);
        else if (!strcmp(a, "--count")) count = atol(v);
        else if (!strcmp(a, "--idle")) idle = atof(v);
        else if (!strcmp(a, "--timeout")) timeout = atof(v);
        else if (!strcmp(a, "--threads")) threads = atoi(v);
        else if (!strcmp(a, "--log-dir")) log_dir = v;
        else usage();
        i++;
    }
    if (!namesrv || !topic || !group) usage();

    g_t0 = now_s();
    CPushConsumer *c = CreatePushConsumer(group);
    if (!c) { fprintf(stderr, "smoke_consumer: CreatePushConsumer failed\n"); return 2; }
    SetPushConsumerNameServerAddress(c, namesrv);
    SetPushConsumerMessageModel(c, broadcast ? BROADCASTING : CLUSTERING);
    if (threads > 0) SetPushConsumerThreadCount(c, threads);
    if (log_dir) SetPushConsumerLogPath(c, log_dir);
    Subscribe(c, topic, "*");
    if (orderly) RegisterMessageCallbackOrderly(c, on_message);
    else RegisterMessageCallback(c, on_message);
    if (StartPushConsumer(c) != 0) { fprintf(stderr, "smoke_consumer: start failed\n"); return 2; }
    printf("started group=%s topic=%s orderly=%d broadcast=%d action=%s\n", group, topic, orderly,
           broadcast, g_action);
    fflush(stdout);

    for (;;) {
        usleep(50 * 1000);
        pthread_mutex_lock(&g_mu);
        long n = g_n;
        double last = g_last;
        pthread_mutex_unlock(&g_mu);
        double t = now_s();
        if (count > 0 && n >= count) break;
        if (idle > 0 && n > 0 && t - last >= idle) break;
        if (t - g_t0 >= timeout) break;
    }
    pthread_mutex_lock(&g_mu);
    printf("done deliveries=%ld\n", g_n);
    fflush(stdout);
    pthread_mutex_unlock(&g_mu);
    if (no_shutdown) _exit(0);
    ShutdownPushConsumer(c);
    DestroyPushConsumer(c);
    return 0;
}
