/*
 * attempts.c - bounded LRU of failure counts on uthash.
 *
 * uthash keeps its items in insertion order (hh.next); moving an item to the
 * back on every touch (delete + add) makes the head the least recently used,
 * which is what eviction takes. Out-of-memory inside uthash is non-fatal: the
 * item is simply not added.
 */
#include "state/attempts.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static __thread bool oom_seen;
#define HASH_NONFATAL_OOM 1
#define uthash_nonfatal_oom(obj) (oom_seen = true)
#include <uthash.h>

struct entry {
    UT_hash_handle hh;
    int failures;
    uint32_t slot; /* its counter in the filter */
    size_t keylen;
    char key[]; /* owner pointer bytes, then the id */
};

/*
 * A counting filter beside the table: entries per hash slot. A success with
 * a zero counter is certainly not in the table, so the common case (a
 * success while other messages are failing) needs no lock at all.
 */
#define FILTER_SLOTS (1u << 16)

struct rc_attempts {
    _Atomic uint32_t filter[FILTER_SLOTS];
    pthread_mutex_t lock;
    struct entry *head;
    size_t max;
    atomic_size_t size;
    atomic_ulong evictions;
};

struct rc_attempts *rc_attempts_new(size_t max)
{
    struct rc_attempts *t = calloc(1, sizeof *t);
    if (!t)
        return NULL;
    pthread_mutex_init(&t->lock, NULL);
    t->max = max ? max : 1;
    return t;
}

void rc_attempts_free(struct rc_attempts *t)
{
    if (!t)
        return;
    struct entry *e, *tmp;
    HASH_ITER(hh, t->head, e, tmp) {
        HASH_DEL(t->head, e);
        free(e);
    }
    pthread_mutex_destroy(&t->lock);
    free(t);
}

/* The key in a caller's buffer; ids longer than the buffer are cut (a collision
 * would need two ids sharing their first 240 bytes under one owner). */
static size_t make_key(char *buf, size_t cap, const void *owner, const char *id)
{
    size_t idlen = strnlen(id, cap - sizeof owner);
    memcpy(buf, &owner, sizeof owner);
    memcpy(buf + sizeof owner, id, idlen);
    return sizeof owner + idlen;
}

#define KEY_CAP 256

static uint32_t filter_slot(const char *key, size_t len)
{
    uint64_t h = 1469598103934665603ULL; /* FNV-1a */
    for (size_t i = 0; i < len; i++)
        h = (h ^ (unsigned char)key[i]) * 1099511628211ULL;
    return (uint32_t)(h ^ (h >> 32)) & (FILTER_SLOTS - 1);
}

static void unlink_entry(struct rc_attempts *t, struct entry *e)
{
    HASH_DELETE(hh, t->head, e);
    atomic_fetch_sub_explicit(&t->filter[e->slot], 1, memory_order_relaxed);
    atomic_fetch_sub_explicit(&t->size, 1, memory_order_relaxed);
    free(e);
}

bool rc_attempts_maybe(struct rc_attempts *t, const void *owner, const char *id)
{
    if (atomic_load_explicit(&t->size, memory_order_relaxed) == 0)
        return false;
    char key[KEY_CAP];
    size_t keylen = make_key(key, sizeof key, owner, id);
    return atomic_load_explicit(&t->filter[filter_slot(key, keylen)], memory_order_relaxed) != 0;
}

int rc_attempts_bump(struct rc_attempts *t, const void *owner, const char *id)
{
    char key[KEY_CAP];
    size_t keylen = make_key(key, sizeof key, owner, id);
    struct entry *e;
    int n = 0;

    pthread_mutex_lock(&t->lock);
    HASH_FIND(hh, t->head, key, keylen, e);
    if (e) {
        HASH_DELETE(hh, t->head, e); /* re-added below, at the back */
    } else {
        if (atomic_load_explicit(&t->size, memory_order_relaxed) >= t->max && t->head) {
            unlink_entry(t, t->head);
            atomic_fetch_add_explicit(&t->evictions, 1, memory_order_relaxed);
        }
        e = malloc(sizeof *e + keylen);
        if (!e)
            goto out;
        e->failures = 0;
        e->keylen = keylen;
        e->slot = filter_slot(key, keylen);
        memcpy(e->key, key, keylen);
        atomic_fetch_add_explicit(&t->size, 1, memory_order_relaxed);
        atomic_fetch_add_explicit(&t->filter[e->slot], 1, memory_order_relaxed);
    }
    oom_seen = false;
    HASH_ADD_KEYPTR(hh, t->head, e->key, e->keylen, e);
    if (oom_seen) {
        atomic_fetch_sub_explicit(&t->filter[e->slot], 1, memory_order_relaxed);
        atomic_fetch_sub_explicit(&t->size, 1, memory_order_relaxed);
        free(e);
        goto out;
    }
    n = ++e->failures;
out:
    pthread_mutex_unlock(&t->lock);
    return n;
}

int rc_attempts_peek(struct rc_attempts *t, const void *owner, const char *id)
{
    char key[KEY_CAP];
    size_t keylen = make_key(key, sizeof key, owner, id);
    struct entry *e;
    pthread_mutex_lock(&t->lock);
    HASH_FIND(hh, t->head, key, keylen, e);
    int n = e ? e->failures : 0;
    pthread_mutex_unlock(&t->lock);
    return n;
}

void rc_attempts_forget(struct rc_attempts *t, const void *owner, const char *id)
{
    char key[KEY_CAP];
    size_t keylen = make_key(key, sizeof key, owner, id);
    struct entry *e;

    pthread_mutex_lock(&t->lock);
    HASH_FIND(hh, t->head, key, keylen, e);
    if (e)
        unlink_entry(t, e);
    pthread_mutex_unlock(&t->lock);
}

size_t rc_attempts_size(const struct rc_attempts *t)
{
    return atomic_load_explicit(&t->size, memory_order_relaxed);
}

unsigned long rc_attempts_evictions(const struct rc_attempts *t)
{
    return atomic_load_explicit(&t->evictions, memory_order_relaxed);
}

void rc_attempts_lock(struct rc_attempts *t) { pthread_mutex_lock(&t->lock); }
void rc_attempts_unlock(struct rc_attempts *t) { pthread_mutex_unlock(&t->lock); }
