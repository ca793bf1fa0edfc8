/*
 * percall.c - the per-call benchmark driver (build/bench/percall).
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
#include <errno.h>
#include <dlfcn.h>
#include <ffi.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <malloc.h>
#include <pthread.h>
#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <ucontext.h>
#include <unistd.h>
#include <valgrind/callgrind.h>

#include "bench/cbs.h"
#include "bench/count.h"
#include "bench/fakeclient.h"
#ifdef BENCH_STATIC_SHIM
/* hooks/closure.h, declared here: its client/api.h and this driver's
 * tests/capi/rocketmq_c.h each declare the client's types. */
#include <stdbool.h>
struct rc_registration;
struct rc_registration *rc_closure_wrap(CPushConsumer *c, int (*cb)(CPushConsumer *, CMessageExt *),
                                        bool orderly);
void rc_closure_call(struct rc_registration *reg, void *ret, void **args);
#include "state/attempts.h"
#endif

#define RING 1024 /* distinct messages the failure rows cycle over */

typedef int (*deliver_fn)(CPushConsumer *, CMessageExt *);

static CPushConsumer *cons_ok, *cons_later, *cons_throw, *cons_mt;
static deliver_fn fn_direct, fn_ffi, fn_ok, fn_later, fn_throw, fn_mt;
static CMessageExt msg_one; /* the success rows' message */
static CMessageExt *ring;   /* RING messages with distinct ids */

static double now_ns(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec * 1e9 + (double)t.tv_nsec;
}

static void die(const char *what)
{
    fprintf(stderr, "percall: %s\n", what);
    exit(2);
}

static void set_id(CMessageExt *m, unsigned long long i)
{
    /* 32 hex digits, the shape of an offset msgId (host, port, commit log offset) */
    snprintf(m->id, sizeof m->id, "7F00000100002A9F%016llX", i);
}

static void fill_msg(CMessageExt *m, unsigned long long i)
{
    memset(m, 0, sizeof *m);
    set_id(m, i);
    m->topic = "BenchTopic";
    m->tags = "TagA";
    m->keys = "key";
    m->body = "hello";
    m->body_len = 5;
    m->queue = (int)(i % 4);
    m->offset = (long long)i;
}

/* ---- (b): the bare libffi closure, the design's floor ---------------------- */

struct bare {
    deliver_fn cb;
};
static struct bare bare_user;
static ffi_cif bare_cif;
static ffi_type *bare_args[2];

static void bare_handler(ffi_cif *cif, void *ret, void **args, void *user)
{
    (void)cif;
    const struct bare *b = user;
    *(ffi_sarg *)ret = b->cb(*(CPushConsumer **)args[0], *(CMessageExt **)args[1]);
}

static deliver_fn make_bare_closure(deliver_fn cb)
{
    bare_args[0] = &ffi_type_pointer;
    bare_args[1] = &ffi_type_pointer;
    if (ffi_prep_cif(&bare_cif, FFI_DEFAULT_ABI, 2, &ffi_type_sint, bare_args) != FFI_OK)
        die("ffi_prep_cif failed");
    void *code = NULL;
    ffi_closure *cl = ffi_closure_alloc(sizeof(ffi_closure), &code);
    if (!cl)
        die("ffi_closure_alloc failed");
    bare_user.cb = cb;
    if (ffi_prep_closure_loc(cl, &bare_cif, bare_handler, &bare_user, code) != FFI_OK)
        die("ffi_prep_closure_loc failed");
    deliver_fn f;
    memcpy(&f, &code, sizeof f);
    return f;
}

/* ---- (f): a static thunk into the shim's handler, no libffi ---------------- */

#ifdef BENCH_STATIC_SHIM
static struct rc_registration *thunk_reg;

/* What one slot of a fixed pool of compiled entry points would be. */
static int thunk_ok(CPushConsumer *c, CMessageExt *m)
{
    ffi_sarg ret;
    void *args[2] = {&c, &m};
    rc_closure_call(thunk_reg, &ret, args);
    return (int)ret;
}
#endif
static deliver_fn fn_thunk;

/* ---- set-up ---------------------------------------------------------------- */

