/*
 * doctor_loader.h - the dynamic loader's search, emulated for `reconsume
 * doctor`: which file each DT_NEEDED name of a program would load
 * (DT_RPATH, LD_LIBRARY_PATH, DT_RUNPATH, the ld.so cache through
 * `ldconfig -p`, the default directories; $ORIGIN expanded).
 */
#ifndef RECONSUME_CLI_DOCTOR_LOADER_H
#define RECONSUME_CLI_DOCTOR_LOADER_H

#include <limits.h>
#include <stddef.h>
#include <stdint.h>

#include "tools/cli/elf.h"

#define DOCTOR_MAX_OBJS 256

/* One object of a program's closure: the program itself, a library found,
 * or a placeholder (path "") for a name the loader would not find. */
struct doctor_obj {
    char path[PATH_MAX];
    struct elfx e;
    int parent;       /* index of the object that needed it; -1 for the program */
    const char *as;   /* the DT_NEEDED name it was found for */
    const char *how;  /* where the loader found it */
};

struct doctor_objs {
    struct doctor_obj v[DOCTOR_MAX_OBJS];
    size_t n;
    uint16_t machine; /* the program's; a library of another machine is skipped */
};

/*
 * Given c->v[0] (the program, opened) with c->n = 1 and c->machine set,
 * add everything it needs, breadth first (the loader's order for symbol
 * lookup). A name that cannot be found is kept once, as a placeholder.
 */
void doctor_load_closure(struct doctor_objs *c);

#endif
