/*
 * dlsym.c - the client's functions for programs that dlopen() it.
 *
 * A symbol looked up on a library handle is found in that library, not in a
 * preloaded object, and RTLD_NEXT does not see a library opened RTLD_LOCAL
 * (the default of Python's ctypes). So the shim interposes dlsym and dlvsym:
 * a lookup of one of the interposed client functions on a handle of the
 * client library returns the shim's function, and the client's table is
 * resolved from that handle (client/resolve.c). Every other lookup goes to
 * glibc unchanged.
 *
 * "Unchanged" includes who is asking. glibc resolves RTLD_NEXT, RTLD_DEFAULT
 * (and audit bindings) relative to the caller, found from its return
 * address. A C wrapper that called the real dlsym would make every
 * dlsym(RTLD_NEXT, ...) in the process resolve relative to the shim: a
 * malloc wrapper in a library loaded after the shim would get itself back.
 * So the exported entry points are a few instructions of assembly: save the
 * arguments, ask rc_dlsym_divert() (C, below) whether this lookup is ours,
 * and if not, restore the arguments and *jump* to glibc's function, which
 * then sees the original caller's return address and registers, as if the
 * shim were not there. Assembly is the only way to guarantee that tail jump
 * (C has no portable musttail); it is written for x86-64 (glibc, System V
 * ABI). On other targets the shim does not interpose dlsym at all, and a
 * client dlopen()ed RTLD_LOCAL is not intercepted (as before).
 *
 * Which handle is the client is decided by what it exports, not by its file
 * name: the lookup on the handle finds the requested function, and
 * CreatePushConsumer and RegisterMessageCallback, in one and the same
 * object (dladdr's dli_fbase), none of them the shim's. A vendored or
 * renamed copy (rocketmq wheels ship rocketmq/librocketmq.so; the test
 * double is build/double/librocketmq.so) is recognised; a library merely
 * named librocketmq* that is something else is not. A handle whose lookup
 * reaches a client through a dependency is the same client and is treated so.
 *
 * The real dlsym/dlvsym come from libc.so.6's symbol table (client/libc_sym.c),
 * found on first use without locks (client/real_dlsym.c). The decision allocates nothing and takes no lock for lookups that are not of
 * an interposed name; for those, it makes three lookups and three dladdr
 * calls, and the first one adopts the client (client_api.c, a mutex with
 * fork handlers).
 */

#include <dlfcn.h>
#include <errno.h>

#include "client/api.h"
#include "shim/foreign.h"
#include "client/real_dlsym.h"
#include "obs/log.h"
#include "hooks/runtime.h"

#define NO_SAN __attribute__((no_sanitize("address", "undefined", "thread")))
#define HIDDEN __attribute__((visibility("hidden"), used))

#if defined(__x86_64__) && defined(__GLIBC__)
#define RC_DLSYM_INTERPOSED 1
#endif

/* The interposed client functions (the INTERPOSED rows of
 * client/symbols.def), and what a lookup on the client's handle gets
 * instead. Registration and destruction get variants that also protect a
 * callback that is itself a libffi closure (shim/foreign.c). */
#define RC_CLIENT_FN(name, ret, params, shim, topic, pull, route) \
    RC_IF_INTERPOSED_##shim(extern ret name params;)
#include "client/symbols.def"

typedef void (*any_fn)(void);
static const struct {
    const char *name;
    any_fn ours;  /* the exported function: what the lookup must not find */
    any_fn route; /* what a lookup on the client's handle returns */
} interposed[] = {
#define RC_CLIENT_FN(name, ret, params, shim, topic, pull, route) \
    RC_IF_INTERPOSED_##shim({#name, (any_fn)name, (any_fn)route},)
#include "client/symbols.def"
};
#define N_INTERPOSED (sizeof interposed / sizeof interposed[0])

/* client_register_fn() below takes CreatePushConsumer and
 * RegisterMessageCallback by their index in interposed[]: a reordered
 * symbols.def must not move them silently. */
enum {
#define RC_CLIENT_FN(name, ret, params, shim, topic, pull, route) RC_IF_INTERPOSED_##shim(IX_##name,)
#include "client/symbols.def"
};
_Static_assert(IX_CreatePushConsumer == 0 && IX_RegisterMessageCallback == 4,
               "client_register_fn reads interposed[0] and interposed[4]");

/* The index of an interposed name, or -1; cheap for every other name. */
NO_SAN static int interposed_index(const char *name)
{
    switch (name[0]) {
    case 'C': case 'S': case 'R': case 'U': case 'D': case '_': break;
    default: return -1;
    }
    for (size_t i = 0; i < N_INTERPOSED; i++) {
        const char *a = name, *b = interposed[i].name;
        while (*a && *a == *b)
            a++, b++;
        if (*a == *b)
            return (int)i;
    }
    return -1;
}

static void *fn_addr(any_fn f)
{
    return (void *)f;
}

