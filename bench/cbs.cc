// cbs.cc - the application callbacks the benchmark delivers to, and the
// floor of the exception path (a throw caught right at the call, no shim).
// C++ so that bench_cb_throw can throw; the driver calls them as C.
#include <stdexcept>

#include "bench/cbs.h"

volatile int bench_later_status = 1;
volatile int bench_throwing = 1;
volatile unsigned long bench_sink;

extern "C" int bench_cb_ok(CPushConsumer *c, CMessageExt *m)
{
    (void)c;
    bench_sink = bench_sink + 1;
    (void)m;
    return 0;
}

extern "C" int bench_cb_later(CPushConsumer *c, CMessageExt *m)
{
    (void)c;
    (void)m;
    bench_sink = bench_sink + 1;
    return bench_later_status;
}

extern "C" int bench_cb_throw(CPushConsumer *c, CMessageExt *m)
{
    (void)c;
    (void)m;
    bench_sink = bench_sink + 1;
    if (bench_throwing)
        throw std::runtime_error("bench: callback failed");
    return 0;
}

extern "C" int bench_call_catching(MessageCallBack cb, CPushConsumer *c, CMessageExt *m)
{
    try {
        return cb(c, m);
    } catch (const std::exception &) {
        return 1;
    } catch (...) {
        return 1;
    }
}
