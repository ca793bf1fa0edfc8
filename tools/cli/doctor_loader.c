/*
 * doctor_loader.c - the loader's library search, as ld.so does it (see
 * doctor_loader.h). Every candidate is opened and must be a native ELF
 * file of the program's machine, as the loader requires.
 */
#include "tools/cli/doctor_loader.h"

#include <elf.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Copy a string, cut to cap (paths here are at most PATH_MAX anyway). */
static void scopy(char *dst, size_t cap, const char *src)
{
    size_t n = strnlen(src, cap - 1);
    memcpy(dst, src, n);
    dst[n] = '\0';
}
struct cache_ent { char *name, *path; };
static struct cache_ent *cache;
static size_t n_cache;
static bool cache_read;

/* The ld.so cache as `ldconfig -p` lists it ("\tNAME (flags) => PATH"). */
static void read_cache(void)
{
    if (cache_read)
        return;
    cache_read = true;
    static const char *const tools[] = {"/sbin/ldconfig", "/usr/sbin/ldconfig",
                                        "/usr/bin/ldconfig", "/bin/ldconfig"};
    for (size_t t = 0; t < sizeof tools / sizeof *tools; t++) {
        if (access(tools[t], X_OK) != 0)
            continue;
        char cmd[64];
        snprintf(cmd, sizeof cmd, "%s -p 2>/dev/null", tools[t]);
        FILE *p = popen(cmd, "r");
        if (!p)
            return;
        char line[PATH_MAX + 256];
        while (fgets(line, sizeof line, p)) {
            char *s = line;
            while (*s == ' ' || *s == '\t')
                s++;
            char *sp = strchr(s, ' ');
            char *arrow = strstr(s, " => ");
            if (!sp || !arrow || *s == '\0')
                continue;
            *sp = '\0';
            char *path = arrow + 4;
            path[strcspn(path, "\n")] = '\0';
            struct cache_ent *grown = realloc(cache, (n_cache + 1) * sizeof *cache);
            if (!grown)
                break;
            cache = grown;
            cache[n_cache].name = strdup(s);
            cache[n_cache].path = strdup(path);
            if (cache[n_cache].name && cache[n_cache].path)
                n_cache++;
        }
        pclose(p);
        return;
    }
}

static const char *multiarch(uint16_t machine)
{
    switch (machine) {
    case EM_X86_64: return "x86_64-linux-gnu";
    case EM_AARCH64: return "aarch64-linux-gnu";
    case EM_PPC64: return "powerpc64le-linux-gnu";
    case EM_S390: return "s390x-linux-gnu";
    case EM_RISCV: return "riscv64-linux-gnu";
    default: return "unknown";
    }
}

static bool usable(const struct doctor_objs *c, const char *path)
{
    struct elfx e;
    char err[256];
    if (elfx_open(path, &e, err, sizeof err) != 0)
        return false;
    bool ok = e.machine == c->machine;
    elfx_close(&e);
    return ok;
}

/* Try each directory of a ':'-list (with $ORIGIN expanded) for name. */
static bool search_list(const struct doctor_objs *c, const char *list, const char *origin,
                        const char *name, char *out, size_t cap)
{
    if (!list)
        return false;
    const char *p = list;
    for (;;) {
        size_t k = strcspn(p, ":;");
        char dir[PATH_MAX];
        size_t o = 0;
        for (size_t i = 0; i < k && o + 1 < sizeof dir;) {
            size_t skip = 0;
            if (strncmp(p + i, "$ORIGIN", 7) == 0)
                skip = 7;
            else if (strncmp(p + i, "${ORIGIN}", 9) == 0)
                skip = 9;
            if (skip && i + skip <= k) {
                o += (size_t)snprintf(dir + o, sizeof dir - o, "%s", origin);
                if (o >= sizeof dir)
                    o = sizeof dir - 1;
                i += skip;
            } else {
                dir[o++] = p[i++];
            }
        }
        dir[o] = '\0';
        /* An empty entry means the current directory, as for the loader. */
        int n = snprintf(out, cap, "%s/%s", o ? dir : ".", name);
        if (n > 0 && (size_t)n < cap && usable(c, out))
            return true;
        if (p[k] == '\0')
            return false;
        p += k + 1;
    }
}

