// wrap.cc - the listener wrapper (issue 12), PROTOTYPE, not in the library
// build. The only C++ here is what the client's ABI demands: an object whose
// vtable the client calls through, and catching what the application's
// listener throws.
//
// The client calls a listener through four vtable slots, the same in the
// 1.2.x and the 2.1.0 builds (tests/real/LISTENER_NOTES.md):
//   [0] complete-object destructor  [1] deleting destructor
//   [2] ConsumeStatus consumeMessage(const std::vector<MQMessageExt>&)
//   [3] MessageListenerType getMessageListenerType()
// It never uses the listener's RTTI (no dynamic_cast or typeid on it in
// either release), and never deletes it. So one class mirrors that shape
// here, with no client header and no std::string: the same object code
// serves both builds (the std::string ABI never enters). The vector is
// taken as what libstdc++ makes it in every ABI: three pointers.
//
// "A listener of the same kind" is, for the client, exactly what
// getMessageListenerType answers (1.2.x and 2.x pick the orderly or the
// concurrent service from it in start(), 2.x's Rebalance locks queues for
// orderly from it): the wrapper forwards it, every time.
#include "listener/listener.h"
#include "listener/msgext.h"

#include <cxxabi.h>
#include <dlfcn.h>
#include <pthread.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <new>
#include <typeinfo>

namespace {

// libstdc++'s std::vector<T> object: {start, finish, end_of_storage}.
struct Vec3 {
    char *begin;
    char *end;
    char *eos;
};

// The client's MQMessageListener, by vtable shape (see above).
class Listener {
public:
    virtual ~Listener() {}
    virtual int consumeMessage(const Vec3 &msgs) = 0;
    virtual int getMessageListenerType() = 0;
};

rc_msgext_layout g_layout;
const char *g_layout_error;
void *g_lib;
pthread_once_t g_layout_once = PTHREAD_ONCE_INIT;

void probe_once()
{
    const char *why = nullptr;
    if (!g_lib) {
        g_layout_error = "the client library's handle is unknown";
        return;
    }
    if (rc_msgext_probe([](void *h, const char *n) { return dlsym(h, n); }, g_lib, &g_layout, &why) != 0)
        g_layout_error = why ? why : "probe failed";
}

class Wrapper;

// The batch being delivered on this thread (rc_listener_call_one's view).
struct Current {
    Wrapper *w;
    char *begin;
    size_t stride;
    size_t count;
};
__thread Current tls_current __attribute__((tls_model("initial-exec")));

class Wrapper final : public Listener {
public:
    Wrapper(void *consumer, Listener *inner, int orderly)
        : consumer_(consumer), inner_(inner), orderly_(orderly)
    {
    }
    ~Wrapper() override {}

    int consumeMessage(const Vec3 &msgs) override;
    int getMessageListenerType() override { return inner_->getMessageListenerType(); }

    Listener *inner() const { return inner_; }

private:
    void *consumer_;
    Listener *inner_;
    int orderly_;
};

// Restores the thread's current batch, also when an exception unwinds.
struct CurrentScope {
    Current saved;
    explicit CurrentScope(const Current &now) : saved(tls_current) { tls_current = now; }
    ~CurrentScope() { tls_current = saved; }
};

int Wrapper::consumeMessage(const Vec3 &msgs)
{
    long n = rc_msgext_count(&g_layout, msgs.begin, msgs.end);
    // Not a batch laid out as probed, or too large for the stack: the
    // application's listener gets it exactly as without the shim.
    if (n <= 0 || n > RC_LISTENER_MAX_BATCH)
        return inner_->consumeMessage(msgs);
    int statuses[RC_LISTENER_MAX_BATCH];
    CurrentScope scope(Current{this, msgs.begin, g_layout.size, static_cast<size_t>(n)});
    return rc_listener_batch(consumer_, msgs.begin, g_layout.size, static_cast<size_t>(n), orderly_,
                             statuses);
}

void copy_out(char *dst, size_t cap, const char *src)
{
    std::snprintf(dst, cap, "%s", src ? src : "");
}

void name_current(rc_listener_exc *exc)
{
    const std::type_info *t = abi::__cxa_current_exception_type();
    const char *mangled = t ? t->name() : "unknown";
    int rc = -1;
    char *nice = abi::__cxa_demangle(mangled, nullptr, nullptr, &rc); // failure path only
    copy_out(exc->type, sizeof exc->type, rc == 0 && nice ? nice : mangled);
    std::free(nice);
}

// The vtable pointer of every Wrapper (for "never wrap twice").
const void *wrapper_vptr()
{
    static const Wrapper probe(nullptr, nullptr, 0);
    const void *v;
    std::memcpy(&v, static_cast<const void *>(&probe), sizeof v);
    return v;
}

bool is_wrapper(const void *p)
{
    if (!p)
        return false;
    const void *v;
    std::memcpy(&v, p, sizeof v);
    return v == wrapper_vptr();
}

} // namespace

extern "C" int rc_listener_call_one(size_t index, rc_listener_exc *exc)
{
    const Current &cur = tls_current;
    if (!cur.w || index >= cur.count)
        return -2;
    // A one-message view of the client's own element: a vector object whose
    // start and finish bracket msgs[index]. It is passed by const reference,
    // never grown, copied into or destroyed here, and lives for the call.
    char *m = cur.begin + index * cur.stride;
    const Vec3 view{m, m + cur.stride, m + cur.stride};
    Listener *inner = cur.w->inner();
    if (!exc)
        return inner->consumeMessage(view);
    try {
        return inner->consumeMessage(view);
    } catch (const std::exception &e) {
        name_current(exc);
        exc->is_std = 1;
        copy_out(exc->what, sizeof exc->what, e.what());
    } catch (...) {
        name_current(exc);
        exc->is_std = 0;
        exc->what[0] = '\0';
    }
    return RC_LST_THREW;
}

extern "C" void *rc_listener_wrap(void *consumer, void *listener, void *lib, void (*log)(const char *))
{
    if (!listener || is_wrapper(listener))
        return listener;
    if (!g_lib)
        g_lib = lib; // first registration wins; every later one is the same library
    pthread_once(&g_layout_once, probe_once);
    if (g_layout_error) {
        static int said;
        if (!said && log) {
            said = 1;
            char buf[512];
            std::snprintf(buf, sizeof buf, "listener not wrapped: %s", g_layout_error);
            log(buf);
        }
        return listener;
    }
    Listener *inner = static_cast<Listener *>(listener);
    int orderly = inner->getMessageListenerType() == RC_LST_TYPE_ORDERLY;
    Wrapper *w = new (std::nothrow) Wrapper(consumer, inner, orderly);
    if (!w) {
        if (log)
            log("listener not wrapped: out of memory");
        return listener;
    }
    return static_cast<Listener *>(w);
}

extern "C" int rc_listener_is_wrapper(const void *listener)
{
    return is_wrapper(listener) ? 1 : 0;
}

extern "C" void *rc_listener_inner(const void *listener)
{
    if (!is_wrapper(listener))
        return nullptr;
    // The pointer came from rc_listener_wrap as a Listener*.
    const Listener *l = static_cast<const Listener *>(listener);
    return static_cast<const Wrapper *>(l)->inner();
}
