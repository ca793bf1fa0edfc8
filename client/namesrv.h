/*
 * namesrv.h - a push consumer's name server address, asked of the client.
 *
 * A C++ API consumer sets it with setNamesrvAddr, which the shim does not
 * see (it interposes the C API's SetPushConsumerNameServerAddress). Both
 * client builds export a const getter returning a const std::string&:
 * 1.2.x `MQClient::getNamesrvAddr() const` (the consumer is an MQClient at
 * the same address), 2.1.0 `DefaultMQPushConsumer::getNamesrvAddr[abi:cxx11]()
 * const` (the C API's CPushConsumer* is that object too). Nothing of the
 * string is used but its first word: in both std::string ABIs of libstdc++
 * (the old reference-counted one and __cxx11) that is the pointer c_str()
 * returns, to NUL-terminated characters.
 */
#ifndef RECONSUME_CLIENT_NAMESRV_H
#define RECONSUME_CLIENT_NAMESRV_H

#include <stddef.h>

/*
 * Copy consumer's name server address into buf (cap bytes). Returns buf, or
 * NULL when the client has no such getter, the address is empty or does not
 * fit in cap - 1 bytes.
 */
const char *rc_client_consumer_namesrv(const void *consumer, char *buf, size_t cap);

#endif
