/*
 * fdreuse.c - a daemon-like consumer that closes and reuses descriptors,
 * knowing nothing of reconsume (issue 13, item 2).
 *
 *   fdreuse --group G --topic T --dir DIR [--files N]
 *
 * Round 1: an ordinary consumer (create, subscribe, register, start,
 * shutdown, destroy) delivers the script once. Then, as a daemon does at
 * start-up, it closes descriptors 3..1023 and opens its own files
 * DIR/app.0 .. DIR/app.<N-1> (default 8; 0 for none: the descriptors are
 * only closed), which get the lowest numbers (3, 4, ...), and writes "app <i> before\n" into each. Round 2: the same
 * consumer again, over the same script. Then "app <i> after\n" into each,
 * and exit 0. Whatever a preloaded library wrote to a descriptor it opened
 * before the close now lands in these files; they must hold only the lines
 * written here.
 *
 * The callback returns N for a body "status:N", else 0.
 */
#define _POSIX_C_SOURCE 200809L
#include "tests/capi/rocketmq_c.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int on_message(CPushConsumer *c, CMessageExt *msg)
{
    (void)c;
    const char *body = GetMessageBody(msg);
    return body && !strncmp(body, "status:", 7) ? atoi(body + 7) : 0;
}

static int round_once(const char *group, const char *topic)
{
    CPushConsumer *c = CreatePushConsumer(group);
    if (!c)
        return 1;
    SetPushConsumerGroupID(c, group);
    if (Subscribe(c, topic, "*") != 0 || RegisterMessageCallback(c, on_message) != 0 ||
        StartPushConsumer(c) != 0)
        return 1;
    ShutdownPushConsumer(c); /* the double: returns once the script is delivered */
    DestroyPushConsumer(c);
    return 0;
}

static void put(int fd, int i, const char *when)
{
    char line[64];
    int n = snprintf(line, sizeof line, "app %d %s\n", i, when);
    if (write(fd, line, (size_t)n) != n)
        exit(3);
}

int main(int argc, char **argv)
{
    const char *group = NULL, *topic = NULL, *dir = NULL;
    int nfiles = 8;
    for (int i = 1; i + 1 < argc; i += 2) {
        if (!strcmp(argv[i], "--group"))
            group = argv[i + 1];
        else if (!strcmp(argv[i], "--topic"))
            topic = argv[i + 1];
        else if (!strcmp(argv[i], "--dir"))
            dir = argv[i + 1];
        else if (!strcmp(argv[i], "--files"))
            nfiles = atoi(argv[i + 1]);
    }
    if (!group || !topic || !dir || nfiles < 0 || nfiles > 64) {
        fputs("usage: fdreuse --group G --topic T --dir DIR [--files N]\n", stderr);
        return 2;
    }
    if (round_once(group, topic) != 0) {
        fputs("fdreuse: round 1 failed\n", stderr);
        return 1;
    }
    for (int fd = 3; fd < 1024; fd++)
        close(fd);
    int fds[64];
    for (int i = 0; i < nfiles; i++) {
        char path[4096];
        snprintf(path, sizeof path, "%s/app.%d", dir, i);
        fds[i] = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_APPEND | O_CLOEXEC, 0644);
        if (fds[i] < 0) {
            perror(path);
            return 1;
        }
        put(fds[i], i, "before");
    }
    if (nfiles > 0)
        printf("fdreuse: app files at descriptors %d..%d\n", fds[0], fds[nfiles - 1]);
    fflush(stdout);
    if (round_once(group, topic) != 0) {
        fputs("fdreuse: round 2 failed\n", stderr);
        return 1;
    }
    for (int i = 0; i < nfiles; i++) {
        put(fds[i], i, "after");
        close(fds[i]);
    }
    return 0;
}
