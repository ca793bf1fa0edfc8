/*
 * thread_slot.c - see thread_slot.h.
 */
#include "obs/thread_slot.h"

__thread unsigned rc_thread_slot_ix __attribute__((tls_model("initial-exec")));
static atomic_uint last_claimed; /* the highest index handed out */

unsigned rc_thread_slot_claim(void)
{
    if (rc_thread_slot_ix != 0)
        return rc_thread_slot_ix;
    unsigned i = atomic_load_explicit(&last_claimed, memory_order_relaxed);
    /* Count up to RC_THREAD_SLOTS and stop there: no wrap, however many
     * threads come and go. */
    while (i < RC_THREAD_SLOTS &&
           !atomic_compare_exchange_weak_explicit(&last_claimed, &i, i + 1, memory_order_relaxed,
                                                  memory_order_relaxed))
        ;
    if (i < RC_THREAD_SLOTS)
        rc_thread_slot_ix = i + 1;
    return rc_thread_slot_ix;
}

unsigned rc_thread_slots_claimed(void)
{
    return atomic_load_explicit(&last_claimed, memory_order_relaxed);
}
