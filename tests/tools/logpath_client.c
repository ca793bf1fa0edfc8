/*
 * logpath_client.c - a client library for tests/tools/test_redrive.py: the
 * test double (its DT_NEEDED dependency) with CreateProducer and
 * SetProducerLogPath wrapped, to write down what the client sees: HOME and
 * ROCKETMQ_CLIENT_LOG_DIR when the producer is created (where 1.2.x and 2.x
 * put their logs), and the log path it is given. One line each to the file
 * $LOGPATH_LOG.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>

typedef struct CProducer CProducer;

static void note(const char *what, const char *v)
{
    FILE *f = fopen(getenv("LOGPATH_LOG"), "a");
    if (f) {
        fprintf(f, "%s %s\n", what, v ? v : "(unset)");
        fclose(f);
    }
}

__attribute__((visibility("default"))) CProducer *CreateProducer(const char *group)
{
    note("home", getenv("HOME"));
    note("client_log_dir", getenv("ROCKETMQ_CLIENT_LOG_DIR"));
    CProducer *(*real)(const char *);
    *(void **)(&real) = dlsym(RTLD_NEXT, "CreateProducer");
    return real(group);
}

__attribute__((visibility("default"))) int SetProducerLogPath(CProducer *p, const char *path)
{
    note("log_path", path);
    int (*real)(CProducer *, const char *);
    *(void **)(&real) = dlsym(RTLD_NEXT, "SetProducerLogPath");
    return real(p, path);
}
