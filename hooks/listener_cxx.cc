// listener_cxx.cc - the listener wrapper (issue 12). The only C++ here is
// what the client's ABI demands: an object whose vtable the client calls
// through, and a call of the application's listener with a one-message view.
// Catching what it throws is the guard's job (guard_cxx.cc), per
// RECONSUME_CATCH, exactly as for a C callback.
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
#include "hooks/listener.h"

#include <cstring>
#include <new>

#include "client/msgext.h"

// Not in an anonymous namespace: a class with internal linkage tells GCC it
// sees every class derived from it, and it would then devirtualise the calls
// into the application's listener into calls of the Wrapper (an endless
// recursion). The application's listener classes derive from the client's,
// elsewhere: this type must stay open to that.
namespace rc_lst {

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

} // namespace rc_lst

namespace {

using rc_lst::Listener;
using rc_lst::Vec3;

// The listener and element size of the batch delivered on this thread.
struct Current {
    Listener *inner;
    size_t stride;
};
__thread Current tls_current __attribute__((tls_model("initial-exec")));

// Restores the thread's current batch, also when an exception unwinds
// (observe mode, or nothing caught).
struct CurrentScope {
    Current saved;
    explicit CurrentScope(const Current &now) : saved(tls_current) { tls_current = now; }
    ~CurrentScope() { tls_current = saved; }
};

class Wrapper : public Listener {
public:
    Wrapper(void *consumer, Listener *inner, rc_registration *reg, size_t stride, const void *vptr)
        : consumer_(consumer), inner_(inner), reg_(reg), layout_{stride, vptr}
    {
    }
    ~Wrapper() override {}

    int consumeMessage(const Vec3 &msgs) override
    {
        long n = rc_msgext_count(&layout_, msgs.begin, msgs.end);
        // Not a batch laid out as probed (or empty): the application's
        // listener gets it exactly as without the shim.
        if (n <= 0)
            return inner_->consumeMessage(msgs);
        CurrentScope scope(Current{inner_, layout_.size});
        return rc_deliver_batch(reg_, static_cast<CPushConsumer *>(consumer_), msgs.begin,
                                layout_.size, static_cast<size_t>(n));
    }
    int getMessageListenerType() override { return inner_->getMessageListenerType(); }

private:
    void *consumer_;
    Listener *inner_;
    rc_registration *reg_;
    rc_msgext_layout layout_;
};

// The vtable pointer of every Wrapper (for "never wrap twice").
const void *wrapper_vptr()
{
    static const Wrapper probe(nullptr, nullptr, nullptr, 0, nullptr);
    const void *v;
    std::memcpy(&v, static_cast<const void *>(&probe), sizeof v);
    return v;
}

} // namespace

extern "C" int rc_listener_call_cb(CPushConsumer *, CMessageExt *m)
{
    // A one-message view of the client's own element: a vector object whose
    // start and finish bracket it. Passed by const reference, never grown,
    // copied into or destroyed here, and it lives for the call.
    const Current &cur = tls_current;
    char *e = reinterpret_cast<char *>(m);
    const Vec3 view{e, e + cur.stride, e + cur.stride};
    return cur.inner->consumeMessage(view);
}

extern "C" void *rc_listener_new(void *consumer, void *listener, rc_registration *reg, size_t stride,
                                 const void *vptr)
{
    Wrapper *w = new (std::nothrow)
        Wrapper(consumer, static_cast<Listener *>(listener), reg, stride, vptr);
    return w ? static_cast<Listener *>(w) : nullptr;
}

extern "C" int rc_listener_type(void *listener)
{
    return static_cast<Listener *>(listener)->getMessageListenerType();
}

extern "C" int rc_listener_is_wrapper(const void *listener)
{
    if (!listener)
        return 0;
    const void *v;
    std::memcpy(&v, listener, sizeof v);
    return v == wrapper_vptr() ? 1 : 0;
}
