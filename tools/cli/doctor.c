/*
 * doctor.c - `reconsume doctor PROGRAM|PID`: can the shim wrap this
 * consumer, and if not, why not.
 *
 * For a program, the ELF file is read here (tools/cli/elf.c; no binutils at
 * run time): its DT_NEEDED libraries are found the way the dynamic loader
 * would (DT_RPATH, LD_LIBRARY_PATH, DT_RUNPATH, the ld.so cache through
 * `ldconfig -p`, the default directories; $ORIGIN expanded), each of those
 * read in turn, and the client's functions looked up in their symbol
 * tables. For a running process, /proc/PID/maps says what is loaded and
 * /proc/PID/environ which settings the shim read at start.
 *
 * Exit status: 0 wrappable (or, for a pid, the shim is loaded and active),
 * 2 usage, 3 client linked statically, 4 client loaded with dlopen,
 * 5 not a RocketMQ consumer, 6 (pid) shim not loaded or passing through,
 * 7 not a file doctor can read (a script other than a Python one naming
 * rocketmq, a 32-bit or foreign ELF file).
 */
#include "tools/cli/cli.h"
#include "tools/cli/elf.h"

#include "policy/config.h"

#include <ctype.h>
#include <elf.h>
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define MAX_OBJS 256

struct obj {
    char path[PATH_MAX];
    struct elfx e;
    int parent;       /* index of the object that needed it; -1 for the program */
    const char *as;   /* the DT_NEEDED name it was found for */
    const char *how;  /* where the loader found it */
};

static struct obj objs[MAX_OBJS];
static size_t n_objs;
static uint16_t machine;

/* Everything doctor prints goes through a memory stream and is made safe
 * for a terminal on the way out: names and paths come from the examined
 * file (or process) and may hold control bytes or broken UTF-8. */
static FILE *out;
static char *out_buf;
static size_t out_len;

__attribute__((format(printf, 1, 2))) static void say(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vfprintf(out, fmt, ap);
    va_end(ap);
}

/* Length of a valid UTF-8 sequence at p (of at most n bytes) that is
 * printable (no C1 controls), or 0. */
static size_t utf8_ok(const unsigned char *p, size_t n)
{
    size_t len;
    unsigned cp;
    if (p[0] >= 0xc2 && p[0] <= 0xdf) { len = 2; cp = p[0] & 0x1f; }
    else if (p[0] >= 0xe0 && p[0] <= 0xef) { len = 3; cp = p[0] & 0x0f; }
    else if (p[0] >= 0xf0 && p[0] <= 0xf4) { len = 4; cp = p[0] & 0x07; }
    else return 0;
    if (len > n)
        return 0;
    for (size_t i = 1; i < len; i++) {
        if ((p[i] & 0xc0) != 0x80)
            return 0;
        cp = (cp << 6) | (p[i] & 0x3f);
    }
    if ((len == 3 && cp < 0x800) || (len == 4 && (cp < 0x10000 || cp > 0x10ffff)) ||
        (cp >= 0xd800 && cp <= 0xdfff) || cp < 0xa0)
        return 0;
    return len;
}

static int flush_out(int status)
{
    fclose(out);
    const unsigned char *p = (const unsigned char *)out_buf;
    for (size_t i = 0; i < out_len;) {
        size_t k;
        if (p[i] == '\n' || (p[i] >= 0x20 && p[i] < 0x7f)) {
            putchar(p[i++]);
        } else if ((k = utf8_ok(p + i, out_len - i)) > 0) {
            fwrite(p + i, 1, k, stdout);
            i += k;
        } else {
            putchar('?');
            i++;
        }
    }
    free(out_buf);
    return fflush(stdout) == 0 ? status : 1;
}

/* ------------------------------------------------------------ loader ---- */

/* Copy a string, cut to cap (paths here are at most PATH_MAX anyway). */
static void scopy(char *dst, size_t cap, const char *src)
{
    size_t n = strnlen(src, cap - 1);
    memcpy(dst, src, n);
    dst[n] = '\0';
}