/* Where the loader would find name, needed by object number loader. */
static bool resolve(const struct doctor_objs *c, const char *name, int loader, char *out,
                    size_t cap, const char **how)
{
    if (strchr(name, '/')) {
        snprintf(out, cap, "%s", name);
        *how = "a path in DT_NEEDED";
        return usable(c, out);
    }
    const struct elfx *l = &c->v[loader].e, *exe = &c->v[0].e;
    char origin[PATH_MAX];
    scopy(origin, sizeof origin, c->v[loader].path);
    char *slash = strrchr(origin, '/');
    if (slash)
        *slash = '\0';
    char exe_origin[PATH_MAX];
    scopy(exe_origin, sizeof exe_origin, c->v[0].path);
    slash = strrchr(exe_origin, '/');
    if (slash)
        *slash = '\0';

    if (!l->runpath) {
        *how = "DT_RPATH";
        if (search_list(c, l->rpath, origin, name, out, cap))
            return true;
        if (loader != 0 && !exe->runpath &&
            search_list(c, exe->rpath, exe_origin, name, out, cap))
            return true;
    }
    *how = "LD_LIBRARY_PATH";
    const char *llp = getenv("LD_LIBRARY_PATH");
    if (llp && llp[0] && search_list(c, llp, origin, name, out, cap))
        return true;
    *how = "DT_RUNPATH";
    if (search_list(c, l->runpath, origin, name, out, cap))
        return true;
    read_cache();
    *how = "the ld.so cache";
    for (size_t i = 0; i < n_cache; i++) {
        if (strcmp(cache[i].name, name) == 0 && usable(c, cache[i].path)) {
            snprintf(out, cap, "%s", cache[i].path);
            return true;
        }
    }
    *how = "a default directory";
    char defaults[512];
    snprintf(defaults, sizeof defaults, "/lib/%s:/usr/lib/%s:/lib64:/usr/lib64:/lib:/usr/lib",
             multiarch(c->machine), multiarch(c->machine));
    return search_list(c, defaults, origin, name, out, cap);
}

void doctor_load_closure(struct doctor_objs *c)
{
    for (size_t i = 0; i < c->n && c->n < DOCTOR_MAX_OBJS; i++) {
        for (size_t k = 0; k < c->v[i].e.n_needed && c->n < DOCTOR_MAX_OBJS; k++) {
            const char *name = c->v[i].e.needed[k];
            char path[PATH_MAX];
            const char *how = "";
            if (!resolve(c, name, (int)i, path, sizeof path, &how)) {
                bool said = false;
                for (size_t j = 0; j < c->n; j++)
                    if (c->v[j].path[0] == '\0' && strcmp(c->v[j].as, name) == 0)
                        said = true;
                if (!said) { /* keep a placeholder: "not found" */
                    struct doctor_obj *o = &c->v[c->n++];
                    memset(o, 0, sizeof *o);
                    o->parent = (int)i;
                    o->as = name;
                    o->how = "not found";
                }
                continue;
            }
            char *real = realpath(path, NULL);
            if (real) {
                snprintf(path, sizeof path, "%s", real);
                free(real);
            }
            bool seen = false;
            for (size_t j = 0; j < c->n; j++)
                if (strcmp(c->v[j].path, path) == 0)
                    seen = true;
            if (seen)
                continue;
            struct doctor_obj *o = &c->v[c->n];
            memset(o, 0, sizeof *o);
            char err[512];
            if (elfx_open(path, &o->e, err, sizeof err) != 0)
                continue;
            snprintf(o->path, sizeof o->path, "%s", path);
            o->parent = (int)i;
            o->as = name;
            o->how = how;
            c->n++;
        }
    }
}
