#include "policy/outcome.h"

const char *rc_outcome_name(enum rc_outcome o)
{
    static const char *const names[RC_OUT_COUNT] = {
        [RC_OUT_SUCCESS] = "success",     [RC_OUT_RECONSUME] = "reconsume",
        [RC_OUT_BAD_STATUS] = "bad_status", [RC_OUT_EXCEPTION] = "exception",
        [RC_OUT_SIGNAL] = "signal",       [RC_OUT_CRASH_LOOP] = "crash_loop",
    };
    return (unsigned)o < RC_OUT_COUNT ? names[o] : "unknown";
}