static void sappend(char *dst, size_t cap, const char *src)
{
    size_t u = strnlen(dst, cap - 1);
    scopy(dst + u, cap - u, src);
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

static const char *multiarch(void)
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

static bool usable(const char *path)
{
    struct elfx e;
    char err[256];
    if (elfx_open(path, &e, err, sizeof err) != 0)
        return false;
    bool ok = e.machine == machine;
    elfx_close(&e);
    return ok;
}

/* Try each directory of a ':'-list (with $ORIGIN expanded) for name. */
static bool search_list(const char *list, const char *origin, const char *name, char *out,
                        size_t cap)
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
        if (n > 0 && (size_t)n < cap && usable(out))
            return true;
        if (p[k] == '\0')
            return false;
        p += k + 1;
    }
}

static bool resolve(const char *name, int loader, char *out, size_t cap, const char **how)
{
    if (strchr(name, '/')) {
        snprintf(out, cap, "%s", name);
        *how = "a path in DT_NEEDED";
        return usable(out);
    }
    const struct elfx *l = &objs[loader].e, *exe = &objs[0].e;
    char origin[PATH_MAX];
    scopy(origin, sizeof origin, objs[loader].path);
    char *slash = strrchr(origin, '/');
    if (slash)
        *slash = '\0';
    char exe_origin[PATH_MAX];
    scopy(exe_origin, sizeof exe_origin, objs[0].path);
    slash = strrchr(exe_origin, '/');
    if (slash)
        *slash = '\0';

    if (!l->runpath) {
        *how = "DT_RPATH";
        if (search_list(l->rpath, origin, name, out, cap))
            return true;
        if (loader != 0 && !exe->runpath && search_list(exe->rpath, exe_origin, name, out, cap))
            return true;
    }
    *how = "LD_LIBRARY_PATH";
    const char *llp = getenv("LD_LIBRARY_PATH");
    if (llp && llp[0] && search_list(llp, origin, name, out, cap))
        return true;
    *how = "DT_RUNPATH";
    if (search_list(l->runpath, origin, name, out, cap))
        return true;
    read_cache();
    *how = "the ld.so cache";
    for (size_t i = 0; i < n_cache; i++) {
        if (strcmp(cache[i].name, name) == 0 && usable(cache[i].path)) {
            snprintf(out, cap, "%s", cache[i].path);
            return true;
        }
    }
    *how = "a default directory";
    char defaults[512];
    snprintf(defaults, sizeof defaults, "/lib/%s:/usr/lib/%s:/lib64:/usr/lib64:/lib:/usr/lib",
             multiarch(), multiarch());
    return search_list(defaults, origin, name, out, cap);
}

/* The program and everything it needs, breadth first (the loader's order
 * for symbol lookup). Names that cannot be found are reported. */
