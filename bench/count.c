/*
 * count.c - build/bench/libcount.so: counts allocations and lock
 * acquisitions, for bench-check only.
 *
 * Preloaded ahead of the shim (LD_PRELOAD="libcount.so libreconsume.so"), so
 * that every call the shim, libffi or libstdc++ makes to these functions comes
 * here first. Each forwards to glibc's own entry (__libc_malloc, the
 * versioned __pthread_mutex_lock, ...) without dlsym, so nothing here
 * allocates or locks by itself. Counting is off until the driver switches it
 * on around the loop under test (bench_count_state(), found with dlsym).
 *
 * Not used for the timings: an interposed malloc would tax the failure paths.
 */
#include <errno.h>
#include <pthread.h>
#include <stddef.h>
#include <string.h>

#include "bench/count.h"

#define EXPORT __attribute__((visibility("default")))

static struct bench_count state;

EXPORT struct bench_count *bench_count_state(void) { return &state; }

#define HIT(field)                                                             \
    do {                                                                       \
        if (__atomic_load_n(&state.on, __ATOMIC_RELAXED))                      \
            __atomic_fetch_add(&state.field, 1, __ATOMIC_RELAXED);             \
    } while (0)

void *__libc_malloc(size_t);
void *__libc_calloc(size_t, size_t);
void *__libc_realloc(void *, size_t);
void *__libc_memalign(size_t, size_t);
void __libc_free(void *);

EXPORT void *malloc(size_t n)
{
    HIT(allocs);
    return __libc_malloc(n);
}
EXPORT void *calloc(size_t a, size_t b)
{
    HIT(allocs);
    return __libc_calloc(a, b);
}
EXPORT void *realloc(void *p, size_t n)
{
    HIT(allocs);
    return __libc_realloc(p, n);
}
EXPORT void *memalign(size_t a, size_t n)
{
    HIT(allocs);
    return __libc_memalign(a, n);
}
EXPORT void *aligned_alloc(size_t a, size_t n)
{
    HIT(allocs);
    return __libc_memalign(a, n);
}
EXPORT int posix_memalign(void **out, size_t a, size_t n)
{
    HIT(allocs);
    if (a < sizeof(void *) || (a & (a - 1)))
        return EINVAL;
    void *p = __libc_memalign(a, n);
    if (!p)
        return ENOMEM;
    *out = p;
    return 0;
}
EXPORT void free(void *p)
{
    if (p)
        HIT(frees);
    __libc_free(p);
}

/* glibc's implementations under their GLIBC_2.2.5 alias names. */
int real_mutex_lock(pthread_mutex_t *);
int real_mutex_trylock(pthread_mutex_t *);
int real_rwlock_rdlock(pthread_rwlock_t *);
int real_rwlock_wrlock(pthread_rwlock_t *);
__asm__(".symver real_mutex_lock, __pthread_mutex_lock@GLIBC_2.2.5");
__asm__(".symver real_mutex_trylock, __pthread_mutex_trylock@GLIBC_2.2.5");
__asm__(".symver real_rwlock_rdlock, __pthread_rwlock_rdlock@GLIBC_2.2.5");
__asm__(".symver real_rwlock_wrlock, __pthread_rwlock_wrlock@GLIBC_2.2.5");

EXPORT int pthread_mutex_lock(pthread_mutex_t *m)
{
    HIT(locks);
    return real_mutex_lock(m);
}
EXPORT int pthread_mutex_trylock(pthread_mutex_t *m)
{
    HIT(locks);
    return real_mutex_trylock(m);
}
EXPORT int pthread_rwlock_rdlock(pthread_rwlock_t *l)
{
    HIT(locks);
    return real_rwlock_rdlock(l);
}
EXPORT int pthread_rwlock_wrlock(pthread_rwlock_t *l)
{
    HIT(locks);
    return real_rwlock_wrlock(l);
}
