/*
 * msgext.c - sizeof(rocketmq::MQMessageExt) from the client library itself
 * (see msgext.h). C only: the library's C++ functions used here are plain
 * SysV calls with `this` as the first argument. None of them throws for the
 * sizes used (reserve(3) could only run out of memory).
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "client/msgext.h"

#include <dlfcn.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define SYM_RESERVE "_ZNSt6vectorIN8rocketmq12MQMessageExtESaIS1_EE7reserveEm"
#define SYM_VEC_DTOR "_ZNSt6vectorIN8rocketmq12MQMessageExtESaIS1_EED1Ev"
#define SYM_CTOR "_ZN8rocketmq12MQMessageExtC1Ev"
#define SYM_DTOR "_ZN8rocketmq12MQMessageExtD1Ev"
#define SYM_VTABLE "_ZTVN8rocketmq12MQMessageExtE"

#define GUARD 64
#define MAX_SIZE 65536

/* libstdc++'s std::vector<T>: three pointers, in every ABI of the library. */
struct vec3 {
    char *begin, *end, *eos;
};

typedef void (*reserve_fn)(struct vec3 *, size_t);
typedef void (*this_fn)(void *);

static void *lookup(rc_msgext_sym_fn sym, void *h, const char *name)
{
    return sym(h, name);
}

/* size from reserve(n) on an empty vector, or 0 */
static size_t reserved_size(reserve_fn reserve, this_fn vec_dtor, size_t n)
{
    struct vec3 v = { NULL, NULL, NULL };
    reserve(&v, n);
    size_t bytes = v.begin && v.eos > v.begin ? (size_t)(v.eos - v.begin) : 0;
    int empty = v.end == v.begin;
    vec_dtor(&v);
    if (!empty || bytes == 0 || bytes % n)
        return 0;
    return bytes / n;
}

/* Runs the constructor into a patterned buffer; 0 if it looks right. */
static int check_ctor(this_fn ctor, this_fn dtor, size_t size, const void *vptr, const char **why)
{
    static const unsigned char patterns[2] = { 0xa5, 0x5a };
    int tail_written = 0;
    for (int p = 0; p < 2; p++) {
        unsigned char *buf = NULL;
        if (posix_memalign((void **)&buf, 64, size + GUARD) != 0) {
            *why = "out of memory";
            return -1;
        }
        memset(buf, patterns[p], size + GUARD);
        ctor(buf);
        const void *got;
        memcpy(&got, buf, sizeof got);
        int guard_ok = 1;
        for (size_t i = size; i < size + GUARD; i++)
            if (buf[i] != patterns[p])
                guard_ok = 0;
        for (size_t i = size >= 32 ? size - 32 : 0; i < size; i++)
            if (buf[i] != patterns[p])
                tail_written = 1;
        dtor(buf);
        free(buf);
        if (got != vptr) {
            *why = "MQMessageExt() did not store the expected vtable pointer";
            return -1;
        }
        if (!guard_ok) {
            *why = "MQMessageExt() wrote past the probed size";
            return -1;
        }
    }
    if (!tail_written) {
        *why = "MQMessageExt() left the last 32 bytes of the probed size untouched";
        return -1;
    }
    return 0;
}

int rc_msgext_probe(rc_msgext_sym_fn sym, void *handle, struct rc_msgext_layout *out,
                    const char **why)
{
    const char *dummy;
    if (!why)
        why = &dummy;
    *why = NULL;
    void *p_reserve = lookup(sym, handle, SYM_RESERVE);
    void *p_vec_dtor = lookup(sym, handle, SYM_VEC_DTOR);
    void *p_ctor = lookup(sym, handle, SYM_CTOR);
    void *p_dtor = lookup(sym, handle, SYM_DTOR);
    void *p_vtable = lookup(sym, handle, SYM_VTABLE);
    if (!p_reserve || !p_vec_dtor || !p_ctor || !p_dtor || !p_vtable) {
        *why = "a vector<MQMessageExt> or MQMessageExt symbol is missing";
        return -1;
    }
    reserve_fn reserve;
    this_fn vec_dtor, ctor, dtor;
    /* POSIX: a dlsym result converts to a function pointer. */
    memcpy(&reserve, &p_reserve, sizeof reserve);
    memcpy(&vec_dtor, &p_vec_dtor, sizeof vec_dtor);
    memcpy(&ctor, &p_ctor, sizeof ctor);
    memcpy(&dtor, &p_dtor, sizeof dtor);

    size_t s1 = reserved_size(reserve, vec_dtor, 1);
    size_t s3 = reserved_size(reserve, vec_dtor, 3);
    if (s1 == 0 || s1 != s3) {
        *why = "vector<MQMessageExt>::reserve gave no consistent size";
        return -1;
    }
    if (s1 < 2 * sizeof(void *) || s1 % sizeof(void *) || s1 > MAX_SIZE) {
        *why = "vector<MQMessageExt>::reserve gave an implausible size";
        return -1;
    }
    /* Itanium C++ ABI: the object's vptr points past offset-to-top and RTTI. */
    const void *vptr = (const char *)p_vtable + 2 * sizeof(void *);
    if (check_ctor(ctor, dtor, s1, vptr, why) != 0)
        return -1;
    out->size = s1;
    out->vptr = vptr;
    return 0;
}

void *rc_msgext_handle_of(const void *addr)
{
    Dl_info info;
    if (!addr || !dladdr(addr, &info) || !info.dli_fname)
        return NULL;
    return dlopen(info.dli_fname, RTLD_LAZY | RTLD_NOLOAD);
}

long rc_msgext_count(const struct rc_msgext_layout *l, const void *begin, const void *end)
{
    if (!l || !l->size || !begin || (const char *)end < (const char *)begin)
        return -1;
    size_t span = (size_t)((const char *)end - (const char *)begin);
    if (span % l->size)
        return -1;
    size_t n = span / l->size;
    for (size_t i = 0; i < n; i++) {
        const void *v;
        memcpy(&v, (const char *)begin + i * l->size, sizeof v);
        if (v != l->vptr)
            return -1;
    }
    return (long)n;
}
