/*
 * consumer.c - an ordinary RocketMQ push consumer written against the
 * client's C API (tests/capi/rocketmq_c.h), knowing nothing of reconsume.
 * Linked with -lrocketmq; runs against the test double or the real client.
 *
 *   consumer_c --group G --topic T [--namesrv ADDR] [--expr EXPR] [--orderly]
 *              [--broadcast] [--threads N] [--max-ms MS] [--idle-ms MS] [--expect N]
 *
 * Create, set group and name server, Subscribe, set the message model,
 * register the callback (orderly or concurrent), Start; then wait until
 * --max-ms elapsed (default 30000), or --idle-ms passed without a delivery
 * after at least one, or --expect callbacks returned 0; Shutdown, Destroy,
 * exit 0.
 *
 * Each callback prints one line to stdout (under a mutex, flushed):
 *   deliver id=<msgId> topic=<t> tags=<tags> keys=<keys> reconsume=<n> body=<body> ret=<ret>
 * with non-printable bytes and '\' escaped as \xNN and \\. What the callback
 * does depends on the body: "status:N" returns N; "segv" writes through a
 * null pointer; "fpe" divides by a volatile zero (not 1/x, which gcc computes without a division); "abort" calls abort();
 * "sleep:MS" sleeps then returns 0; "fail-until:K" returns 1 while this
 * msgId has been seen fewer than K times by this process, then 0; "fail-once"
 * returns 1 the first time this process sees the message's keys, then 0 (by
 * keys: a retry copy has a new msgId); anything
 * else ("ok...") returns 0. For the crashing markers the line is printed
 * before the crash, with ret=segv|fpe|abort. With CONSUMER_FIXED=1 in the
 * environment every body returns 0 (the consumer "is fixed": replay tests).
 *
 * Built with -DCONSUMER_CLASH (build/programs/consumer_clash) it also
 * defines, and exports, functions named like the shim's internals
 * (rc_config_load, rc_log, rc_client, rc_spool_write, rc_record_encode) and
 * calls them: a shim leaking such names would be interposed by these.
 */
#define _POSIX_C_SOURCE 200809L
#include "tests/capi/rocketmq_c.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static pthread_mutex_t out_lock = PTHREAD_MUTEX_INITIALIZER;
static atomic_long n_deliveries;
static atomic_long n_success;
static atomic_llong last_delivery_ms;

static long long now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void sleep_ms(long ms)
{
    struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };
    nanosleep(&ts, NULL);
}

static void put_escaped(FILE *f, const char *s)
{
    if (!s) {
        fputs("(null)", f);
        return;
    }
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (*p == '\\')
            fputs("\\\\", f);
        else if (*p >= 0x20 && *p < 0x7f)
            fputc(*p, f);
        else
            fprintf(f, "\\x%02x", *p);
    }
}

static void print_delivery(CMessageExt *msg, const char *ret)
{
    pthread_mutex_lock(&out_lock);
    fputs("deliver id=", stdout);
    put_escaped(stdout, GetMessageId(msg));
    fputs(" topic=", stdout);
    put_escaped(stdout, GetMessageTopic(msg));
    fputs(" tags=", stdout);
    put_escaped(stdout, GetMessageTags(msg));
    fputs(" keys=", stdout);
    put_escaped(stdout, GetMessageKeys(msg));
    fprintf(stdout, " reconsume=%d body=", GetMessageReconsumeTimes(msg));
    put_escaped(stdout, GetMessageBody(msg));
    fprintf(stdout, " ret=%s\n", ret);
    fflush(stdout);
    pthread_mutex_unlock(&out_lock);
}

/* How many times each msgId has been seen (for fail-until:K). */
struct seen {
    char *id;
    int count;
};
static pthread_mutex_t seen_lock = PTHREAD_MUTEX_INITIALIZER;
static struct seen *seen_tab;
static size_t seen_n, seen_cap;

static int seen_inc(const char *id)
{
    int c = 0;
    pthread_mutex_lock(&seen_lock);
    size_t i;
    for (i = 0; i < seen_n; i++)
        if (!strcmp(seen_tab[i].id, id))
            break;
    if (i == seen_n) {
        if (seen_n == seen_cap) {
            seen_cap = seen_cap ? 2 * seen_cap : 16;
            struct seen *p = realloc(seen_tab, seen_cap * sizeof *p);
            if (!p)
                abort();
            seen_tab = p;
        }
        seen_tab[seen_n].id = strdup(id);
        seen_tab[seen_n].count = 0;
        seen_n++;
    }
    c = ++seen_tab[i].count;
    pthread_mutex_unlock(&seen_lock);
    return c;
}

