/*
 * percall_callgrind.c - mode callgrind ROW: one row's loop only, between
 * CALLGRIND_START/STOP_INSTRUMENTATION (bench.py divides the total by the
 * calls printed).
 */
#include <stdio.h>
#include <string.h>
#include <valgrind/callgrind.h>

#include "bench/cbs.h"
#include "bench/percall.h"

int mode_callgrind(const char *name, long calls)
{
    enum row r = R_COUNT;
    for (int i = 0; i < R_COUNT; i++)
        if (!strcmp(name, row_name[i]))
            r = (enum row)i;
    if (r == R_COUNT)
        die("unknown row");
    if ((r == R_C || r == R_D || r == R_E || r == R_CT) && !shim_loaded)
        die("the shim is not preloaded");
    if (r == R_F && !fn_thunk)
        die("row f needs build/bench/percall_static");
    unsigned long acc = 0;
    long n = calls_for(r, calls);
    trial(r, 1000 < n ? 1000 : n, &acc); /* warm-up (and reset) outside the count */
    switch (r) {
    case R_A: loop_fn = fn_direct; break;
    case R_B: loop_fn = fn_ffi; break;
    case R_C: loop_fn = fn_ok; break;
    case R_D: loop_fn = fn_later; break;
    case R_E: loop_fn = fn_throw; break;
    case R_F: loop_fn = fn_thunk; break;
    case R_CT: loop_fn = fn_ok; track_other(1); break;
    default: loop_fn = bench_cb_throw; break;
    }
    int failing = r == R_D || r == R_E || r == R_E0;
    CPushConsumer *c = r == R_D ? cons_later : failing ? cons_throw : cons_ok;
    CMessageExt *msgs = failing ? ring : &msg_one;
    unsigned mask = failing ? RING - 1 : 0;
    CALLGRIND_START_INSTRUMENTATION;
    acc += r == R_E0 ? loop_catching(c, msgs, mask, n) : loop(c, msgs, mask, n);
    CALLGRIND_STOP_INSTRUMENTATION;
    printf("callgrind\t%s\t%ld\n", row_name[r], n);
    bench_sink += acc;
    return 0;
}

