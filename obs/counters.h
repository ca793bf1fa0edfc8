/*
 * counters.h - the process-wide counters (obs/counters.c).
 *
 * Every counter of struct rc_stats is kept per thread, single-writer: a
 * thread that counts claims, once, an index of its own (obs/thread_slot.h)
 * and from then on adds to its own copy of the struct (rc_stats_local[ix-1],
 * found through one initial-exec thread-local pointer) with a plain load and
 * store, no lock prefix. Threads on different cores never write one line,
 * so a failure storm from many consume threads does not bounce the counters'
 * lines between the cores. The struct rc_stats itself is the shared entry:
 * the threads beyond RC_THREAD_SLOTS add to it atomically.
 *
 * Callers name a counter by its place in rc_stats (rc_count(&rc_stats.x));
 * rc_count adds to this thread's copy at the same offset, and readers
 * (rc_counter_get(&rc_stats.x)) sum the shared entry and every claimed copy.
 * A counter outside rc_stats (say, a detail slot's) is added atomically and
 * read as it is.
 */
#ifndef RECONSUME_OBS_COUNTERS_H
#define RECONSUME_OBS_COUNTERS_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include "obs/thread_slot.h"
#include "policy/inject.h"
#include "policy/outcome.h"

#define RC_INJ_ACTIONS 4

struct rc_stats {
    atomic_ulong deliveries[RC_OUT_COUNT]; /* real callback calls, by outcome */
    atomic_ulong injected[RC_OUT_COUNT];   /* calls with an injected fault, by outcome */
    atomic_ulong injected_faults[RC_INJ_ACTIONS]; /* by action */
    atomic_ulong crash_loops;
    atomic_ulong timeouts;
    atomic_ulong diverted;
    atomic_ulong divert_failures;
    atomic_ulong track_evictions;   /* the shim's own counts: entries evicted at the bound */
    atomic_ulong track_refused;     /* failures it could not track (id too long, table full) */
    atomic_ulong inprocess_retries; /* broadcasting: extra calls made by the shim */
    atomic_ulong backoff_pauses;    /* pauses of RECONSUME_BACKOFF (or a rule's) taken */
    atomic_ulong backoff_pause_ms;  /* and their sum, in ms */
    atomic_ulong retry_copies;      /* RECONSUME_RETRY=copy: copies the broker confirmed */
    atomic_ulong retry_copy_failures; /* copies not confirmed (the client's reconsume later) */
    atomic_ulong signal_recoveries;
    atomic_ulong would_divert;      /* observe mode */
    atomic_ulong registrations;
    atomic_ulong passthrough_registrations;
} __attribute__((aligned(64))); /* one copy per thread: whole lines, none shared */

/* The shared entry (and the name every counter is known by). */
extern struct rc_stats rc_stats;

/* Thread index i's own copy is rc_stats_local[i - 1]. */
extern struct rc_stats rc_stats_local[RC_THREAD_SLOTS] __attribute__((visibility("hidden")));

/* This thread's own copy, once it has one (set by rc_count_slow); NULL until
 * then, and for ever for a thread that found no index left. */
extern __thread struct rc_stats *rc_stats_mine
    __attribute__((tls_model("initial-exec"), visibility("hidden")));

/* The first count of a thread, every count of a thread beyond RC_THREAD_SLOTS,
 * and a count of a counter outside rc_stats. */
void rc_count_slow(atomic_ulong *c);

/* c's offset in rc_stats, or (size_t)-1 when c is not one of its counters.
 * For a counter named as &rc_stats.x the compiler folds it to a constant. */
static inline size_t rc_stats_offset(const atomic_ulong *c)
{
    uintptr_t off = (uintptr_t)c - (uintptr_t)&rc_stats;
    return off < sizeof(struct rc_stats) ? (size_t)off : (size_t)-1;
}

/* One more on a counter only this thread writes: no lock prefix. On x86-64
 * one add to memory (what the relaxed load and store mean there, one
 * instruction instead of three); elsewhere the load and store. */
static inline void rc_local_inc(atomic_ulong *d)
{
#if defined(__x86_64__)
    __asm__ volatile("addq $1, %0" : "+m"(*(unsigned long *)(void *)d));
#else
    atomic_store_explicit(d, atomic_load_explicit(d, memory_order_relaxed) + 1, memory_order_relaxed);
#endif
}

static inline void rc_count(atomic_ulong *c)
{
    struct rc_stats *mine = rc_stats_mine;
    size_t off = rc_stats_offset(c);
    if (__builtin_expect(mine != NULL && off != (size_t)-1, 1)) {
        rc_local_inc((atomic_ulong *)(void *)((char *)mine + off));
    } else
        rc_count_slow(c);
}

/* A counter shared by every thread (not one of rc_stats): one atomic add. */
static inline void rc_count_shared(atomic_ulong *c)
{
    atomic_fetch_add_explicit(c, 1, memory_order_relaxed);
}

/* The plain success count, the one counter every delivery bumps: a
 * thread-local load, a test and a plain add. */
static inline void rc_count_success(void) { rc_count(&rc_stats.deliveries[RC_OUT_SUCCESS]); }

/* A counter's value, for the readers: for one of rc_stats, the shared entry
 * and every thread's copy summed. */
unsigned long rc_counter_get(atomic_ulong *c);

/* Zero every counter, every thread's copy included (tests). */
void rc_stats_reset(void);

/* Deliveries of outcome o so far (every thread's summed). */
unsigned long rc_stats_outcome(enum rc_outcome o);

/* Callback calls with an injected fault, all outcomes. */
unsigned long rc_stats_injected_total(void);

/* Total callback calls seen. */
unsigned long rc_stats_total(void);

#endif
