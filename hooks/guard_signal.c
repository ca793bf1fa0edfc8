/*
 * guard_signal.c - opt-in recovery from a fatal signal raised inside the
 * application's callback.
 *
 * The model is HotSpot's and wasmtime's: a per-thread jump buffer is armed
 * only while the callback runs; the handler jumps back if (and only if) the
 * faulting thread is armed, and otherwise hands the signal to whoever had it
 * before (or to the default action, by re-faulting). sigsetjmp(env, 0) keeps
 * the arming free of system calls; after a jump the one signal the kernel
 * blocked for the handler is unblocked by hand. Handlers run on a per-thread
 * alternate stack so that a stack overflow in the callback is recoverable too.
 *
 * A longjmp skips the callback's cleanup (C++ destructors, held locks): the
 * process lives on, but whatever the callback held may be lost. That is why
 * this is opt-in, why recoveries are capped, and why SIGABRT (raised by
 * abort(), which holds glibc's abort lock) is a separate opt-in.
 */
#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdatomic.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "hooks/guard.h"
#include "policy/config.h"
#include "obs/log.h"
#include "obs/stats.h"

#define ALTSTACK_SIZE (64 * 1024)

struct sigguard {
    sigjmp_buf env;
    volatile sig_atomic_t armed;
    volatile sig_atomic_t signo;
    bool altstack_done;
};

/* initial-exec: no lazy TLS allocation can happen inside the handler. */
static __thread struct sigguard tls_guard __attribute__((tls_model("initial-exec")));

static const int guarded_signals[] = {SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGABRT};
static struct sigaction previous[NSIG];
static atomic_long recoveries_left;
static pthread_key_t altstack_key;
static pthread_once_t install_once = PTHREAD_ONCE_INIT;
static unsigned install_mask;
static int install_result;

/* Pass a signal that is not ours to the handler that was there before. */
static void chain(int sig, siginfo_t *si, void *uc)
{
    const struct sigaction *p = &previous[sig];
    bool raised = si == NULL || si->si_code <= 0; /* kill/raise, not a fault */
    if ((p->sa_flags & SA_SIGINFO) && p->sa_sigaction) {
        p->sa_sigaction(sig, si, uc);
    } else if (p->sa_handler == SIG_IGN && raised) {
        return;
    } else if (p->sa_handler == SIG_DFL || p->sa_handler == SIG_IGN) {
        /* Default action: a fault re-executes and now dies as it would have;
         * a raised signal is raised again, delivered once we return. */
        signal(sig, SIG_DFL);
        if (raised)
            raise(sig);
    } else {
        p->sa_handler(sig);
    }
}

static void on_signal(int sig, siginfo_t *si, void *uc)
{
    struct sigguard *g = &tls_guard;
    if (g->armed) {
        g->armed = 0;
        g->signo = sig;
        siglongjmp(g->env, 1);
    }
    chain(sig, si, uc);
}

static void free_altstack(void *mem)
{
    stack_t off = {.ss_flags = SS_DISABLE};
    stack_t cur;
    if (sigaltstack(NULL, &cur) == 0 && cur.ss_sp == mem)
        sigaltstack(&off, NULL);
    munmap(mem, ALTSTACK_SIZE);
}

/* Once per thread: an alternate signal stack, unless the thread has one. */
static void ensure_altstack(struct sigguard *g)
{
    g->altstack_done = true;
    stack_t cur;
    if (sigaltstack(NULL, &cur) != 0 || !(cur.ss_flags & SS_DISABLE))
        return;
    void *mem = mmap(NULL, ALTSTACK_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (mem == MAP_FAILED)
        return; /* still recoverable, except from a stack overflow */
    stack_t st = {.ss_sp = mem, .ss_size = ALTSTACK_SIZE, .ss_flags = 0};
    if (sigaltstack(&st, NULL) != 0) {
        munmap(mem, ALTSTACK_SIZE);
        return;
    }
    pthread_setspecific(altstack_key, mem); /* freed when the thread exits */
}

static void install(void)
{
    if (pthread_key_create(&altstack_key, free_altstack) != 0) {
        install_result = -1;
        return;
    }
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = on_signal;
    sa.sa_flags = SA_SIGINFO | SA_ONSTACK;
    sigemptyset(&sa.sa_mask);
    for (size_t i = 0; i < sizeof guarded_signals / sizeof *guarded_signals; i++) {
        int sig = guarded_signals[i];
        unsigned need = sig == SIGABRT ? RC_CATCH_ABORT : RC_CATCH_SIGNAL;
        if (!(install_mask & need))
            continue;
        if (sigaction(sig, &sa, &previous[sig]) != 0) {
            rc_log(RC_LOG_ERROR, "cannot install a handler for signal %d: %s", sig, strerror(errno));
            install_result = -1;
        }
    }
}

int rc_sigguard_install(unsigned catch_mask, long max_recoveries)
{
    install_mask = catch_mask;
    atomic_store(&recoveries_left, max_recoveries);
    pthread_once(&install_once, install);
    return install_result;
}

/* Disarm when a C++ exception unwinds through the guarded call (catching off):
 * a later fault must not jump into this dead frame. */
static void disarm(volatile sig_atomic_t *const *armed) { **armed = 0; }

void rc_call_sigguarded(rc_callback_fn cb, CPushConsumer *c, CMessageExt *m, bool catch_exceptions,
                        struct rc_call *out)
{
    struct sigguard *g = &tls_guard; /* touched here, before any handler can run */
    if (!g->altstack_done)
        ensure_altstack(g);
    if (atomic_load_explicit(&recoveries_left, memory_order_relaxed) <= 0) {
        rc_log_once(cap_said, RC_LOG_WARN,
                    "signal recovery cap (RECONSUME_SIGNAL_MAX) reached: faults now take their course");
        goto unguarded;
    }
    if (sigsetjmp(g->env, 0)) {
        /* Back from the handler: the callback faulted. */
        sigset_t set;
        sigemptyset(&set);
        sigaddset(&set, g->signo);
        pthread_sigmask(SIG_UNBLOCK, &set, NULL);
        atomic_fetch_sub_explicit(&recoveries_left, 1, memory_order_relaxed);
        rc_count(&rc_stats.signal_recoveries);
        out->outcome = RC_OUT_SIGNAL;
        out->signo = g->signo;
        out->status = 1;
        return;
    }
    {
        volatile sig_atomic_t *armed __attribute__((cleanup(disarm))) = &g->armed;
        *armed = 1;
        if (catch_exceptions) {
            rc_call_catching(cb, c, m, out);
        } else {
            out->status = cb(c, m);
            out->outcome = rc_outcome_of_status(out->status);
        }
    }
    return;
unguarded:
    if (catch_exceptions) {
        rc_call_catching(cb, c, m, out);
    } else {
        out->status = cb(c, m);
        out->outcome = rc_outcome_of_status(out->status);
    }
}
