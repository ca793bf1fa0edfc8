/*
 * count.h - the counters of build/bench/libcount.so (bench/count.c).
 */
#ifndef RECONSUME_BENCH_COUNT_H
#define RECONSUME_BENCH_COUNT_H

struct bench_count {
    int on;               /* count only while set */
    unsigned long allocs; /* malloc, calloc, realloc, memalign, aligned_alloc, posix_memalign */
    unsigned long frees;  /* free of a non-NULL pointer */
    unsigned long locks;  /* pthread_mutex_lock/trylock, pthread_rwlock_rdlock/wrlock */
};

typedef struct bench_count *(*bench_count_state_fn)(void);

#endif
