/*
 * client.c - the client library for reconsume-spool (see client.h). The
 * pull consumer's C API (CPullConsumer.h, CPullResult.h, CMessageQueue.h of
 * client 1.2.x) is declared here from its documented layout.
 */
#include "util/scan.h"
#include "tools/spool/client.h"
#include "tools/spool/logdir.h"

#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>


/* CPullConsumer is opaque (client/api.h); these two are passed by value or
 * indexed, so their layout is the client's. */
struct CMessageQueue {
    char topic[512];       /* MAX_TOPIC_LENGTH */
    char brokerName[256];  /* MAX_BROKER_NAME_ID_LENGTH */
    int queueId;
};
enum { E_FOUND, E_NO_NEW_MSG, E_NO_MATCHED_MSG, E_OFFSET_ILLEGAL, E_BROKER_TIMEOUT };
struct CPullResult {
    int pullStatus;
    long long nextBeginOffset, minOffset, maxOffset;
    rc_cmessage_ext **msgFoundList;
    int size;
    void *pData;
};

/* The pull rows (NEED and OPT) of client/symbols.def. */
struct pull_api {
#define RC_CLIENT_FN(name, ret, params, shim, topic, pull, route) RC_IF_USED_##pull(ret(*name) params;)
#include "client/symbols.def"
};

int ts_client_open(const char *path, struct ts_client *c, char *err, size_t errlen)
{
    memset(c, 0, sizeof *c);
    const char *lib = path ? path : "librocketmq.so";
    if (ts_log_dir(c->log_dir, sizeof c->log_dir, err, errlen) != 0)
        return -1;
    ts_log_dir_apply(c->log_dir);
    c->handle = dlopen(lib, RTLD_NOW | RTLD_LOCAL);
    if (!c->handle)
        return rc_errf(err, errlen, "cannot load the RocketMQ client library %s: %s%s", lib, dlerror(),
                   path ? "" : " (give --client-lib PATH, or put its directory in LD_LIBRARY_PATH)");
    char why[256];
    if (rc_topic_api_load(&c->api, c->handle, why, sizeof why) != 0)
        return rc_errf(err, errlen, "%s: %s", lib, why);
    return 0;
}

static const char *latest(const struct pull_api *p)
{
    const char *m = p->GetLatestErrorMessage ? p->GetLatestErrorMessage() : NULL;
    return m && m[0] ? m : "no detail from the client";
}

/* One message into an entry of out. */
static int add_message(struct ts_client *c, const struct pull_api *p, const CMessageQueue *mq,
                       rc_cmessage_ext *m, struct ts_set *out)
{
    struct ts_rec *e = ts_set_add(out);
    if (!e)
        return -1;
    snprintf(e->id, sizeof e->id, "%s:%d:%lld", mq->brokerName, mq->queueId,
             p->GetMessageQueueOffset(m));
    size_t len;
    char *text = rc_topic_record_text(&c->api, m, &len, e->err, sizeof e->err);
    if (text) {
        ts_rec_parse(e, text, len);
        free(text);
    }
    return 0;
}

int ts_topic_load(struct ts_client *c, const char *namesrv, const char *topic,
                  struct ts_set *out, int *partial, char *err, size_t errlen)
{
    struct pull_api p;
    memset(&p, 0, sizeof p);
    /* dlsym returns an object pointer; POSIX guarantees it converts. */
    int missing = 0;
#define RC_CLIENT_FN(name, ret, params, shim, topic, pull, route) \
    RC_IF_USED_##pull(*(void **)(&p.name) = dlsym(c->handle, #name);)  \
    RC_IF_NEED_##pull(missing |= !p.name;)
#include "client/symbols.def"
    if (missing)
        return rc_errf(err, errlen, "this client library has no pull consumer C API (CreatePullConsumer, "
                   "FetchSubscriptionMessageQueues, Pull); a topic cannot be read with it");
    char group[64];
    snprintf(group, sizeof group, "reconsume_spool_%ld", (long)getpid());
    CPullConsumer *pc = p.CreatePullConsumer(group);
    if (!pc)
        return rc_errf(err, errlen, "CreatePullConsumer failed: %s", latest(&p));
    p.SetPullConsumerNameServerAddress(pc, namesrv);
    if (p.StartPullConsumer(pc) != 0) {
        p.DestroyPullConsumer(pc);
        return rc_errf(err, errlen, "cannot start a pull consumer on name server %s: %s", namesrv, latest(&p));
    }
    CMessageQueue *mqs = NULL;
    int n = 0, rc = 0;
    if (p.FetchSubscriptionMessageQueues(pc, topic, &mqs, &n) != 0 || n <= 0) {
        rc = rc_errf(err, errlen, "cannot read topic %s from name server %s (unreachable, or no such topic): %s",
                 topic, namesrv, latest(&p));
        goto out;
    }
    for (int q = 0; q < n; q++) {
        long long off = 0;
        for (int rounds = 0; rounds < 1000000; rounds++) {
            CPullResult r = p.Pull(pc, &mqs[q], "*", off, 32);
            int st = r.pullStatus, more = 0;
            if (st == E_FOUND) {
                for (int i = 0; i < r.size; i++)
                    if (add_message(c, &p, &mqs[q], r.msgFoundList[i], out) != 0) {
                        p.ReleasePullResult(r);
                        rc = rc_errf(err, errlen, "out of memory");
                        goto out;
                    }
                more = r.nextBeginOffset > off;
                off = r.nextBeginOffset;
            } else if (st == E_NO_MATCHED_MSG || (st == E_OFFSET_ILLEGAL && off < r.minOffset)) {
                more = r.nextBeginOffset > off || r.minOffset > off;
                off = r.nextBeginOffset > off ? r.nextBeginOffset : r.minOffset;
            } else if (st == E_BROKER_TIMEOUT) {
                fprintf(stderr, "reconsume-spool: topic %s queue %s:%d: the broker did not answer; "
                        "its records are left out\n", topic, mqs[q].brokerName, mqs[q].queueId);
                *partial = 1;
            }
            p.ReleasePullResult(r);
            if (!more)
                break;
        }
    }
    ts_set_sort(out);
out:
    if (mqs && p.ReleaseSubscriptionMessageQueue)
        p.ReleaseSubscriptionMessageQueue(mqs);
    p.ShutdownPullConsumer(pc);
    p.DestroyPullConsumer(pc);
    return rc;
}
