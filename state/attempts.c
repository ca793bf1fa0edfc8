/*
 * attempts.c - a sharded, bounded table of failure counts on uthash.
 *
 * One call hashes its key once, outside any lock (key_hash: a word-wise
 * folded multiply). The hash picks the shard (top bits), the filter slot in
 * that shard (bits 32..47) and uthash's bucket (low 32 bits, through the
 * _BYHASHVALUE forms, so uthash never hashes). A shard keeps its entries on
 * two intrusive lists of its own, ordinary and pinned, in the order of a
 * CLOCK (second-chance) approximation of LRU: a touch only sets the entry's
 * referenced bit (no list write, so a failure touches no line but its lock's
 * and its entry's, which matters when threads on other cores fail other
 * messages of the same shard); eviction takes the first entry of the list
 * whose bit is clear, giving each one it passes with the bit set a second
 * chance at the tail (bit cleared). New entries come in with the bit clear:
 * a flood of ids that fail once goes before entries that keep failing.
 *
 * Keys are compared in full: HASH_KEYCMP is this file's key_differs, which
 * compares a stored key (owner pointer bytes, then the id) with a struct
 * probe (owner, id, length) describing the caller's key, so no key is ever
 * copied to be looked up. uthash calls HASH_KEYCMP only from its find.
 *
 * Out-of-memory inside uthash is non-fatal: the item is simply not added
 * (uthash sets its hh.tbl to NULL), and the failure is reported as refused.
 */
#include "state/attempts.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

struct probe {
    const void *owner;
    const char *id;
    size_t len;
};

static inline int key_differs(const char *stored, const struct probe *p, size_t n)
{
    return memcmp(stored, &p->owner, sizeof p->owner) != 0 ||
           memcmp(stored + sizeof p->owner, p->id, n - sizeof p->owner) != 0;
}

#define HASH_NONFATAL_OOM 1
#define HASH_KEYCMP(a, b, n) key_differs((const char *)(a), (const struct probe *)(const void *)(b), (n))
#include <uthash.h>

#define SHARDS_MAX RC_ATTEMPTS_SHARDS_MAX
#define SHARD_MIN_ENTRIES 64
#define FILTER_SLOTS (1u << 16) /* in all, split evenly over the shards */

struct link {
    struct link *prev, *next;
};

struct entry {
    struct link lru;
    UT_hash_handle hh;
    uint32_t failures : 30;
    uint32_t pinned : 1;
    uint32_t referenced : 1; /* touched since the clock last passed it */
    uint16_t slot; /* its counter in the shard's filter */
    char key[];    /* owner pointer bytes, then the id (no NUL) */
};
#define ENTRY_SIZE(keylen) (offsetof(struct entry, key) + (keylen))
#define KEY_ID_LEN(e) ((size_t)(e)->hh.keylen - sizeof(void *))

struct shard {
    pthread_mutex_t lock;
    struct entry *head;  /* uthash: always the sentinel below */
    struct link lru[2];  /* sentinels: [0] ordinary, [1] pinned */
    size_t n, pinned;    /* entries, of which pinned */
    size_t bytes, pinned_bytes; /* id bytes held, of which by pinned */
    size_t cap, pin_cap;        /* entries: ordinary bound, bound with pinned */
    size_t bytes_cap, pin_bytes_cap;
    _Atomic uint32_t *filter;   /* this shard's slots of rc_attempts.filter */
    atomic_ulong evictions, pinned_evictions, refused;
    /* uthash's head element, added at the shard's first insert and never
     * removed: a lookup reads the table through the head (head->hh.tbl), and
     * a real entry there would put a line that its message's failures write
     * under every lookup of the shard; the table is also never freed and
     * made again as the shard empties and fills. Key length 0: no probe
     * (>= 8 bytes) ever matches. NULL (and head NULL) until then: a shard
     * no failure reached costs its 192 bytes and no table. */
    struct entry *sentinel;
} __attribute__((aligned(64)));

