/*
 * spool_backend.c - the spool (sink/spool.c) behind the sink interface.
 */
#include <limits.h>
#include <stdio.h>

#include "io/xfsz.h"
#include "sink/sink.h"
#include "sink/spool.h"

static int spool_open(const struct rc_sink_ctx *ctx, char *err, size_t errlen)
{
    return rc_spool_prepare(ctx->spool_dir, err, errlen);
}

/* Written with SIGXFSZ held off (io/xfsz.h): past RLIMIT_FSIZE the write
 * fails with EFBIG (reported, not acknowledged) instead of ending the host. */
static int spool_write(const struct rc_sink *k, const struct rc_sink_ctx *ctx,
                       const struct rc_record *r, char *where, size_t cap, char *err, size_t errlen)
{
    (void)k;
    char name[512];
    struct rc_xfsz hold;
    rc_xfsz_hold(&hold);
    int rc = rc_spool_write(ctx->spool_dir, r, name, sizeof name, err, errlen);
    rc_xfsz_release(&hold);
    if (rc == 0)
        snprintf(where, cap, "%s/new/%s", ctx->spool_dir, name);
    return rc;
}

const struct rc_sink_backend rc_spool_backend = {
    .name = "spool",
    .open = spool_open,
    .write = spool_write,
    .close = NULL,
};
