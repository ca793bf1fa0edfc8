/*
 * percall_time.c - mode time: every row's ns per call, the rows interleaved
 * and rotated from trial to trial; with --threads, rows b2 and c2.
 */
#include <pthread.h>
#include <stdio.h>

#include "bench/cbs.h"
#include "bench/percall.h"

/* ---- two threads at once (b2, c2) ------------------------------------------ */

struct mt_arg {
    deliver_fn fn;
    long calls;
    pthread_barrier_t *bar;
    double ns;
};

static void *mt_body(void *p)
{
    struct mt_arg *a = p;
    CMessageExt m;
    fill_msg(&m, 0xBEEF);
    unsigned long acc = 0;
    pthread_barrier_wait(a->bar);
    double t0 = now_ns();
    for (long i = 0; i < a->calls; i++)
        acc += (unsigned)a->fn(cons_ok, &m);
    a->ns = (now_ns() - t0) / (double)a->calls;
    bench_sink += acc;
    return NULL;
}

static double trial_mt(deliver_fn fn, long calls)
{
    pthread_barrier_t bar;
    pthread_barrier_init(&bar, NULL, 2);
    struct mt_arg a[2] = {{fn, calls, &bar, 0}, {fn, calls, &bar, 0}};
    pthread_t t[2];
    for (int i = 0; i < 2; i++)
        if (pthread_create(&t[i], NULL, mt_body, &a[i]) != 0)
            die("pthread_create failed");
    for (int i = 0; i < 2; i++)
        pthread_join(t[i], NULL);
    pthread_barrier_destroy(&bar);
    return (a[0].ns + a[1].ns) / 2;
}


/* ---- mode time ---------------------------------------------------------------- */

int mode_time(int trials, long calls, int threads)
{
    static double v[R_COUNT][1000], mt[2][1000];
    unsigned long acc = 0;
    if (trials > 1000)
        trials = 1000;
    /* warm-up: lazy binding, caches, the table's first buckets */
    for (int r = 0; r < R_COUNT; r++)
        trial((enum row)r, calls_for((enum row)r, calls) / 10 + 1, &acc);
    for (int t = 0; t < trials; t++) {
        /* rotate the order, so drift over the run does not favour a row */
        for (int k = 0; k < R_COUNT; k++) {
            enum row r = (enum row)((k + t) % R_COUNT);
            v[r][t] = trial(r, calls_for(r, calls), &acc);
        }
        if (threads) {
            mt[0][t] = trial_mt(fn_ffi, calls);
            mt[1][t] = trial_mt(fn_ok, calls);
        }
    }
    printf("shim_loaded\t%d\n", shim_loaded);
    printf("trials\t%d\n", trials);
    for (int r = 0; r < R_COUNT; r++) {
        if (v[r][0] < 0)
            continue;
        double mn = minimum(v[r], trials);
        printf("row\t%s\t%ld\t%.3f\t%.3f\n", row_name[r], calls_for((enum row)r, calls),
               median(v[r], trials), mn);
    }
    if (threads) {
        double mn0 = minimum(mt[0], trials), mn1 = minimum(mt[1], trials);
        printf("row\tb2\t%ld\t%.3f\t%.3f\n", calls, median(mt[0], trials), mn0);
        printf("row\tc2\t%ld\t%.3f\t%.3f\n", calls, median(mt[1], trials), mn1);
    }
    bench_sink += acc;
    return 0;
}

