/*
 * libc_sym.c - the C library's own dlsym and dlvsym, found without them.
 *
 * The shim exports dlsym and dlvsym (shim/dlsym.c), and it is preloaded, so
 * every by-name reference to either, the shim's own included, binds to the
 * shim's: an unversioned definition satisfies a versioned reference, so even
 * a reference to "dlvsym@GLIBC_2.34" would come back here. The routes glibc
 * used to offer past this are gone: __libc_dlsym and _dl_sym are not
 * exported by glibc 2.34+, where dlsym moved into libc.so.6 (Debian 12,
 * glibc 2.36, exports only dlsym@@GLIBC_2.34 and dlsym@GLIBC_2.2.5, at one
 * address). So the address is read where the dynamic linker reads it: from
 * libc.so.6's dynamic symbol table, through its GNU hash table, taking the
 * default version (versym without the hidden bit). This is what MangoHud's
 * elfhacks does for the same reason. It allocates nothing and calls nothing
 * in the C library: sanitizer runtimes call dlsym while they initialise,
 * before their interceptors of strcmp, dl_iterate_phdr and friends work.
 */
#include "client/libc_sym.h"

#include <elf.h>
#include <link.h>
#include <stddef.h>
#include <stdint.h>

#define NO_SAN __attribute__((no_sanitize("address", "undefined", "thread")))

/* d_ptr values are relocated in place by glibc on most targets, left as
 * link-time addresses on others (MIPS, RISC-V): accept both. */
NO_SAN static uintptr_t dyn_ptr(uintptr_t base, ElfW(Addr) p)
{
    return p < base ? base + p : p;
}

/* strcmp(a, b) == 0, without the C library: this runs before a sanitizer
 * runtime that calls dlsym from its own initialisation has its string
 * interceptors in place (their real functions are still NULL then). */
NO_SAN static int same(const char *a, const char *b)
{
    while (*a && *a == *b)
        a++, b++;
    return *a == *b;
}

NO_SAN static uint32_t gnu_hash(const char *s)
{
    uint32_t h = 5381;
    for (const unsigned char *p = (const unsigned char *)s; *p; p++)
        h = h * 33 + *p;
    return h;
}

/* NAME's default-version definition in the object at BASE with dynamic
 * section DYN, through DT_GNU_HASH (every glibc since 2.5 has one). */
NO_SAN static void *lookup(uintptr_t base, const ElfW(Dyn) *dyn, const char *name)
{
    const ElfW(Sym) *symtab = NULL;
    const char *strtab = NULL;
    const uint32_t *gh = NULL;
    const ElfW(Half) *versym = NULL;
    for (const ElfW(Dyn) *d = dyn; d->d_tag != DT_NULL; d++) {
        switch (d->d_tag) {
        case DT_SYMTAB: symtab = (const ElfW(Sym) *)dyn_ptr(base, d->d_un.d_ptr); break;
        case DT_STRTAB: strtab = (const char *)dyn_ptr(base, d->d_un.d_ptr); break;
        case DT_GNU_HASH: gh = (const uint32_t *)dyn_ptr(base, d->d_un.d_ptr); break;
        case DT_VERSYM: versym = (const ElfW(Half) *)dyn_ptr(base, d->d_un.d_ptr); break;
        default: break;
        }
    }
    if (!symtab || !strtab || !gh)
        return NULL;
    uint32_t nbuckets = gh[0], symoffset = gh[1], bloom_size = gh[2];
    if (nbuckets == 0)
        return NULL;
    const uint32_t *buckets = (const uint32_t *)((const ElfW(Addr) *)(gh + 4) + bloom_size);
    const uint32_t *chain = buckets + nbuckets;
    uint32_t h = gnu_hash(name);
    uint32_t i = buckets[h % nbuckets];
    if (i < symoffset)
        return NULL;
    for (;; i++) {
        uint32_t h2 = chain[i - symoffset];
        const ElfW(Sym) *s = &symtab[i];
        if ((h | 1) == (h2 | 1) && same(strtab + s->st_name, name) && s->st_shndx != SHN_UNDEF &&
            (s->st_info & 0xf) == STT_FUNC && (!versym || !(versym[i] & 0x8000)))
            return (void *)(base + s->st_value);
        if (h2 & 1)
            return NULL;
    }
}

/* libc.so.6's dynamic section: found by DT_SONAME. */
NO_SAN static int is_libc(uintptr_t base, const ElfW(Dyn) *dyn)
{
    const char *strtab = NULL;
    ElfW(Xword) soname = 0;
    int has_soname = 0;
    for (const ElfW(Dyn) *d = dyn; d->d_tag != DT_NULL; d++) {
        if (d->d_tag == DT_STRTAB)
            strtab = (const char *)dyn_ptr(base, d->d_un.d_ptr);
        else if (d->d_tag == DT_SONAME) {
            soname = d->d_un.d_val;
            has_soname = 1;
        }
    }
    return strtab && has_soname && same(strtab + soname, "libc.so.6");
}

/*
 * The objects are walked through the dynamic linker's own list (_r_debug,
 * the debugger interface: data, so no sanitizer intercepts it; TSan does
 * intercept dl_iterate_phdr, and calls dlsym before that interceptor works).
 * Without the loader lock, but only up to libc.so.6, which like every object
 * before it was loaded at start-up: such objects are never unloaded, and a
 * concurrent dlopen only appends after them.
 */
NO_SAN void *rc_libc_sym(const char *name)
{
    for (const struct link_map *l = _r_debug.r_map; l; l = l->l_next) {
        if (!l->l_ld)
            continue;
        uintptr_t base = (uintptr_t)l->l_addr;
        if (is_libc(base, l->l_ld))
            return lookup(base, l->l_ld, name);
    }
    return NULL;
}
