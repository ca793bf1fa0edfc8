/*
 * doctor_program.c - the verdict on a program (see doctor_program.h).
 *
 * The cases, in the order they are decided: (b) the client linked in
 * statically, (a) linked dynamically with the registration imported
 * (wrappable), (c) loaded at run time with dlopen, (d) not a consumer.
 */
#include "tools/cli/doctor_program.h"

#include "tools/cli/cli.h"
#include "tools/cli/doctor_client.h"
#include "tools/cli/doctor_loader.h"
#include "tools/cli/doctor_out.h"
#include "tools/cli/elf.h"

#include <elf.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* The C++ API's registration: a program importing it is a C++ API consumer. */
#define CXX_REGISTER "_ZN8rocketmq21DefaultMQPushConsumer23registerMessageListenerEPNS_17MQMessageListenerE"

/* The program and its libraries: too big for the stack. */
static struct doctor_objs closure;

static void sappend(char *dst, size_t cap, const char *src)
{
    size_t u = strnlen(dst, cap - 1);
    snprintf(dst + u, cap - u, "%s", src);
}

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

/* A script: only a Python one naming the rocketmq package can be told. */
static int script_verdict(const char *path, const char *line)
{
    /* A Python script that imports the rocketmq package: the package
     * loads librocketmq.so with ctypes, that is dlopen (docs/python.md:
     * how the Python packages load the client). */
    if (strstr(line, "python") && script_mentions(path, "rocketmq"))
        return dlopen_verdict("the script runs under Python and names the rocketmq "
                              "package, which loads the client with ctypes (dlopen)");
    say("  a script (%s): doctor examines binaries; run it on the interpreter, or on "
           "the running process's pid\n", line);
    say("verdict: cannot tell (exit %d)\n", CLI_EXIT_CANNOT_TELL);
    return CLI_EXIT_CANNOT_TELL;
}

/* Open the program as closure.v[0], describe it, and find what it needs.
 * 0, or the exit status when it cannot be read. */
static int open_program(const char *path)
{
    char err[PATH_MAX + 256];
    struct doctor_obj *exe = &closure.v[0];
    memset(exe, 0, sizeof *exe);
    if (elfx_open(path, &exe->e, err, sizeof err) != 0) {
        say("  %s\n", err);
        say("verdict: cannot tell (exit %d)\n", CLI_EXIT_CANNOT_TELL);
        return CLI_EXIT_CANNOT_TELL;
    }
    snprintf(exe->path, sizeof exe->path, "%s", path);
    exe->parent = -1;
    exe->how = "";
    closure.n = 1;
    closure.machine = exe->e.machine;
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
        doctor_load_closure(&closure);
    return 0;
}

/* The first library of the closure named librocketmq*, or -1. */
static int rocketmq_lib(void)
{
    for (size_t i = 1; i < closure.n; i++)
        if (is_rocketmq_name(closure.v[i].as) || is_rocketmq_name(closure.v[i].e.soname))
            return (int)i;
    return -1;
}

/* (b) What shows the client's functions defined in the program itself, or NULL. */
static const char *client_inside(const struct elfx *exe, bool links_rmq)
{
    for (size_t i = 0; i < 3; i++)
        if (elfx_symtab_defines(exe, client_fns[i]) ||
            elfx_dynsym(exe, client_fns[i]) == ELFX_DEFINED)
            return client_fns[i];
    bool stripped = exe->symtab == NULL;
    if (stripped && !links_rmq && elfx_dynsym(exe, "dlopen") != ELFX_UNDEF &&
        elfx_dynsym(exe, "CreatePushConsumer") == ELFX_ABSENT &&
        elfx_dynsym(exe, "RegisterMessageCallback") == ELFX_ABSENT &&
        (elfx_contains(exe, "8rocketmq") || elfx_contains(exe, "CreatePushConsumer")))
        return "(stripped; it contains the client's C++ type names)";
    return NULL;
}

