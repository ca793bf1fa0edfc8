/*
 * client.h - the RocketMQ C client, loaded at run time by reconsume-spool
 * (dlopen: --client-lib PATH, else "librocketmq.so" found the way the
 * consumer's own is: LD_LIBRARY_PATH, then the system's paths), for replay
 * (its producer) and for reading a poison topic (its pull consumer).
 */
#ifndef RECONSUME_TOOLS_SPOOL_CLIENT_H
#define RECONSUME_TOOLS_SPOOL_CLIENT_H

#include <stddef.h>

#include "sink/topic.h"
#include "tools/spool/store.h"

struct ts_client {
    void *handle;
    struct rc_topic_api api;
    char log_dir[4096]; /* the client's logs (logdir.h) */
};

/* 0, or -1 with err naming the library and what is missing. The client's
 * logs are pointed at the tool's directory (logdir.h) before it loads. */
int ts_client_open(const char *path, struct ts_client *c, char *err, size_t errlen);

/*
 * Read every message of topic (all queues, oldest first) through the
 * client's pull consumer. A message that is not a diverted record is an
 * entry that is not ok. Returns 0, or -1 with err when the topic cannot be
 * read at all (name server unreachable, no such topic, no pull API).
 * *partial is set when a queue could not be read to its end.
 */
int ts_topic_load(struct ts_client *c, const char *namesrv, const char *topic,
                  struct ts_set *out, int *partial, char *err, size_t errlen);

#endif
