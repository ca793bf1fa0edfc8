/*
 * probe_lib.c - helper libraries for dlopen_probe.c, built four ways:
 *
 *   libprobe_a.so      (-DPROBE_A)     defines probe_sym and probe_next(),
 *                                      which asks dlsym(RTLD_NEXT, "probe_sym")
 *   libprobe_b.so      (-DPROBE_B)     defines probe_sym (the "next" one)
 *   libprobe_dep.so    (-DPROBE_DEP)   defines probe_dep_sym
 *   libprobe_local.so  (-DPROBE_LOCAL) linked with libprobe_dep.so, dlopen()ed
 *                                      RTLD_LOCAL; probe_default() asks
 *                                      dlsym(RTLD_DEFAULT, "probe_dep_sym")
 *
 * glibc answers RTLD_NEXT and RTLD_DEFAULT relative to the caller: from
 * libprobe_a, RTLD_NEXT finds libprobe_b's probe_sym (a wrapper that called
 * dlsym itself would find libprobe_a's); from libprobe_local, RTLD_DEFAULT
 * sees its RTLD_LOCAL dependency (a wrapper would not).
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <dlfcn.h>

#if defined(PROBE_A)
int probe_sym(void) { return 'a'; }
void *probe_next(void) { return dlsym(RTLD_NEXT, "probe_sym"); }
void *probe_vnext(void) { return dlvsym(RTLD_NEXT, "probe_sym", "PROBE_NONE"); }
#elif defined(PROBE_B)
int probe_sym(void) { return 'b'; }
#elif defined(PROBE_DEP)
int probe_dep_sym(void) { return 'd'; }
#elif defined(PROBE_LOCAL)
void *probe_default(void) { return dlsym(RTLD_DEFAULT, "probe_dep_sym"); }
#endif
