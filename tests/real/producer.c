/*
 * producer.c - sends messages to a real RocketMQ broker through the C API of
 * the real client (librocketmq.so), for the real-stack tests.
 *
 *   producer --namesrv HOST:PORT --topic T [--group G] [--orderly] [--queue N]
 *            [--file F] [--log-dir D] [--timeout-ms MS] [--retries N]
 *
 * Reads one message per line from F (default stdin): "tags<TAB>keys<TAB>body"
 * (missing fields are empty; a line without a TAB is a body). Prints one line
 * per message sent: "sent<TAB>msgId<TAB>keys<TAB>offset". With --orderly
 * every message goes to queue N (default 0) via SendMessageOrderly and a
 * selector, so a message can sit at the head of one queue.
 * Exit status: 0 all sent, 1 a send failed, 2 usage or start error.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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
                    "[--queue N] [--file F] [--log-dir D] [--timeout-ms MS] [--retries N]\n");
    exit(2);
}

int main(int argc, char **argv)
{
    const char *namesrv = NULL, *topic = NULL, *group = "reconsume_test_producer";
    const char *file = NULL, *log_dir = NULL;
    int orderly = 0, queue = 0, timeout_ms = 5000, retries = 2;

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
        memset(&r, 0, sizeof r);
        int st = -1;
        for (int attempt = 0; attempt <= retries && st != 0; attempt++) {
            st = orderly ? SendMessageOrderly(p, m, select_queue, &queue, 1, &r)
                         : SendMessageSync(p, m, &r);
        }
        DestroyMessage(m);
        if (st != 0) {
            fprintf(stderr, "producer: send failed (%d) keys=%s\n", st, keys);
            rc = 1;
            continue;
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
