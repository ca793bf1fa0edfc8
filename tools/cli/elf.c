/*
 * elf.c - the ELF reader of `reconsume doctor` (see elf.h). Headers are
 * copied out with memcpy (a crafted file may misalign them) and every
 * offset and size is checked against the file's length.
 */
#include "util/scan.h"
#include "tools/cli/elf.h"

#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>


static bool in_file(const struct elfx *e, uint64_t off, uint64_t len)
{
    return off <= e->size && len <= e->size - off;
}

/* A NUL-terminated string at offset i of a table of size n, or NULL. */
static const char *str_at(const unsigned char *tab, size_t n, uint64_t i)
{
    if (!tab || i >= n)
        return NULL;
    if (!memchr(tab + i, '\0', n - i))
        return NULL;
    return (const char *)tab + i;
}

static bool section(const struct elfx *e, const Elf64_Ehdr *eh, unsigned idx, Elf64_Shdr *out)
{
    if (idx == 0 || idx >= eh->e_shnum)
        return false;
    uint64_t off = eh->e_shoff + (uint64_t)idx * eh->e_shentsize;
    if (!in_file(e, off, sizeof *out))
        return false;
    memcpy(out, e->map + off, sizeof *out);
    return true;
}

static bool section_bytes(const struct elfx *e, const Elf64_Shdr *sh)
{
    return sh->sh_type != SHT_NOBITS && in_file(e, sh->sh_offset, sh->sh_size);
}

int elfx_open(const char *path, struct elfx *e, char *err, size_t errlen)
{
    memset(e, 0, sizeof *e);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return rc_errf(err, errlen, "%s: %s", path, strerror(errno));
    struct stat st;
    if (fstat(fd, &st) != 0) {
        int saved = errno;
        close(fd);
        return rc_errf(err, errlen, "%s: %s", path, strerror(saved));
    }
    if (!S_ISREG(st.st_mode)) {
        close(fd);
        return rc_errf(err, errlen, "%s: not a regular file", path);
    }
    if ((size_t)st.st_size < sizeof(Elf64_Ehdr)) {
        close(fd);
        return rc_errf(err, errlen, "%s: not an ELF file (too short)", path);
    }
    void *m = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
    close(fd);
    if (m == MAP_FAILED)
        return rc_errf(err, errlen, "%s: cannot map: %s", path, strerror(errno));
    e->map = m;
    e->size = (size_t)st.st_size;

    Elf64_Ehdr eh;
    memcpy(&eh, e->map, sizeof eh);
    if (memcmp(eh.e_ident, ELFMAG, SELFMAG) != 0) {
        elfx_close(e);
        return rc_errf(err, errlen, "%s: not an ELF file", path);
    }
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    const int native_data = ELFDATA2LSB;
#else
    const int native_data = ELFDATA2MSB;
#endif
    if (eh.e_ident[EI_CLASS] != ELFCLASS64 || eh.e_ident[EI_DATA] != native_data) {
        elfx_close(e);
        return rc_errf(err, errlen, "%s: a %s ELF file; only native 64-bit ELF files are examined", path,
                   eh.e_ident[EI_CLASS] == ELFCLASS32 ? "32-bit" : "foreign");
    }
    e->type = eh.e_type;
    e->machine = eh.e_machine;

    /* Program headers: PT_INTERP. */
    if (eh.e_phentsize == sizeof(Elf64_Phdr)) {
        for (unsigned i = 0; i < eh.e_phnum; i++) {
            Elf64_Phdr ph;
            uint64_t off = eh.e_phoff + (uint64_t)i * sizeof ph;
            if (!in_file(e, off, sizeof ph))
                break;
            memcpy(&ph, e->map + off, sizeof ph);
            if (ph.p_type == PT_INTERP && in_file(e, ph.p_offset, ph.p_filesz)) {
                e->has_interp = true;
                e->interp = str_at(e->map + ph.p_offset, ph.p_filesz, 0);
            }
        }
    }

    /* Sections: .dynamic, .dynsym, .symtab and their string tables. */
    if (eh.e_shnum == 0)
        return 0; /* no section headers (sstrip): nothing more to say */
    if (eh.e_shentsize != sizeof(Elf64_Shdr) ||
        !in_file(e, eh.e_shoff, (uint64_t)eh.e_shnum * sizeof(Elf64_Shdr))) {
        elfx_close(e);
        return rc_errf(err, errlen, "%s: truncated or damaged ELF file (section headers out of the file)", path);
    }
    for (unsigned i = 1; i < eh.e_shnum; i++) {
        Elf64_Shdr sh, link;
        if (!section(e, &eh, i, &sh) || !section_bytes(e, &sh))
            continue;
        if (sh.sh_type != SHT_DYNAMIC && sh.sh_type != SHT_DYNSYM && sh.sh_type != SHT_SYMTAB)
            continue;
        if (!section(e, &eh, sh.sh_link, &link) || link.sh_type != SHT_STRTAB ||
            !section_bytes(e, &link))
            continue;
        const unsigned char *str = e->map + link.sh_offset;
        size_t strn = link.sh_size;
        if (sh.sh_type == SHT_DYNSYM) {
            e->dynsym = e->map + sh.sh_offset;
            e->dynsym_n = sh.sh_size / sizeof(Elf64_Sym);
            e->dynstr = str;
            e->dynstr_size = strn;
        } else if (sh.sh_type == SHT_SYMTAB) {
            e->symtab = e->map + sh.sh_offset;
            e->symtab_n = sh.sh_size / sizeof(Elf64_Sym);
            e->strtab = str;
            e->strtab_size = strn;
        } else {
            e->has_dynamic = true;
            size_t n = sh.sh_size / sizeof(Elf64_Dyn);
            for (size_t k = 0; k < n; k++) {
                Elf64_Dyn d;
                memcpy(&d, e->map + sh.sh_offset + k * sizeof d, sizeof d);
                if (d.d_tag == DT_NULL)
                    break;
                const char *s = str_at(str, strn, d.d_un.d_val);
                if (!s)
                    continue;
                switch (d.d_tag) {
                case DT_NEEDED:
                    if (e->n_needed < ELFX_MAX_NEEDED)
                        e->needed[e->n_needed++] = s;
                    break;
                case DT_SONAME: e->soname = s; break;
                case DT_RUNPATH: e->runpath = s; break;
                case DT_RPATH: e->rpath = s; break;
                default: break;
                }
            }
        }
    }
    return 0;
}

