/*
 * cxx_consumer.cc - a push consumer written against the client's C++ API
 * (tests/cxxapi/rocketmq_cxx.h), the way native C++ services use it: a
 * DefaultMQPushConsumer and a listener subclassing
 * rocketmq::MessageListenerConcurrently (default) or MessageListenerOrderly
 * (--orderly), registered with registerMessageListener. Knows nothing of
 * reconsume. Built once per client build (tests/real/Makefile):
 *   build/real/cxx_consumer-1.2.3   -DRC_CXX_CLIENT=1 -D_GLIBCXX_USE_CXX11_ABI=0
 *   build/real/cxx_consumer-2.1.0   -DRC_CXX_CLIENT=2
 *
 *   cxx_consumer --group G --topic T [--namesrv ADDR] [--expr EXPR] [--orderly]
 *                [--broadcast] [--threads N] [--batch N] [--on-fail continue|stop]
 *                [--max-ms MS] [--idle-ms MS] [--expect N] [--log FILE]
 *                [--check-capi] [--no-shutdown]
 *
 * The command line, the body markers and the "deliver" line are those of
 * tests/programs/consumer.c / consumer.cc, so a test can run either:
 *   "status:N"      this message's status is N (1 = RECONSUME_LATER)
 *   "fail-until:K"  status 1 while this msgId was seen fewer than K times
 *   "sleep:MS"      sleep, then status 0
 *   "throw:std"     throw std::runtime_error("poison <msgId>")
 *   "throw:int"     throw 42
 *   "throw:odd"     throw an app::OddPoison (not derived from std::exception)
 *   "segv", "abort" crash (the line is printed first, ret=segv|abort)
 *   anything else   status 0
 * A throw leaves consumeMessage at once (ret=throw printed first). A batch
 * (one consumeMessage call) returns the first non-zero status of its
 * messages; with --on-fail continue (default) every message of the batch is
 * still handled, as an application that processes the whole batch does;
 * with --on-fail stop it returns at the first failure, as the C API's
 * MessageListenerInner does.
 *
 * Output: whole lines, each written with one write(2) (so a process that
 * dies keeps every line it wrote; with --log FILE, O_APPEND, also to FILE):
 *   started group=G topic=T listener=concurrently|orderly client=1|2
 *   batch seq=N size=K thread=TID ids=ID1,ID2,...   before the messages of a call
 *   deliver id=.. topic=.. tags=.. keys=.. reconsume=.. body=.. ret=..
 *   result seq=N status=S                           after a call that returned
 *   capi ok|MISMATCH seq=N ...                      with --check-capi
 *   done deliveries=N batches=N
 * --check-capi: per batch, compares the C accessors (GetMessageId, ...,
 * called on &msgs[i] as a CMessageExt*) with the C++ getters, the element
 * size found by client/msgext.c with the compiled sizeof, and
 * GetPushConsumerGroupID((CPushConsumer*)consumer) with the group.
 * Exits after --max-ms (default 30000), --idle-ms without a call (after the
 * first), or --expect messages with status 0; --no-shutdown: _exit(0)
 * without shutdown() (the 2.1.0 client crashes in it).
 */
#include "tests/capi/rocketmq_c.h"
#include "tests/cxxapi/rocketmq_cxx.h"
#include "client/msgext.h"

#include <dlfcn.h>
#include <fcntl.h>
#include <sys/syscall.h>
#include <unistd.h>

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

int log_fd = -1;
std::mutex seen_lock;
std::unordered_map<std::string, int> seen;
std::atomic<long> n_deliveries{0};
std::atomic<long> n_success{0};
std::atomic<long> n_batches{0};
std::atomic<long long> last_call_ms{0};
bool stop_on_fail = false;
bool check_capi = false;
std::string group_name;
rocketmq::DefaultMQPushConsumer *the_consumer;
rc_msgext_layout probed{0, nullptr};
std::string probe_error;