struct rc_attempts {
    /* read on every call, written only at creation */
    uint64_t seed;
    unsigned shard_mask;
    unsigned filter_mask; /* slots per shard - 1 */
    struct shard *shards;
    _Atomic uint32_t *filter;
    size_t max, pin_max;
    /* written on every insert and removal: a line of its own */
    _Alignas(64) atomic_size_t size;
    atomic_bool evicted_once;
    char pad[64 - sizeof(atomic_size_t) - sizeof(atomic_bool)];
};

/* ---- the hash ----------------------------------------------------------- */

/*
 * A word-wise hash: each 8-byte word is xored into the state, which is then
 * multiplied by an odd constant to 128 bits and folded (high half xor low
 * half). The fold carries the top bits' differences into the low half
 * through carries that depend on the state, so, with a per-table random
 * seed, colliding ids cannot be made without knowing the seed (a plain
 * multiply-xorshift lets a flipped top bit be cancelled by the next word).
 * Not cryptographic: keys are compared in full anyway; the hash only spreads.
 */
#define MUL_A 0x9fb21c651e98df25ULL
#define MUL_B 0xd6e8feb86659fd93ULL

static inline uint64_t fold_mul(uint64_t a, uint64_t b)
{
    __uint128_t p = (__uint128_t)a * b;
    return (uint64_t)p ^ (uint64_t)(p >> 64);
}

static inline uint64_t key_hash(uint64_t seed, const void *owner, const char *id, size_t len)
{
    uint64_t h = fold_mul(seed ^ (uint64_t)(uintptr_t)owner, MUL_A) ^ len;
    size_t i = 0;
    for (; i + 8 <= len; i += 8) {
        uint64_t w;
        memcpy(&w, id + i, 8);
        h = fold_mul(h ^ w, MUL_A);
    }
    if (i < len) {
        uint64_t w = 0;
        memcpy(&w, id + i, len - i);
        h = fold_mul(h ^ w, MUL_A);
    }
    return fold_mul(h ^ seed, MUL_B);
}

struct where {
    struct probe p;
    uint64_t h;
    struct shard *s;
    _Atomic uint32_t *slot;
};

/* The id's length, or RC_ATTEMPTS_ID_MAX + 1 when it is too long. */
static inline size_t id_len(const char *id) { return strnlen(id, RC_ATTEMPTS_ID_MAX + 1); }

static inline void locate(const struct rc_attempts *t, const void *owner, const char *id, size_t len,
                          struct where *w)
{
    w->p = (struct probe){owner, id, len};
    w->h = key_hash(t->seed, owner, id, len);
    w->s = &t->shards[(unsigned)(w->h >> 48) & t->shard_mask];
    w->slot = &w->s->filter[(unsigned)(w->h >> 32) & t->filter_mask];
}

static inline unsigned bucket_hash(uint64_t h) { return (unsigned)h; }

/* ---- LRU lists ------------------------------------------------------------ */

static inline void list_init(struct link *l) { l->prev = l->next = l; }
static inline bool list_empty(const struct link *l) { return l->next == l; }

static inline void list_unlink(struct link *x)
{
    x->prev->next = x->next;
    x->next->prev = x->prev;
}

static inline void list_push_tail(struct link *l, struct link *x)
{
    x->prev = l->prev;
    x->next = l;
    l->prev->next = x;
    l->prev = x;
}

static inline struct entry *list_first(struct link *l)
{
    return (struct entry *)(void *)((char *)l->next - offsetof(struct entry, lru));
}

/* ---- creation ---------------------------------------------------------------- */

static uint64_t random_seed(const void *t)
{
    uint64_t s = 0;
    if (getrandom(&s, sizeof s, GRND_NONBLOCK) != (ssize_t)sizeof s) {
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        s = (uint64_t)(uintptr_t)t ^ ((uint64_t)ts.tv_nsec << 20) ^ (uint64_t)ts.tv_sec;
    }
    return s | 1;
}

static size_t at_least(size_t a, size_t b) { return a > b ? a : b; }

