/*
 * attempts.h - the shim's own count of failed attempts per message.
 *
 * The client's reconsume-times counter is missing or frozen where the shim
 * needs it most (orderly consumers before client 1.2.5, broadcasting), so the
 * shim counts failures itself, keyed by (owner, message id): message ids are
 * stable across redeliveries (the unique-key property). The key is the WHOLE
 * id, hashed and compared over every byte, up to RC_ATTEMPTS_ID_MAX bytes; a
 * longer id is not tracked at all (see rc_attempts_bump_ex).
 *
 * Bounded: at most RECONSUME_TRACK_MAX ordinary entries. At the bound an
 * entry not touched for long is evicted (CLOCK, a second-chance approximation
 * of least-recently-used: an entry failed again since the clock last passed
 * it is kept, and one that failed only once goes first, so a flood of one-off
 * failures evicts itself before the messages that keep failing). A message
 * forgotten that way only gets its count restarted (more attempts, never
 * fewer), which is harmless where the client keeps a count of its own.
 * Where the shim's count is the ONLY count (orderly consumers on the 1.2.x
 * client, whose reconsume times stay 0) an eviction would let the message
 * fail for ever, so the caller marks such an entry PINNED, and a pinned
 * entry is never evicted for an ordinary one.
 *
 * What bounds the pinned entries: in orderly mode a queue is blocked by its
 * failing head, so at most one message per queue is failing at a time, and
 * pinned entries number at most the queues of the process's orderly consumers
 * (plus heads of queues that a rebalance took away; those are never touched
 * again and are the first to go, below). Pinned entries first take the room
 * of ordinary ones within TRACK_MAX (ordinary entries then get only what the
 * pinned leave; past that a new ordinary failure is not tracked, and its
 * client's own count still caps it). Past TRACK_MAX, pinned entries may grow
 * the table up to max(TRACK_MAX, RC_ATTEMPTS_PIN_FLOOR) entries; only beyond
 * that is a pinned entry evicted, by the same clock (a live head is touched
 * on every retry, so a stale one goes first), counted apart, and
 * flagged to the caller (RC_BUMP_EVICTED_PINNED).
 *
 * Memory: about 130 B per tracked message for real msgIds (32 or 40
 * characters): the entry and key in one 128 B malloc chunk, plus bucket
 * shares. Id bytes are budgeted too: a shard holds at most RC_ATTEMPTS_ID_BUDGET
 * id bytes per entry of its bound on average (at least RC_ATTEMPTS_ID_FLOOR),
 * so hostile long ids cost at most about 400 B x the entry bound (plus 16 KiB
 * per shard), whatever their length. Fixed: 256 KiB of filter and 192 B
 * per shard (its lock and lists), and about 700 B more per shard that a
 * failure has reached (uthash's table and first buckets, made then).
 *
 * Thread-safe and sharded: the table is split into up to 1024 shards by the
 * key's hash (computed once per call, outside any lock), each with its own
 * lock, hash table, eviction lists, bound and filter. TRACK_MAX is split across
 * the shards (shard i gets TRACK_MAX/n, the remainder spread one each over
 * the first shards); n is the largest power of two <= 1024 that leaves each
 * shard at least 64 entries (so 1 shard below TRACK_MAX=128, 1024 at the
 * default 65536: 64 each). Many shards, because a shard's lock is a cache
 * line every thread failing a message of that shard writes: with threads on
 * two cores failing messages of 64 shards, nearly every failure moved a lock's
 * line between the cores (and waited for the other's unlock), and the
 * failure path got slower with more threads (issue 16). Eviction works
 * within a shard, an approximation of a global order; the first eviction
 * can come when one shard is full while the whole table is about a third
 * short of TRACK_MAX (at the default split); filled further, every shard
 * reaches its share. The same split applies to the pinned bound and to the
 * id-byte budget.
 *
 * Lock-free: rc_attempts_size, and rc_attempts_maybe (the count of entries,
 * then a counting filter per shard), so that a success while other messages
 * are failing costs a word-wise hash and two loads. rc_attempts_peek and
 * rc_attempts_forget take a lock only when the filter says the key may be
 * there.
 */
#ifndef RECONSUME_STATE_ATTEMPTS_H
#define RECONSUME_STATE_ATTEMPTS_H

#include <stdbool.h>
#include <stdatomic.h>
#include <stddef.h>

struct rc_attempts;

/* The longest id that is tracked (bytes, without the NUL). Real msgIds are
 * 32 hex digits (IPv4 hosts) or 40 (IPv6). */
#define RC_ATTEMPTS_ID_MAX 4096
/* Id bytes a shard may hold per entry of its bound, on average; and at
 * least this floor, so that a few of the longest ids fit in any shard. */
#define RC_ATTEMPTS_ID_BUDGET 256

