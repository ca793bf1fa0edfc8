/*
 * percall.c - the per-call benchmark driver (build/bench/percall): its
 * options and modes. Each mode is a file of its own (percall_<mode>.c),
 * over percall_setup.c (what is called, the loop) and percall_rows.c.
 *
 * Linked against the fake client (bench/fakeclient.c) and run with the shim
 * preloaded (LD_PRELOAD=build/libreconsume.so). It registers the callbacks of
 * bench/cbs.cc on fake consumers; with the shim loaded the fake client is
 * handed the shim's libffi closure, which the driver then calls in a tight
 * loop, exactly as a client consume thread would call the callback.
 *
 *   percall time [--trials T] [--calls N]   per-call ns, every row, T trials
 *   percall callgrind ROW [--calls N]       one row's loop only, between
 *                                           CALLGRIND_START/STOP_INSTRUMENTATION
 *   percall scale --fill M [--calls N]      M distinct failing messages tracked,
 *                                           then per-call ns and heap/RSS
 *   percall check [--calls N]               no allocation, lock or system call
 *                                           per success-path call (exit 1 if any)
 *   percall mtfail [--trials T] [--calls N] [--threads-list 1,2,16]
 *                                           row dN: the failure path (d) from N
 *                                           threads at once, whole-process throughput
 *
 * Rows (the letters of issue 6):
 *   a   direct call of the callback (through a function pointer)
 *   b   a bare libffi closure (same cif: sint(pointer, pointer)) calling it
 *   c   the shim, success path
 *   d   the shim, reconsume-later below the cap (ids cycle over 1024 messages,
 *       RECONSUME_MAX_RETRIES=1000 keeps each below its cap; reset between trials)
 *   e   the shim, C++ exception escaping the callback (caught, reconsume later)
 *   e0  the exception floor: the throwing callback called in try/catch, no shim
 *   b2, c2  b and c with two threads delivering at once (ns per call per thread)
 *   dN  (mode mtfail) d from N threads at once: the same 1024 failing ids as
 *       d, split evenly, each thread cycling over its 1024/N (below the cap,
 *       reset between trials), so that the working set does not grow with N
 *       and only the sharing between threads changes; the figure is the whole
 *       process's: wall time from the common start to the last thread's end,
 *       divided by all threads' calls together. Not pinned. The callback is
 *       percall's own (cb_later_mt), which writes nothing shared, so that what
 *       is shared between the threads is the shim's (and the fake client's
 *       accessor counter, the same for every build).
 *   sN  (mode mtfail) share-nothing work from N threads (a thread-local loop
 *       of about the cost of d per "call"): the parallelism the machine gives
 *       the process in this run, the ceiling for dN and tN
 *   tN  (mode mtfail, only in build/bench/percall_static) the attempt table
 *       alone from N threads: rc_attempts_bump of the thread's share of the 1024
 *       ids on a table of the default bound (65536), the same loop without the closure,
 *       the hooks or the statistics
 *   ct  c while another message is tracked (ring[0] failed once): the success
 *       of an untracked message must make sure it is not tracked (issue 16:
 *       at most 2 x c)
 *   f   only in build/bench/percall_static (the shim's objects linked into the
 *       driver, -DBENCH_STATIC_SHIM): the shim's own handler (rc_closure_call),
 *       reached from a static C thunk instead of a libffi closure; the
 *       alternative to libffi, measured side by side with c in one process
 *
 * Output: tab-separated "key<TAB>value..." lines on stdout, read by bench/bench.py.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench/percall.h"

int main(int argc, char **argv)
{
    if (argc < 2)
        die("usage: percall time|callgrind ROW|scale|check|mtfail [--trials T] [--calls N] [--fill M] "
            "[--threads] [--threads-list 1,2,16]");
    const char *mode = argv[1];
    const char *rowarg = NULL, *tlist = "1,2,16";
    int trials = 15, threads = 0;
    long calls = 1000000, fill = 1000;
    for (int i = 2; i < argc; i++) {
        if (!strcmp(argv[i], "--threads")) {
            threads = 1;
            continue;
        }
        if (argv[i][0] != '-') {
            rowarg = argv[i];
            continue;
        }
        if (i + 1 >= argc)
            die("missing value");
        if (!strcmp(argv[i], "--trials"))
            trials = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--calls"))
            calls = atol(argv[++i]);
        else if (!strcmp(argv[i], "--fill"))
            fill = atol(argv[++i]);
        else if (!strcmp(argv[i], "--threads-list"))
            tlist = argv[++i];
        else
            die("unknown option");
    }
    if (trials < 1 || calls < 1 || fill < 0)
        die("bad number");
    setup();
    /* The failure rows cycle 1024 messages up to ~1000 failures each: with a
     * lower cap they would be diverted (spool writes), not reconsumed. */
    const char *mr = getenv("RECONSUME_MAX_RETRIES");
    if (shim_loaded && strcmp(mode, "check") && (!mr || atoi(mr) < 1000))
        die("run with RECONSUME_MAX_RETRIES=1000 (the failure rows must stay below the cap)");
    if (!strcmp(mode, "time"))
        return mode_time(trials, calls, threads);
    if (!strcmp(mode, "callgrind"))
        return mode_callgrind(rowarg ? rowarg : "a", calls);
    if (!strcmp(mode, "scale"))
        return mode_scale(fill, calls);
    if (!strcmp(mode, "check"))
        return mode_check(calls);
    if (!strcmp(mode, "mtfail"))
        return mode_mtfail(trials, calls, tlist);
    die("unknown mode");
    return 2;
}