struct rc_attempts *rc_attempts_new(size_t max)
{
    if (max == 0)
        max = 1;
    unsigned n = 1;
    while (n * 2 <= SHARDS_MAX && max / (n * 2) >= SHARD_MIN_ENTRIES)
        n *= 2;
    struct rc_attempts *t = aligned_alloc(64, sizeof *t); /* size's line of its own */
    if (!t)
        return NULL;
    memset(t, 0, sizeof *t);
    t->shards = aligned_alloc(64, n * sizeof *t->shards);
    t->filter = calloc(FILTER_SLOTS, sizeof *t->filter);
    if (!t->shards || !t->filter) {
        free(t->shards);
        free(t->filter);
        free(t);
        return NULL;
    }
    memset(t->shards, 0, n * sizeof *t->shards);
    t->seed = random_seed(t);
    t->shard_mask = n - 1;
    t->filter_mask = FILTER_SLOTS / n - 1;
    t->max = max;
    t->pin_max = at_least(max, RC_ATTEMPTS_PIN_FLOOR);
    /* Adaptive: a thread that finds its shard locked spins a little before
     * it sleeps. The lock is held for a few dozen instructions; a thread
     * that sleeps instead waits for the holder's wake-up, and on a virtual
     * machine waking an idle vCPU costs tens of microseconds, so threads
     * failing at once would take turns instead of running side by side. */
    pthread_mutexattr_t ma;
    pthread_mutexattr_init(&ma);
    pthread_mutexattr_settype(&ma, PTHREAD_MUTEX_ADAPTIVE_NP);
    for (unsigned i = 0; i < n; i++) {
        struct shard *s = &t->shards[i];
        pthread_mutex_init(&s->lock, &ma);
        list_init(&s->lru[0]);
        list_init(&s->lru[1]);
        s->cap = max / n + (i < max % n);
        s->pin_cap = t->pin_max / n + (i < t->pin_max % n);
        s->bytes_cap = at_least(s->cap * RC_ATTEMPTS_ID_BUDGET, RC_ATTEMPTS_ID_FLOOR);
        s->pin_bytes_cap = at_least(s->pin_cap * RC_ATTEMPTS_ID_BUDGET, RC_ATTEMPTS_ID_FLOOR);
        s->filter = t->filter + (size_t)i * (FILTER_SLOTS / n);
    }
    pthread_mutexattr_destroy(&ma);
    return t;
}

void rc_attempts_free(struct rc_attempts *t)
{
    if (!t)
        return;
    for (unsigned i = 0; i <= t->shard_mask; i++) {
        struct shard *s = &t->shards[i];
        HASH_CLEAR(hh, s->head); /* the buckets; the entries are on the lists */
        free(s->sentinel);
        for (int k = 0; k < 2; k++)
            while (!list_empty(&s->lru[k])) {
                struct entry *e = list_first(&s->lru[k]);
                list_unlink(&e->lru);
                free(e);
            }
        pthread_mutex_destroy(&s->lock);
    }
    free(t->shards);
    free(t->filter);
    free(t);
}

/* ---- under a shard's lock ----------------------------------------------------- */

static struct entry *find(const struct where *w)
{
    struct entry *e;
    HASH_FIND_BYHASHVALUE(hh, w->s->head, &w->p, sizeof w->p.owner + w->p.len, bucket_hash(w->h), e);
    return e;
}

static void unlink_entry(struct rc_attempts *t, struct shard *s, struct entry *e)
{
    size_t len = KEY_ID_LEN(e);
    HASH_DELETE(hh, s->head, e);
    list_unlink(&e->lru);
    atomic_fetch_sub_explicit(&s->filter[e->slot], 1, memory_order_relaxed);
    s->n--;
    s->bytes -= len;
    if (e->pinned) {
        s->pinned--;
        s->pinned_bytes -= len;
    }
    atomic_fetch_sub_explicit(&t->size, 1, memory_order_relaxed);
    free(e);
}

static void evict(struct rc_attempts *t, struct shard *s, int list, unsigned *what)
{
    struct entry *e;
    while ((e = list_first(&s->lru[list]))->referenced) { /* a second chance */
        e->referenced = 0;
        list_unlink(&e->lru);
        list_push_tail(&s->lru[list], &e->lru);
    }
    unlink_entry(t, s, e);
    atomic_fetch_add_explicit(&s->evictions, 1, memory_order_relaxed);
    *what |= RC_BUMP_EVICTED;
    if (list) {
        atomic_fetch_add_explicit(&s->pinned_evictions, 1, memory_order_relaxed);
        *what |= RC_BUMP_EVICTED_PINNED;
    }
    if (!atomic_load_explicit(&t->evicted_once, memory_order_relaxed) &&
        !atomic_exchange_explicit(&t->evicted_once, true, memory_order_relaxed))
        *what |= RC_BUMP_FIRST_EVICTION;
}

