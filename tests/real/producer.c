/*
 * producer.c - sends messages to a real RocketMQ broker through the C API of
 * the real client (librocketmq.so), for the real-stack tests.
 *
 *   producer --namesrv HOST:PORT --topic T [--group G] [--orderly] [--queue N]
 *            [--file F] [--log-dir D] [--timeout-ms MS] [--retries N] [--deadline-ms MS]
 *
 * Reads one message per line from F (default stdin): "tags<TAB>keys<TAB>body"
 * (missing fields are empty; a line without a TAB is a body). Prints one line
 * per message sent: "sent<TAB>msgId<TAB>keys<TAB>offset". With --orderly
 * every message goes to queue N (default 0) via SendMessageOrderly and a
 * selector, so a message can sit at the head of one queue.
 *
 * A failed send is tried again (the C API says only that it failed: a route
 * not yet served, a broker still starting or shedding load under a busy
 * machine all look alike), at least N more times (--retries, default 2) and
 * for as long as the message's deadline allows (--deadline-ms from its first
 * attempt, default 0: no deadline), with a growing pause of 50 ms to 1 s
 * between attempts. Messages are sent one after the other, so their order in
 * a queue is the order of the lines. A message that still fails gets one
 * line on stderr with the attempts, the time spent and the pid (the client
 * names its log file after it), and the lines after it are not sent.
 * Exit status: 0 all sent, 1 a send failed, 2 usage or start error.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "tests/capi/rocketmq_c.h"

static int select_queue(int size, CMessage *msg, void *arg)
{
    (void)msg;
    int q = *(const int *)arg;
    return size > 0 ? q % size : 0;
}

static void usage(void)
{
    fprintf(stderr, "usage: producer --namesrv HOST:PORT --topic T [--group G] [--orderly] "
                    "[--queue N] [--file F] [--log-dir D] [--timeout-ms MS] [--retries N] "
                    "[--deadline-ms MS]\n");
    exit(2);
}

static long long now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void pause_ms(long long ms)
{
    struct timespec ts = { (time_t)(ms / 1000), (long)(ms % 1000) * 1000000L };
    while (nanosleep(&ts, &ts) == -1 && errno == EINTR)
        ;
}

struct sender {
    CProducer *p;
    int orderly, queue, retries;
    long long deadline_ms;
};

/* Sends M until it is sent, or the retries and the deadline are spent.
 * Returns the last status (0: sent); *attempts and *spent_ms say what it took. */
static int send_until_deadline(struct sender *s, CMessage *m, CSendResult *r, int *attempts,
                               long long *spent_ms)
{
    long long t0 = now_ms(), wait = 50;
    int st;
    for (*attempts = 1;; ++*attempts) {
        memset(r, 0, sizeof *r);
        st = s->orderly ? SendMessageOrderly(s->p, m, select_queue, &s->queue, 1, r)
                        : SendMessageSync(s->p, m, r);
        long long t = now_ms(), left = t0 + s->deadline_ms - t;
        *spent_ms = t - t0;
        if (st == 0 || st == 1 /* NULL_POINTER: bad arguments do not heal */)
            return st;
        if (*attempts > s->retries && left <= 0)
            return st;
        if (left > 0)
            pause_ms(wait < left ? wait : left);
        wait = wait * 2 < 1000 ? wait * 2 : 1000;
    }
}

int main(int argc, char **argv)
{
    const char *namesrv = NULL, *topic = NULL, *group = "reconsume_test_producer";
    const char *file = NULL, *log_dir = NULL;
    int orderly = 0, queue = 0, timeout_ms = 5000, retries = 2;
    long long deadline_ms = 0;

    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(a, "--orderly")) { orderly = 1; continue; }
        if (!v) usage();
        if (!strcmp(a, "--namesrv")) namesrv = v;
        else if (!strcmp(a, "--topic")) topic = v;
        else if (!strcmp(a, "--group")) group = v;
        else if (!strcmp(a, "--file")) file = v;
        else if (!strcmp(a, "--log-dir")) log_dir = v;
        else if (!strcmp(a, "--queue")) queue = atoi(v);
        else if (!strcmp(a, "--timeout-ms")) timeout_ms = atoi(v);
        else if (!strcmp(a, "--retries")) retries = atoi(v);
        else if (!strcmp(a, "--deadline-ms")) deadline_ms = atoll(v);
        else usage();
        i++;
    }
    if (!namesrv || !topic) usage();

    FILE *in = stdin;
    if (file && !(in = fopen(file, "r"))) { perror(file); return 2; }

    CProducer *p = CreateProducer(group);
    if (!p) { fprintf(stderr, "producer: CreateProducer failed\n"); return 2; }
    SetProducerNameServerAddress(p, namesrv);
    SetProducerSendMsgTimeout(p, timeout_ms);
    if (log_dir) SetProducerLogPath(p, log_dir);
    if (StartProducer(p) != 0) { fprintf(stderr, "producer: StartProducer failed\n"); return 2; }

    struct sender snd = { p, orderly, queue, retries, deadline_ms };
    int rc = 0;
    char *line = NULL;
    size_t cap = 0;
    ssize_t n;
    while ((n = getline(&line, &cap, in)) >= 0) {
        while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r')) line[--n] = '\0';
        if (n == 0) continue;
        char *tags = "", *keys = "", *body = line;
        char *t1 = strchr(line, '\t');
        if (t1) {
            *t1 = '\0';
            tags = line;
            keys = t1 + 1;
            char *t2 = strchr(keys, '\t');
            if (t2) { *t2 = '\0'; body = t2 + 1; } else body = "";
        }
        CMessage *m = CreateMessage(topic);
        if (*tags) SetMessageTags(m, tags);
        if (*keys) SetMessageKeys(m, keys);
        SetByteMessageBody(m, body, (int)strlen(body));
        CSendResult r;
        int attempts;
        long long spent;
        int st = send_until_deadline(&snd, m, &r, &attempts, &spent);
        DestroyMessage(m);
        if (st != 0) {
            fprintf(stderr,
                    "producer: send failed (%d) keys=%s: %d attempts in %lld ms (deadline %lld ms, "
                    "topic %s, name server %s, pid %ld)\n",
                    st, keys, attempts, spent, deadline_ms, topic, namesrv, (long)getpid());
            rc = 1;
            break; /* the rest would land out of order */
        }
        printf("sent\t%s\t%s\t%lld\n", r.msgId, keys, r.offset);
        fflush(stdout);
    }
    free(line);
    if (in != stdin) fclose(in);
    ShutdownProducer(p);
    DestroyProducer(p);
    return rc;
}
