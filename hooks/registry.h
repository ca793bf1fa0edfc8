/*
 * registry.h - consumers the shim knows, and the wrapped callbacks they own.
 *
 * A registration is one wrapped callback: the application's function, its
 * consumer, whether it is orderly, and the libffi closure standing in for it.
 * Closures are never handed back to libffi: a destroyed consumer's closures go
 * to a free list for the next registration. That bounds their memory by the
 * peak number of live registrations, and means a forked child (where libffi's
 * allocator lock may be held by a thread that no longer exists) can still
 * wrap callbacks using closures allocated before the fork.
 */
#ifndef RECONSUME_HOOKS_REGISTRY_H
#define RECONSUME_HOOKS_REGISTRY_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>

#include <ffi.h>

#include "client/api.h"
#include "obs/stats_detail.h"

struct rc_consumer;

struct rc_registration {
    rc_callback_fn cb;           /* the application's callback */
    struct rc_consumer *owner;
    bool orderly;
    rc_callback_fn entry;        /* the closure's code: what the client calls */
    void *closure;               /* ffi_closure * */
    /* RECONSUME_STATS: where its deliveries are counted, found once at
     * registration (the group is the consumer's at registration: the client
     * subscribes with that one too). */
    struct rc_detail_cache detail;
    struct rc_registration *next;
};

/* Remember a consumer's group (CreatePushConsumer, SetPushConsumerGroupID). */
void rc_registry_set_group(CPushConsumer *c, const char *group);

/* Remember a consumer's message model (SetPushConsumerMessageModel). */
void rc_registry_set_model(CPushConsumer *c, int model);

/* The consumer's model (RC_CLUSTERING unless set); lock-free. */
int rc_consumer_model(const struct rc_consumer *o);

/* Copy the consumer's group into buf ("" if unknown). */
void rc_consumer_group(const struct rc_consumer *o, char *buf, size_t cap);

/*
 * A new registration wrapping cb for consumer c, with its closure prepared
 * for cif and bound to handler (user data: the registration); NULL if none
 * can be had (the reason is logged once).
 */
struct rc_registration *rc_registry_wrap(CPushConsumer *c, rc_callback_fn cb, bool orderly,
                                         ffi_cif *cif,
                                         void (*handler)(ffi_cif *, void *, void **, void *));

/*
 * A new registration of cb for consumer c with no closure: a listener
 * wrapper (hooks/listener_cxx.cc) holds it and calls the pipeline itself.
 * NULL when out of memory (logged once). Freed at rc_registry_forget.
 */
struct rc_registration *rc_registry_add(CPushConsumer *c, rc_callback_fn cb, bool orderly);

/* The consumer is destroyed (the real DestroyPushConsumer has returned). */
void rc_registry_forget(CPushConsumer *c);

/* Allocate a few closures now, in the parent, for children forked later. */
void rc_registry_prealloc(int n);

/* Fork handlers for the registry lock. */
void rc_registry_lock(void);
void rc_registry_unlock(void);

#endif
