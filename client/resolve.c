/*
 * resolve.c - lazy, once-only resolution of the client's functions.
 *
 * RTLD_NEXT finds the definition after the shim in the lookup order: the
 * client library the program linked, or one it dlopen'ed with RTLD_GLOBAL
 * before its first call into the client. Resolving lazily (not in the
 * constructor) is what makes the second case work.
 *
 * A client dlopen'ed RTLD_LOCAL (Python's ctypes by default) is invisible to
 * RTLD_NEXT. The program finds its functions with dlsym on the handle, which
 * the shim interposes (shim/dlsym.c); the first such lookup adopts the
 * handle here, and the table is resolved from it instead. Either way the
 * table is written once, before it is published (an atomic pointer with
 * release/acquire), and never changed after: readers take no lock.
 *
 * Lookups here use glibc's dlsym (rc_real_dlsym), never the shim's: a lookup
 * of CreatePushConsumer on the client's handle must find the client's.
 */
#include "client/api.h"

#include <dlfcn.h>
#include <pthread.h>
#include <stdatomic.h>
#include <string.h>

#include "client/real_dlsym.h"

static struct rc_client next_table;   /* from RTLD_NEXT */
static struct rc_client handle_table; /* from an adopted handle */
static _Atomic(const struct rc_client *) in_use;
static void *_Atomic source = RTLD_NEXT;
static pthread_once_t next_once = PTHREAD_ONCE_INIT;
static pthread_mutex_t adopt_lock = PTHREAD_MUTEX_INITIALIZER;

static void lock_adopt(void) { pthread_mutex_lock(&adopt_lock); }
static void unlock_adopt(void) { pthread_mutex_unlock(&adopt_lock); }

static void fill(struct rc_client *t, void *handle)
{
    /* dlsym returns an object pointer; POSIX guarantees it converts. */
#define RC_CLIENT_FN(name, ret, params, shim, topic, pull, route) \
    RC_IF_CLIENT_##shim(*(void **)(&t->name) = rc_real_dlsym(handle, #name);)
#include "client/symbols.def"
}

static void resolve_next(void)
{
    fill(&next_table, RTLD_NEXT);
    if (next_table.RegisterMessageCallback || next_table.CreatePushConsumer)
        atomic_store_explicit(&in_use, &next_table, memory_order_release);
    pthread_atfork(lock_adopt, unlock_adopt, unlock_adopt);
}

const struct rc_client *rc_client(void)
{
    const struct rc_client *t = atomic_load_explicit(&in_use, memory_order_acquire);
    if (__builtin_expect(t != NULL, 1))
        return t;
    pthread_once(&next_once, resolve_next);
    t = atomic_load_explicit(&in_use, memory_order_acquire);
    return t ? t : &next_table; /* no client (yet): every entry NULL */
}

void *rc_client_handle(void)
{
    (void)rc_client();
    return atomic_load_explicit(&source, memory_order_acquire);
}

static void *reg_of(const struct rc_client *t)
{
    void *p;
    memcpy(&p, &t->RegisterMessageCallback, sizeof p);
    return p;
}

int rc_client_adopt(void *handle, void *reg)
{
    (void)rc_client(); /* RTLD_NEXT first: a linked client takes precedence */
    int rc = -1;
    pthread_mutex_lock(&adopt_lock);
    const struct rc_client *t = atomic_load_explicit(&in_use, memory_order_acquire);
    if (t) {
        rc = reg_of(t) == reg ? 0 : -1;
    } else {
        /* Our own reference, never dropped and never unloadable: the shim
         * keeps the client's function pointers (and its closures are
         * registered in it) for the life of the process. */
        Dl_info di;
        if (dladdr(reg, &di) && di.dli_fname) {
            void *pin = dlopen(di.dli_fname, RTLD_LAZY | RTLD_NOLOAD | RTLD_NODELETE);
            if (pin)
                handle = pin;
        }
        fill(&handle_table, handle);
        if (reg_of(&handle_table) == reg) {
            atomic_store_explicit(&source, handle, memory_order_release);
            atomic_store_explicit(&in_use, &handle_table, memory_order_release);
            rc = 0;
        }
    }
    pthread_mutex_unlock(&adopt_lock);
    return rc;
}