static CPushConsumer *consumer(const char *group, deliver_fn cb, deliver_fn *wrapped)
{
    CPushConsumer *c = CreatePushConsumer(group);
    if (!c)
        die("CreatePushConsumer failed");
    SetPushConsumerMessageModel(c, CLUSTERING);
    if (RegisterMessageCallback(c, cb) != 0)
        die("RegisterMessageCallback failed");
    *wrapped = fake_registered(c);
    return c;
}

static int shim_loaded;

/* Row dN's callback: reconsume later while mt_status is 1; it reads one
 * read-mostly word on a line of its own and writes only its thread's. */
static struct {
    _Alignas(64) volatile int v;
    char pad[60];
} mt_status = {1, {0}};
static __thread volatile unsigned long mt_sink;

static int cb_later_mt(CPushConsumer *c, CMessageExt *m)
{
    (void)c;
    (void)m;
    mt_sink = mt_sink + 1;
    return mt_status.v;
}

static void setup(void)
{
    fn_direct = bench_cb_ok;
    fn_ffi = make_bare_closure(bench_cb_ok);
    cons_ok = consumer("bench_ok", bench_cb_ok, &fn_ok);
    cons_later = consumer("bench_later", bench_cb_later, &fn_later);
    cons_throw = consumer("bench_throw", bench_cb_throw, &fn_throw);
    cons_mt = consumer("bench_later_mt", cb_later_mt, &fn_mt);
#ifdef BENCH_STATIC_SHIM
    CPushConsumer *ct = CreatePushConsumer("bench_thunk");
    if (!ct || !(thunk_reg = rc_closure_wrap(ct, bench_cb_ok, false)))
        die("rc_closure_wrap failed");
    fn_thunk = thunk_ok;
#endif
    shim_loaded = fn_ok != bench_cb_ok && fn_later != bench_cb_later && fn_throw != bench_cb_throw &&
                  fn_mt != cb_later_mt;
    fill_msg(&msg_one, 0xC0FFEE);
    ring = calloc(RING, sizeof *ring);
    if (!ring)
        die("out of memory");
    for (unsigned i = 0; i < RING; i++)
        fill_msg(&ring[i], 1000000000ull + i);
}

/* The loop under test, the same for every row. A volatile function pointer
 * keeps the compiler from seeing through the direct call. */
static volatile deliver_fn loop_fn;
static unsigned long loop(CPushConsumer *c, CMessageExt *msgs, unsigned mask, long calls)
{
    unsigned long acc = 0;
    for (long i = 0; i < calls; i++)
        acc += (unsigned)loop_fn(c, &msgs[i & mask]);
    return acc;
}

static unsigned long loop_catching(CPushConsumer *c, CMessageExt *msgs, unsigned mask, long calls)
{
    unsigned long acc = 0;
    for (long i = 0; i < calls; i++)
        acc += (unsigned)bench_call_catching(loop_fn, c, &msgs[i & mask]);
    return acc;
}

/* Make every ring message succeed once through fn: the shim forgets them. */
static void reset_ring(CPushConsumer *c, deliver_fn fn)
{
    bench_later_status = 0;
    bench_throwing = 0;
    loop_fn = fn;
    loop(c, ring, RING - 1, RING);
    bench_later_status = 1;
    bench_throwing = 1;
}

enum row { R_A, R_B, R_C, R_D, R_E, R_E0, R_F, R_CT, R_COUNT };
static const char *row_name[R_COUNT] = {"a", "b", "c", "d", "e", "e0", "f", "ct"};

/* Row ct's other message: one failure of ring[0] makes the shim track it
 * (on), one success forgets it (off). */
static void track_other(int on)
{
    bench_later_status = on;
    (void)fn_later(cons_later, &ring[0]);
    bench_later_status = 1;
}

/* One trial of one row: ns per call, or -1 when the row cannot run. */
static double trial(enum row r, long calls, unsigned long *acc)
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

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static double minimum(const double *v, int n)
{
    double m = v[0];
    for (int i = 1; i < n; i++)
        if (v[i] < m)
            m = v[i];
    return m;
}

