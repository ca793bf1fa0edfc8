/*
 * consumer.cc - the C++ twin of consumer.c: an ordinary push consumer using
 * the client's C API from C++, knowing nothing of reconsume. Same command
 * line, output and body markers as consumer.c (see there), plus:
 *   "throw:std" throws std::runtime_error("poison <msgId>"),
 *   "throw:int" throws 42,
 *   "throw:odd" throws an app::OddPoison (not derived from std::exception).
 * For these the line is printed before the throw, with ret=throw.
 */
#include "tests/capi/rocketmq_c.h"

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <stdexcept>
#include <string>
#include <thread>
#include <unordered_map>

namespace app {
struct OddPoison {
    int code;
    const char *why;
};
} // namespace app

namespace {

std::mutex out_lock;
std::mutex seen_lock;
std::unordered_map<std::string, int> seen;
std::atomic<long> n_deliveries{0};
std::atomic<long> n_success{0};
std::atomic<long long> last_delivery_ms{0};

long long now_ms()
{
    using namespace std::chrono;
    return duration_cast<milliseconds>(steady_clock::now().time_since_epoch()).count();
}

std::string escaped(const char *s)
{
    if (!s)
        return "(null)";
    std::string out;
    char buf[8];
    for (const unsigned char *p = reinterpret_cast<const unsigned char *>(s); *p; ++p) {
        if (*p == '\\') {
            out += "\\\\";
        } else if (*p >= 0x20 && *p < 0x7f) {
            out += static_cast<char>(*p);
        } else {
            std::snprintf(buf, sizeof buf, "\\x%02x", *p);
            out += buf;
        }
    }
    return out;
}

void print_delivery(CMessageExt *msg, const std::string &ret)
{
    std::string line = "deliver id=" + escaped(GetMessageId(msg)) +
                       " topic=" + escaped(GetMessageTopic(msg)) +
                       " tags=" + escaped(GetMessageTags(msg)) +
                       " keys=" + escaped(GetMessageKeys(msg)) +
                       " reconsume=" + std::to_string(GetMessageReconsumeTimes(msg)) +
                       " body=" + escaped(GetMessageBody(msg)) + " ret=" + ret + "\n";
    std::lock_guard<std::mutex> g(out_lock);
    std::fputs(line.c_str(), stdout);
    std::fflush(stdout);
}

bool starts_with(const std::string &s, const char *prefix)
{
    return s.compare(0, std::strlen(prefix), prefix) == 0;
}

int on_message(CPushConsumer *, CMessageExt *msg)
{
    const char *b = GetMessageBody(msg);
    const char *i = GetMessageId(msg);
    std::string body = b ? b : "";
    std::string id = i ? i : "";
    int ret = 0;
    if (starts_with(body, "status:")) {
        ret = std::atoi(body.c_str() + 7);
    } else if (body == "segv") {
        print_delivery(msg, "segv");
        int *volatile p = nullptr;
        *p = 1;
    } else if (body == "fpe") {
        print_delivery(msg, "fpe");
        volatile int zero = 0;
        volatile int dividend = 7;
        volatile int r = dividend / zero;
        (void)r;
    } else if (body == "abort") {
        print_delivery(msg, "abort");
        std::abort();
    } else if (starts_with(body, "sleep:")) {
        std::this_thread::sleep_for(std::chrono::milliseconds(std::atol(body.c_str() + 6)));
    } else if (starts_with(body, "fail-until:")) {
        int k = std::atoi(body.c_str() + 11);
        int count;
        {
            std::lock_guard<std::mutex> g(seen_lock);
            count = ++seen[id];
        }
        ret = count < k ? 1 : 0;
    } else if (body == "throw:std") {
        print_delivery(msg, "throw");
        throw std::runtime_error("poison " + id);
    } else if (body == "throw:int") {
        print_delivery(msg, "throw");
        throw 42;
    } else if (body == "throw:odd") {
        print_delivery(msg, "throw");
        throw app::OddPoison{7, "odd"};
    }
    print_delivery(msg, std::to_string(ret));
    last_delivery_ms.store(now_ms());
    n_deliveries.fetch_add(1);
    if (ret == 0)
        n_success.fetch_add(1);
    return ret;
}

[[noreturn]] void usage()
{
    std::fputs("usage: consumer --group G --topic T [--namesrv ADDR] [--expr EXPR] [--orderly]\n"
               "       [--broadcast] [--threads N] [--max-ms MS] [--idle-ms MS] [--expect N]\n",
               stderr);
    std::exit(2);
}

} // namespace

int main(int argc, char **argv)
{
    std::string group, topic, namesrv, expr = "*";
    bool orderly = false, broadcast = false;
    int threads = 0;
    long max_ms = 30000, idle_ms = 0, expect = 0;
    for (int i = 1; i < argc; i++) {
        std::string a = argv[i];
        const char *v = i + 1 < argc ? argv[i + 1] : nullptr;
        if (a == "--orderly")
            orderly = true;
        else if (a == "--broadcast")
            broadcast = true;
        else if (!v)
            usage();
        else if (a == "--group")
            group = v, i++;
        else if (a == "--topic")
            topic = v, i++;
        else if (a == "--namesrv")
            namesrv = v, i++;
        else if (a == "--expr")
            expr = v, i++;
        else if (a == "--threads")
            threads = std::atoi(v), i++;
        else if (a == "--max-ms")
            max_ms = std::atol(v), i++;
        else if (a == "--idle-ms")
            idle_ms = std::atol(v), i++;
        else if (a == "--expect")
            expect = std::atol(v), i++;
        else
            usage();
    }
    if (group.empty() || topic.empty())
        usage();
    CPushConsumer *c = CreatePushConsumer(group.c_str());
    if (!c) {
        std::fputs("consumer: CreatePushConsumer failed\n", stderr);
        return 1;
    }
    SetPushConsumerGroupID(c, group.c_str());
    if (!namesrv.empty())
        SetPushConsumerNameServerAddress(c, namesrv.c_str());
    if (threads > 0)
        SetPushConsumerThreadCount(c, threads);
    if (Subscribe(c, topic.c_str(), expr.c_str()) != 0) {
        std::fputs("consumer: Subscribe failed\n", stderr);
        return 1;
    }
    SetPushConsumerMessageModel(c, broadcast ? BROADCASTING : CLUSTERING);
    int rc = orderly ? RegisterMessageCallbackOrderly(c, on_message)
                     : RegisterMessageCallback(c, on_message);
    if (rc != 0) {
        std::fprintf(stderr, "consumer: Register failed: %d\n", rc);
        return 1;
    }
    if ((rc = StartPushConsumer(c)) != 0) {
        std::fprintf(stderr, "consumer: StartPushConsumer failed: %d\n", rc);
        return 1;
    }
    long long start = now_ms();
    for (;;) {
        long long t = now_ms();
        if (t - start >= max_ms)
            break;
        if (expect > 0 && n_success.load() >= expect)
            break;
        if (idle_ms > 0 && n_deliveries.load() > 0 && t - last_delivery_ms.load() >= idle_ms)
            break;
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    ShutdownPushConsumer(c);
    DestroyPushConsumer(c);
    return 0;
}
