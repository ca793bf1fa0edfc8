/*
 * abi_probe.c - prints, for one real client library, the listener-level ABI
 * facts of tests/real/LISTENER_NOTES.md, found at run time:
 *
 *   abi_probe PATH/librocketmq.so
 *
 * One "key=value" line each (tests/real/test_listener_abi.py reads them):
 *   msgext.size        sizeof(MQMessageExt) by client/msgext.c's probe
 *                      (or msgext.error=<why>)
 *   msgext.count       rc_msgext_count over a 3-element reserve()d span whose
 *                      elements were constructed by the library (expect 3)
 *   sym.<name>         present/absent, for each listener-level symbol below
 *   vtable.<class>.<i> the symbol each vtable slot points to (dladdr)
 * Exit status 0 when the library loaded, 2 otherwise.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "client/msgext.h"

static const char *const symbols[] = {
    "_ZN8rocketmq21DefaultMQPushConsumer23registerMessageListenerEPNS_17MQMessageListenerE",
    "_ZN8rocketmq25DefaultMQPushConsumerImpl23registerMessageListenerEPNS_17MQMessageListenerE",
    "_ZN20MessageListenerInner14consumeMessageERKSt6vectorIN8rocketmq12MQMessageExtESaIS2_EE",
    "_ZN27MessageListenerOrderlyInner14consumeMessageERKSt6vectorIN8rocketmq12MQMessageExtESaIS2_EE",
    "_ZN8rocketmq21DefaultMQPushConsumer15sendMessageBackERNS_12MQMessageExtEi",
    "_ZN8rocketmq25DefaultMQPushConsumerImpl15sendMessageBackERNS_12MQMessageExtEi"
    "RNSt7__cxx1112basic_stringIcSt11char_traitsIcESaIcEEE",
    "_ZN8rocketmq21DefaultMQPushConsumer22getMessageListenerTypeEv",
    "_ZN8rocketmq27MessageListenerConcurrently22getMessageListenerTypeEv",
    "_ZN8rocketmq22MessageListenerOrderly22getMessageListenerTypeEv",
    "_ZN8rocketmq17MQMessageListener22getMessageListenerTypeEv",
    "_ZTVN8rocketmq17MQMessageListenerE",
    "_ZTVN8rocketmq27MessageListenerConcurrentlyE",
    "_ZTVN8rocketmq22MessageListenerOrderlyE",
    "_ZTV20MessageListenerInner",
    "_ZTV27MessageListenerOrderlyInner",
    "_ZTVN8rocketmq12MQMessageExtE",
    "_ZNSt6vectorIN8rocketmq12MQMessageExtESaIS1_EE7reserveEm",
    "GetPushConsumerGroupID",
    "RegisterMessageCallback",
    "RegisterMessageCallbackOrderly",
};

static const char *const vtables[] = {
    "_ZTVN8rocketmq17MQMessageListenerE",
    "_ZTVN8rocketmq27MessageListenerConcurrentlyE",
    "_ZTVN8rocketmq22MessageListenerOrderlyE",
    "_ZTV20MessageListenerInner",
    "_ZTV27MessageListenerOrderlyInner",
};

/* the 4 virtual slots every listener vtable has (after offset-to-top, RTTI) */
#define LISTENER_SLOTS 4

static void *sym(void *h, const char *name) { return dlsym(h, name); }

static void print_vtable(void *h, const char *name)
{
    void *const *vt = dlsym(h, name);
    if (!vt)
        return;
    for (int i = 0; i < LISTENER_SLOTS; i++) {
        Dl_info info;
        const char *what = "?";
        if (dladdr(vt[2 + i], &info) && info.dli_sname)
            what = info.dli_sname;
        printf("vtable.%s.%d=%s\n", name, i, what);
    }
}

/* Three elements constructed by the library in a reserve()d vector, so that
 * rc_msgext_count sees a span laid out by the library's own code. */
static void count_check(void *h, const struct rc_msgext_layout *l)
{
    struct { char *b, *e, *c; } v = { NULL, NULL, NULL };
    void (*reserve)(void *, size_t);
    void (*ctor)(void *), (*dtor)(void *), (*vec_dtor)(void *);
    void *p = dlsym(h, "_ZNSt6vectorIN8rocketmq12MQMessageExtESaIS1_EE7reserveEm");
    memcpy(&reserve, &p, sizeof p);
    p = dlsym(h, "_ZN8rocketmq12MQMessageExtC1Ev");
    memcpy(&ctor, &p, sizeof p);
    p = dlsym(h, "_ZN8rocketmq12MQMessageExtD1Ev");
    memcpy(&dtor, &p, sizeof p);
    p = dlsym(h, "_ZNSt6vectorIN8rocketmq12MQMessageExtESaIS1_EED1Ev");
    memcpy(&vec_dtor, &p, sizeof p);
    reserve(&v, 3);
    for (int i = 0; i < 3; i++)
        ctor(v.b + i * l->size);
    printf("msgext.count=%ld\n", rc_msgext_count(l, v.b, v.b + 3 * l->size));
    printf("msgext.count_short=%ld\n", rc_msgext_count(l, v.b, v.b + 3 * l->size - 8));
    for (int i = 0; i < 3; i++)
        dtor(v.b + i * l->size);
    v.e = v.b; /* elements destroyed above: ~vector() only frees the storage */
    vec_dtor(&v);
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: abi_probe PATH/librocketmq.so\n");
        return 2;
    }
    void *h = dlopen(argv[1], RTLD_NOW | RTLD_LOCAL);
    if (!h) {
        fprintf(stderr, "abi_probe: %s\n", dlerror());
        return 2;
    }
    printf("lib=%s\n", argv[1]);
    for (size_t i = 0; i < sizeof symbols / sizeof symbols[0]; i++)
        printf("sym.%s=%s\n", symbols[i], dlsym(h, symbols[i]) ? "present" : "absent");
    for (size_t i = 0; i < sizeof vtables / sizeof vtables[0]; i++)
        print_vtable(h, vtables[i]);
    struct rc_msgext_layout l;
    const char *why = NULL;
    if (rc_msgext_probe(sym, h, &l, &why) == 0) {
        printf("msgext.size=%zu\n", l.size);
        count_check(h, &l);
    } else {
        printf("msgext.error=%s\n", why);
    }
    /* the library's own handle, found from one of its addresses */
    void *again = rc_msgext_handle_of(dlsym(h, "RegisterMessageCallback"));
    printf("handle_of=%s\n", again == h ? "same" : "different");
    if (again)
        dlclose(again);
    fflush(stdout);
    return 0;
}