static double median(double *v, int n)
{
    qsort(v, (size_t)n, sizeof *v, cmp_double);
    return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

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

/* ---- the failure path from N threads at once (rows dN) ------------------------ */

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

static int mode_mtfail(int trials, long calls, const char *list)
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

/* ---- modes ------------------------------------------------------------------- */

static long calls_for(enum row r, long calls)
{
    /* below the cap: at most 1000 failures per ring message per trial */
    if (r == R_D && calls > (long)RING * 1000)
        return (long)RING * 1000;
    if (r == R_E || r == R_E0)
        return calls / 10 > 0 ? calls / 10 : 1; /* a throw costs microseconds */
    return calls;
}

static int mode_time(int trials, long calls, int threads)
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

static int mode_callgrind(const char *name, long calls)
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

/* ---- scale: many distinct failing messages tracked -------------------------- */

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

static int mode_scale(long fill, long calls)
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

/* ---- check: no allocation, lock or system call per success-path call -------- */

struct shared {
    unsigned long sys;
    long last_nr;
    struct bench_count cnt;
    unsigned long accessors;
    int done;
};
static struct shared *sh;

static void on_sigsys(int sig, siginfo_t *si, void *uc_)
{
    (void)sig;
    ucontext_t *uc = uc_;
    sh->sys++;
    sh->last_nr = si->si_syscall;
    uc->uc_mcontext.gregs[REG_RAX] = -ENOSYS; /* skipped: we only count */
}

/* From here on every system call of this thread but rt_sigreturn and exit is
 * trapped (SIGSYS), counted and skipped. */
static int trap_syscalls(void)
{
    struct sock_filter f[] = {
        BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch)),
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, AUDIT_ARCH_X86_64, 1, 0),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
        BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_rt_sigreturn, 3, 0),
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_exit_group, 2, 0),
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_exit, 1, 0),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_TRAP),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
    };
    struct sock_fprog prog = {(unsigned short)(sizeof f / sizeof f[0]), f};
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = on_sigsys;
    sa.sa_flags = SA_SIGINFO;
    if (sigaction(SIGSYS, &sa, NULL) != 0)
        return -1;
    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0)
        return -1;
    return prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog);
}

enum probe { P_CANARY, P_SUCCESS, P_SUCCESS_TRACKED, P_LATER };

/* In a child: run one probe with everything counted, results in *sh. */
static int probe(enum probe p, long calls, struct bench_count *cnt)
{
    memset(sh, 0, sizeof *sh);
    fflush(stdout);
    pid_t pid = fork();
    if (pid < 0)
        die("fork failed");
    if (pid == 0) {
        unsigned long acc = 0;
        /* warm up outside the window: lazy binding, first-use set-up */
        loop_fn = p == P_LATER ? fn_later : fn_ok;
        loop(p == P_LATER ? cons_later : cons_ok, &msg_one, 0, 1000);
        if (p == P_LATER)
            reset_ring(cons_later, fn_later);
        if (p == P_SUCCESS_TRACKED) { /* one other message failing, tracked */
            loop_fn = fn_later;
            loop(cons_later, &ring[0], 0, 1);
        }
        loop_fn = p == P_LATER ? fn_later : fn_ok;
        /* Room on the heap first, so that a path that allocates is counted,
         * not starved: with brk trapped, malloc would fail (or worse). */
        mallopt(M_TOP_PAD, 64 << 20);
        mallopt(M_TRIM_THRESHOLD, 256 << 20);
        mallopt(M_MMAP_THRESHOLD, 32 << 20);
        void *volatile room = malloc(16 << 20);
        free(room);
        unsigned long acc0 = fake_accessor_calls();
        if (trap_syscalls() != 0)
            syscall(SYS_exit_group, 3);
        __atomic_store_n(&cnt->on, 1, __ATOMIC_SEQ_CST);
        if (p == P_CANARY) {
            for (long i = 0; i < calls; i++) { /* one of each per iteration */
                void *q = malloc(16 + (size_t)(i & 7));
                acc += (uintptr_t)q;
                free(q);
                pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
                pthread_mutex_lock(&mu);
                pthread_mutex_unlock(&mu);
                acc += (unsigned long)syscall(SYS_getppid);
            }
        } else if (p == P_LATER) {
            acc += loop(cons_later, ring, RING - 1, calls);
        } else {
            acc += loop(cons_ok, &msg_one, 0, calls);
        }
        __atomic_store_n(&cnt->on, 0, __ATOMIC_SEQ_CST);
        sh->cnt = *cnt;
        sh->accessors = fake_accessor_calls() - acc0;
        sh->done = 1;
        bench_sink += acc;
        syscall(SYS_exit_group, 0);
    }
    int st;
    if (waitpid(pid, &st, 0) != pid || !WIFEXITED(st) || WEXITSTATUS(st) != 0 || !sh->done) {
        fprintf(stderr, "percall: probe %d: %s %d, %lu system calls trapped (last nr %ld)\n", (int)p,
                WIFSIGNALED(st) ? "signal" : "exit status", WIFSIGNALED(st) ? WTERMSIG(st) : WEXITSTATUS(st),
                sh->sys, sh->last_nr);
        return -1;
    }
    return 0;
}