long long now_ms()
{
    using namespace std::chrono;
    return duration_cast<milliseconds>(steady_clock::now().time_since_epoch()).count();
}

void write_all(int fd, const std::string &s)
{
    const char *p = s.data();
    size_t left = s.size();
    while (left > 0) {
        ssize_t n = ::write(fd, p, left);
        if (n <= 0)
            return;
        p += n;
        left -= static_cast<size_t>(n);
    }
}

// One line, one write per destination.
void emit(const std::string &line)
{
    std::string l = line + "\n";
    write_all(1, l);
    if (log_fd >= 0)
        write_all(log_fd, l);
}

std::string escaped(const std::string &s)
{
    std::string out;
    char buf[8];
    for (unsigned char c : s) {
        if (c == '\\') {
            out += "\\\\";
        } else if (c >= 0x20 && c < 0x7f) {
            out += static_cast<char>(c);
        } else {
            std::snprintf(buf, sizeof buf, "\\x%02x", c);
            out += buf;
        }
    }
    return out;
}

void print_delivery(const rocketmq::MQMessageExt &m, const std::string &ret)
{
    emit("deliver id=" + escaped(m.getMsgId()) + " topic=" + escaped(m.getTopic()) +
         " tags=" + escaped(m.getTags()) + " keys=" + escaped(m.getKeys()) +
         " reconsume=" + std::to_string(m.getReconsumeTimes()) + " body=" + escaped(m.getBody()) +
         " ret=" + ret);
}

bool starts_with(const std::string &s, const char *prefix)
{
    return s.compare(0, std::strlen(prefix), prefix) == 0;
}

// What one message does; returns its status (or throws / crashes).
int handle(const rocketmq::MQMessageExt &m)
{
    const std::string &body = m.getBody();
    int ret = 0;
    if (starts_with(body, "status:")) {
        ret = std::atoi(body.c_str() + 7);
    } else if (starts_with(body, "fail-until:")) {
        int k = std::atoi(body.c_str() + 11);
        int count;
        {
            std::lock_guard<std::mutex> g(seen_lock);
            count = ++seen[m.getMsgId()];
        }
        ret = count < k ? 1 : 0;
    } else if (starts_with(body, "sleep:")) {
        std::this_thread::sleep_for(std::chrono::milliseconds(std::atol(body.c_str() + 6)));
    } else if (body == "throw:std") {
        print_delivery(m, "throw");
        throw std::runtime_error("poison " + m.getMsgId());
    } else if (body == "throw:int") {
        print_delivery(m, "throw");
        throw 42;
    } else if (body == "throw:odd") {
        print_delivery(m, "throw");
        throw app::OddPoison{7, "odd"};
    } else if (body == "segv") {
        print_delivery(m, "segv");
        int *volatile p = nullptr;
        *p = 1;
    } else if (body == "abort") {
        print_delivery(m, "abort");
        std::abort();
    }
    print_delivery(m, std::to_string(ret));
    n_deliveries.fetch_add(1);
    if (ret == 0)
        n_success.fetch_add(1);
    return ret;
}

bool same(const char *c, const std::string &cxx) { return c && cxx == c; }

