/*
 * msgext.h - the size of the client's rocketmq::MQMessageExt, found at run
 * time (prototype for issue 12; not built into libreconsume.so yet).
 *
 * A listener gets `const std::vector<MQMessageExt>&`: three pointers
 * {begin, end, end_of_storage}, the same in every libstdc++ ABI. To step
 * through it without a C++ declaration of the class, the element size is
 * needed: 200 in the 1.2.x build, 320 in the 2.1.0 build (LISTENER_NOTES.md).
 *
 * How (rc_msgext_probe), from the library's own code, once:
 *   1. the library's out-of-line std::vector<MQMessageExt>::reserve(n), a weak
 *      symbol exported by both builds, is called on an empty vector for n = 1
 *      and n = 3: it allocates exactly n * sizeof(MQMessageExt), so
 *      end_of_storage - begin gives the size (both n must agree); the
 *      library's ~vector() frees it (no element was constructed);
 *   2. cross-check: the library's MQMessageExt() constructor is run into a
 *      buffer of that size plus a guard zone filled with a pattern; it must
 *      write its vtable pointer (the exported _ZTV...MQMessageExtE + 16) at
 *      offset 0, leave the guard alone, and write something in the last 32
 *      bytes (the last member is a std::string); then the destructor runs.
 * Each delivered batch is then checked cheaply (rc_msgext_count): the byte
 * span is a whole number of elements and every element starts with that
 * vtable pointer. A failed probe or check means: do not wrap (pass through).
 *
 * Symbols are looked up with the `sym` function given (the shim passes
 * rc_real_dlsym, since it interposes dlsym) on the client's handle, so that
 * the library's own definitions are found even if the application has
 * instantiated the same templates.
 */
#ifndef RECONSUME_LISTENER_MSGEXT_H
#define RECONSUME_LISTENER_MSGEXT_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

struct rc_msgext_layout {
    size_t size;      /* sizeof(rocketmq::MQMessageExt) in this client build */
    const void *vptr; /* the vtable pointer every MQMessageExt starts with */
};

typedef void *(*rc_msgext_sym_fn)(void *handle, const char *name);

/* Fills *out and returns 0; or returns -1 with *why set (a static string). */
int rc_msgext_probe(rc_msgext_sym_fn sym, void *handle, struct rc_msgext_layout *out,
                    const char **why);

/* The handle of the loaded object that contains addr (dladdr +
 * dlopen(RTLD_NOLOAD)), or NULL. Close it with dlclose. */
void *rc_msgext_handle_of(const void *addr);

/* Number of elements in [begin, end), or -1 when the span is not a whole
 * number of elements or an element does not start with l->vptr. */
long rc_msgext_count(const struct rc_msgext_layout *l, const void *begin, const void *end);

#ifdef __cplusplus
}
#endif

#endif