/* The most shards a table has: 1024; 64 under ThreadSanitizer, whose
 * deadlock detector follows at most 64 locks held by one thread, and the
 * fork handlers (rc_attempts_lock) hold every shard's. */
#if defined(__SANITIZE_THREAD__)
#define RC_ATTEMPTS_SHARDS_MAX 64
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define RC_ATTEMPTS_SHARDS_MAX 64
#endif
#endif
#ifndef RC_ATTEMPTS_SHARDS_MAX
#define RC_ATTEMPTS_SHARDS_MAX 1024
#endif
#define RC_ATTEMPTS_ID_FLOOR (4 * RC_ATTEMPTS_ID_MAX)
/* Pinned entries may take the table up to max(TRACK_MAX, this) entries. */
#define RC_ATTEMPTS_PIN_FLOOR 4096

/* A table of at most max ordinary entries, or NULL when out of memory. */
struct rc_attempts *rc_attempts_new(size_t max);
void rc_attempts_free(struct rc_attempts *t);

/* What rc_attempts_bump_ex did besides counting (bits of *what). */
enum {
    RC_BUMP_EVICTED = 1u << 0,        /* another entry was evicted to make room */
    RC_BUMP_EVICTED_PINNED = 1u << 1, /* ...and it was pinned: its only count is lost */
    RC_BUMP_FIRST_EVICTION = 1u << 2, /* the table's first eviction ever: log it (once) */
    RC_BUMP_REFUSED = 1u << 3,        /* not tracked; the call returned 0 */
};

/*
 * Record one more failure of (owner, id) and return the failures counted so
 * far, this one included (>= 1).
 *
 * pinned: the caller's statement that this count is the only count (orderly
 * consumers; any delivery whose client's reconsume times are 0 and frozen).
 * A pinned entry is never evicted to make room for an ordinary one; an entry
 * once pinned stays pinned until it is forgotten (a later unpinned bump does
 * not unpin it). An existing ordinary entry is pinned by a pinned bump.
 *
 * Returns 0, with RC_BUMP_REFUSED, when the failure is not tracked: the id is
 * longer than RC_ATTEMPTS_ID_MAX, or the entry is ordinary and its shard is
 * full of pinned entries, or out of memory. The caller then has only the
 * client's count; for a pinned one that is no cap at all, so the caller
 * should treat it as at the cap (divert it now). Nothing is evicted for a
 * refused failure.
 *
 * what (may be NULL) gets the RC_BUMP_* bits for this call.
 */
int rc_attempts_bump_ex(struct rc_attempts *t, const void *owner, const char *id, bool pinned,
                        unsigned *what);

/* rc_attempts_bump_ex(t, owner, id, false, NULL): an ordinary entry. */
int rc_attempts_bump(struct rc_attempts *t, const void *owner, const char *id);

/* Failures counted so far for (owner, id), 0 if none; locks a shard only
 * when the filter says the key may be there. */
int rc_attempts_peek(struct rc_attempts *t, const void *owner, const char *id);

/* Whether (owner, id) may be in the table: false means certainly not.
 * Lock-free: a success checks this before rc_attempts_forget. */
bool rc_attempts_maybe(struct rc_attempts *t, const void *owner, const char *id);

/* Forget (owner, id): it succeeded or was diverted. Does the maybe check
 * itself, so it locks only when the key may be there. */
void rc_attempts_forget(struct rc_attempts *t, const void *owner, const char *id);

/* Entries held now; lock-free, may be stale by the time it is used. */
size_t rc_attempts_size(const struct rc_attempts *t);

/* Evictions so far, pinned ones included (a figure for the statistics);
 * lock-free. */
unsigned long rc_attempts_evictions(const struct rc_attempts *t);

/* Everything the statistics may show; takes each shard's lock in turn. */
struct rc_attempts_stats {
    size_t entries;                 /* tracked now */
    size_t pinned;                  /* of which pinned */
    size_t bound;                   /* TRACK_MAX: ordinary entries at most */
    size_t pin_bound;               /* max(TRACK_MAX, RC_ATTEMPTS_PIN_FLOOR) */
    unsigned long evictions;        /* entries evicted to make room, all kinds */
    unsigned long pinned_evictions; /* of which pinned (a cap could be exceeded) */
    unsigned long refused;          /* failures not tracked (RC_BUMP_REFUSED) */
    unsigned shards;
};
void rc_attempts_stats(struct rc_attempts *t, struct rc_attempts_stats *out);

/* Fork handlers: hold every shard's lock across fork() (taken in shard
 * order, released in reverse), release them on both sides. */
void rc_attempts_lock(struct rc_attempts *t);
void rc_attempts_unlock(struct rc_attempts *t);

/*
 * The entry count's own word, for a caller that checks "anything tracked?"
 * inline on its hottest path (hooks/closure.c): read it relaxed; 0 means
 * no message of any owner is tracked.
 */
const atomic_size_t *rc_attempts_size_word(const struct rc_attempts *t);

#endif