// The C accessors on the vector's elements, against the C++ getters.
void capi_check(long seq, const std::vector<rocketmq::MQMessageExt> &msgs)
{
    std::string bad;
    const void *begin = msgs.data();
    const void *end = msgs.data() + msgs.size();
    long count = rc_msgext_count(&probed, begin, end);
    if (!probe_error.empty())
        bad += " probe=" + probe_error;
    else if (probed.size != sizeof(rocketmq::MQMessageExt))
        bad += " size=" + std::to_string(probed.size);
    if (count != static_cast<long>(msgs.size()))
        bad += " count=" + std::to_string(count);
    for (size_t i = 0; i < msgs.size(); i++) {
        const rocketmq::MQMessageExt &m = msgs[i];
        // What the C API does: the element's address is the CMessageExt*.
        CMessageExt *c = reinterpret_cast<CMessageExt *>(const_cast<rocketmq::MQMessageExt *>(&m));
        if (!same(GetMessageId(c), m.getMsgId()) || !same(GetMessageKeys(c), m.getKeys()) ||
            !same(GetMessageBody(c), m.getBody()) || !same(GetMessageTopic(c), m.getTopic()) ||
            !same(GetMessageTags(c), m.getTags()) ||
            GetMessageReconsumeTimes(c) != m.getReconsumeTimes() ||
            GetMessageQueueId(c) != m.getQueueId() ||
            GetMessageQueueOffset(c) != m.getQueueOffset())
            bad += " msg" + std::to_string(i);
    }
    const char *g = GetPushConsumerGroupID(reinterpret_cast<CPushConsumer *>(the_consumer));
    if (!g || group_name != g)
        bad += " group=" + std::string(g ? g : "(null)");
    emit(std::string("capi ") + (bad.empty() ? "ok" : "MISMATCH") + " seq=" + std::to_string(seq) +
         " n=" + std::to_string(msgs.size()) + " stride=" + std::to_string(probed.size) +
         " sizeof=" + std::to_string(sizeof(rocketmq::MQMessageExt)) + bad);
}

rocketmq::ConsumeStatus consume(const std::vector<rocketmq::MQMessageExt> &msgs)
{
    long seq = n_batches.fetch_add(1) + 1;
    last_call_ms.store(now_ms());
    std::string ids;
    for (size_t i = 0; i < msgs.size(); i++)
        ids += (i ? "," : "") + escaped(msgs[i].getMsgId());
    emit("batch seq=" + std::to_string(seq) + " size=" + std::to_string(msgs.size()) +
         " thread=" + std::to_string(static_cast<long>(::syscall(SYS_gettid))) + " ids=" + ids);
    if (check_capi)
        capi_check(seq, msgs);
    int status = 0;
    for (size_t i = 0; i < msgs.size(); i++) {
        int s = handle(msgs[i]);
        if (s != 0 && status == 0)
            status = s;
        if (s != 0 && stop_on_fail)
            break;
    }
    last_call_ms.store(now_ms());
    emit("result seq=" + std::to_string(seq) + " status=" + std::to_string(status));
    return static_cast<rocketmq::ConsumeStatus>(status);
}

class Concurrent : public rocketmq::MessageListenerConcurrently {
public:
    rocketmq::ConsumeStatus consumeMessage(const std::vector<rocketmq::MQMessageExt> &msgs) override
    {
        return consume(msgs);
    }
};

class Orderly : public rocketmq::MessageListenerOrderly {
public:
    rocketmq::ConsumeStatus consumeMessage(const std::vector<rocketmq::MQMessageExt> &msgs) override
    {
        return consume(msgs);
    }
};

[[noreturn]] void usage()
{
    std::fputs("usage: cxx_consumer --group G --topic T [--namesrv ADDR] [--expr EXPR] [--orderly]\n"
               "       [--broadcast] [--threads N] [--batch N] [--on-fail continue|stop]\n"
               "       [--max-ms MS] [--idle-ms MS] [--expect N] [--log FILE] [--check-capi]\n"
               "       [--no-shutdown]\n",
               stderr);
    std::exit(2);
}

void probe_layout()
{
    // The library's own handle, from the address of one of its functions.
    void *h = rc_msgext_handle_of(reinterpret_cast<void *>(&GetPushConsumerGroupID));
    const char *why = nullptr;
    if (!h)
        probe_error = "no-handle";
    else if (rc_msgext_probe([](void *hh, const char *n) { return dlsym(hh, n); }, h, &probed, &why) != 0)
        probe_error = why ? why : "failed";
    for (char &ch : probe_error)
        if (ch == ' ')
            ch = '_';
}

} // namespace

