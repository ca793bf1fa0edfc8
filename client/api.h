/*
 * api.h - the RocketMQ C client's ABI, as the shim sees it.
 *
 * Opaque handles and the table of the functions the shim interposes or
 * calls (CPushConsumer.h, CMessageExt.h of the C/C++ client), generated from
 * client/symbols.def, the one list of the client's functions. Only what the
 * shim touches is here; the enum values are the client's.
 */
#ifndef RECONSUME_CLIENT_API_H
#define RECONSUME_CLIENT_API_H

#include "client/symbols.h"

typedef struct CPushConsumer CPushConsumer;
typedef struct CMessageExt CMessageExt;
/* The producer's and the pull consumer's types, named for client/symbols.def;
 * complete where they are used (CSendResult in sink/topic.h, CMessageQueue
 * and CPullResult in tools/spool/client.c). */
typedef struct CProducer CProducer;
typedef struct CMessage CMessage;
typedef struct CSendResult CSendResult;
typedef struct CPullConsumer CPullConsumer;
typedef struct CMessageQueue CMessageQueue;
typedef struct CPullResult CPullResult;

typedef int (*rc_callback_fn)(CPushConsumer *, CMessageExt *);

/* CMessageModel */
#define RC_BROADCASTING 0
#define RC_CLUSTERING 1

#define RC_GROUP_MAX 256 /* RocketMQ group names are at most 255 characters */

/*
 * The client's functions, resolved once: with dlsym(RTLD_NEXT, ...) (the
 * client the program linked or dlopen'ed RTLD_GLOBAL), else from the handle
 * of a client the program dlopen'ed and looked up (rc_client_adopt). An
 * entry is NULL where the loaded client lacks the function (older versions).
 * The members are the INTERPOSED and READ rows of client/symbols.def.
 */
struct rc_client {
#define RC_CLIENT_FN(name, ret, params, shim, topic, pull, route) RC_IF_CLIENT_##shim(ret(*name) params;)
#include "client/symbols.def"
};

/* The resolved table; resolves on first call (thread-safe, once). Lock-free
 * once a client is known. */
const struct rc_client *rc_client(void);

/*
 * The handle the client's other functions are to be found on with dlsym:
 * RTLD_NEXT, or the adopted handle of a client dlopen'ed RTLD_LOCAL (which
 * RTLD_NEXT cannot see). For resolvers outside this file (the topic sink's
 * producer functions).
 */
void *rc_client_handle(void);

/*
 * shim/dlsym.c found a client on HANDLE (a dlopen handle), whose
 * RegisterMessageCallback is at REG. If no client is known yet (RTLD_NEXT
 * found none), the table is resolved from HANDLE, the library is pinned
 * (RTLD_NODELETE: the shim keeps its function pointers) and adopted. Returns
 * 0 when the client in use is this one, -1 when it is another copy (a
 * second client library in the process: not served).
 */
int rc_client_adopt(void *handle, void *reg);

#endif
