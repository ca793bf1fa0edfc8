// closure_cxx.cc - the plain handler of the catching kind (the default), in
// C++ only so that its try block is inline: zero-cost when nothing is
// thrown, with no guard frame between the closure and the callback. What it
// does is closure.c's STATUS_HANDLER; what is caught is recorded by
// guard_cxx.cc for the pipeline.
#include <cstdint>
#include <cxxabi.h>
#include <exception>

#include "hooks/closure_fast.h"
#include "hooks/guard.h"


// One more on this thread's own success count: no lock prefix (see
// rc_local_inc in obs/counters.h, which this repeats).
static inline void inc_own(unsigned long *n)
{
#if defined(__x86_64__)
    __asm__ volatile("addq $1, %0" : "+m"(*n));
#else
    __atomic_store_n(n, __atomic_load_n(n, __ATOMIC_RELAXED) + 1, __ATOMIC_RELAXED);
#endif
}

extern "C" void rc_closure_catching(ffi_cif *, void *ret, void **args, void *user)
{
    rc_callback_fn cb = *static_cast<rc_callback_fn *>(user); // reg->cb, its first member
    CPushConsumer *c = *static_cast<CPushConsumer **>(args[0]);
    CMessageExt *m = *static_cast<CMessageExt **>(args[1]);
    int st;
    try {
        st = cb(c, m);
    } catch (const abi::__forced_unwind &) {
        throw; // thread cancellation must go on unwinding
    } catch (const std::exception &e) {
        rc_call_record_caught(e.what());
        st = RC_STATUS_CAUGHT;
    } catch (...) {
        rc_call_record_caught(nullptr);
        st = RC_STATUS_CAUGHT;
    }
    // "a success, and nothing tracked" in one test (closure.c's success_untracked)
    if (__builtin_expect((static_cast<unsigned>(st) |
                          static_cast<uint32_t>(__atomic_load_n(rc_closure_tracked, __ATOMIC_RELAXED))) == 0,
                         1)) {
        struct rc_stats *mine = rc_stats_mine;
        if (__builtin_expect(mine != nullptr, 1))
            inc_own(reinterpret_cast<unsigned long *>(mine));
        else
            rc_closure_count_first();
        *static_cast<ffi_sarg *>(ret) = RC_CONSUME_SUCCESS;
        return;
    }
    *static_cast<ffi_sarg *>(ret) = rc_closure_rest(user, args, st, -1);
}
