/*
 * batch_bench.cc - the per-batch cost of the C++ listener wrapper (issue 12,
 * last test item): a batch of 32 messages, all succeeding, delivered to what
 * registerMessageListener stored, with no broker.
 *
 * Built once per client build, as tests/real/cxx_consumer.cc is (bench/bench.mk):
 *   build/bench/batch_bench-1.2.3   -DRC_CXX_CLIENT=1 -D_GLIBCXX_USE_CXX11_ABI=0
 *   build/bench/batch_bench-2.1.0   -DRC_CXX_CLIENT=2
 * and run with LD_LIBRARY_PATH=build/real/client-VERSION (the real client
 * library: the shim finds sizeof(MQMessageExt) in it at run time).
 *
 *   batch_bench time [--batches N] [--warmup N] [--size N]
 *   batch_bench callgrind [--batches N] [--size N]   (under valgrind
 *                 --tool=callgrind --instr-atstart=no: only the loop counted)
 *
 * What it does:
 * - makes a std::vector<rocketmq::MQMessageExt> of --size (32) messages with
 *   the client's own exported MQMessageExt() constructor and its setters
 *   (msgId, topic, tags, keys, body, queue id/offset, reconsume times 0);
 * - constructs a DefaultMQPushConsumer (the exported constructor; never
 *   started) and registers a trivial MessageListenerConcurrently subclass
 *   (CONSUME_SUCCESS; reads each message's id through the C++ getter and
 *   counts it) with registerMessageListener;
 * - reads back what the consumer stored (no exported getter in either build:
 *   1.2.x at this+0xe8, 2.1.0 at impl+0x200 with impl = this+8, per
 *   tests/real/LISTENER_NOTES.md); without the shim that must be the
 *   application's listener itself, under LD_PRELOAD of the shim it must be
 *   another object (the wrapper) -- either way the program says which and
 *   refuses to measure if the stored pointer is neither plausible;
 * - calls the stored listener's consumeMessage(msgs) (a virtual call through
 *   the client's vtable slot, as the client's consume service does) N times,
 *   after a warm-up, and checks every call returned CONSUME_SUCCESS and the
 *   listener saw every message exactly N times.
 * Output (one line each, tab separated):
 *   listener <self|wrapped> client=<1|2> sizeof=<sizeof MQMessageExt> size=<n>
 *   time <batches> <ns per batch>            (time mode)
 *   callgrind <batches>                      (callgrind mode)
 *   seen <messages the application's listener read>
 */
#include "tests/cxxapi/rocketmq_cxx.h"

#include <valgrind/callgrind.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

namespace {

class Counting : public rocketmq::MessageListenerConcurrently {
public:
    long seen = 0;
    size_t id_bytes = 0;
    rocketmq::ConsumeStatus consumeMessage(const std::vector<rocketmq::MQMessageExt> &msgs) override
    {
        for (const rocketmq::MQMessageExt &m : msgs) {
            id_bytes += m.getMsgId().size();
            seen++;
        }
        return rocketmq::CONSUME_SUCCESS;
    }
};

// What registerMessageListener stored (LISTENER_NOTES.md: the field is
// written by the client's own code; no exported getter in either build).
rocketmq::MQMessageListener *stored_listener(rocketmq::DefaultMQPushConsumer *c)
{
    const char *p = reinterpret_cast<const char *>(c);
#if RC_CXX_CLIENT == 1
    const char *field = p + 0xe8;
#else
    const char *impl;
    std::memcpy(&impl, p + 8, sizeof impl);
    const char *field = impl + 0x200;
#endif
    rocketmq::MQMessageListener *l;
    std::memcpy(&l, field, sizeof l);
    return l;
}

[[noreturn]] void usage()
{
    std::fputs("usage: batch_bench time|callgrind [--batches N] [--warmup N] [--size N]\n", stderr);
    std::exit(2);
}

} // namespace

int main(int argc, char **argv)
{
    if (argc < 2)
        usage();
    std::string mode = argv[1];
    if (mode != "time" && mode != "callgrind")
        usage();
    long batches = 20000, warmup = 2000, size = 32;
    for (int i = 2; i < argc; i++) {
        std::string a = argv[i];
        if (i + 1 >= argc)
            usage();
        long v = std::atol(argv[++i]);
        if (a == "--batches")
            batches = v;
        else if (a == "--warmup")
            warmup = v;
        else if (a == "--size")
            size = v;
        else
            usage();
    }
    if (batches < 0 || warmup < 0 || size < 1)
        usage();

    std::vector<rocketmq::MQMessageExt> msgs;
    msgs.reserve(static_cast<size_t>(size));
    for (long i = 0; i < size; i++) {
        msgs.emplace_back();
        rocketmq::MQMessageExt &m = msgs.back();
        char id[40];
        std::snprintf(id, sizeof id, "0A00000100002A9F%016lX", 0x1000 + i);
        m.setMsgId(id);
        m.setTopic("BenchTopic");
        m.setTags("TagA");
        m.setKeys("key-" + std::to_string(i));
        m.setBody("body of message " + std::to_string(i));
        m.setQueueId(static_cast<int>(i % 4));
        m.setQueueOffset(i);
        m.setReconsumeTimes(0);
    }

    auto *consumer = new rocketmq::DefaultMQPushConsumer("BenchBatchGroup");
    Counting app;
    consumer->registerMessageListener(&app);
    rocketmq::MQMessageListener *l = stored_listener(consumer);
    if (!l) {
        std::fputs("batch_bench: nothing stored by registerMessageListener\n", stderr);
        return 1;
    }
    bool wrapped = l != &app;
    if (wrapped && l->getMessageListenerType() != rocketmq::messageListenerConcurrently) {
        std::fputs("batch_bench: the stored listener is neither ours nor a wrapper of it\n", stderr);
        return 1;
    }
    std::printf("listener\t%s\tclient=%d\tsizeof=%zu\tsize=%ld\n", wrapped ? "wrapped" : "self", RC_CXX_CLIENT,
                sizeof(rocketmq::MQMessageExt), size);

    long bad = 0;
    for (long i = 0; i < warmup; i++)
        bad += l->consumeMessage(msgs) != rocketmq::CONSUME_SUCCESS;
    if (mode == "time") {
        auto t0 = std::chrono::steady_clock::now();
        for (long i = 0; i < batches; i++)
            bad += l->consumeMessage(msgs) != rocketmq::CONSUME_SUCCESS;
        auto t1 = std::chrono::steady_clock::now();
        double ns = std::chrono::duration<double, std::nano>(t1 - t0).count();
        std::printf("time\t%ld\t%.1f\n", batches, batches ? ns / static_cast<double>(batches) : 0.0);
    } else {
        CALLGRIND_ZERO_STATS;
        CALLGRIND_START_INSTRUMENTATION;
        for (long i = 0; i < batches; i++)
            bad += l->consumeMessage(msgs) != rocketmq::CONSUME_SUCCESS;
        CALLGRIND_STOP_INSTRUMENTATION;
        std::printf("callgrind\t%ld\n", batches);
    }
    long expect = (warmup + batches) * size;
    std::printf("seen\t%ld\n", app.seen);
    if (bad || app.seen != expect || app.id_bytes != static_cast<size_t>(expect) * 32) {
        std::fprintf(stderr, "batch_bench: %ld batches not CONSUME_SUCCESS; %ld messages seen, %ld expected\n", bad,
                     app.seen, expect);
        return 1;
    }
    std::fflush(stdout);
    // The consumer is never started; it is not destroyed either (the 2.1.0
    // client's teardown is not what is measured, and it crashes in shutdown).
    std::_Exit(0);
}
