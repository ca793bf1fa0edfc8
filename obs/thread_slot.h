/*
 * thread_slot.h - single-writer per-thread counters (obs/thread_slot.c).
 *
 * A thread that counts claims, once, an index of its own (a compare-and-swap
 * on one counter: no lock, no allocation, no system call), kept in an
 * initial-exec thread-local. A counter array with one entry per index is
 * then written by one thread only, so the add needs no lock prefix: a plain
 * load and store of a relaxed atomic. Readers sum the entries.
 *
 * Indices 1 .. RC_THREAD_SLOTS go to the first threads that count, for the
 * life of the process (a thread's counts stay after it exits). Entry 0 is
 * shared: by the threads beyond those, which add to it atomically.
 */
#ifndef RECONSUME_OBS_THREAD_SLOT_H
#define RECONSUME_OBS_THREAD_SLOT_H

#include <stdatomic.h>

#define RC_THREAD_SLOTS 256

/* This thread's index; 0 until it first counts, and for ever for a thread
 * that found none left. */
extern __thread unsigned rc_thread_slot_ix
    __attribute__((tls_model("initial-exec"), visibility("hidden")));

/* Claim an index for this thread if it has none and one is left; returns
 * the thread's index (0: the shared entry). */
unsigned rc_thread_slot_claim(void);

/* How many indices have been handed out (1 .. that many): what a reader
 * sums over. */
unsigned rc_thread_slots_claimed(void);

/* This thread's index, claimed at its first call: 0 .. RC_THREAD_SLOTS. */
static inline unsigned rc_thread_slot(void)
{
    unsigned i = rc_thread_slot_ix;
    return __builtin_expect(i != 0, 1) ? i : rc_thread_slot_claim();
}

/* Add n to c, entry ix of a per-thread array (ix from rc_thread_slot()). */
static inline void rc_local_add(atomic_ulong *c, unsigned ix, unsigned long n)
{
    if (__builtin_expect(ix != 0, 1))
        atomic_store_explicit(c, atomic_load_explicit(c, memory_order_relaxed) + n,
                              memory_order_relaxed);
    else
        atomic_fetch_add_explicit(c, n, memory_order_relaxed);
}

#endif
