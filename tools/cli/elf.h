/*
 * elf.h - just enough of an ELF reader for `reconsume doctor`: the file is
 * mapped read-only and every offset is bounds-checked (the file is input,
 * not trusted). Native 64-bit ELF only (the class and byte order of this
 * build); anything else is refused with a reason.
 */
#ifndef RECONSUME_CLI_ELF_H
#define RECONSUME_CLI_ELF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define ELFX_MAX_NEEDED 256

struct elfx {
    const unsigned char *map;
    size_t size;
    uint16_t type;    /* ET_EXEC, ET_DYN, ... */
    uint16_t machine; /* EM_X86_64, ... */
    bool has_interp;  /* PT_INTERP: started by the dynamic loader */
    bool has_dynamic; /* a dynamic section */
    const char *interp;
    const char *soname;  /* DT_SONAME or NULL */
    const char *runpath; /* DT_RUNPATH or NULL */
    const char *rpath;   /* DT_RPATH or NULL */
    const char *needed[ELFX_MAX_NEEDED];
    size_t n_needed;
    /* symbol tables (section index of the table; 0 if absent) */
    const unsigned char *dynsym, *dynstr;
    size_t dynsym_n, dynstr_size;
    const unsigned char *symtab, *strtab;
    size_t symtab_n, strtab_size;
};

/* What a symbol table says of a name. */
enum elfx_sym { ELFX_ABSENT = 0, ELFX_UNDEF = 1, ELFX_DEFINED = 2 };

/* Map and parse path. Returns 0, or -1 with a one-line reason in err. */
int elfx_open(const char *path, struct elfx *e, char *err, size_t errlen);
void elfx_close(struct elfx *e);

/* What .dynsym says of name (undefined = imported; defined = exported). */
enum elfx_sym elfx_dynsym(const struct elfx *e, const char *name);
/* Whether .symtab (not stripped) defines name. */
bool elfx_symtab_defines(const struct elfx *e, const char *name);
/* Whether the file's bytes contain s anywhere. */
bool elfx_contains(const struct elfx *e, const char *s);
/* Whether the file starts with "#!" (a script); its interpreter line in buf. */
bool elfx_is_script(const char *path, char *buf, size_t cap);

#endif
