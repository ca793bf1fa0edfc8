/*
 * delivery.c - the push consumer's delivery threads: the plan (script.c) is
 * delivered to the registered callback, and what became of each message is
 * logged (log.c), as the 1.2.3 client's consume modes would have it:
 *
 *   clustering (model 1, default): a non-zero return is sent back; the message
 *       is redelivered (to the back of its thread's queue) with reconsume
 *       times + 1, unless reconsume times would exceed RMQ_DOUBLE_MAX_RECONSUME
 *       (default 16, the broker's maxReconsumeTimes) -> fate "dlq".
 *   orderly (RegisterMessageCallbackOrderly): a non-zero return retries the
 *       same message at once (reconsume times unchanged, as before client
 *       1.2.5; RMQ_DOUBLE_ORDERLY_COUNTS=1 increments it) and blocks the rest
 *       of its queue; after RMQ_DOUBLE_ORDERLY_LIMIT attempts (default 50) the
 *       fate is "stuck" and the queue's later messages get fate "blocked".
 *   broadcasting (model 0): delivered once; a non-zero return -> "dropped".
 *   a send to %RETRY%<group> from inside that group's callback (the shim's
 *       retry copy) is delivered later on the same thread, as the broker and
 *       the client would: a new id (the send's SENTn), reconsume times 0, the
 *       topic restored from the RETRY_TOPIC property, every property kept
 *       (RMQ_DOUBLE_RETRY_COPIES=0: only logged, as before).
 *
 *   RMQ_DOUBLE_CLOCK=1  the call and deliver lines end in t_us=<CLOCK_MONOTONIC us>
 *   RMQ_DOUBLE_RETRY_DELAY_MS, RMQ_DOUBLE_ORDERLY_DELAY_MS  pause before a
 *       redelivery (default 0).
 *
 * With N threads (SetPushConsumerThreadCount) messages go to thread
 * (queue id mod N). C++ exceptions are not caught (as in client 1.2.3): one
 * escaping the callback ends the process through std::terminate.
 */
#include "tests/double/double.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

struct item {
    const struct CMessageExt *tmpl;
    int reconsume;
    int attempt;
};

struct rmqd_worker {
    CPushConsumer *c;
    int index;
    pthread_t tid;
    struct item *items;
    size_t n, cap, head;
    int *blocked;
    size_t nblocked;
    struct CMessageExt **copies; /* retry copies this thread delivers, freed at join */
    size_t ncopies, copies_cap;
};

/* The worker whose callback may run on this thread (NULL elsewhere). */
static __thread struct rmqd_worker *current;

/* The knobs, read once per thread. */
struct knobs {
    long max_reconsume, orderly_limit, orderly_counts, retry_delay, orderly_delay;
};

static void worker_push(struct rmqd_worker *w, struct item it)
{
    w->items = rmqd_reserve(w->items, &w->cap, w->n, sizeof *w->items);
    w->items[w->n++] = it;
}

static int queue_blocked(const struct rmqd_worker *w, int q)
{
    for (size_t i = 0; i < w->nblocked; i++)
        if (w->blocked[i] == q)
            return 1;
    return 0;
}

static void block_queue(struct rmqd_worker *w, int q)
{
    w->blocked = rmqd_xrealloc(w->blocked, (w->nblocked + 1) * sizeof *w->blocked);
    w->blocked[w->nblocked++] = q;
}

/* CLOCK_MONOTONIC in microseconds: the clock around each call (the log's t_us=). */
static long long now_us(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (long long)t.tv_sec * 1000000 + t.tv_nsec / 1000;
}

/* One call of the callback; returns its status. *ok is 0 when none is registered. */
static int deliver(struct rmqd_worker *w, const struct item *it, int *ok)
{
    MessageCallBack cb = rmqd_consumer_callback(w->c);
    if (!cb) {
        *ok = 0;
        return 0;
    }
    *ok = 1;
    struct CMessageExt *m = rmqd_msg_clone(it->tmpl);
    m->reconsume = it->reconsume;
    /* RMQ_DOUBLE_CLOCK=1: the clock around the call, t_us= (else the lines
     * stay comparable between runs) */
    char t[32] = "";
    int timed = rmqd_env_long("RMQ_DOUBLE_CLOCK", 0) != 0;
    if (timed)
        snprintf(t, sizeof t, " t_us=%lld", now_us());
    rmqd_log("call id=%s attempt=%d reconsume=%d queue=%d thread=%d%s", m->id, it->attempt,
             it->reconsume, m->queue, w->index, t);
    int status = cb(w->c, m);
    if (timed)
        snprintf(t, sizeof t, " t_us=%lld", now_us());
    rmqd_log("deliver id=%s attempt=%d reconsume=%d status=%d%s", it->tmpl->id, it->attempt,
             it->reconsume, status, t);
    rmqd_msg_free(m);
    return status;
}

/* Logs the fate every mode shares (no callback: undelivered; 0: acked).
 * Returns 1 when the message is settled by it. */
static int settled(const char *id, int ok, int status)
{
    if (ok && status != 0)
        return 0;
    rmqd_log("fate id=%s %s", id, ok ? "acked" : "undelivered");
    return 1;
}

