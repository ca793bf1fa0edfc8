/*
 * percall_scale.c - mode scale --fill M: M distinct failing messages
 * tracked, then a success, another failure, and the heap and RSS.
 */
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench/cbs.h"
#include "bench/percall.h"


static long rss_kb(void)
{
    FILE *f = fopen("/proc/self/status", "r");
    char line[256];
    long kb = -1;
    while (f && fgets(line, sizeof line, f))
        if (!strncmp(line, "VmRSS:", 6))
            kb = strtol(line + 6, NULL, 10);
    if (f)
        fclose(f);
    return kb;
}

int mode_scale(long fill, long calls)
{
    if (!shim_loaded)
        die("the shim is not preloaded");
    CMessageExt m;
    unsigned long acc = 0;
    fill_msg(&m, 0);
    /* warm the success path and the heap before the baseline */
    loop_fn = fn_ok;
    loop(cons_ok, &msg_one, 0, 1000);
    size_t heap0 = mallinfo2().uordblks;
    long rss0 = rss_kb();

    /* M distinct messages fail once each: the shim tracks up to TRACK_MAX */
    loop_fn = fn_later;
    double t0 = now_ns();
    for (long i = 0; i < fill; i++) {
        set_id(&m, (unsigned long long)i);
        acc += (unsigned)fn_later(cons_later, &m);
    }
    double fill_ns = (now_ns() - t0) / (double)(fill > 0 ? fill : 1);
    size_t heap1 = mallinfo2().uordblks;
    long rss1 = rss_kb();

    /* success of an untracked message while the table is not empty */
    loop_fn = fn_ok;
    t0 = now_ns();
    acc += loop(cons_ok, &msg_one, 0, calls);
    double ok_ns = (now_ns() - t0) / (double)calls;

    /* another failure of one of the RING most recent (so tracked) messages */
    long first = fill > RING ? fill - RING : 0;
    for (unsigned i = 0; i < RING; i++)
        set_id(&ring[i], (unsigned long long)(first + (long)(i % (fill > 0 ? fill : 1))));
    loop_fn = fn_later;
    long distinct = fill < RING ? (fill > 0 ? fill : 1) : RING;
    long multiplicity = (RING + distinct - 1) / distinct; /* copies of one id in the ring */
    long n = RING * 900L / multiplicity; /* at most ~900 failures per id: below the cap */
    if (calls / 10 < n)
        n = calls / 10 > 0 ? calls / 10 : 1;
    t0 = now_ns();
    acc += loop(cons_later, ring, RING - 1, n);
    double later_ns = (now_ns() - t0) / (double)n;

    printf("scale\t%ld\t%.1f\t%.3f\t%.3f\t%zu\t%ld\t%ld\n", fill, fill_ns, ok_ns, later_ns,
           heap1 - heap0, rss0, rss1);
    bench_sink += acc;
    return 0;
}

