/*
 * register.c - the interposed registerMessageListener (issue 12), PROTOTYPE,
 * not in the library build. It belongs in shim/ (exports as forwarders) once
 * wired; the mangled name then goes into shim/exports.map.
 *
 * Why this hook, and not MessageListenerInner::consumeMessage:
 * - every listener passes here: the C API's RegisterMessageCallback[Orderly]
 *   builds a MessageListenerInner / MessageListenerOrderlyInner and calls
 *   DefaultMQPushConsumer::registerMessageListener through the library's own
 *   PLT (R_X86_64_JUMP_SLOT against the exported symbol, both builds), and a
 *   C++ API program calls it through its PLT; a preloaded definition wins
 *   both lookups, also for a client dlopen()ed RTLD_LOCAL (the preload is in
 *   the global scope, searched first for the library's own relocations);
 * - MessageListenerInner::consumeMessage (weak, in the vtable through an
 *   R_X86_64_64 relocation, so it could be interposed too) sees only C API
 *   listeners, never a C++ application's own listener class;
 * - the wrapper is made once per registration, not per batch, and the client
 *   keeps calling it with no lookup of ours on the way.
 *
 * Both builds: the exported `_ZN8rocketmq21DefaultMQPushConsumer23registerMessageListenerEPNS_17MQMessageListenerE`.
 * 1.2.x stores the listener in the consumer (this+0xe8) and ignores NULL;
 * 2.1.0's DefaultMQPushConsumer is a facade that loads its impl (this+8)
 * and tail-calls DefaultMQPushConsumerImpl::registerMessageListener through
 * the PLT (which stores it at impl+0x200). The shim interposes the facade's
 * symbol only: one wrap per registration. (Interposing the Impl's symbol as
 * well, 2.x only, would hand the shim the DefaultMQPushConsumerImpl* that
 * DefaultMQPushConsumerImpl::sendMessageBack needs, without reading the
 * facade's layout; it must then only record the pointer, since the listener
 * it sees is already the wrapper: rc_listener_is_wrapper.)
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "listener/listener.h"
#include "listener/msgext.h"

#define SYM_REGISTER "_ZN8rocketmq21DefaultMQPushConsumer23registerMessageListenerEPNS_17MQMessageListenerE"

typedef void (*register_fn)(void *self, void *listener);

static register_fn real_register;
static void *client_lib;
static pthread_once_t resolve_once = PTHREAD_ONCE_INIT;

/* The shim would use rc_log; the prototype writes one line to stderr. */
static void proto_log(const char *msg)
{
    char line[600];
    int n = snprintf(line, sizeof line, "reconsume[%ld]: %s\n", (long)getpid(), msg);
    if (n > 0)
        (void)!write(2, line, (size_t)n < sizeof line ? (size_t)n : sizeof line - 1);
}

static void resolve(void)
{
    /* The shim: rc_real_dlsym (it interposes dlsym). RTLD_NEXT finds a client
     * the program linked or dlopen()ed RTLD_GLOBAL. */
    void *p = dlsym(RTLD_NEXT, SYM_REGISTER);
    if (p) {
        memcpy(&real_register, &p, sizeof p);
        client_lib = rc_msgext_handle_of(p);
    }
}

__attribute__((visibility("default"))) void rc_entry_register_listener(void *self, void *listener)
    __asm__(SYM_REGISTER);

void rc_entry_register_listener(void *self, void *listener)
{
    pthread_once(&resolve_once, resolve);
    register_fn real = real_register;
    if (!real) {
        /* A client dlopen()ed RTLD_LOCAL is invisible to RTLD_NEXT, but its
         * own code called us: find it from the return address. */
        void *lib = rc_msgext_handle_of(__builtin_return_address(0));
        void *p = lib ? dlsym(lib, SYM_REGISTER) : NULL;
        if (!p) {
            /* not reached from a client we can find: nothing to forward to */
            proto_log("registerMessageListener: the client's definition was not found");
            return;
        }
        memcpy(&real, &p, sizeof p);
        if (!client_lib)
            client_lib = lib;
    }
    real(self, rc_listener_wrap(self, listener, client_lib, proto_log));
}