static void consume_orderly(struct rmqd_worker *w, struct item it, const struct knobs *k)
{
    const char *id = it.tmpl->id;
    if (queue_blocked(w, it.tmpl->queue)) {
        rmqd_log("fate id=%s blocked", id);
        return;
    }
    for (;;) {
        int ok, status = deliver(w, &it, &ok);
        if (settled(id, ok, status))
            return;
        if (it.attempt >= k->orderly_limit) {
            rmqd_log("fate id=%s stuck", id);
            block_queue(w, it.tmpl->queue);
            return;
        }
        it.attempt++;
        if (k->orderly_counts)
            it.reconsume++;
        rmqd_sleep_ms(k->orderly_delay);
    }
}

static void consume_broadcasting(struct rmqd_worker *w, struct item it)
{
    int ok, status = deliver(w, &it, &ok);
    if (!settled(it.tmpl->id, ok, status))
        rmqd_log("fate id=%s dropped", it.tmpl->id);
}

static void consume_clustering(struct rmqd_worker *w, struct item it, const struct knobs *k)
{
    int ok, status = deliver(w, &it, &ok);
    if (settled(it.tmpl->id, ok, status))
        return;
    if (it.reconsume + 1 > k->max_reconsume) {
        rmqd_log("fate id=%s dlq", it.tmpl->id);
        return;
    }
    rmqd_sleep_ms(k->retry_delay);
    it.reconsume++;
    it.attempt++;
    worker_push(w, it);
}

static void *worker_main(void *arg)
{
    struct rmqd_worker *w = arg;
    CPushConsumer *c = w->c;
    struct knobs k = {
        .max_reconsume = rmqd_env_long("RMQ_DOUBLE_MAX_RECONSUME", 16),
        .orderly_limit = rmqd_env_long("RMQ_DOUBLE_ORDERLY_LIMIT", 50),
        .orderly_counts = rmqd_env_long("RMQ_DOUBLE_ORDERLY_COUNTS", 0),
        .retry_delay = rmqd_env_long("RMQ_DOUBLE_RETRY_DELAY_MS", 0),
        .orderly_delay = rmqd_env_long("RMQ_DOUBLE_ORDERLY_DELAY_MS", 0),
    };
    if (k.orderly_limit < 1)
        k.orderly_limit = 1;
    current = w;
    while (w->head < w->n) {
        struct item it = w->items[w->head++];
        if (c->orderly)
            consume_orderly(w, it, &k);
        else if (c->model == BROADCASTING)
            consume_broadcasting(w, it);
        else
            consume_clustering(w, it, &k);
    }
    current = NULL;
    return NULL;
}

void rmqd_delivery_plan(CPushConsumer *c)
{
    rmqd_script_load(&c->script, c->ntopics ? c->topics[0] : "");
    c->nworkers = c->threads;
    c->workers = calloc((size_t)c->nworkers, sizeof *c->workers);
    if (!c->workers)
        abort();
    for (size_t i = 0; i < c->script.n; i++) {
        int q = c->script.msgs[i].queue;
        int wi = (int)(((unsigned)q) % (unsigned)c->nworkers);
        struct item it = { &c->script.msgs[i], c->script.msgs[i].reconsume, 1 };
        worker_push(&c->workers[wi], it);
    }
}

void rmqd_delivery_start(CPushConsumer *c)
{
    for (int i = 0; i < c->nworkers; i++) {
        c->workers[i].c = c;
        c->workers[i].index = i;
        if (pthread_create(&c->workers[i].tid, NULL, worker_main, &c->workers[i]) != 0)
            abort();
    }
}

void rmqd_delivery_join(CPushConsumer *c)
{
    for (int i = 0; i < c->nworkers; i++) {
        pthread_join(c->workers[i].tid, NULL);
        free(c->workers[i].items);
        free(c->workers[i].blocked);
        for (size_t j = 0; j < c->workers[i].ncopies; j++)
            rmqd_msg_free(c->workers[i].copies[j]);
        free(c->workers[i].copies);
    }
    free(c->workers);
    c->workers = NULL;
    c->nworkers = 0;
    rmqd_script_free(&c->script);
}

int rmqd_delivery_retry_copy(const struct rmqd_fields *f, const char *id)
{
    struct rmqd_worker *w = current;
    static const char prefix[] = "%RETRY%";
    if (!w || !w->c->group || strncmp(f->topic, prefix, sizeof prefix - 1) != 0 ||
        strcmp(f->topic + sizeof prefix - 1, w->c->group) != 0 ||
        !rmqd_env_long("RMQ_DOUBLE_RETRY_COPIES", 1))
        return 0;
    struct CMessageExt *m = rmqd_xmalloc(sizeof *m);
    memset(m, 0, sizeof *m);
    rmqd_fields_copy(&m->f, f);
    const char *real = rmqd_props_get(&f->props, "RETRY_TOPIC");
    if (real) {
        free(m->f.topic);
        m->f.topic = rmqd_xstrdup(real);
    }
    m->id = rmqd_xstrdup(id);
    m->offset = (long long)w->ncopies;
    w->copies = rmqd_reserve(w->copies, &w->copies_cap, w->ncopies, sizeof *w->copies);
    w->copies[w->ncopies++] = m;
    worker_push(w, (struct item){ m, 0, 1 });
    return 1;
}
