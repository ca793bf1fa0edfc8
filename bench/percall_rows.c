/*
 * percall_rows.c - rows a .. ct (see percall.c): one trial of a row, and
 * how many calls a row makes; shared by modes time and callgrind.
 */
#include "bench/cbs.h"
#include "bench/percall.h"

const char *row_name[R_COUNT] = {"a", "b", "c", "d", "e", "e0", "f", "ct"};

/* Row ct's other message: one failure of ring[0] makes the shim track it
 * (on), one success forgets it (off). */
void track_other(int on)
{
    bench_later_status = on;
    (void)fn_later(cons_later, &ring[0]);
    bench_later_status = 1;
}

/* One trial of one row: ns per call, or -1 when the row cannot run. */
double trial(enum row r, long calls, unsigned long *acc)
{
    double t0, t1;
    switch (r) {
    case R_A:
    case R_B:
    case R_C:
    case R_F:
        if (r == R_F && !fn_thunk)
            return -1;
        loop_fn = r == R_A ? fn_direct : r == R_B ? fn_ffi : r == R_F ? fn_thunk : fn_ok;
        t0 = now_ns();
        *acc += loop(cons_ok, &msg_one, 0, calls);
        t1 = now_ns();
        break;
    case R_D:
        if (!shim_loaded)
            return -1;
        loop_fn = fn_later;
        t0 = now_ns();
        *acc += loop(cons_later, ring, RING - 1, calls);
        t1 = now_ns();
        reset_ring(cons_later, fn_later);
        break;
    case R_E:
        if (!shim_loaded)
            return -1;
        loop_fn = fn_throw;
        t0 = now_ns();
        *acc += loop(cons_throw, ring, RING - 1, calls);
        t1 = now_ns();
        reset_ring(cons_throw, fn_throw);
        break;
    case R_E0:
        loop_fn = bench_cb_throw;
        t0 = now_ns();
        *acc += loop_catching(cons_throw, ring, RING - 1, calls);
        t1 = now_ns();
        break;
    case R_CT:
        if (!shim_loaded)
            return -1;
        track_other(1);
        loop_fn = fn_ok;
        t0 = now_ns();
        *acc += loop(cons_ok, &msg_one, 0, calls);
        t1 = now_ns();
        track_other(0);
        break;
    default:
        return -1;
    }
    return (t1 - t0) / (double)calls;
}


long calls_for(enum row r, long calls)
{
    /* below the cap: at most 1000 failures per ring message per trial */
    if (r == R_D && calls > (long)RING * 1000)
        return (long)RING * 1000;
    if (r == R_E || r == R_E0)
        return calls / 10 > 0 ? calls / 10 : 1; /* a throw costs microseconds */
    return calls;
}

