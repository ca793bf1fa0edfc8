/*
 * libc_sym.h - find a function in the C library by reading its dynamic
 * symbol table, without dlsym.
 *
 * The shim defines dlsym and dlvsym itself, so neither can be used to find
 * the C library's: see libc_sym.c for why, and for how.
 */
#ifndef RECONSUME_CLIENT_LIBC_SYM_H
#define RECONSUME_CLIENT_LIBC_SYM_H

/*
 * The address of NAME's default version (the one a new link would bind to,
 * "name@@VERSION") in the loaded libc.so.6 of the base namespace, or NULL.
 * Allocates nothing, takes no lock, calls nothing in the C library.
 */
void *rc_libc_sym(const char *name);

#endif