static int static_verdict(const char *internal)
{
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

/*
 * The 5.x client (apache/rocketmq-clients' C++ client) is another library
 * under the same name: a gRPC client with a C++ API of its own
 * (rocketmq::PushConsumer, SimpleConsumer, ...) and no C API. The test:
 * the library defines none of the remoting client's push consumer
 * functions (CreatePushConsumer, RegisterMessageCallback, the C++ API's
 * DefaultMQPushConsumer::registerMessageListener: every 1.x and 2.x build
 * exports all three), yet carries rocketmq:: names, and carries gRPC's
 * (grpc:: symbols, or a libgrpc dependency). Absent functions alone would
 * also fit a producer-only build or some unrelated librocketmq; the gRPC
 * names are what the 5.x client has and the remoting clients never link.
 */
static bool is_grpc_client(const struct elfx *e)
{
    if (elfx_dynsym(e, "CreatePushConsumer") == ELFX_DEFINED ||
        elfx_dynsym(e, "RegisterMessageCallback") == ELFX_DEFINED ||
        elfx_dynsym(e, CXX_REGISTER) == ELFX_DEFINED)
        return false;
    return elfx_contains(e, "8rocketmq") && (elfx_contains(e, "4grpc") || elfx_contains(e, "libgrpc"));
}

static int grpc_verdict(const char *lib)
{
    say("  %s is the 5.x gRPC client (apache/rocketmq-clients): it has rocketmq:: and gRPC "
        "symbols and none of the remoting client's push consumer functions "
        "(RegisterMessageCallback, DefaultMQPushConsumer::registerMessageListener)\n", lib);
    say("  the shim wraps the 1.x/2.x remoting client (rocketmq-client-cpp) only; it does not "
        "support the 5.x client\n");
    say("verdict: 5.x gRPC client, not supported (exit %d)\n", CLI_EXIT_NOT_CONSUMER);
    return CLI_EXIT_NOT_CONSUMER;
}

/*
 * (a) Linked dynamically: who imports the registration, who provides it.
 * Names what the loader would not find and the client found. Returns 0
 * (wrappable) when the registration is imported, the exit status when the
 * client is the 5.x gRPC client (not supported), else -1 (not decided).
 */
static int linked_verdict(const char *arg, int rmq)
{
    const struct doctor_obj *objs = closure.v;
    const size_t n_objs = closure.n;
    int provider = -1;
    for (size_t i = 1; i < n_objs && provider < 0; i++)
        if (objs[i].path[0] && (elfx_dynsym(&objs[i].e, "RegisterMessageCallback") == ELFX_DEFINED ||
                                elfx_dynsym(&objs[i].e, CXX_REGISTER) == ELFX_DEFINED))
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
        if (elfx_dynsym(&objs[i].e, CXX_REGISTER) == ELFX_UNDEF) {
            imports = true;
            if (importers[0])
                sappend(importers, sizeof importers, ", ");
            sappend(importers, sizeof importers,
                    "DefaultMQPushConsumer::registerMessageListener, a C++ API consumer (");
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
        doctor_client_generation(&objs[client].e, gen, sizeof gen);
        say("  client: %s -> %s (found through %s)\n", objs[client].as, objs[client].path,
               objs[client].how);
        say("  client generation: %s\n", gen);
    }
    if (client >= 0 && is_grpc_client(&objs[client].e))
        return grpc_verdict(objs[client].path);
    if (!imports)
        return -1;
    say("  imports %s\n", importers);
    say("  the shim can interpose the registration: run it under `reconsume run -- %s "
           "...`\n", arg);
    if (rmq >= 0 && !objs[rmq].path[0]) {
        /* Wrappable, but it would not start: the loader's verdict comes first. */
        say("verdict: %s is not found by the loader with this environment: the program will "
            "not start like this (set LD_LIBRARY_PATH, or fix its RUNPATH) (exit 9)\n",
            objs[rmq].as);
        return 9;
    }
    say("verdict: dynamically linked client, wrappable (exit 0)\n");
    return 0;
}

/* (c) the client loaded at run time, else (d) not a consumer. */
static int unlinked_verdict(const struct elfx *exe, bool links_rmq)
{
    bool dl = elfx_dynsym(exe, "dlopen") == ELFX_UNDEF ||
              elfx_dynsym(exe, "dlmopen") == ELFX_UNDEF;
    if (!links_rmq && dl &&
        (elfx_contains(exe, "librocketmq") || elfx_contains(exe, "RegisterMessageCallback")))
        return dlopen_verdict("the program loads the client at run time with dlopen (it "
                              "imports dlopen and names librocketmq or its functions) and does "
                              "not link it");
    if (links_rmq)
        say("  links the RocketMQ client but registers no push consumer callback (a "
               "producer or an admin tool?): there is nothing for the shim to wrap\n");
    else
        say("  neither links the RocketMQ client, nor contains it, nor loads it with "
               "dlopen\n");
    if (elfx_dynsym(exe, "Py_Initialize") != ELFX_ABSENT ||
        elfx_dynsym(exe, "Py_BytesMain") != ELFX_ABSENT)
        say("  note: a Python interpreter; a Python consumer loads the client with ctypes "
            "(dlopen): run doctor on the script or on the running pid\n");
    say("verdict: not a RocketMQ consumer (exit %d)\n", CLI_EXIT_NOT_CONSUMER);
    return CLI_EXIT_NOT_CONSUMER;
}

int doctor_program(const char *arg)
{
    char path[PATH_MAX];
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
    if (elfx_is_script(path, line, sizeof line))
        return script_verdict(path, line);
    int rc = open_program(path);
    if (rc != 0)
        return rc;
    const struct elfx *exe = &closure.v[0].e;
    int rmq = rocketmq_lib();
    const char *internal = client_inside(exe, rmq >= 0);
    if (internal)
        return static_verdict(internal);
    int v = linked_verdict(arg, rmq);
    if (v >= 0)
        return v;
    return unlinked_verdict(exe, rmq >= 0);
}
