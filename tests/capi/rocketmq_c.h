/*
 * rocketmq_c.h - the part of the RocketMQ C/C++ client's C API that this
 * project's test programs use, declared here from the documented API
 * (CCommon.h, CMessage.h, CMessageExt.h, CProducer.h, CPushConsumer.h,
 * CSendResult.h of the client). Programs built against it link unchanged
 * against the real librocketmq.so or the test double in tests/double/.
 */
#ifndef ROCKETMQ_C_H
#define ROCKETMQ_C_H

#ifdef __cplusplus
extern "C" {
#endif

#define MAX_MESSAGE_ID_LENGTH 256

typedef struct CPushConsumer CPushConsumer;
typedef struct CProducer CProducer;
typedef struct CMessage CMessage;
typedef struct CMessageExt CMessageExt;

typedef enum E_CConsumeStatus { E_CONSUME_SUCCESS = 0, E_RECONSUME_LATER = 1 } CConsumeStatus;
typedef enum _CMessageModel_ { BROADCASTING, CLUSTERING } CMessageModel;
typedef enum _CLogLevel_ {
    E_LOG_LEVEL_FATAL = 1, E_LOG_LEVEL_ERROR = 2, E_LOG_LEVEL_WARN = 3,
    E_LOG_LEVEL_INFO = 4, E_LOG_LEVEL_DEBUG = 5, E_LOG_LEVEL_TRACE = 6
} CLogLevel;
typedef enum E_CSendStatus_ {
    E_SEND_OK = 0, E_SEND_FLUSH_DISK_TIMEOUT = 1,
    E_SEND_FLUSH_SLAVE_TIMEOUT = 2, E_SEND_SLAVE_NOT_AVAILABLE = 3
} CSendStatus;
typedef struct _SendResult_ {
    CSendStatus sendStatus;
    char msgId[MAX_MESSAGE_ID_LENGTH];
    long long offset;
} CSendResult;

typedef int (*MessageCallBack)(CPushConsumer *, CMessageExt *);
typedef int (*QueueSelectorCallback)(int size, CMessage *msg, void *arg);

/* CPushConsumer.h */
CPushConsumer *CreatePushConsumer(const char *groupId);
int DestroyPushConsumer(CPushConsumer *consumer);
int StartPushConsumer(CPushConsumer *consumer);
int ShutdownPushConsumer(CPushConsumer *consumer);
int SetPushConsumerGroupID(CPushConsumer *consumer, const char *groupId);
const char *GetPushConsumerGroupID(CPushConsumer *consumer);
int SetPushConsumerNameServerAddress(CPushConsumer *consumer, const char *namesrv);
int Subscribe(CPushConsumer *consumer, const char *topic, const char *expression);
int RegisterMessageCallbackOrderly(CPushConsumer *consumer, MessageCallBack pCallback);
int RegisterMessageCallback(CPushConsumer *consumer, MessageCallBack pCallback);
int UnregisterMessageCallbackOrderly(CPushConsumer *consumer);
int UnregisterMessageCallback(CPushConsumer *consumer);
int SetPushConsumerThreadCount(CPushConsumer *consumer, int threadCount);
int SetPushConsumerMessageBatchMaxSize(CPushConsumer *consumer, int batchSize);
int SetPushConsumerInstanceName(CPushConsumer *consumer, const char *instanceName);
int SetPushConsumerLogPath(CPushConsumer *consumer, const char *logPath);
int SetPushConsumerLogLevel(CPushConsumer *consumer, CLogLevel level);
int SetPushConsumerMessageModel(CPushConsumer *consumer, CMessageModel messageModel);

/* CMessageExt.h */
const char *GetMessageTopic(CMessageExt *msgExt);
const char *GetMessageTags(CMessageExt *msgExt);
const char *GetMessageKeys(CMessageExt *msgExt);
const char *GetMessageBody(CMessageExt *msgExt);
const char *GetMessageProperty(CMessageExt *msgExt, const char *key);
const char *GetMessageId(CMessageExt *msgExt);
int GetMessageDelayTimeLevel(CMessageExt *msgExt);
int GetMessageQueueId(CMessageExt *msgExt);
int GetMessageReconsumeTimes(CMessageExt *msgExt);
int GetMessageStoreSize(CMessageExt *msgExt);
long long GetMessageBornTimestamp(CMessageExt *msgExt);
long long GetMessageStoreTimestamp(CMessageExt *msgExt);
long long GetMessageQueueOffset(CMessageExt *msgExt);
long long GetMessageCommitLogOffset(CMessageExt *msgExt);

/* CMessage.h */
CMessage *CreateMessage(const char *topic);
int DestroyMessage(CMessage *msg);
int SetMessageTopic(CMessage *msg, const char *topic);
int SetMessageTags(CMessage *msg, const char *tags);
int SetMessageKeys(CMessage *msg, const char *keys);
int SetMessageBody(CMessage *msg, const char *body);
int SetByteMessageBody(CMessage *msg, const char *body, int len);
int SetMessageProperty(CMessage *msg, const char *key, const char *value);
int SetDelayTimeLevel(CMessage *msg, int level);

/* CProducer.h */
CProducer *CreateProducer(const char *groupId);
int DestroyProducer(CProducer *producer);
int StartProducer(CProducer *producer);
int ShutdownProducer(CProducer *producer);
int SetProducerNameServerAddress(CProducer *producer, const char *namesrv);
int SetProducerSendMsgTimeout(CProducer *producer, int timeout);
int SetProducerLogPath(CProducer *producer, const char *logPath);
int SetProducerLogLevel(CProducer *producer, CLogLevel level);
int SendMessageSync(CProducer *producer, CMessage *msg, CSendResult *result);
int SendMessageOrderly(CProducer *producer, CMessage *msg, QueueSelectorCallback callback,
                       void *arg, int autoRetryTimes, CSendResult *result);

#ifdef __cplusplus
}
#endif
#endif /* ROCKETMQ_C_H */
