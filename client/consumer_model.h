/*
 * consumer_model.h - the message model of a C++ API consumer, asked of the
 * client itself.
 *
 * A C API consumer's model is seen as it is set (SetPushConsumerMessageModel,
 * interposed). A C++ API consumer sets it without the C API: client 2.1.0's
 * DefaultMQPushConsumer::setMessageModel is exported but called directly,
 * and 1.2.x's MQConsumer::setMessageModel is inline (a store into the
 * consumer). So the shim asks: 2.1.0's exported getMessageModel() const;
 * for 1.2.x the field, at the offset the client's own
 * SetPushConsumerMessageModel stores to, read from its machine code (the
 * exact instruction sequence; anything else: unknown). Nothing is run to
 * find it.
 */
#ifndef RECONSUME_CLIENT_CONSUMER_MODEL_H
#define RECONSUME_CLIENT_CONSUMER_MODEL_H

#include "client/msgext.h"

/* Look the means up in the client's handle h, once (before any _of call). */
void rc_consumer_model_probe(rc_msgext_sym_fn sym, void *h);

/* RC_BROADCASTING or RC_CLUSTERING as the client holds it for consumer (a
 * DefaultMQPushConsumer*), or -1 when it cannot be told. */
int rc_consumer_model_of(const void *consumer);

#endif
