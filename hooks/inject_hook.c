#include "hooks/inject_hook.h"

#include "util/pause.h"

#include <errno.h>
#include <time.h>

/* The rule being carried out on this thread (initial-exec: no allocation). */
static __thread const struct rc_inject_rule *current __attribute__((tls_model("initial-exec")));

static int return_status(CPushConsumer *c, CMessageExt *m)
{
    (void)c;
    (void)m;
    return current->status;
}

const char *rc_inject_text(void)
{
    return current && current->text ? current->text : "reconsume: injected failure";
}

rc_callback_fn rc_inject_begin(const struct rc_inject_rule *r, rc_callback_fn app)
{
    current = r;
    switch (r->action) {
    case RC_INJ_RECONSUME:
    case RC_INJ_STATUS:
        return return_status;
    case RC_INJ_THROW:
        return rc_inject_throw;
    case RC_INJ_DELAY:
        rc_pause_ms(r->delay_ms);
        return app;
    }
    return app;
}