int main(int argc, char **argv)
{
    std::string topic, namesrv, expr = "*", log_path;
    bool orderly = false, broadcast = false, no_shutdown = false;
    int threads = 0, batch = 0;
    long max_ms = 30000, idle_ms = 0, expect = 0;
    for (int i = 1; i < argc; i++) {
        std::string a = argv[i];
        const char *v = i + 1 < argc ? argv[i + 1] : nullptr;
        if (a == "--orderly")
            orderly = true;
        else if (a == "--broadcast")
            broadcast = true;
        else if (a == "--check-capi")
            check_capi = true;
        else if (a == "--no-shutdown")
            no_shutdown = true;
        else if (!v)
            usage();
        else if (a == "--group")
            group_name = v, i++;
        else if (a == "--topic")
            topic = v, i++;
        else if (a == "--namesrv")
            namesrv = v, i++;
        else if (a == "--expr")
            expr = v, i++;
        else if (a == "--threads")
            threads = std::atoi(v), i++;
        else if (a == "--batch")
            batch = std::atoi(v), i++;
        else if (a == "--on-fail") {
            std::string f = v;
            if (f != "continue" && f != "stop")
                usage();
            stop_on_fail = f == "stop";
            i++;
        } else if (a == "--max-ms")
            max_ms = std::atol(v), i++;
        else if (a == "--idle-ms")
            idle_ms = std::atol(v), i++;
        else if (a == "--expect")
            expect = std::atol(v), i++;
        else if (a == "--log")
            log_path = v, i++;
        else
            usage();
    }
    if (group_name.empty() || topic.empty())
        usage();
    if (!log_path.empty()) {
        log_fd = ::open(log_path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
        if (log_fd < 0) {
            std::perror(log_path.c_str());
            return 2;
        }
    }
    if (check_capi)
        probe_layout();

    auto *consumer = new rocketmq::DefaultMQPushConsumer(group_name);
    the_consumer = consumer;
    consumer->setConsumeFromWhere(rocketmq::CONSUME_FROM_LAST_OFFSET);
    if (!namesrv.empty())
        consumer->setNamesrvAddr(namesrv);
    if (threads > 0)
        consumer->setConsumeThreadCount(threads);
    if (batch > 0)
        consumer->setConsumeMessageBatchMaxSize(batch);
#if RC_CXX_CLIENT == 1
    // 1.2.x's MQConsumer::setMessageModel is inline in the real header: a
    // program built with it stores into the consumer itself, as this does
    // (the member's offset, 0x78, is where the client's own
    // SetPushConsumerMessageModel stores: tests/real/LISTENER_NOTES.md). No
    // C API call: the shim must find the model on its own.
    if (broadcast) {
        int model = rocketmq::BROADCASTING;
        std::memcpy(reinterpret_cast<char *>(consumer) + 0x78, &model, sizeof model);
    }
#else
    consumer->setMessageModel(broadcast ? rocketmq::BROADCASTING : rocketmq::CLUSTERING);
#endif
    consumer->subscribe(topic, expr);
    rocketmq::MQMessageListener *listener;
    if (orderly)
        listener = new Orderly;
    else
        listener = new Concurrent;
    consumer->registerMessageListener(listener);
    consumer->start();
    emit("started group=" + group_name + " topic=" + topic +
         " listener=" + (orderly ? "orderly" : "concurrently") +
         " client=" + std::to_string(RC_CXX_CLIENT));

    long long start = now_ms();
    for (;;) {
        long long t = now_ms();
        if (t - start >= max_ms)
            break;
        if (expect > 0 && n_success.load() >= expect)
            break;
        if (idle_ms > 0 && n_batches.load() > 0 && t - last_call_ms.load() >= idle_ms)
            break;
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    emit("done deliveries=" + std::to_string(n_deliveries.load()) +
         " batches=" + std::to_string(n_batches.load()));
    if (no_shutdown)
        ::_exit(0);
    consumer->shutdown();
    delete consumer;
    delete listener;
    return 0;
}
