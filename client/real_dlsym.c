/*
 * real_dlsym.c - glibc's dlsym and dlvsym, for the shim's own lookups and
 * for the jumps of shim/dlsym.c's entry points.
 *
 * The shim exports dlsym and dlvsym (shim/dlsym.c), so a by-name call of
 * either from inside the shim would come back to the shim. The real ones
 * are found in libc.so.6's symbol table (libc_sym.c).
 */
#include "client/real_dlsym.h"

#include <dlfcn.h>

#include "client/libc_sym.h"
#include "obs/log.h"

#define NO_SAN __attribute__((no_sanitize("address", "undefined", "thread")))
#define HIDDEN __attribute__((visibility("hidden"), used))

#if defined(__x86_64__) && defined(__GLIBC__)
#define RC_DLSYM_INTERPOSED 1
#endif


/*
 * Where the assembly entry points jump for a lookup that is not ours. Found
 * on first use, by whichever thread gets there (the search is idempotent, so
 * no lock and no pthread_once: sanitizer runtimes call dlsym from their own
 * initialisation, before their interceptors of pthread_once, strcmp or
 * memcpy can be called; nothing on this path calls them). Stored with
 * release, dlvsym first, dlsym last; read with acquire.
 */
HIDDEN rc_dlsym_fn rc_libc_dlsym;
HIDDEN rc_dlvsym_fn rc_libc_dlvsym;

/* Never reached on glibc (libc.so.6 always defines both): failing the
 * lookup beats jumping to NULL. */
static void *no_dlsym(void *h, const char *n)
{
    (void)h, (void)n;
    return NULL;
}
static void *no_dlvsym(void *h, const char *n, const char *v)
{
    (void)h, (void)n, (void)v;
    return NULL;
}

NO_SAN void rc_real_dlsym_ensure(void)
{
    if (__builtin_expect(__atomic_load_n(&rc_libc_dlsym, __ATOMIC_ACQUIRE) != NULL, 1))
        return;
#ifdef RC_DLSYM_INTERPOSED
    void *s = rc_libc_sym("dlsym"), *v = rc_libc_sym("dlvsym");
#else
    void *s = (void *)dlsym, *v = (void *)dlvsym; /* not interposed: these are glibc's */
#endif
    /* An object pointer to a function pointer: what POSIX requires of dlsym. */
    __atomic_store_n(&rc_libc_dlvsym, v ? (rc_dlvsym_fn)v : no_dlvsym, __ATOMIC_RELEASE);
    __atomic_store_n(&rc_libc_dlsym, s ? (rc_dlsym_fn)s : no_dlsym, __ATOMIC_RELEASE);
}

void *rc_real_dlsym(void *handle, const char *name)
{
    rc_real_dlsym_ensure();
    if (__atomic_load_n(&rc_libc_dlsym, __ATOMIC_ACQUIRE) == no_dlsym)
        rc_log_once(no_real, RC_LOG_ERROR, "glibc's dlsym was not found in libc.so.6");
    return rc_libc_dlsym(handle, name);
}