static void load_closure(void)
{
    for (size_t i = 0; i < n_objs && n_objs < MAX_OBJS; i++) {
        for (size_t k = 0; k < objs[i].e.n_needed && n_objs < MAX_OBJS; k++) {
            const char *name = objs[i].e.needed[k];
            char path[PATH_MAX];
            const char *how = "";
            if (!resolve(name, (int)i, path, sizeof path, &how)) {
                bool said = false;
                for (size_t j = 0; j < n_objs; j++)
                    if (objs[j].path[0] == '\0' && strcmp(objs[j].as, name) == 0)
                        said = true;
                if (!said) { /* keep a placeholder: "not found" */
                    struct obj *o = &objs[n_objs++];
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
            for (size_t j = 0; j < n_objs; j++)
                if (strcmp(objs[j].path, path) == 0)
                    seen = true;
            if (seen)
                continue;
            struct obj *o = &objs[n_objs];
            memset(o, 0, sizeof *o);
            char err[512];
            if (elfx_open(path, &o->e, err, sizeof err) != 0)
                continue;
            snprintf(o->path, sizeof o->path, "%s", path);
            o->parent = (int)i;
            o->as = name;
            o->how = how;
            n_objs++;
        }
    }
}

/* --------------------------------------------------------- verdicts ---- */

static const char *const client_fns[] = {"CreatePushConsumer", "RegisterMessageCallback",
                                         "RegisterMessageCallbackOrderly"};

static bool is_rocketmq_name(const char *s)
{
    if (!s)
        return false;
    const char *b = strrchr(s, '/');
    b = b ? b + 1 : s;
    return strncmp(b, "librocketmq", 11) == 0;
}

static void generation(const struct elfx *e, char *buf, size_t cap)
{
    bool body_len = elfx_dynsym(e, "GetMessageBodyLength") == ELFX_DEFINED;
    bool show = elfx_dynsym(e, "ShowPushConsumerVersion") == ELFX_DEFINED;
    bool trace = elfx_dynsym(e, "SetPushConsumerMessageTrace") == ELFX_DEFINED;
    if (body_len)
        snprintf(buf, cap, "master (unreleased): exports GetMessageBodyLength, so bodies are "
                 "kept whole");
    else if (show || trace)
        snprintf(buf, cap, "2.x: exports %s", show ? "ShowPushConsumerVersion" :
                 "SetPushConsumerMessageTrace");
    else
        snprintf(buf, cap, "1.2.x: no ShowPushConsumerVersion, SetPushConsumerMessageTrace or "
                 "GetMessageBodyLength");
}

/* Does the shim `reconsume run` would use export dlsym (shim/dlsym.c)? */
static int shim_has_dlsym(char *lib, size_t cap)
{
    const char *how;
    char err[PATH_MAX + 128];
    if (cli_find_lib(NULL, lib, cap, &how, err, sizeof err) != 0) {
        snprintf(lib, cap, "(no libreconsume.so found)");
        return -1;
    }
    struct elfx e;
    if (elfx_open(lib, &e, err, sizeof err) != 0)
        return -1;
    int yes = elfx_dynsym(&e, "dlsym") == ELFX_DEFINED;
    elfx_close(&e);
    return yes;
}

/* Whether the first 1 MiB of a script names s. */
static bool script_mentions(const char *path, const char *s)
{
    FILE *f = fopen(path, "re");
    if (!f)
        return false;
    static char buf[1 << 20];
    size_t n = fread(buf, 1, sizeof buf, f);
    fclose(f);
    return memmem(buf, n, s, strlen(s)) != NULL;
}

/* Case (c): the client loaded at run time. */
static int dlopen_verdict(const char *why)
{
    char lib[PATH_MAX];
    int has = shim_has_dlsym(lib, sizeof lib);
    say("  %s\n", why);
    say("  this works only with the shim's dlsym interposition (shim/dlsym.c): lookups "
        "of the client's functions on the dlopen handle are answered by the shim\n");
    if (has > 0)
        say("  %s exports dlsym: the interposition is present, so this works\n", lib);
    else if (has == 0)
        say("  %s does not export dlsym: the interposition is absent, so the shim will "
            "not see the callback\n", lib);
    else
        say("  could not check the shim for dlsym: %s\n", lib);
    say("verdict: client loaded with dlopen, %s (exit %d)\n",
        has > 0 ? "wrappable through the dlsym interposition" : "not wrappable with this shim",
        CLI_EXIT_DLOPEN);
    return CLI_EXIT_DLOPEN;
}

static bool find_program(const char *arg, char *out, size_t cap)
{
    if (strchr(arg, '/')) {
        snprintf(out, cap, "%s", arg);
        return access(out, F_OK) == 0;
    }
    const char *path = getenv("PATH");
    if (!path)
        path = "/usr/local/bin:/usr/bin:/bin";
    for (const char *p = path;;) {
        size_t k = strcspn(p, ":");
        int n = snprintf(out, cap, "%.*s/%s", (int)(k ? k : 1), k ? p : ".", arg);
        if (n > 0 && (size_t)n < cap && access(out, X_OK) == 0)
            return true;
        if (p[k] == '\0')
            return false;
        p += k + 1;
    }
}

static int doctor_program(const char *arg)
{
    char path[PATH_MAX], err[PATH_MAX + 256];
    if (!find_program(arg, path, sizeof path)) {
        fprintf(stderr, "reconsume doctor: %s: no such program or process\n", arg);
        return CLI_EXIT_USAGE;
    }
    char *real = realpath(path, NULL);
    if (real) {
        snprintf(path, sizeof path, "%s", real);
        free(real);
    }
    say("program: %s\n", path);
    char line[512];
    if (elfx_is_script(path, line, sizeof line)) {
        /* A Python script that imports the rocketmq package: the package
         * loads librocketmq.so with ctypes, that is dlopen (README, "Consumers
         * that dlopen() the client: Python"). */
        if (strstr(line, "python") && script_mentions(path, "rocketmq"))
            return dlopen_verdict("the script runs under Python and names the rocketmq "
                                  "package, which loads the client with ctypes (dlopen)");
        say("  a script (%s): doctor examines binaries; run it on the interpreter, or on "
               "the running process's pid\n", line);
        say("verdict: cannot tell (exit %d)\n", CLI_EXIT_CANNOT_TELL);
        return CLI_EXIT_CANNOT_TELL;
    }
    struct obj *exe = &objs[0];
    memset(exe, 0, sizeof *exe);
    if (elfx_open(path, &exe->e, err, sizeof err) != 0) {
        say("  %s\n", err);
        say("verdict: cannot tell (exit %d)\n", CLI_EXIT_CANNOT_TELL);
        return CLI_EXIT_CANNOT_TELL;
    }
    snprintf(exe->path, sizeof exe->path, "%s", path);
    exe->parent = -1;
    exe->how = "";
    n_objs = 1;
    machine = exe->e.machine;
    bool dynamic = exe->e.has_interp || exe->e.n_needed > 0;
    say("  ELF 64-bit %s, %s\n", exe->e.type == ET_DYN ? "position-independent" : "executable",
           dynamic ? "dynamically linked" : "statically linked (no dynamic loader)");
    if (exe->e.has_interp && exe->e.interp)
        say("  interpreter: %s\n", exe->e.interp);
    if (exe->e.rpath)
        say("  DT_RPATH: %s\n", exe->e.rpath);
    if (exe->e.runpath)
        say("  DT_RUNPATH: %s\n", exe->e.runpath);
    if (dynamic)
        load_closure();

    /* (b) the client's functions defined in the program itself */
    const char *internal = NULL;
    for (size_t i = 0; i < 3 && !internal; i++)
        if (elfx_symtab_defines(&exe->e, client_fns[i]) ||
            elfx_dynsym(&exe->e, client_fns[i]) == ELFX_DEFINED)
            internal = client_fns[i];
    bool stripped = exe->e.symtab == NULL;
    bool links_rmq = false;
    int rmq = -1;
    for (size_t i = 1; i < n_objs; i++) {
        if (is_rocketmq_name(objs[i].as) || is_rocketmq_name(objs[i].e.soname)) {
            links_rmq = true;
            if (rmq < 0)
                rmq = (int)i;
        }
    }
    if (!internal && stripped && !links_rmq && elfx_dynsym(&exe->e, "dlopen") != ELFX_UNDEF &&
        elfx_dynsym(&exe->e, "CreatePushConsumer") == ELFX_ABSENT &&
        elfx_dynsym(&exe->e, "RegisterMessageCallback") == ELFX_ABSENT &&
        (elfx_contains(&exe->e, "8rocketmq") || elfx_contains(&exe->e, "CreatePushConsumer")))
        internal = "(stripped; it contains the client's C++ type names)";
    if (internal) {
        say("  the program defines %s itself: the RocketMQ client is linked in statically\n",
               internal);
        say("  its calls to the client's C API are internal to the binary; no preloaded "
               "library can interpose them, so the shim cannot wrap this consumer\n");
        say("  what to do: link it against the shared client instead (-lrocketmq with "
               "librocketmq.so, not librocketmq.a and not -static), then run it under "
               "`reconsume run`\n");
        say("verdict: statically linked client, not wrappable (exit %d)\n", CLI_EXIT_STATIC);
        return CLI_EXIT_STATIC;
    }

    /* (a) linked dynamically: who imports the registration, who provides it */
    int provider = -1;
    for (size_t i = 1; i < n_objs && provider < 0; i++)
        if (objs[i].path[0] && elfx_dynsym(&objs[i].e, "RegisterMessageCallback") == ELFX_DEFINED)
            provider = (int)i;
    char importers[1024] = "";
    bool imports = false;
    for (size_t i = 0; i < n_objs; i++) {
        if (!objs[i].path[0] || (int)i == provider)
            continue;
        for (size_t f = 1; f < 3; f++) {
            if (elfx_dynsym(&objs[i].e, client_fns[f]) != ELFX_UNDEF)
                continue;
            imports = true;
            if (importers[0])
                sappend(importers, sizeof importers, ", ");
            sappend(importers, sizeof importers, client_fns[f]);
            sappend(importers, sizeof importers, " (");
            sappend(importers, sizeof importers, i == 0 ? "the program" : objs[i].path);
            sappend(importers, sizeof importers, ")");
        }
    }
    for (size_t i = 1; i < n_objs; i++)
        if (!objs[i].path[0])
            say("  needs %s: not found by the loader here (needed by %s)\n", objs[i].as,
                   objs[objs[i].parent].path);
    int client = provider >= 0 ? provider : (rmq >= 0 && objs[rmq].path[0] ? rmq : -1);
    if (client >= 0) {
        char gen[256];
        generation(&objs[client].e, gen, sizeof gen);
        say("  client: %s -> %s (found through %s)\n", objs[client].as, objs[client].path,
               objs[client].how);
        say("  client generation: %s\n", gen);
    }
    if (imports) {
        say("  imports %s\n", importers);
        if (rmq >= 0 && !objs[rmq].path[0])
            say("  warning: %s is not found with this environment; the program will not "
                   "start like this (set LD_LIBRARY_PATH, or fix its RUNPATH)\n", objs[rmq].as);
        say("  the shim can interpose the registration: run it under `reconsume run -- %s "
               "...`\n", arg);
        say("verdict: dynamically linked client, wrappable (exit 0)\n");
        return 0;
    }

    /* (c) the client loaded at run time */
    bool dl = elfx_dynsym(&exe->e, "dlopen") == ELFX_UNDEF ||
              elfx_dynsym(&exe->e, "dlmopen") == ELFX_UNDEF;
    if (!links_rmq && dl &&
        (elfx_contains(&exe->e, "librocketmq") || elfx_contains(&exe->e, "RegisterMessageCallback")))
        return dlopen_verdict("the program loads the client at run time with dlopen (it "
                              "imports dlopen and names librocketmq or its functions) and does "
                              "not link it");

    /* (d) */
    if (links_rmq)
        say("  links the RocketMQ client but registers no push consumer callback (a "
               "producer or an admin tool?): there is nothing for the shim to wrap\n");
    else
        say("  neither links the RocketMQ client, nor contains it, nor loads it with "
               "dlopen\n");
    if (elfx_dynsym(&exe->e, "Py_Initialize") != ELFX_ABSENT ||
        elfx_dynsym(&exe->e, "Py_BytesMain") != ELFX_ABSENT)
        say("  note: a Python interpreter; a Python consumer loads the client with ctypes "
            "(dlopen): run doctor on the script or on the running pid\n");
    say("verdict: not a RocketMQ consumer (exit %d)\n", CLI_EXIT_NOT_CONSUMER);
    return CLI_EXIT_NOT_CONSUMER;
}

/* --------------------------------------------------------------- pid ---- */

static char *proc_environ;
static size_t proc_environ_len;

static const char *proc_lookup(const char *name)
{
    size_t nl = strlen(name);
    for (size_t o = 0; o < proc_environ_len;) {
        const char *s = proc_environ + o;
        size_t l = strnlen(s, proc_environ_len - o);
        if (l > nl && strncmp(s, name, nl) == 0 && s[nl] == '=')
            return s + nl + 1;
        o += l + 1;
    }
    return NULL;
}

static char *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "re");
    if (!f)
        return NULL;
    size_t cap = 4096, n = 0;
    char *buf = malloc(cap + 1);
    while (buf) {
        size_t r = fread(buf + n, 1, cap - n, f);
        n += r;
        if (n < cap)
            break;
        char *g = realloc(buf, cap * 2 + 1);
        if (!g) {
            free(buf);
            buf = NULL;
            break;
        }
        buf = g;
        cap *= 2;
    }
    if (ferror(f)) {
        free(buf);
        buf = NULL;
    }
    fclose(f);
    if (buf) {
        buf[n] = '\0';
        *len = n;
    }
    return buf;
}

