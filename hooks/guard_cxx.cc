// guard_cxx.cc - the one place that needs the C++ ABI: catching what the
// application's callback throws. Zero-cost when nothing is thrown (the try
// block adds only unwind tables). The type name comes from the exception
// object's type_info, demangled; what() is kept for std::exception.
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <cxxabi.h>
#include <exception>
#include <stdexcept>
#include <typeinfo>

#include "hooks/guard.h"
#include "hooks/inject_hook.h"

static void copy_out(char *dst, size_t cap, const char *src)
{
    std::snprintf(dst, cap, "%s", src ? src : "");
}

static void name_current(struct rc_call *out)
{
    const std::type_info *t = abi::__cxa_current_exception_type();
    const char *mangled = t ? t->name() : "unknown";
    int rc = -1;
    // __cxa_demangle allocates: fine here, this is the failure path.
    char *nice = abi::__cxa_demangle(mangled, nullptr, nullptr, &rc);
    copy_out(out->exc_type, sizeof out->exc_type, rc == 0 && nice ? nice : mangled);
    std::free(nice);
}

extern "C" void rc_call_catching(rc_callback_fn cb, CPushConsumer *c, CMessageExt *m,
                                 struct rc_call *out)
{
    try {
        out->status = cb(c, m);
        out->outcome = rc_outcome_of_status(out->status);
        return;
    } catch (const abi::__forced_unwind &) {
        throw; // thread cancellation must go on unwinding
    } catch (const std::exception &e) {
        name_current(out);
        copy_out(out->exc_what, sizeof out->exc_what, e.what());
        out->has_what = true;
    } catch (...) {
        name_current(out);
        out->has_what = false;
    }
    out->outcome = RC_OUT_EXCEPTION;
    out->status = 1;
}

// The plain path's guarded call (hooks/closure.c): the status comes back in
// a register and nothing is written unless something is thrown; then what
// was caught waits in this thread's record for rc_call_take_caught. The
// record is global-dynamic TLS: touched only when something was thrown.
static thread_local struct rc_call caught;
static thread_local bool caught_set;

// What is being caught, recorded (called inside a catch block, with what()
// of a std::exception or NULL; out of line, so that a guard's own frame
// keeps no register for it).
extern "C" void rc_call_record_caught(const char *what)
{
    name_current(&caught);
    caught.has_what = what != nullptr;
    if (what)
        copy_out(caught.exc_what, sizeof caught.exc_what, what);
    caught.outcome = RC_OUT_EXCEPTION;
    caught.status = 1;
    caught.signo = 0;
    caught_set = true;
}

extern "C" int rc_call_guarded(CPushConsumer *c, CMessageExt *m, rc_callback_fn cb)
{
    try {
        return cb(c, m);
    } catch (const abi::__forced_unwind &) {
        throw; // thread cancellation must go on unwinding
    } catch (const std::exception &e) {
        rc_call_record_caught(e.what());
    } catch (...) {
        rc_call_record_caught(nullptr);
    }
    return RC_STATUS_CAUGHT;
}

extern "C" bool rc_call_take_caught(struct rc_call *out)
{
    if (!caught_set)
        return false;
    caught_set = false;
    out->outcome = caught.outcome;
    out->status = caught.status;
    out->signo = caught.signo;
    out->has_what = caught.has_what;
    // both NUL-terminated within their arrays (copy_out)
    std::memcpy(out->exc_type, caught.exc_type, std::strlen(caught.exc_type) + 1);
    if (caught.has_what)
        std::memcpy(out->exc_what, caught.exc_what, std::strlen(caught.exc_what) + 1);
    return true;
}

extern "C" void rc_call_observing(rc_callback_fn cb, CPushConsumer *c, CMessageExt *m,
                                  struct rc_call *out,
                                  void (*seen)(const struct rc_call *, CMessageExt *))
{
    try {
        out->status = cb(c, m);
        out->outcome = rc_outcome_of_status(out->status);
    } catch (const abi::__forced_unwind &) {
        throw;
    } catch (...) {
        out->outcome = RC_OUT_EXCEPTION;
        out->status = 1;
        name_current(out);
        out->has_what = false;
        try {
            throw;
        } catch (const std::exception &e) {
            copy_out(out->exc_what, sizeof out->exc_what, e.what());
            out->has_what = true;
        } catch (...) {
        }
        seen(out, m);
        throw; // on its way, untouched
    }
}

// An injected fault of kind "throw": what a failing application would do.
extern "C" int rc_inject_throw(CPushConsumer *, CMessageExt *)
{
    throw std::runtime_error(rc_inject_text());
}