static int on_message(CPushConsumer *consumer, CMessageExt *msg)
{
    (void)consumer;
    const char *body = GetMessageBody(msg);
    const char *id = GetMessageId(msg);
    if (!body)
        body = "";
    if (!id)
        id = "";
    int ret = 0;
    char retbuf[32];
    /* CONSUMER_FIXED=1: the bug is fixed; every body succeeds (replay tests). */
    const char *fixed = getenv("CONSUMER_FIXED");
    if (fixed && !strcmp(fixed, "1")) {
        /* nothing: ret stays 0 */
    } else if (!strncmp(body, "status:", 7)) {
        ret = atoi(body + 7);
    } else if (!strcmp(body, "segv")) {
        print_delivery(msg, "segv");
        int *volatile p = NULL;
        *p = 1;
    } else if (!strcmp(body, "fpe")) {
        print_delivery(msg, "fpe");
        volatile int zero = 0;
        volatile int dividend = 7;
        volatile int r = dividend / zero;
        (void)r;
    } else if (!strcmp(body, "abort")) {
        print_delivery(msg, "abort");
        abort();
    } else if (!strncmp(body, "sleep:", 6)) {
        sleep_ms(atol(body + 6));
    } else if (!strncmp(body, "fail-until:", 11)) {
        int k = atoi(body + 11);
        ret = seen_inc(id) < k ? 1 : 0;
    } else if (!strcmp(body, "fail-once")) {
        const char *keys = GetMessageKeys(msg);
        ret = seen_inc(keys ? keys : "") < 2 ? 1 : 0;
    }
    snprintf(retbuf, sizeof retbuf, "%d", ret);
    print_delivery(msg, retbuf);
    atomic_store(&last_delivery_ms, now_ms());
    atomic_fetch_add(&n_deliveries, 1);
    if (ret == 0)
        atomic_fetch_add(&n_success, 1);
    return ret;
}

#ifdef CONSUMER_CLASH
/* Same names as the shim's internals, different meanings. */
int rc_config_load(const char *what)
{
    return what ? 4242 : -1;
}
void rc_log(const char *what)
{
    printf("app rc_log: %s\n", what);
    fflush(stdout);
}
void *rc_client(void)
{
    static int app_client = 7;
    return &app_client;
}
int rc_spool_write(int x)
{
    return x * 2;
}
long rc_record_encode(long x)
{
    return x + 1;
}
static void clash_check(void)
{
    int *c = rc_client();
    printf("app clash rc_config_load=%d rc_client=%d rc_spool_write=%d rc_record_encode=%ld\n",
           rc_config_load("x"), *c, rc_spool_write(21), rc_record_encode(99));
    rc_log("hello");
    fflush(stdout);
}
#endif

static void usage(void)
{
    fputs("usage: consumer --group G --topic T [--namesrv ADDR] [--expr EXPR] [--orderly]\n"
          "       [--broadcast] [--threads N] [--max-ms MS] [--idle-ms MS] [--expect N]\n",
          stderr);
    exit(2);
}

int main(int argc, char **argv)
{
    const char *group = NULL, *topic = NULL, *namesrv = NULL, *expr = "*";
    int orderly = 0, broadcast = 0, threads = 0;
    long max_ms = 30000, idle_ms = 0, expect = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(a, "--orderly"))
            orderly = 1;
        else if (!strcmp(a, "--broadcast"))
            broadcast = 1;
        else if (!v)
            usage();
        else if (!strcmp(a, "--group"))
            group = v, i++;
        else if (!strcmp(a, "--topic"))
            topic = v, i++;
        else if (!strcmp(a, "--namesrv"))
            namesrv = v, i++;
        else if (!strcmp(a, "--expr"))
            expr = v, i++;
        else if (!strcmp(a, "--threads"))
            threads = atoi(v), i++;
        else if (!strcmp(a, "--max-ms"))
            max_ms = atol(v), i++;
        else if (!strcmp(a, "--idle-ms"))
            idle_ms = atol(v), i++;
        else if (!strcmp(a, "--expect"))
            expect = atol(v), i++;
        else
            usage();
    }
    if (!group || !topic)
        usage();
#ifdef CONSUMER_CLASH
    clash_check();
#endif
    CPushConsumer *c = CreatePushConsumer(group);
    if (!c) {
        fputs("consumer: CreatePushConsumer failed\n", stderr);
        return 1;
    }
    SetPushConsumerGroupID(c, group);
    if (namesrv)
        SetPushConsumerNameServerAddress(c, namesrv);
    if (threads > 0)
        SetPushConsumerThreadCount(c, threads);
    if (Subscribe(c, topic, expr) != 0) {
        fputs("consumer: Subscribe failed\n", stderr);
        return 1;
    }
    SetPushConsumerMessageModel(c, broadcast ? BROADCASTING : CLUSTERING);
    int rc = orderly ? RegisterMessageCallbackOrderly(c, on_message)
                     : RegisterMessageCallback(c, on_message);
    if (rc != 0) {
        fprintf(stderr, "consumer: Register failed: %d\n", rc);
        return 1;
    }
    if ((rc = StartPushConsumer(c)) != 0) {
        fprintf(stderr, "consumer: StartPushConsumer failed: %d\n", rc);
        return 1;
    }
    long long start = now_ms();
    for (;;) {
        long long t = now_ms();
        if (t - start >= max_ms)
            break;
        if (expect > 0 && atomic_load(&n_success) >= expect)
            break;
        if (idle_ms > 0 && atomic_load(&n_deliveries) > 0 &&
            t - atomic_load(&last_delivery_ms) >= idle_ms)
            break;
        sleep_ms(5);
    }
    ShutdownPushConsumer(c);
    DestroyPushConsumer(c);
    return 0;
}