static int doctor_pid(const char *arg)
{
    char path[64], exe[PATH_MAX];
    snprintf(path, sizeof path, "/proc/%s/maps", arg);
    size_t maps_len;
    char *maps = slurp(path, &maps_len);
    if (!maps) {
        int e = errno;
        snprintf(path, sizeof path, "/proc/%s", arg);
        if (access(path, F_OK) != 0) {
            fprintf(stderr, "reconsume doctor: %s: no such process\n", arg);
            return CLI_EXIT_USAGE;
        }
        fprintf(stderr, "reconsume doctor: /proc/%s/maps: %s (another user's process? run "
                "doctor as that user)\n", arg, strerror(e));
        return CLI_EXIT_USAGE;
    }
    snprintf(path, sizeof path, "/proc/%s/exe", arg);
    ssize_t n = readlink(path, exe, sizeof exe - 1);
    exe[n > 0 ? n : 0] = '\0';
    say("process %s: %s\n", arg, n > 0 ? exe : "(executable unknown)");

    char shim[PATH_MAX] = "", client[PATH_MAX] = "";
    for (char *line = strtok(maps, "\n"); line; line = strtok(NULL, "\n")) {
        char *p = strchr(line, '/');
        if (!p)
            continue;
        const char *base = strrchr(p, '/') + 1;
        if (!shim[0] && strncmp(base, "libreconsume.so", 15) == 0)
            snprintf(shim, sizeof shim, "%s", p);
        if (!client[0] && strncmp(base, "librocketmq", 11) == 0)
            snprintf(client, sizeof client, "%s", p);
    }
    free(maps);
    if (client[0]) {
        say("  client: %s", client);
        struct elfx e;
        char err[PATH_MAX + 64];
        if (elfx_open(client, &e, err, sizeof err) == 0) {
            char gen[256];
            generation(&e, gen, sizeof gen);
            say(" (%s)", gen);
            elfx_close(&e);
        }
        say("\n");
    } else {
        say("  client: librocketmq is not loaded in this process (not a consumer, or not "
               "yet)\n");
    }
    if (!shim[0]) {
        say("  shim: not loaded (start it with `reconsume run -- ...`; LD_PRELOAD is read "
               "only when a program starts)\n");
        say("verdict: shim not loaded (exit %d)\n", CLI_EXIT_NOT_ACTIVE);
        return CLI_EXIT_NOT_ACTIVE;
    }
    say("  shim: loaded, %s\n", shim);

    snprintf(path, sizeof path, "/proc/%s/environ", arg);
    proc_environ = slurp(path, &proc_environ_len);
    if (!proc_environ) {
        say("  settings: /proc/%s/environ is not readable (%s); cannot say which\n", arg,
               strerror(errno));
        say("verdict: shim loaded (exit 0)\n");
        return 0;
    }
    say("  settings (the environment it started with, which the shim read at load):\n");
    int shown = 0;
    for (size_t o = 0; o < proc_environ_len;) {
        const char *s = proc_environ + o;
        size_t l = strnlen(s, proc_environ_len - o);
        if (strncmp(s, "RECONSUME_", 10) == 0 || strncmp(s, "LD_PRELOAD=", 11) == 0) {
            const char *eq = strchr(s, '=');
            say("    %.*s=", (int)(eq ? eq - s : (int)l), s);
            char *v = strndup(eq ? eq + 1 : "", l);
            for (char *c = v; c && *c; c++)
                if (!isprint((unsigned char)*c))
                    *c = '?';
            cli_put_quoted(out, v ? v : "");
            free(v);
            say("\n");
            shown++;
        }
        o += l + 1;
    }
    if (shown == 0)
        say("    (none: every default)\n");

    /* The same parser, on the same environment, from its directory
     * (relative paths and writability are judged as the shim judged them,
     * as far as this user can see). */
    snprintf(path, sizeof path, "/proc/%s/cwd", arg);
    if (chdir(path) != 0)
        say("  note: cannot enter its working directory; relative paths are judged from "
               "here\n");
    struct rc_config cfg;
    char err[2048];
    if (rc_config_load(&cfg, proc_lookup, err, sizeof err) != 0) {
        say("  configuration: invalid: %s\n", err);
        say("  the shim is passing through (or, with RECONSUME_STRICT, the process would "
               "have exited 78)\n");
        say("verdict: shim loaded but passing through (exit %d)\n", CLI_EXIT_NOT_ACTIVE);
        return CLI_EXIT_NOT_ACTIVE;
    }
    char catches[64];
    rc_catch_format(cfg.catch_mask, catches, sizeof catches);
    say("  configuration: valid: %s, %s mode, max retries %d, catch %s, spool %s%s%s\n",
           cfg.enable ? "enabled" : "disabled", cfg.observe ? "observe" : "enforce",
           cfg.max_retries, catches, cfg.spool_dir, cfg.stats_path[0] ? ", stats " : "",
           cfg.stats_path);
    bool enabled = cfg.enable;
    rc_config_free(&cfg);
    if (!enabled) {
        say("verdict: shim loaded but disabled, pass-through (exit %d)\n", CLI_EXIT_NOT_ACTIVE);
        return CLI_EXIT_NOT_ACTIVE;
    }
    say("verdict: shim loaded and active (exit 0)\n");
    return 0;
}

