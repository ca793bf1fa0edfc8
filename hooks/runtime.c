/*
 * runtime.c - the one instance of the process-wide state (runtime.h).
 */
#include "hooks/runtime.h"

struct rc_runtime rc_rt;
