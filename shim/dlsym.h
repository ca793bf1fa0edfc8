/*
 * dlsym.h - the C library's dlsym, for the shim's own lookups.
 *
 * The shim interposes dlsym and dlvsym (dlsym.c) so that a program that
 * dlopen()s the client and looks its functions up on the handle (Python's
 * ctypes, a plug-in host) gets the shim's. Code inside the shim that must see
 * the library's own functions (resolving the client's table from a handle)
 * calls rc_real_dlsym instead.
 */
#ifndef RECONSUME_SHIM_DLSYM_H
#define RECONSUME_SHIM_DLSYM_H

/* glibc's dlsym (never the shim's). With RTLD_NEXT or RTLD_DEFAULT it
 * resolves relative to the shim, as a direct call from the shim would. */
void *rc_real_dlsym(void *handle, const char *name);

#endif
