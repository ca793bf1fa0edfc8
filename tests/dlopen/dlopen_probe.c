/*
 * dlopen_probe.c - lookups whose answers must not change under the shim.
 *
 *   dlopen_probe CLIENT_LIB PROBE_LOCAL_LIB
 *
 * Prints one line per lookup, "<what> <answer>", where the answer is
 * "<object basename>+0x<offset>" (stable across runs despite ASLR), or
 * "NULL <dlerror() text>". tests/dlopen/test_dlopen.py runs it with and
 * without the shim and compares; only the interposed client functions
 * looked up on the client's handle may differ (they become the shim's).
 * Linked with libprobe_a.so and libprobe_b.so, in that order.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <dlfcn.h>
#include <stdio.h>
#include <string.h>

extern void *probe_next(void);
extern void *probe_vnext(void);

static void show(const char *what, void *p)
{
    Dl_info di;
    if (!p) {
        const char *e = dlerror();
        printf("%s NULL %s\n", what, e ? e : "(no dlerror)");
        return;
    }
    if (!dladdr(p, &di) || !di.dli_fname) {
        printf("%s ?%p\n", what, p);
        return;
    }
    const char *base = strrchr(di.dli_fname, '/');
    printf("%s %s+0x%lx\n", what, base ? base + 1 : di.dli_fname,
           (unsigned long)((char *)p - (char *)di.dli_fbase));
    dlerror();
}

int main(int argc, char **argv)
{
    if (argc != 3) {
        fprintf(stderr, "usage: dlopen_probe CLIENT_LIB PROBE_LOCAL_LIB\n");
        return 2;
    }
    void *client = dlopen(argv[1], RTLD_NOW | RTLD_LOCAL);
    void *libc = dlopen("libc.so.6", RTLD_NOW | RTLD_NOLOAD);
    void *local = dlopen(argv[2], RTLD_NOW | RTLD_LOCAL);
    if (!client || !libc || !local) {
        fprintf(stderr, "dlopen: %s\n", dlerror());
        return 2;
    }
    /* on the client's handle: unrelated names pass through */
    show("client:GetMessageTopic", dlsym(client, "GetMessageTopic"));
    show("client:StartPushConsumer", dlsym(client, "StartPushConsumer"));
    show("client:NoSuchSymbol", dlsym(client, "NoSuchSymbol"));
    show("client:CreatePushConsumer@V", dlvsym(client, "CreatePushConsumerX", "V1"));
    /* the interposed ones: the shim's, under it */
    show("client:CreatePushConsumer", dlsym(client, "CreatePushConsumer"));
    show("client:RegisterMessageCallback", dlsym(client, "RegisterMessageCallback"));
    /* libc's handle */
    show("libc:printf", dlsym(libc, "printf"));
    show("libc:malloc", dlsym(libc, "malloc"));
    show("libc:dlsym@GLIBC_2.34", dlvsym(libc, "dlsym", "GLIBC_2.34"));
    show("libc:dlsym@GLIBC_2.2.5", dlvsym(libc, "dlsym", "GLIBC_2.2.5"));
    show("libc:memcpy@GLIBC_2.2.5", dlvsym(libc, "memcpy", "GLIBC_2.2.5"));
    show("libc:memcpy@GLIBC_2.14", dlvsym(libc, "memcpy", "GLIBC_2.14"));
    show("libc:NoSuch", dlsym(libc, "NoSuchSymbol"));
    show("libc:printf@NOPE", dlvsym(libc, "printf", "NOPE_1.0"));
    /* pseudo-handles, from the program */
    show("default:printf", dlsym(RTLD_DEFAULT, "printf"));
    show("default:probe_sym", dlsym(RTLD_DEFAULT, "probe_sym"));
    show("default:GetMessageTopic", dlsym(RTLD_DEFAULT, "GetMessageTopic"));
    show("default:NoSuch", dlsym(RTLD_DEFAULT, "NoSuchSymbol"));
    show("next:printf", dlsym(RTLD_NEXT, "printf"));
    show("next:probe_sym", dlsym(RTLD_NEXT, "probe_sym"));
    show("next:NoSuch", dlsym(RTLD_NEXT, "NoSuchSymbol"));
    show("vnext:malloc@GLIBC_2.2.5", dlvsym(RTLD_NEXT, "malloc", "GLIBC_2.2.5"));
    /* pseudo-handles, from a library: relative to *that* caller */
    show("lib_a:next:probe_sym", probe_next());
    show("lib_a:vnext:probe_sym", probe_vnext());
    void *(*probe_default)(void);
    void *pd = dlsym(local, "probe_default");
    memcpy(&probe_default, &pd, sizeof pd);
    show("lib_local:default:probe_dep_sym", probe_default ? probe_default() : NULL);
    /* dlerror after a failing lookup, then after a good one */
    dlsym(client, "NoSuchSymbol");
    const char *e = dlerror();
    printf("dlerror-after-miss %s\n", e ? e : "(none)");
    dlsym(client, "GetMessageTopic");
    e = dlerror();
    printf("dlerror-after-hit %s\n", e ? e : "(none)");
    return 0;
}
