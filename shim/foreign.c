/*
 * foreign.c - callbacks registered through a dlsym() of the client's handle.
 *
 * Why: see foreign.h. How: the registration binds the application's callback
 * to its consumer in a small table, and registers a stub in its place (the
 * shim then wraps the stub as it wraps any callback). On delivery the stub
 * finds the callback by the consumer the client passes, and calls it through
 * rc_call_painted(). The lookup is lock-free (a scan of atomics); writers
 * (registration, destruction) take a mutex with fork handlers.
 *
 * Where the painting works: libffi 3.3 and later on x86-64 keep a closure's
 * return slot 24 bytes below the caller's stack pointer (unix64.S,
 * ffi_closure_OFS_RVALUE within ffi_closure_FS), inside the painted red
 * zone, and nothing writes it before ctypes would. Older libffi (3.2) keeps
 * it about 200 bytes down, outside: there an unset status stays garbage, as
 * without the shim. tests/dlopen checks it with the process's own ctypes.
 */
#include "shim/foreign.h"

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>

#include "policy/outcome.h"
#include "obs/log.h"
#include "hooks/runtime.h"

extern int RegisterMessageCallback(CPushConsumer *, rc_callback_fn);
extern int RegisterMessageCallbackOrderly(CPushConsumer *, rc_callback_fn);
extern int DestroyPushConsumer(CPushConsumer *);

#define SLOTS 64 /* consumers with a foreign callback at once; more pass unpainted */

static struct {
    _Atomic(CPushConsumer *) consumer;
    _Atomic(rc_callback_fn) cb[2]; /* [0] concurrent, [1] orderly */
} slots[SLOTS];

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_once_t atfork_once = PTHREAD_ONCE_INIT;
static void lock_it(void) { pthread_mutex_lock(&lock); }
static void unlock_it(void) { pthread_mutex_unlock(&lock); }
static void install_atfork(void) { pthread_atfork(lock_it, unlock_it, unlock_it); }

#if defined(__x86_64__)
/* rdi = fn, rsi = c, rdx = m: paint [rsp-128, rsp), shift the arguments,
 * jump. Uses only call-clobbered registers that carry no argument of fn. */
__asm__(
    "    .text\n"
    "    .globl rc_call_painted\n"
    "    .hidden rc_call_painted\n"
    "    .type rc_call_painted, @function\n"
    "    .p2align 4\n"
    "rc_call_painted:\n"
    "    .cfi_startproc\n"
    "    endbr64\n"
    "    movq %rdi, %r11\n"
    "    movq %rsi, %rdi\n"
    "    movq %rdx, %rsi\n"
    "    movabsq $0x0BADCA110BADCA11, %rax\n"
    "    .irp off, 8, 16, 24, 32, 40, 48, 56, 64, 72, 80, 88, 96, 104, 112, 120, 128\n"
    "    movq %rax, -\\off(%rsp)\n"
    "    .endr\n"
    "    jmp *%r11\n"
    "    .cfi_endproc\n"
    "    .size rc_call_painted, .-rc_call_painted\n");
#else
int rc_call_painted(rc_callback_fn fn, CPushConsumer *c, CMessageExt *m)
{
    return fn(c, m); /* no painting outside x86-64 (dlsym is not interposed there) */
}
#endif

/* The callback bound to consumer c for kind k, or NULL. Lock-free. */
static rc_callback_fn find(CPushConsumer *c, int k)
{
    for (int i = 0; i < SLOTS; i++)
        if (atomic_load_explicit(&slots[i].consumer, memory_order_acquire) == c)
            return atomic_load_explicit(&slots[i].cb[k], memory_order_acquire);
    return NULL;
}

/* The stubs the client (through the shim's closure) calls. A consumer with
 * no bound callback cannot be delivering; if it were, it is told to
 * reconsume later rather than have its message acknowledged unseen. */
static int stub(CPushConsumer *c, CMessageExt *m, int k)
{
    rc_callback_fn fn = find(c, k);
    return fn ? rc_call_painted(fn, c, m) : RC_RECONSUME_LATER;
}
static int stub_concurrent(CPushConsumer *c, CMessageExt *m) { return stub(c, m, 0); }
static int stub_orderly(CPushConsumer *c, CMessageExt *m) { return stub(c, m, 1); }

/* Bind cb to c; returns the stub to register, or cb itself when the table
 * is full (that callback is then called unpainted; said once). */
static rc_callback_fn bind(CPushConsumer *c, rc_callback_fn cb, int k)
{
    pthread_once(&atfork_once, install_atfork);
    pthread_mutex_lock(&lock);
    int free_slot = -1, at = -1;
    for (int i = 0; i < SLOTS && at < 0; i++) {
        CPushConsumer *o = atomic_load_explicit(&slots[i].consumer, memory_order_relaxed);
        if (o == c)
            at = i;
        else if (!o && free_slot < 0)
            free_slot = i;
    }
    if (at < 0 && free_slot >= 0) {
        at = free_slot;
        atomic_store_explicit(&slots[at].cb[0], NULL, memory_order_relaxed);
        atomic_store_explicit(&slots[at].cb[1], NULL, memory_order_relaxed);
    }
    if (at >= 0) {
        atomic_store_explicit(&slots[at].cb[k], cb, memory_order_release);
        atomic_store_explicit(&slots[at].consumer, c, memory_order_release);
    }
    pthread_mutex_unlock(&lock);
    if (at < 0) {
        rc_log_once(full_said, RC_LOG_WARN, "more than %d consumers registered through dlsym; "
                    "a callback that sets no status (a Python exception) is not detected for the others",
                    SLOTS);
        return cb;
    }
    return k ? stub_orderly : stub_concurrent;
}

static int do_register(CPushConsumer *c, rc_callback_fn cb, int k)
{
    int e = errno;
    rc_callback_fn use = c && cb && rc_active() ? bind(c, cb, k) : cb;
    errno = e;
    return k ? RegisterMessageCallbackOrderly(c, use) : RegisterMessageCallback(c, use);
}

int rc_foreign_register(CPushConsumer *c, rc_callback_fn cb) { return do_register(c, cb, 0); }
int rc_foreign_register_orderly(CPushConsumer *c, rc_callback_fn cb) { return do_register(c, cb, 1); }

/* Unbound only after the real destroy has returned: no delivery can follow. */
int rc_foreign_destroy(CPushConsumer *c)
{
    int rc = DestroyPushConsumer(c);
    if (c) {
        int e = errno;
        pthread_once(&atfork_once, install_atfork);
        pthread_mutex_lock(&lock);
        for (int i = 0; i < SLOTS; i++)
            if (atomic_load_explicit(&slots[i].consumer, memory_order_relaxed) == c)
                atomic_store_explicit(&slots[i].consumer, NULL, memory_order_release);
        pthread_mutex_unlock(&lock);
        errno = e;
    }
    return rc;
}
