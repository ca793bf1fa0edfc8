/*
 * rocketmq_cxx.h - the few C++ classes of the RocketMQ C/C++ client that the
 * project's C++ API test consumer (tests/real/cxx_consumer.cc) uses, declared
 * here from the documented API (no client header is shipped in the PyPI
 * packages) and checked against the two real builds: see
 * tests/real/LISTENER_NOTES.md for every size, slot and symbol named below.
 *
 * One header, two ABIs. Choose the client build at compile time:
 *   -DRC_CXX_CLIENT=1 -D_GLIBCXX_USE_CXX11_ABI=0   1.2.x build (rocketmq==0.4.4 wheel):
 *                                                  old std::string ABI ("Ss" in names)
 *   -DRC_CXX_CLIENT=2                              2.1.0 build (rocketmq-python-cvs):
 *                                                  std::__cxx11::basic_string
 * and link with -lrocketmq against the matching build: the mangled names
 * differ (std::string), and so do the classes (a 1.2.x DefaultMQPushConsumer
 * is the whole consumer, 352 bytes; a 2.1.0 one is a 16-byte facade over a
 * DefaultMQPushConsumerImpl).
 *
 * What is declared and how:
 * - Listener classes (MQMessageListener, MessageListenerConcurrently,
 *   MessageListenerOrderly): declared in full, with inline virtuals, because
 *   the application defines their vtables (as a program built with the real
 *   headers does). The vtable shape the client calls through is the same in
 *   both builds: [0] complete dtor, [1] deleting dtor, [2] consumeMessage,
 *   [3] getMessageListenerType.
 * - DefaultMQPushConsumer, MQMessage, MQMessageExt: opaque storage of the
 *   measured size, no virtuals declared; every member function used is an
 *   exported, non-inline function of the library, called directly by its
 *   mangled name (a direct call of a virtual on an object of exactly that
 *   type is what the virtual call would reach anyway).
 * - Inline setters of the real headers (1.2.x MQConsumer::setMessageModel)
 *   are not in the library: they are not declared here.
 */
#ifndef ROCKETMQ_CXX_H
#define ROCKETMQ_CXX_H

#include <cstddef>
#include <string>
#include <vector>

#if !defined(RC_CXX_CLIENT) || (RC_CXX_CLIENT != 1 && RC_CXX_CLIENT != 2)
#error "define RC_CXX_CLIENT=1 (1.2.x build) or RC_CXX_CLIENT=2 (2.1.0 build)"
#endif
#if RC_CXX_CLIENT == 1 && _GLIBCXX_USE_CXX11_ABI
#error "the 1.2.x client uses the old std::string ABI: add -D_GLIBCXX_USE_CXX11_ABI=0"
#endif
#if RC_CXX_CLIENT == 2 && !_GLIBCXX_USE_CXX11_ABI
#error "the 2.1.0 client uses the __cxx11 std::string ABI: drop -D_GLIBCXX_USE_CXX11_ABI=0"
#endif

/* Measured sizes (operator new in CreatePushConsumer; the stride in
 * MessageListenerInner::consumeMessage and vector<MQMessageExt>::reserve). */
#if RC_CXX_CLIENT == 1
#define RC_CXX_SIZEOF_PUSH_CONSUMER 352
#define RC_CXX_SIZEOF_MESSAGE_EXT 200
#else
#define RC_CXX_SIZEOF_PUSH_CONSUMER 16
#define RC_CXX_SIZEOF_MESSAGE_EXT 320
#endif

namespace rocketmq {

typedef long long int64;

enum ConsumeStatus { CONSUME_SUCCESS = 0, RECONSUME_LATER = 1 };
enum MessageListenerType {
    messageListenerDefaultly = 0,
    messageListenerOrderly = 1,
    messageListenerConcurrently = 2
};
enum MessageModel { BROADCASTING = 0, CLUSTERING = 1 };
enum ConsumeFromWhere { CONSUME_FROM_LAST_OFFSET = 0 }; /* only the value used */

/* A message as the broker delivered it. The consumers only read the
 * client's elements; bench/batch_bench.cc also makes a batch of its own with
 * the library's exported MQMessageExt constructors, destructor and setters
 * (declared below; every one a T or W symbol of both builds). */
class MQMessage {
public:
    void setTopic(const std::string &topic);
    void setTags(const std::string &tags);
    void setKeys(const std::string &keys);
    void setBody(const std::string &body);
    const std::string &getTopic() const;
    const std::string &getTags() const;
    const std::string &getKeys() const;
    const std::string &getBody() const;
    const std::string &getProperty(const std::string &name) const;

