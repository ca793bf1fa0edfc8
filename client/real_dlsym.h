/*
 * real_dlsym.h - the C library's dlsym, for the shim's own lookups.
 *
 * The shim interposes dlsym and dlvsym (dlsym.c) so that a program that
 * dlopen()s the client and looks its functions up on the handle (Python's
 * ctypes, a plug-in host) gets the shim's. Code inside the shim that must see
 * the library's own functions (resolving the client's table from a handle)
 * calls rc_real_dlsym instead.
 */
#ifndef RECONSUME_CLIENT_REAL_DLSYM_H
#define RECONSUME_CLIENT_REAL_DLSYM_H

/* glibc's dlsym (never the shim's). With RTLD_NEXT or RTLD_DEFAULT it
 * resolves relative to the shim, as a direct call from the shim would. */
void *rc_real_dlsym(void *handle, const char *name);

/* Where shim/dlsym.c's entry points jump for a lookup that is not the
 * shim's: glibc's functions, found on first use (rc_real_dlsym_ensure) by
 * whichever thread gets there, without a lock (sanitizer runtimes call
 * dlsym from their own initialisation). */
typedef void *(*rc_dlsym_fn)(void *, const char *);
typedef void *(*rc_dlvsym_fn)(void *, const char *, const char *);
extern __attribute__((visibility("hidden"))) rc_dlsym_fn rc_libc_dlsym;
extern __attribute__((visibility("hidden"))) rc_dlvsym_fn rc_libc_dlvsym;
void rc_real_dlsym_ensure(void);

#endif
