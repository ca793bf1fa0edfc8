/*
 * listener.h - wrapping the client's MQMessageListener (issue 12), the C side
 * of listener/wrap.cc. PROTOTYPE: not built into libreconsume.so; see
 * listener/README.md for how it is meant to be plugged in.
 *
 * The flow:
 *   registerMessageListener(consumer, L)       (interposed: listener/register.c)
 *     -> rc_listener_wrap(consumer, L) = W      a listener of L's kind
 *     -> real registerMessageListener(consumer, W)
 *   the client's consume service: W->consumeMessage(msgs)
 *     -> rc_listener_batch(consumer, begin, stride, count, orderly, statuses)
 *          (the delivery pipeline, hooks/: to be written by the lead)
 *          for each message it decides to call:
 *            rc_listener_call_one(i, &exc)      L->consumeMessage(msgs[i] alone)
 *     <- the status rc_listener_batch returns goes to the client
 * W->getMessageListenerType() returns L's (2.x picks its orderly or
 * concurrent service from it, at start()).
 */
#ifndef RECONSUME_LISTENER_LISTENER_H
#define RECONSUME_LISTENER_LISTENER_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/* rocketmq::ConsumeStatus and rocketmq::MessageListenerType (both builds). */
enum { RC_LST_CONSUME_SUCCESS = 0, RC_LST_RECONSUME_LATER = 1 };
enum { RC_LST_TYPE_DEFAULT = 0, RC_LST_TYPE_ORDERLY = 1, RC_LST_TYPE_CONCURRENTLY = 2 };

/* A batch larger than this is passed to the application's listener as it is
 * (statuses live on the stack: the success path allocates nothing). The
 * concurrent service's batches are at most 32 (the pull size). */
#define RC_LISTENER_MAX_BATCH 64

/* rc_listener_call_one's result when the listener threw (exc filled). */
#define RC_LST_THREW (-1)

#define RC_LST_EXC_TYPE_MAX 256
#define RC_LST_EXC_WHAT_MAX 1024
struct rc_listener_exc {
    int is_std; /* derived from std::exception: what is its what() */
    char type[RC_LST_EXC_TYPE_MAX];
    char what[RC_LST_EXC_WHAT_MAX];
};

/*
 * To be implemented by the delivery pipeline (the lead's hooks/). One batch,
 * as the client handed it to the listener:
 *   consumer    the `this` registerMessageListener was called with (the C
 *               API's CPushConsumer* is the same pointer)
 *   msgs_begin  &msgs[0]: element i is msgs_begin + i * stride, each a
 *               CMessageExt* for the C accessors (GetMessageId, ...)
 *   stride      sizeof(MQMessageExt) of this build (listener/msgext.c)
 *   count       1 .. RC_LISTENER_MAX_BATCH
 *   orderly     1 for an orderly listener
 *   statuses    count ints for the pipeline to record, per message, what it
 *               did (its own codes; the wrapper only traces them)
 * Returns the ConsumeStatus to give the client for the whole batch. It calls
 * the application through rc_listener_call_one, never directly.
 */
int rc_listener_batch(void *consumer, void *msgs_begin, size_t stride, size_t count, int orderly,
                      int *statuses);

/*
 * Only from inside rc_listener_batch, on its thread: calls the wrapped
 * application listener with a one-message vector holding message `index` of
 * the current batch (a view of the client's own element: nothing is copied
 * or allocated). Returns the status it returned, or RC_LST_THREW with *exc
 * filled when a C++ exception escaped it (exc may be NULL: then the
 * exception propagates, as without the shim). -2 when there is no current
 * batch or index is out of range.
 */
int rc_listener_call_one(size_t index, struct rc_listener_exc *exc);

/*
 * Registration. Returns the listener to hand to the real
 * registerMessageListener: a new wrapper of `listener` (of the same kind), or
 * `listener` itself when it is already a wrapper, is NULL, or the message
 * layout could not be probed (then the shim stays out of the way: says so
 * once through `log`). `lib` is the client's handle (rc_msgext_handle_of).
 */
void *rc_listener_wrap(void *consumer, void *listener, void *lib, void (*log)(const char *msg));

/* 1 if `listener` is one of this TU's wrappers. */
int rc_listener_is_wrapper(const void *listener);

/* The application listener a wrapper wraps (NULL if not a wrapper). */
void *rc_listener_inner(const void *listener);

#ifdef __cplusplus
}
#endif

#endif