static int mode_check(long calls)
{
    bench_count_state_fn get = (bench_count_state_fn)(uintptr_t)dlsym(RTLD_DEFAULT, "bench_count_state");
    if (!get) {
        printf("check\tFAIL\tlibcount.so is not preloaded\n");
        return 1;
    }
    if (!shim_loaded) {
        printf("check\tFAIL\tthe shim is not preloaded (the callbacks were not wrapped)\n");
        return 1;
    }
    struct bench_count *cnt = get();
    sh = mmap(NULL, sizeof *sh, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (sh == MAP_FAILED)
        die("mmap failed");
    static const char *names[] = {"canary", "success", "success_one_tracked", "reconsume"};
    int fail = 0;
    const char *only = getenv("BENCH_PROBE"); /* debugging: run one probe */
    for (int p = 0; p <= P_LATER; p++) {
        if (only && atoi(only) != p)
            continue;
        long n = p == P_CANARY ? 1000 : p == P_LATER ? (calls < RING * 100L ? calls : RING * 100L) : calls;
        if (probe((enum probe)p, n, cnt) != 0) {
            printf("check\tFAIL\t%s: the probe process failed\n", names[p]);
            fail = 1;
            continue;
        }
        printf("probe\t%s\t%ld\t%lu\t%lu\t%lu\t%lu\t%lu\t%ld\n", names[p], n, sh->cnt.allocs,
               sh->cnt.frees, sh->cnt.locks, sh->sys, sh->accessors, sh->last_nr);
        if (p == P_CANARY) {
            /* the counters must see what is there, or a zero proves nothing */
            if (sh->cnt.allocs < (unsigned long)n || sh->cnt.frees < (unsigned long)n ||
                sh->cnt.locks < (unsigned long)n || sh->sys < (unsigned long)n) {
                printf("check\tFAIL\tcanary: the counters missed known calls\n");
                fail = 1;
            }
        } else if (p == P_LATER) {
            /* the shim's own calls must reach the counters: its table is locked here */
            if (sh->cnt.locks == 0 || sh->accessors == 0) {
                printf("check\tFAIL\treconsume: no lock seen where the shim takes one; the counters "
                       "do not see the shim's calls\n");
                fail = 1;
            }
        } else if (p == P_SUCCESS) {
            /* With RECONSUME_STATS a success is counted per topic: one read
             * of the topic from the client per call, and nothing else. */
            unsigned long accessors_allowed = getenv("RECONSUME_STATS") ? (unsigned long)n : 0;
            if (sh->cnt.allocs || sh->cnt.frees || sh->cnt.locks || sh->sys ||
                sh->accessors > accessors_allowed) {
                printf("check\tFAIL\tsuccess path: %lu allocations, %lu frees, %lu locks, %lu system calls "
                       "(last nr %ld), %lu accessor calls in %ld calls\n",
                       sh->cnt.allocs, sh->cnt.frees, sh->cnt.locks, sh->sys, sh->last_nr, sh->accessors, n);
                fail = 1;
            }
        }
    }
    if (!fail)
        printf("check\tPASS\tsuccess path: 0 allocations, 0 locks, 0 system calls in %ld calls\n", calls);
    return fail;
}

/* ---- main ------------------------------------------------------------------- */

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
