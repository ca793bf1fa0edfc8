/*
 * chain.c - the sink chain: backends tried in order (see sink.h).
 */
#include <errno.h>
#include <stdbool.h>

#include "obs/log.h"
#include "sink/sink.h"

/* Indexed by enum rc_sink_kind. */
static const struct rc_sink_backend *const backends[] = {
    [RC_SINK_SPOOL] = &rc_spool_backend,
    [RC_SINK_TOPIC] = &rc_topic_backend,
};
#define N_BACKENDS (sizeof backends / sizeof backends[0])

const struct rc_sink_backend *rc_sink_backend_of(enum rc_sink_kind kind)
{
    return (unsigned)kind < N_BACKENDS ? backends[kind] : NULL;
}

int rc_sink_open(const struct rc_sinkspec *const *chains, size_t n, const struct rc_sink_ctx *ctx,
                 char *err, size_t errlen)
{
    for (size_t b = 0; b < N_BACKENDS; b++) {
        bool used = false;
        for (size_t i = 0; i < n && !used; i++)
            used = chains[i] && rc_sinkspec_has(chains[i], (enum rc_sink_kind)b);
        if (used && backends[b]->open && backends[b]->open(ctx, err, errlen) != 0)
            return -1;
    }
    return 0;
}

int rc_sink_store(const struct rc_sinkspec *chain, const struct rc_sink_ctx *ctx,
                  const struct rc_record *r, char *where, size_t cap, char *err, size_t errlen)
{
    int rc = -EINVAL;
    for (int i = 0; i < chain->n; i++) {
        const struct rc_sink_backend *b = rc_sink_backend_of(chain->v[i].kind);
        rc = b->write(&chain->v[i], ctx, r, where, cap, err, errlen);
        if (rc == 0)
            break;
        if (i + 1 < chain->n)
            rc_log(RC_LOG_WARN, "could not store msgId=%s in the %s sink (%s); trying the %s sink",
                   r->msg_id ? r->msg_id : "?", b->name, err,
                   rc_sink_backend_of(chain->v[i + 1].kind)->name);
    }
    return rc;
}

void rc_sink_close(const void *consumer)
{
    for (size_t b = 0; b < N_BACKENDS; b++)
        if (backends[b]->close)
            backends[b]->close(consumer);
}
