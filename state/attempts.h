/*
 * attempts.h - the shim's own count of failed attempts per message.
 *
 * The client's reconsume-times counter is missing or frozen where the shim
 * needs it most (orderly consumers before client 1.2.5, broadcasting), so the
 * shim counts failures itself, keyed by (owner, message id): message ids are
 * stable across redeliveries (the unique-key property). The table is bounded:
 * at its limit the entry touched longest ago is evicted (a message forgotten
 * that way only gets its count restarted: more attempts, never fewer).
 *
 * Thread-safe. The count of entries can be read without the lock, so that the
 * success path of a delivery skips the table entirely while nothing failed.
 */
#ifndef RECONSUME_STATE_ATTEMPTS_H
#define RECONSUME_STATE_ATTEMPTS_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>

struct rc_attempts;

/* A table of at most max entries, or NULL when out of memory. */
struct rc_attempts *rc_attempts_new(size_t max);
void rc_attempts_free(struct rc_attempts *t);

/*
 * Record one more failure of (owner, id) and return the failures counted so
 * far, this one included (>= 1). Returns 0 only when out of memory (the caller
 * then relies on the client's counter alone).
 */
int rc_attempts_bump(struct rc_attempts *t, const void *owner, const char *id);

/* Failures counted so far for (owner, id), 0 if none; takes the lock. */
int rc_attempts_peek(struct rc_attempts *t, const void *owner, const char *id);

/* Whether (owner, id) may be in the table: false means certainly not.
 * Lock-free: a success checks this before rc_attempts_forget. */
bool rc_attempts_maybe(struct rc_attempts *t, const void *owner, const char *id);

/* Forget (owner, id): it succeeded or was diverted. */
void rc_attempts_forget(struct rc_attempts *t, const void *owner, const char *id);

/* Entries held now; lock-free, may be stale by the time it is used. */
size_t rc_attempts_size(const struct rc_attempts *t);

/* Evictions so far (a figure for the statistics). */
unsigned long rc_attempts_evictions(const struct rc_attempts *t);

/* Fork handlers: hold the lock across fork(), release it on both sides. */
void rc_attempts_lock(struct rc_attempts *t);
void rc_attempts_unlock(struct rc_attempts *t);

#endif
