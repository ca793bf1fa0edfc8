/*
 * sink.h - where a diverted message is stored: the backends behind one
 * small interface (as redis's ae_*.c sit behind aeApi*), and the chain that
 * tries them in order.
 *
 * A backend opens once (at the first registration: the spool creates its
 * directories), writes one record durably or fails with one line, and is
 * told when a consumer goes away (the topic sink's producer of that consumer
 * can stop). To add a sink: a kind in policy/sinkspec.h (its grammar), a
 * file sink/<kind>_backend.c with its struct rc_sink_backend, and a line in
 * sink/chain.c's table.
 */
#ifndef RECONSUME_SINK_SINK_H
#define RECONSUME_SINK_SINK_H

#include <stddef.h>

#include "policy/record.h"
#include "policy/sinkspec.h"

/* What a write needs to know besides the record. */
struct rc_sink_ctx {
    const void *consumer;  /* the consumer delivering (the topic sink sends with its name server) */
    const char *spool_dir; /* RECONSUME_SPOOL_DIR */
};

struct rc_sink_backend {
    const char *name; /* "spool", "topic": as in RECONSUME_SINK */
    /* Once, before the first write; 0, or -1 with the reason in err. NULL: nothing to do. */
    int (*open)(const struct rc_sink_ctx *ctx, char *err, size_t errlen);
    /* Store r durably; 0 with where it went in `where`, or -errno with the reason in err. */
    int (*write)(const struct rc_sink *k, const struct rc_sink_ctx *ctx, const struct rc_record *r,
                 char *where, size_t cap, char *err, size_t errlen);
    /* The consumer is destroyed. NULL: nothing to do. */
    void (*close)(const void *consumer);
};

extern const struct rc_sink_backend rc_spool_backend;
extern const struct rc_sink_backend rc_topic_backend;

/* The backend of a sink kind. */
const struct rc_sink_backend *rc_sink_backend_of(enum rc_sink_kind kind);

/*
 * Open the backends that any of the n chains uses, each once; 0, or -1 with
 * the reason in err.
 */
int rc_sink_open(const struct rc_sinkspec *const *chains, size_t n, const struct rc_sink_ctx *ctx,
                 char *err, size_t errlen);

/*
 * Store r in the sinks of chain, in order: the first that stores it durably
 * wins; a failure is logged (with the sink tried next) and the next one is
 * tried. 0 with `where`, or the last -errno with its reason in err.
 */
int rc_sink_store(const struct rc_sinkspec *chain, const struct rc_sink_ctx *ctx,
                  const struct rc_record *r, char *where, size_t cap, char *err, size_t errlen);

/*
 * A retry copy (hooks/retry.c) of r to topic (%RETRY%<group>), with the
 * extra properties, through the topic sink's producer of consumer's name
 * server (created at the first need). 0 once the broker confirmed it
 * (SEND_OK), with its msgId; else -errno with err.
 */
struct rc_topic_setprop;
int rc_topic_retry_send(const void *consumer, const char *topic, const struct rc_record *r,
                        const struct rc_topic_setprop *extra, size_t nextra, char *msg_id,
                        size_t cap, char *err, size_t errlen);

/* A consumer is destroyed: tell every backend. */
void rc_sink_close(const void *consumer);

#endif