static void usage(FILE *f)
{
    fputs("usage: reconsume doctor PROGRAM|PID\n"
          "\n"
          "Says whether the shim can wrap a consumer program, and why not if it cannot;\n"
          "for a running process, whether the shim is loaded and with which settings.\n"
          "\n"
          "Exit status:\n"
          "  0  wrappable: the client is linked dynamically and the program (or a library\n"
          "     it loads) imports RegisterMessageCallback(Orderly); for a PID, the shim is\n"
          "     loaded and active\n"
          "  2  usage error, or no such program or process\n"
          "  3  the client is linked in statically: its calls cannot be interposed\n"
          "  4  the client is loaded at run time with dlopen (works only through the\n"
          "     shim's dlsym interposition; the output says whether it is present)\n"
          "  5  not a RocketMQ consumer\n"
          "  6  PID: the shim is not loaded, or loaded but passing through\n"
          "  7  cannot tell: another script, or not a native 64-bit ELF file\n", f);
}

int cli_doctor(int argc, char **argv)
{
    if (argc == 2 && (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0)) {
        usage(stdout);
        return 0;
    }
    if (argc != 2 || argv[1][0] == '\0' || (argv[1][0] == '-' && argv[1][1] != '\0')) {
        fprintf(stderr, "reconsume doctor: expected one PROGRAM or PID\n");
        fputs("Try 'reconsume doctor --help' for more information.\n", stderr);
        return CLI_EXIT_USAGE;
    }
    const char *a = argv[1];
    out = open_memstream(&out_buf, &out_len);
    if (!out) {
        perror("reconsume doctor");
        return 1;
    }
    int status = strspn(a, "0123456789") == strlen(a) ? doctor_pid(a) : doctor_program(a);
    return flush_out(status);
}
