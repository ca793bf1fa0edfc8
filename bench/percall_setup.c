/*
 * percall_setup.c - what the per-call driver calls: the fake messages, the
 * bare libffi closure (row b), the static thunk into the shim's handler
 * (row f, build/bench/percall_static), the consumers registered with the
 * fake client (wrapped by the shim when it is preloaded), the loop under
 * test, and the trial statistics.
 */
#include <ffi.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bench/cbs.h"
#include "bench/percall.h"

CPushConsumer *cons_ok, *cons_later, *cons_throw, *cons_mt;
deliver_fn fn_direct, fn_ffi, fn_ok, fn_later, fn_throw, fn_mt;
CMessageExt msg_one;
CMessageExt *ring;
int shim_loaded;

double now_ns(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec * 1e9 + (double)t.tv_nsec;
}

void die(const char *what)
{
    fprintf(stderr, "percall: %s\n", what);
    exit(2);
}

void set_id(CMessageExt *m, unsigned long long i)
{
    /* 32 hex digits, the shape of an offset msgId (host, port, commit log offset) */
    snprintf(m->id, sizeof m->id, "7F00000100002A9F%016llX", i);
}

void fill_msg(CMessageExt *m, unsigned long long i)
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
deliver_fn fn_thunk;


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

void setup(void)
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
volatile deliver_fn loop_fn;
unsigned long loop(CPushConsumer *c, CMessageExt *msgs, unsigned mask, long calls)
{
    unsigned long acc = 0;
    for (long i = 0; i < calls; i++)
        acc += (unsigned)loop_fn(c, &msgs[i & mask]);
    return acc;
}

unsigned long loop_catching(CPushConsumer *c, CMessageExt *msgs, unsigned mask, long calls)
{
    unsigned long acc = 0;
    for (long i = 0; i < calls; i++)
        acc += (unsigned)bench_call_catching(loop_fn, c, &msgs[i & mask]);
    return acc;
}

/* Make every ring message succeed once through fn: the shim forgets them. */
void reset_ring(CPushConsumer *c, deliver_fn fn)
{
    bench_later_status = 0;
    bench_throwing = 0;
    loop_fn = fn;
    loop(c, ring, RING - 1, RING);
    bench_later_status = 1;
    bench_throwing = 1;
}

/* ---- trial statistics ------------------------------------------------------- */

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

double minimum(const double *v, int n)
{
    double m = v[0];
    for (int i = 1; i < n; i++)
        if (v[i] < m)
            m = v[i];
    return m;
}

double median(double *v, int n)
{
    qsort(v, (size_t)n, sizeof *v, cmp_double);
    return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