void elfx_close(struct elfx *e)
{
    if (e->map)
        munmap((void *)e->map, e->size);
    memset(e, 0, sizeof *e);
}

static enum elfx_sym lookup(const unsigned char *tab, size_t n, const unsigned char *str,
                            size_t strn, const char *name)
{
    enum elfx_sym best = ELFX_ABSENT;
    for (size_t i = 1; i < n; i++) {
        Elf64_Sym s;
        memcpy(&s, tab + i * sizeof s, sizeof s);
        const char *nm = str_at(str, strn, s.st_name);
        if (!nm || strcmp(nm, name) != 0)
            continue;
        if (s.st_shndx != SHN_UNDEF && ELF64_ST_TYPE(s.st_info) != STT_FILE)
            return ELFX_DEFINED;
        best = ELFX_UNDEF;
    }
    return best;
}

enum elfx_sym elfx_dynsym(const struct elfx *e, const char *name)
{
    return lookup(e->dynsym, e->dynsym_n, e->dynstr, e->dynstr_size, name);
}

bool elfx_symtab_defines(const struct elfx *e, const char *name)
{
    return lookup(e->symtab, e->symtab_n, e->strtab, e->strtab_size, name) == ELFX_DEFINED;
}

bool elfx_contains(const struct elfx *e, const char *s)
{
    return e->map && memmem(e->map, e->size, s, strlen(s)) != NULL;
}

bool elfx_is_script(const char *path, char *buf, size_t cap)
{
    FILE *f = fopen(path, "re");
    if (!f)
        return false;
    bool script = false;
    if (fgets(buf, (int)cap, f) && buf[0] == '#' && buf[1] == '!') {
        buf[strcspn(buf, "\n")] = '\0';
        script = true;
    }
    fclose(f);
    return script;
}
