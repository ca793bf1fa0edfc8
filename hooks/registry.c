/*
 * registry.c - consumer state and the closure free list, under one lock.
 *
 * Nothing here runs on the delivery path: a delivery reaches its registration
 * through the closure's user data, and reads the consumer's model atomically.
 */
#include "hooks/registry.h"

#include <ffi.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "obs/log.h"
#include "hooks/runtime.h"

static bool oom_seen; /* written under the lock */
#define HASH_NONFATAL_OOM 1
#define uthash_nonfatal_oom(obj) (oom_seen = true)
#include <uthash.h>

struct rc_consumer {
    CPushConsumer *handle;
    atomic_int model;
    char group[RC_GROUP_MAX];
    struct rc_registration *regs; /* every registration ever made, until destroy */
    UT_hash_handle hh;
};

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static struct rc_consumer *consumers;
static struct rc_registration *free_list;

void rc_registry_lock(void) { pthread_mutex_lock(&lock); }
void rc_registry_unlock(void) { pthread_mutex_unlock(&lock); }

/* Find (or create) the state of c; lock held. NULL when out of memory. */
static struct rc_consumer *find(CPushConsumer *c, bool create)
{
    struct rc_consumer *o;
    HASH_FIND_PTR(consumers, &c, o);
    if (o || !create)
        return o;
    o = calloc(1, sizeof *o);
    if (!o)
        return NULL;
    o->handle = c;
    atomic_init(&o->model, RC_CLUSTERING);
    oom_seen = false;
    HASH_ADD_PTR(consumers, handle, o);
    if (oom_seen) {
        free(o);
        return NULL;
    }
    return o;
}

void rc_registry_set_group(CPushConsumer *c, const char *group)
{
    pthread_mutex_lock(&lock);
    struct rc_consumer *o = find(c, true);
    if (o)
        snprintf(o->group, sizeof o->group, "%s", group ? group : "");
    pthread_mutex_unlock(&lock);
}

void rc_registry_set_model(CPushConsumer *c, int model)
{
    pthread_mutex_lock(&lock);
    struct rc_consumer *o = find(c, true);
    if (o)
        atomic_store_explicit(&o->model, model, memory_order_release);
    pthread_mutex_unlock(&lock);
}

int rc_consumer_model(const struct rc_consumer *o)
{
    return atomic_load_explicit(&o->model, memory_order_acquire);
}

void rc_consumer_group(const struct rc_consumer *o, char *buf, size_t cap)
{
    pthread_mutex_lock(&lock);
    snprintf(buf, cap, "%s", o->group);
    pthread_mutex_unlock(&lock);
}

/* A new registration with a fresh closure from libffi; lock held. */
static struct rc_registration *alloc_new(void)
{
    struct rc_registration *r = calloc(1, sizeof *r);
    if (!r)
        return NULL;
    void *code = NULL;
    r->closure = ffi_closure_alloc(sizeof(ffi_closure), &code);
    if (!r->closure) {
        free(r);
        return NULL;
    }
    memcpy(&r->entry, &code, sizeof code); /* executable address -> function pointer */
    return r;
}

/* A registration with a closure: from the free list, else from libffi (never
 * in a forked child). Lock held. */
static struct rc_registration *take(void)
{
    struct rc_registration *r = free_list;
    if (r) {
        free_list = r->next;
        return r;
    }
    return atomic_load(&rc_rt.in_forked_child) ? NULL : alloc_new();
}

void rc_registry_prealloc(int n)
{
    pthread_mutex_lock(&lock);
    for (int i = 0; i < n; i++) {
        struct rc_registration *r = alloc_new();
        if (!r)
            break;
        r->next = free_list;
        free_list = r;
    }
    pthread_mutex_unlock(&lock);
}

struct rc_registration *rc_registry_wrap(CPushConsumer *c, rc_callback_fn cb, bool orderly,
                                         ffi_cif *cif,
                                         void (*handler)(ffi_cif *, void *, void **, void *))
{
    pthread_mutex_lock(&lock);
    struct rc_consumer *o = find(c, true);
    struct rc_registration *r = o ? take() : NULL;
    if (r) {
        r->cb = cb;
        r->owner = o;
        r->orderly = orderly;
        void *code;
        memcpy(&code, &r->entry, sizeof code);
        if (ffi_prep_closure_loc(r->closure, cif, handler, r, code) != FFI_OK) {
            r->next = free_list;
            free_list = r;
            r = NULL;
        } else {
            r->next = o->regs;
            o->regs = r;
        }
    }
    pthread_mutex_unlock(&lock);
    if (!r)
        rc_log_once(wrap_said, RC_LOG_WARN, "%s; this callback passes through unwrapped",
                    atomic_load(&rc_rt.in_forked_child)
                        ? "no spare closure in this forked child (closures are never allocated after fork)"
                        : "cannot allocate a libffi closure");
    return r;
}

struct rc_registration *rc_registry_add(CPushConsumer *c, rc_callback_fn cb, bool orderly)
{
    pthread_mutex_lock(&lock);
    struct rc_consumer *o = find(c, true);
    struct rc_registration *r = o ? calloc(1, sizeof *r) : NULL;
    if (r) {
        r->cb = cb;
        r->owner = o;
        r->orderly = orderly;
        r->next = o->regs;
        o->regs = r;
    }
    pthread_mutex_unlock(&lock);
    if (!r)
        rc_log_once(add_said, RC_LOG_WARN, "out of memory; this listener passes through unwrapped");
    return r;
}

void rc_registry_forget(CPushConsumer *c)
{
    pthread_mutex_lock(&lock);
    struct rc_consumer *o = find(c, false);
    if (o) {
        HASH_DEL(consumers, o);
        /* The client has destroyed the consumer and its threads: no closure of
         * it can be running, so they can serve the next registration. */
        while (o->regs) {
            struct rc_registration *r = o->regs;
            o->regs = r->next;
            if (!r->closure) { /* a listener's (rc_registry_add) */
                free(r);
                continue;
            }
            r->next = free_list;
            free_list = r;
        }
        free(o);
    }
    pthread_mutex_unlock(&lock);
}