    MQMessage() = delete;
    MQMessage(const MQMessage &) = delete;
    MQMessage &operator=(const MQMessage &) = delete;
};

class MQMessageExt : public MQMessage {
public:
    MQMessageExt();
    MQMessageExt(const MQMessageExt &other);
    ~MQMessageExt(); /* virtual in the library; called on exactly this type only */
    MQMessageExt &operator=(const MQMessageExt &) = delete;
    void setMsgId(const std::string &id);
    void setQueueId(int id);
    void setQueueOffset(int64 offset);
    void setReconsumeTimes(int times);
    const std::string &getMsgId() const;
    int getQueueId() const;
    int64 getQueueOffset() const;
    int getReconsumeTimes() const;

private:
    /* vptr, MQMessage's fields, then MQMessageExt's: opaque here. */
    alignas(8) unsigned char opaque_[RC_CXX_SIZEOF_MESSAGE_EXT];
};
static_assert(sizeof(MQMessageExt) == RC_CXX_SIZEOF_MESSAGE_EXT, "MQMessageExt size");

class MQMessageListener {
public:
    virtual ~MQMessageListener() {}
    virtual ConsumeStatus consumeMessage(const std::vector<MQMessageExt> &msgs) = 0;
    virtual MessageListenerType getMessageListenerType() { return messageListenerDefaultly; }
};

class MessageListenerConcurrently : public MQMessageListener {
public:
    ~MessageListenerConcurrently() override {}
    MessageListenerType getMessageListenerType() override { return messageListenerConcurrently; }
};

class MessageListenerOrderly : public MQMessageListener {
public:
    ~MessageListenerOrderly() override {}
    MessageListenerType getMessageListenerType() override { return messageListenerOrderly; }
};

#if RC_CXX_CLIENT == 1
/* 1.2.x: DefaultMQPushConsumer : MQPushConsumer : MQConsumer : MQClient,
 * single inheritance, so an MQClient member takes the same `this`. */
class MQClient {
public:
    void setNamesrvAddr(const std::string &addr);
    void setGroupName(const std::string &group);
    void setInstanceName(const std::string &name);
    const std::string &getGroupName() const;

    MQClient() = delete;
    MQClient(const MQClient &) = delete;
    MQClient &operator=(const MQClient &) = delete;
};

class DefaultMQPushConsumer : public MQClient {
public:
    explicit DefaultMQPushConsumer(const std::string &groupName);
    ~DefaultMQPushConsumer();
    void start();
    void shutdown();
    void subscribe(const std::string &topic, const std::string &subExpression);
    void registerMessageListener(MQMessageListener *listener);
    void setConsumeFromWhere(ConsumeFromWhere where);
    void setConsumeThreadCount(int threads);
    void setConsumeMessageBatchMaxSize(int size);
    void sendMessageBack(MQMessageExt &msg, int delayLevel); /* returns nothing */

private:
    alignas(16) unsigned char opaque_[RC_CXX_SIZEOF_PUSH_CONSUMER];
};
#else
/* 2.1.0: a facade { vptr, DefaultMQPushConsumerImpl* } whose members forward
 * to the implementation (through the PLT). */
class DefaultMQPushConsumer {
public:
    explicit DefaultMQPushConsumer(const std::string &groupName);
    ~DefaultMQPushConsumer();
    void start();
    void shutdown();
    void subscribe(const std::string &topic, const std::string &subExpression);
    void registerMessageListener(MQMessageListener *listener);
    void setConsumeFromWhere(ConsumeFromWhere where);
    void setConsumeThreadCount(int threads);
    void setConsumeMessageBatchMaxSize(int size);
    void setMessageModel(MessageModel model);
    void setNamesrvAddr(const std::string &addr);
    void setGroupName(const std::string &group);
    void setInstanceName(const std::string &name);
    const std::string &getGroupName() const;

    DefaultMQPushConsumer(const DefaultMQPushConsumer &) = delete;
    DefaultMQPushConsumer &operator=(const DefaultMQPushConsumer &) = delete;

private:
    alignas(16) unsigned char opaque_[RC_CXX_SIZEOF_PUSH_CONSUMER];
};
#endif

} // namespace rocketmq

#endif