/*
 * Room for one more entry of len id bytes, evicting as the header says:
 * ordinary entries first, within the ordinary bound; a pinned entry may then
 * grow the shard to its pinned bound, and past that evicts pinned ones.
 * False (nothing evicted) when an ordinary entry cannot have room.
 */
static bool make_room(struct rc_attempts *t, struct shard *s, size_t len, bool pinned, unsigned *what)
{
    if (!pinned && (s->pinned + 1 > s->cap || s->pinned_bytes + len > s->bytes_cap))
        return false; /* the ordinary room is all pinned */
    while ((s->n + 1 > s->cap || s->bytes + len > s->bytes_cap) && !list_empty(&s->lru[0]))
        evict(t, s, 0, what);
    if (s->n + 1 <= s->cap && s->bytes + len <= s->bytes_cap)
        return true;
    if (!pinned) /* not reached: the first test keeps the room an ordinary one needs */
        return false;
    /* only pinned entries are left, and this one is pinned */
    while ((s->n + 1 > s->pin_cap || s->bytes + len > s->pin_bytes_cap) && !list_empty(&s->lru[1]))
        evict(t, s, 1, what);
    return s->n + 1 <= s->pin_cap && s->bytes + len <= s->pin_bytes_cap;
}

/* The shard's uthash table, made at its first insert (with its sentinel). */
static bool shard_table(struct shard *s)
{
    if (s->sentinel)
        return true;
    struct entry *x = calloc(1, sizeof *x); /* key length 0 */
    if (!x)
        return false;
    HASH_ADD_KEYPTR_BYHASHVALUE(hh, s->head, x->key, 0, 0u, x);
    if (!x->hh.tbl) { /* uthash ran out of memory: head left NULL */
        free(x);
        return false;
    }
    s->sentinel = x;
    return true;
}

static struct entry *insert(struct rc_attempts *t, const struct where *w, bool pinned, unsigned *what)
{
    struct shard *s = w->s;
    if (!shard_table(s))
        return NULL;
    if (!make_room(t, s, w->p.len, pinned, what))
        return NULL;
    size_t keylen = sizeof w->p.owner + w->p.len;
    struct entry *e = malloc(ENTRY_SIZE(keylen));
    if (!e)
        return NULL;
    memcpy(e->key, &w->p.owner, sizeof w->p.owner);
    memcpy(e->key + sizeof w->p.owner, w->p.id, w->p.len);
    e->failures = 0;
    e->pinned = pinned;
    e->referenced = 0;
    e->slot = (uint16_t)(w->slot - s->filter);
    HASH_ADD_KEYPTR_BYHASHVALUE(hh, s->head, e->key, keylen, bucket_hash(w->h), e);
    if (!e->hh.tbl) { /* uthash ran out of memory: not added */
        free(e);
        return NULL;
    }
    list_push_tail(&s->lru[pinned], &e->lru);
    atomic_fetch_add_explicit(w->slot, 1, memory_order_relaxed);
    s->n++;
    s->bytes += w->p.len;
    if (pinned) {
        s->pinned++;
        s->pinned_bytes += w->p.len;
    }
    atomic_fetch_add_explicit(&t->size, 1, memory_order_relaxed);
    return e;
}

/* ---- the calls ------------------------------------------------------------------ */

