/*
 * fork_consumer.c - an ordinary C-API consumer that calls fork() while
 * deliveries run, for the fork-safety test (tests/hardening/test_concurrency.py).
 * It knows nothing of reconsume.
 *
 *   fork_consumer --group G --topic T --threads N --forks K --child-script FILE
 *
 * The parent consumes its script (RMQ_DOUBLE_SCRIPT) on N threads. Forks
 * happen in two ways while that runs:
 *  - from a separate thread, K times, a few milliseconds apart;
 *  - from inside the callback, for a message whose body is "fork".
 * Each child creates its own consumer (group "<G>-child"), registers a
 * callback, starts it on --child-script (one ok message, one poison
 * message "status:1"), shuts it down, destroys it and _exit()s 0. A child
 * that is stuck for 20 s prints "child <pid> stuck" and _exit()s 70; the
 * parent waits for every child (the test kills the parent after a timeout
 * and attaches gdb to whatever hangs).
 *
 * Callback bodies: "ok" and anything else -> 0, "status:N" -> N,
 * "sleep:MS" -> sleeps, then 0, "fork" -> fork as above, then 0.
 *
 * Prints "forks=<n> children_ok=<n> children_failed=<n>" at the end; exits 0
 * only if every child exited 0.
 */

#include "tests/capi/rocketmq_c.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static const char *group, *topic, *child_script;
static atomic_int n_forks, n_child_ok, n_child_failed, n_done;
static atomic_bool stop_forking;

static void sleep_ms(long ms)
{
    struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };
    while (nanosleep(&ts, &ts) == -1 && errno == EINTR)
        ;
}

static void on_alarm(int sig)
{
    (void)sig;
    char line[64];
    int n = snprintf(line, sizeof line, "child %ld stuck\n", (long)getpid());
    if (write(2, line, (size_t)n) < 0) {
    }
    _exit(70);
}

static int child_cb(CPushConsumer *c, CMessageExt *m)
{
    (void)c;
    const char *body = GetMessageBody(m);
    return body && !strncmp(body, "status:", 7) ? atoi(body + 7) : 0;
}

/* In the child of a fork: one whole consumer life, then _exit. */
static void child_main(void)
{
    signal(SIGALRM, on_alarm);
    alarm(20);
    setenv("RMQ_DOUBLE_SCRIPT", child_script, 1);
    char g[256];
    snprintf(g, sizeof g, "%s-child", group);
    CPushConsumer *c = CreatePushConsumer(g);
    if (!c)
        _exit(71);
    SetPushConsumerGroupID(c, g);
    SetPushConsumerThreadCount(c, 2);
    if (Subscribe(c, topic, "*") != 0)
        _exit(72);
    if (RegisterMessageCallback(c, child_cb) != 0)
        _exit(73);
    if (StartPushConsumer(c) != 0)
        _exit(74);
    ShutdownPushConsumer(c);
    DestroyPushConsumer(c);
    _exit(0);
}

static void do_fork(void)
{
    pid_t pid = fork();
    if (pid < 0) {
        perror("fork");
        atomic_fetch_add(&n_child_failed, 1);
        return;
    }
    if (pid == 0)
        child_main();
    atomic_fetch_add(&n_forks, 1);
    int st;
    while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
        ;
    if (WIFEXITED(st) && WEXITSTATUS(st) == 0) {
        atomic_fetch_add(&n_child_ok, 1);
    } else {
        fprintf(stderr, "child %ld: %s %d\n", (long)pid, WIFEXITED(st) ? "exit" : "signal",
                WIFEXITED(st) ? WEXITSTATUS(st) : WTERMSIG(st));
        atomic_fetch_add(&n_child_failed, 1);
    }
}

static int on_message(CPushConsumer *c, CMessageExt *m)
{
    (void)c;
    const char *body = GetMessageBody(m);
    if (!body)
        body = "";
    int ret = 0;
    if (!strncmp(body, "status:", 7))
        ret = atoi(body + 7);
    else if (!strncmp(body, "sleep:", 6))
        sleep_ms(atol(body + 6));
    else if (!strcmp(body, "fork"))
        do_fork();
    atomic_fetch_add(&n_done, 1);
    return ret;
}

static void *forker(void *arg)
{
    int k = *(int *)arg;
    unsigned seed = 12345;
    for (int i = 0; i < k && !atomic_load(&stop_forking); i++) {
        sleep_ms(2 + (long)(rand_r(&seed) % 15));
        do_fork();
    }
    return NULL;
}

int main(int argc, char **argv)
{
    int threads = 16, forks = 20;
    for (int i = 1; i + 1 < argc; i += 2) {
        if (!strcmp(argv[i], "--group"))
            group = argv[i + 1];
        else if (!strcmp(argv[i], "--topic"))
            topic = argv[i + 1];
        else if (!strcmp(argv[i], "--threads"))
            threads = atoi(argv[i + 1]);
        else if (!strcmp(argv[i], "--forks"))
            forks = atoi(argv[i + 1]);
        else if (!strcmp(argv[i], "--child-script"))
            child_script = argv[i + 1];
    }
    if (!group || !topic || !child_script) {
        fputs("usage: fork_consumer --group G --topic T --threads N --forks K --child-script F\n", stderr);
        return 2;
    }
    CPushConsumer *c = CreatePushConsumer(group);
    SetPushConsumerGroupID(c, group);
    SetPushConsumerThreadCount(c, threads);
    Subscribe(c, topic, "*");
    SetPushConsumerMessageModel(c, CLUSTERING);
    if (RegisterMessageCallback(c, on_message) != 0 || StartPushConsumer(c) != 0) {
        fputs("fork_consumer: cannot start\n", stderr);
        return 1;
    }
    pthread_t t;
    pthread_create(&t, NULL, forker, &forks);
    pthread_join(t, NULL);
    ShutdownPushConsumer(c); /* waits for the whole script */
    DestroyPushConsumer(c);
    printf("forks=%d children_ok=%d children_failed=%d deliveries=%d\n", atomic_load(&n_forks),
           atomic_load(&n_child_ok), atomic_load(&n_child_failed), atomic_load(&n_done));
    return atomic_load(&n_child_failed) == 0 ? 0 : 1;
}