/* Is P (found on HANDLE) a function of the RocketMQ client? See the top. */
static void *client_register_fn(void *handle, void *p)
{
    void *create = rc_libc_dlsym(handle, "CreatePushConsumer");
    void *reg = rc_libc_dlsym(handle, "RegisterMessageCallback");
    if (!create || !reg || create == fn_addr(interposed[0].ours) ||
        reg == fn_addr(interposed[4].ours))
        return NULL;
    Dl_info a, b, c;
    if (!dladdr(p, &a) || !dladdr(create, &b) || !dladdr(reg, &c))
        return NULL;
    if (a.dli_fbase != b.dli_fbase || a.dli_fbase != c.dli_fbase)
        return NULL;
    return reg;
}

/*
 * Called by the assembly entry points with the lookup's arguments (version
 * NULL for dlsym). Returns the shim's function when the lookup is of an
 * interposed client function on the client's handle, else NULL: the entry
 * point then jumps to glibc's function with the arguments untouched.
 * Leaves errno as it found it; dlerror() is set by the last lookup, which
 * is either the pass-through or, for an answer from here, one that
 * succeeded (as the caller's own would have).
 */
NO_SAN HIDDEN void *rc_dlsym_divert(void *handle, const char *name, const char *version)
{
    rc_real_dlsym_ensure();
    if (handle == RTLD_DEFAULT || handle == RTLD_NEXT || !name)
        return NULL;
    int k = interposed_index(name);
    if (k < 0 || !rc_active())
        return NULL;
    int saved = errno;
    void *found = version ? rc_libc_dlvsym(handle, name, version) : rc_libc_dlsym(handle, name);
    void *answer = NULL;
    if (found && found != fn_addr(interposed[k].ours) && found != fn_addr(interposed[k].route)) {
        void *reg = client_register_fn(handle, found);
        if (reg) {
            if (rc_client_adopt(handle, reg) == 0)
                answer = fn_addr(interposed[k].route);
            else
                rc_log_once(second_client, RC_LOG_WARN,
                            "a second RocketMQ client library was looked up with dlsym; its "
                            "callbacks are not wrapped (the shim serves one client per process)");
        }
    }
    errno = saved;
    return answer;
}

#ifdef RC_DLSYM_INTERPOSED
/*
 * void *dlsym(void *handle, const char *name)
 * void *dlvsym(void *handle, const char *name, const char *version)
 *
 * Stack at entry: 8 mod 16 (the return address). dlsym pushes two argument
 * registers and 8 bytes of padding, dlvsym three registers, so that the call
 * is made 16-byte aligned; after it, the registers are restored exactly and
 * the stack is as at entry, so the jump hands glibc the caller's frame.
 */
__asm__(
    "    .text\n"
    "    .globl dlsym\n"
    "    .type dlsym, @function\n"
    "    .p2align 4\n"
    "dlsym:\n"
    "    .cfi_startproc\n"
    "    endbr64\n"
    "    pushq %rdi\n"
    "    .cfi_adjust_cfa_offset 8\n"
    "    pushq %rsi\n"
    "    .cfi_adjust_cfa_offset 8\n"
    "    subq $8, %rsp\n"
    "    .cfi_adjust_cfa_offset 8\n"
    "    xorl %edx, %edx\n"
    "    call rc_dlsym_divert\n"
    "    addq $8, %rsp\n"
    "    .cfi_adjust_cfa_offset -8\n"
    "    popq %rsi\n"
    "    .cfi_adjust_cfa_offset -8\n"
    "    popq %rdi\n"
    "    .cfi_adjust_cfa_offset -8\n"
    "    testq %rax, %rax\n"
    "    jz 1f\n"
    "    ret\n"
    "1:  jmp *rc_libc_dlsym(%rip)\n"
    "    .cfi_endproc\n"
    "    .size dlsym, .-dlsym\n"
    "\n"
    "    .globl dlvsym\n"
    "    .type dlvsym, @function\n"
    "    .p2align 4\n"
    "dlvsym:\n"
    "    .cfi_startproc\n"
    "    endbr64\n"
    "    pushq %rdi\n"
    "    .cfi_adjust_cfa_offset 8\n"
    "    pushq %rsi\n"
    "    .cfi_adjust_cfa_offset 8\n"
    "    pushq %rdx\n"
    "    .cfi_adjust_cfa_offset 8\n"
    "    call rc_dlsym_divert\n"
    "    popq %rdx\n"
    "    .cfi_adjust_cfa_offset -8\n"
    "    popq %rsi\n"
    "    .cfi_adjust_cfa_offset -8\n"
    "    popq %rdi\n"
    "    .cfi_adjust_cfa_offset -8\n"
    "    testq %rax, %rax\n"
    "    jz 1f\n"
    "    ret\n"
    "1:  jmp *rc_libc_dlvsym(%rip)\n"
    "    .cfi_endproc\n"
    "    .size dlvsym, .-dlvsym\n");
#endif