int rc_attempts_bump_ex(struct rc_attempts *t, const void *owner, const char *id, bool pinned,
                        unsigned *what)
{
    unsigned did = 0;
    int n = 0;
    size_t len = id_len(id);
    if (len > RC_ATTEMPTS_ID_MAX) {
        atomic_fetch_add_explicit(&t->shards[0].refused, 1, memory_order_relaxed);
        did = RC_BUMP_REFUSED;
        goto out;
    }
    struct where w;
    locate(t, owner, id, len, &w);
    struct shard *s = w.s;

    pthread_mutex_lock(&s->lock);
    struct entry *e = find(&w);
    if (e) {
        if (pinned && !e->pinned) { /* to the pinned list */
            list_unlink(&e->lru);
            e->pinned = 1;
            s->pinned++;
            s->pinned_bytes += len;
            list_push_tail(&s->lru[1], &e->lru);
        }
        e->referenced = 1;
    } else if (!(e = insert(t, &w, pinned, &did))) {
        atomic_fetch_add_explicit(&s->refused, 1, memory_order_relaxed);
        did |= RC_BUMP_REFUSED;
    }
    if (e) {
        if (e->failures < 0x3fffffffu)
            e->failures++;
        n = (int)e->failures;
    }
    pthread_mutex_unlock(&s->lock);
out:
    if (what)
        *what = did;
    return n;
}

int rc_attempts_bump(struct rc_attempts *t, const void *owner, const char *id)
{
    return rc_attempts_bump_ex(t, owner, id, false, NULL);
}

/* The key's place, when the table may hold it (false: certainly not). */
static inline bool may_hold(const struct rc_attempts *t, const void *owner, const char *id, struct where *w)
{
    if (atomic_load_explicit(&t->size, memory_order_relaxed) == 0)
        return false;
    size_t len = id_len(id);
    if (len > RC_ATTEMPTS_ID_MAX)
        return false;
    locate(t, owner, id, len, w);
    return atomic_load_explicit(w->slot, memory_order_relaxed) != 0;
}

bool rc_attempts_maybe(struct rc_attempts *t, const void *owner, const char *id)
{
    struct where w;
    return may_hold(t, owner, id, &w);
}

int rc_attempts_peek(struct rc_attempts *t, const void *owner, const char *id)
{
    struct where w;
    if (!may_hold(t, owner, id, &w))
        return 0;
    pthread_mutex_lock(&w.s->lock);
    struct entry *e = find(&w);
    int n = e ? (int)e->failures : 0;
    pthread_mutex_unlock(&w.s->lock);
    return n;
}

void rc_attempts_forget(struct rc_attempts *t, const void *owner, const char *id)
{
    struct where w;
    if (!may_hold(t, owner, id, &w))
        return;
    pthread_mutex_lock(&w.s->lock);
    struct entry *e = find(&w);
    if (e)
        unlink_entry(t, w.s, e);
    pthread_mutex_unlock(&w.s->lock);
}

const atomic_size_t *rc_attempts_size_word(const struct rc_attempts *t)
{
    return &t->size;
}

size_t rc_attempts_size(const struct rc_attempts *t)
{
    return atomic_load_explicit(&t->size, memory_order_relaxed);
}

unsigned long rc_attempts_evictions(const struct rc_attempts *t)
{
    unsigned long n = 0;
    for (unsigned i = 0; i <= t->shard_mask; i++)
        n += atomic_load_explicit(&t->shards[i].evictions, memory_order_relaxed);
    return n;
}

void rc_attempts_stats(struct rc_attempts *t, struct rc_attempts_stats *out)
{
    memset(out, 0, sizeof *out);
    out->bound = t->max;
    out->pin_bound = t->pin_max;
    out->shards = t->shard_mask + 1;
    for (unsigned i = 0; i <= t->shard_mask; i++) {
        struct shard *s = &t->shards[i];
        pthread_mutex_lock(&s->lock);
        out->entries += s->n;
        out->pinned += s->pinned;
        pthread_mutex_unlock(&s->lock);
        out->evictions += atomic_load_explicit(&s->evictions, memory_order_relaxed);
        out->pinned_evictions += atomic_load_explicit(&s->pinned_evictions, memory_order_relaxed);
        out->refused += atomic_load_explicit(&s->refused, memory_order_relaxed);
    }
}

void rc_attempts_lock(struct rc_attempts *t)
{
    for (unsigned i = 0; i <= t->shard_mask; i++)
        pthread_mutex_lock(&t->shards[i].lock);
}

void rc_attempts_unlock(struct rc_attempts *t)
{
    for (unsigned i = t->shard_mask + 1; i-- > 0;)
        pthread_mutex_unlock(&t->shards[i].lock);
}
