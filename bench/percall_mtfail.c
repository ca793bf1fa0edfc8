/*
 * percall_mtfail.c - mode mtfail: the failure path from N threads at once
 * (rows sN, dN, and tN in build/bench/percall_static; see percall.c).
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <time.h>

#include "bench/cbs.h"
#include "bench/percall.h"

/* Row dN's callback: reconsume later while mt_status is 1; it reads one
 * read-mostly word on a line of its own and writes only its thread's. */
static struct {
    _Alignas(64) volatile int v;
    char pad[60];
} mt_status = {1, {0}};
static __thread volatile unsigned long mt_sink;

int cb_later_mt(CPushConsumer *c, CMessageExt *m)
{
    (void)c;
    (void)m;
    mt_sink = mt_sink + 1;
    return mt_status.v;
}

#define MT_MAX 64
static CMessageExt *mt_rings; /* the RING messages, split between the threads */
#ifdef BENCH_STATIC_SHIM
#define BENCH_HAS_TABLE 1
#else
#define BENCH_HAS_TABLE 0
#endif


struct mtf_arg {
    CMessageExt *ring;
    long len; /* messages in this thread's share */
    long calls;
    pthread_barrier_t *bar;
    double start, end, cpu;
};

static double thread_cpu_ns(void)
{
    struct timespec t;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
    return (double)t.tv_sec * 1e9 + (double)t.tv_nsec;
}

#ifdef BENCH_STATIC_SHIM
static struct rc_attempts *mt_table; /* rows tN: the table alone */
#endif
static int mt_spin; /* rows sN: share-nothing work, what the machine gives N threads now */

static void *mtf_body(void *p)
{
    struct mtf_arg *a = p;
    unsigned long acc = 0;
    pthread_barrier_wait(a->bar);
    a->start = now_ns();
    double c0 = thread_cpu_ns();
    if (mt_spin) {
        for (long i = 0; i < a->calls; i++)
            for (int k = 0; k < 32; k++)
                mt_sink = mt_sink + (unsigned)k;
    } else
#ifdef BENCH_STATIC_SHIM
    if (mt_table) {
        for (long i = 0, j = 0; i < a->calls; i++, j = j + 1 == a->len ? 0 : j + 1)
            acc += (unsigned)rc_attempts_bump(mt_table, cons_mt, a->ring[j].id);
    } else
#endif
    {
        for (long i = 0, j = 0; i < a->calls; i++, j = j + 1 == a->len ? 0 : j + 1)
            acc += (unsigned)fn_mt(cons_mt, &a->ring[j]);
    }
    a->end = now_ns();
    a->cpu = thread_cpu_ns() - c0;
    bench_sink += acc;
    return NULL;
}

static long csw_now(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return ru.ru_nvcsw + ru.ru_nivcsw;
}

/* One trial: whole-process ns per call with n threads; *csw gets the context
 * switches of the trial (lock waits show there), *cpu the threads' CPU time
 * per call (cache lines moving between cores show there, whatever else
 * shares the machine). */
static double trial_mtfail(int n, long calls, long *csw, double *cpu)
{
    pthread_barrier_t bar;
    struct mtf_arg a[MT_MAX];
    pthread_t th[MT_MAX];
    long per = calls / n;
    pthread_barrier_init(&bar, NULL, (unsigned)n + 1);
    for (int i = 0; i < n; i++) {
        a[i] = (struct mtf_arg){mt_rings + (size_t)i * RING / (size_t)n, RING / n, per, &bar, 0, 0, 0};
        if (pthread_create(&th[i], NULL, mtf_body, &a[i]) != 0)
            die("pthread_create failed");
    }
    long c0 = csw_now();
    pthread_barrier_wait(&bar);
    /* from the first thread's start to the last one's end (this thread may
     * not run again until they are done) */
    double t0 = 0, end = 0;
    *cpu = 0;
    for (int i = 0; i < n; i++) {
        pthread_join(th[i], NULL);
        if (i == 0 || a[i].start < t0)
            t0 = a[i].start;
        if (a[i].end > end)
            end = a[i].end;
        *cpu += a[i].cpu;
    }
    *cpu /= (double)(per * n);
    *csw = csw_now() - c0;
    pthread_barrier_destroy(&bar);
#ifdef BENCH_STATIC_SHIM
    if (mt_table) {
        for (size_t i = 0; i < RING; i++)
            rc_attempts_forget(mt_table, cons_mt, mt_rings[i].id);
        return (end - t0) / (double)(per * n);
    }
#endif
    /* every ring message succeeds once: the shim forgets them */
    mt_status.v = 0;
    for (unsigned k = 0; k < RING; k++)
        (void)fn_mt(cons_mt, &mt_rings[k]);
    mt_status.v = 1;
    return (end - t0) / (double)(per * n);
}

int mode_mtfail(int trials, long calls, const char *list)
{
    int ns[16], k = 0;
    for (const char *p = list; *p && k < 16;) {
        char *end;
        long v = strtol(p, &end, 10);
        if (end == p || v < 1 || v > MT_MAX || RING % v)
            die("bad --threads-list (each a divisor of 1024, at most 64)");
        ns[k++] = (int)v;
        p = *end == ',' ? end + 1 : end;
    }
    if (trials > 1000)
        trials = 1000;
    /* below the cap: at most ~900 failures per ring message per trial */
    if (calls > (long)RING * 900)
        calls = (long)RING * 900;
    mt_rings = calloc(RING, sizeof *mt_rings);
    if (!mt_rings)
        die("out of memory");
    for (size_t i = 0; i < RING; i++)
        fill_msg(&mt_rings[i], 2000000000ull + i);
    static double v[16][1000], cpu[16][1000];
    static long sw[16][1000];
    /* rows sN (share-nothing work: the parallelism the machine gives this
     * process now), dN through the shim's closure when it is loaded, tN (the
     * table alone) in the static build */
    for (int pass = -1; pass < 2; pass++) {
        const char *tag = pass < 0 ? "mtspin" : pass == 0 ? "mtfail" : "mttable";
        mt_spin = pass < 0;
        if (pass == 0 && !shim_loaded)
            continue;
#ifdef BENCH_STATIC_SHIM
        if (pass == 1 && !(mt_table = rc_attempts_new(65536)))
            die("rc_attempts_new failed");
#endif
        if (pass == 1 && !BENCH_HAS_TABLE)
            continue;
        for (int j = 0; j < k; j++) /* warm-up */
            trial_mtfail(ns[j], calls / 10 + ns[j], &sw[j][0], &cpu[j][0]);
        for (int t = 0; t < trials; t++)
            for (int j = 0; j < k; j++) { /* rotated, as in mode time */
                int r = (j + t) % k;
                v[r][t] = trial_mtfail(ns[r], calls, &sw[r][t], &cpu[r][t]);
            }
        for (int j = 0; j < k; j++) {
            double csw = 0;
            for (int t = 0; t < trials; t++)
                csw += (double)sw[j][t];
            double mn = minimum(v[j], trials), md = median(v[j], trials);
            printf("%s\t%d\t%ld\t%.3f\t%.3f\t%.2f\t%.3f\n", tag, ns[j], calls / ns[j] * ns[j], md, mn,
                   csw / trials * 1000.0 / (double)calls, median(cpu[j], trials));
        }
    }
    printf("trials\t%d\n", trials);
    return 0;
}

