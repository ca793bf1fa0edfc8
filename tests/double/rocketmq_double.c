/*
 * rocketmq_double.c - a test double of the RocketMQ C/C++ client's C ABI.
 *
 * Built as build/double/librocketmq.so (SONAME librocketmq.so), so that a
 * consumer program linked with -lrocketmq runs against it or against the real
 * client, chosen by LD_LIBRARY_PATH. It exports the consumer, message-accessor
 * and (stub) producer functions of tests/capi/rocketmq_c.h.
 *
 * Instead of a broker it delivers a script of messages to the registered
 * callback and records, line by line, what the callback returned and what
 * became of each message. It emulates the 1.2.3 client's consume modes:
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
 *
 * C++ exceptions are not caught (as in client 1.2.3): one escaping the
 * callback ends the process through std::terminate.
 *
 * Environment:
 *   RMQ_DOUBLE_SCRIPT   script file, one message per line (blank lines and
 *                       lines starting with '#' are skipped):
 *                         id=M1 topic=T tags=TA keys=K queue=0 offset=5 reconsume=0 body=ok
 *                       Fields: id topic tags keys queue offset reconsume born
 *                       store commitlog delay prop.NAME=VALUE; body= is last and
 *                       takes the rest of the line. Values understand \xNN,
 *                       \n, \r, \t, \\ escapes (so bodies may hold NUL bytes).
 *                       Defaults: id=MSG<line>, topic = first subscription,
 *                       queue 0, offset = message index, reconsume 0.
 *   RMQ_DOUBLE_LOG      log file (append, one flushed line per event):
 *                         start group=<g> model=<clustering|broadcasting> orderly=<0|1> threads=<n> topics=<t,...> messages=<n>
 *                         call id=<id> attempt=<n> reconsume=<r> queue=<q> thread=<t>   (before each callback)
 *                         deliver id=<id> attempt=<n> reconsume=<r> status=<int>        (after it returned)
 *                         fate id=<id> acked|dlq|dropped|stuck|blocked|undelivered
 *                         shutdown group=<g> / destroy group=<g>
 *                         send topic=<t> tags=<t> keys=<k> queue=<q> body=<escaped>      (producer stubs)
 *                         send-prop name=<n> value=<escaped>   (each property of a send, just
 *                                                               before its send line)
 *                         send-failed topic=<t> rc=<rc> status=<s>   (a failure asked for below)
 *                         producer-start group=<g> namesrv=<a> timeout=<ms> instance=<i>
 *                         producer-shutdown group=<g> / producer-destroy group=<g>
 *                                     (these three with RMQ_DOUBLE_PRODUCER_EVENTS=1)
 *   RMQ_DOUBLE_SEND_FAIL=N  the first N sends fail (SendMessageSync returns 3,
 *                       PRODUCER_SEND_SYNC_FAILED); "all": every send fails.
 *   RMQ_DOUBLE_SEND_STATUS=K  sends succeed with sendStatus K (e.g. 1, flush
 *                       disk timeout) instead of E_SEND_OK.
 *   RMQ_DOUBLE_SEND_DELAY_MS  pause inside every send (default 0).
 *   RMQ_DOUBLE_REPEAT=K deliver the script K times; ids become <id>.<k>, k=1..K.
 *   RMQ_DOUBLE_MAX_RECONSUME, RMQ_DOUBLE_ORDERLY_LIMIT, RMQ_DOUBLE_ORDERLY_COUNTS
 *                       as above.
 *   RMQ_DOUBLE_RETRY_DELAY_MS, RMQ_DOUBLE_ORDERLY_DELAY_MS  pause before a
 *                       redelivery (default 0).
 *
 * With N threads (SetPushConsumerThreadCount) messages go to thread
 * (queue id mod N); StartPushConsumer starts them, ShutdownPushConsumer waits
 * until they have delivered the whole script, then joins them.
 *
 * Built with -DRMQ_DOUBLE_LEGACY it leaves out GetMessageBodyLength, like the
 * released 1.2.x clients (the body is then only reachable as a C string).
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "tests/capi/rocketmq_c.h"

#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define EXPORT __attribute__((visibility("default")))

/* CCommon.h error codes */
#define OK 0
#define NULL_POINTER 1
#define START_FAILED 10

/* ---- small helpers ------------------------------------------------------- */

static void *xmalloc(size_t n)
{
    void *p = malloc(n ? n : 1);
    if (!p) {
        fputs("rocketmq double: out of memory\n", stderr);
        abort();
    }
    return p;
}

static char *xstrdup(const char *s)
{
    size_t n = strlen(s);
    char *p = xmalloc(n + 1);
    memcpy(p, s, n + 1);
    return p;
}

static char *xmemdup0(const char *s, size_t n)
{
    char *p = xmalloc(n + 1);
    memcpy(p, s, n);
    p[n] = '\0';
    return p;
}

static long env_long(const char *name, long dflt)
{
    const char *v = getenv(name);
    if (!v || !*v)
        return dflt;
    char *end;
    errno = 0;
    long n = strtol(v, &end, 10);
    if (errno || *end)
        return dflt;
    return n;
}

static void sleep_ms(long ms)
{
    if (ms <= 0)
        return;
    struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };
    while (nanosleep(&ts, &ts) == -1 && errno == EINTR)
        ;
}

/* Escape for the log: printable ASCII as is, '\\' doubled, the rest \xNN. */
static char *escape(const char *s, size_t n)
{
    char *out = xmalloc(4 * n + 1), *o = out;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c == '\\') {
            *o++ = '\\';
            *o++ = '\\';
        } else if (c >= 0x20 && c < 0x7f) {
            *o++ = (char)c;
        } else {
            o += sprintf(o, "\\x%02x", c);
        }
    }
    *o = '\0';
    return out;
}

/* ---- the event log ------------------------------------------------------- */

static pthread_mutex_t log_lock = PTHREAD_MUTEX_INITIALIZER;
static FILE *log_file;
static int log_tried;

__attribute__((format(printf, 1, 2))) static void dlog(const char *fmt, ...)
{
    pthread_mutex_lock(&log_lock);
    if (!log_tried) {
        log_tried = 1;
        const char *path = getenv("RMQ_DOUBLE_LOG");
        if (path && *path) {
            log_file = fopen(path, "ae");
            if (!log_file)
                fprintf(stderr, "rocketmq double: cannot open %s: %s\n", path, strerror(errno));
        }
    }
    if (log_file) {
        va_list ap;
        va_start(ap, fmt);
        vfprintf(log_file, fmt, ap);
        va_end(ap);
        fputc('\n', log_file);
        fflush(log_file);
    }
    pthread_mutex_unlock(&log_lock);
}

/* ---- messages -------------------------------------------------------------- */

struct CMessageExt {
    char *id, *topic, *tags, *keys;
    char *body;      /* body_len bytes, then a NUL */
    size_t body_len;
    int queue, reconsume, delay_level;
    long long offset, commitlog, born, store;
    size_t nprops;
    char **pnames, **pvalues;
};

static struct CMessageExt *msg_clone(const struct CMessageExt *t)
{
    struct CMessageExt *m = xmalloc(sizeof *m);
    *m = *t;
    m->id = xstrdup(t->id);
    m->topic = xstrdup(t->topic);
    m->tags = xstrdup(t->tags);
    m->keys = xstrdup(t->keys);
    m->body = xmemdup0(t->body, t->body_len);
    m->pnames = xmalloc(sizeof(char *) * (t->nprops ? t->nprops : 1));
    m->pvalues = xmalloc(sizeof(char *) * (t->nprops ? t->nprops : 1));
    for (size_t i = 0; i < t->nprops; i++) {
        m->pnames[i] = xstrdup(t->pnames[i]);
        m->pvalues[i] = xstrdup(t->pvalues[i]);
    }
    return m;
}

static void msg_free(struct CMessageExt *m)
{
    if (!m)
        return;
    free(m->id);
    free(m->topic);
    free(m->tags);
    free(m->keys);
    free(m->body);
    for (size_t i = 0; i < m->nprops; i++) {
        free(m->pnames[i]);
        free(m->pvalues[i]);
    }
    free(m->pnames);
    free(m->pvalues);
    free(m);
}

static int hexval(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* Decode escapes of s[0..n) into a fresh buffer; *outlen gets the length. */
static char *unescape(const char *s, size_t n, size_t *outlen)
{
    char *out = xmalloc(n + 1);
    size_t o = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '\\' && i + 1 < n) {
            char c = s[i + 1];
            if (c == 'x' && i + 3 < n && hexval(s[i + 2]) >= 0 && hexval(s[i + 3]) >= 0) {
                out[o++] = (char)(hexval(s[i + 2]) * 16 + hexval(s[i + 3]));
                i += 3;
                continue;
            } else if (c == 'n' || c == 'r' || c == 't' || c == '\\') {
                out[o++] = c == 'n' ? '\n' : c == 'r' ? '\r' : c == 't' ? '\t' : '\\';
                i += 1;
                continue;
            }
        }
        out[o++] = s[i];
    }
    out[o] = '\0';
    *outlen = o;
    return out;
}

struct script {
    struct CMessageExt *msgs;
    size_t n, cap;
};

static void script_add(struct script *s, const struct CMessageExt *m)
{
    if (s->n == s->cap) {
        s->cap = s->cap ? 2 * s->cap : 16;
        struct CMessageExt *p = realloc(s->msgs, s->cap * sizeof *p);
        if (!p)
            abort();
        s->msgs = p;
    }
    s->msgs[s->n++] = *m;
}

static void script_free(struct script *s)
{
    for (size_t i = 0; i < s->n; i++) {
        struct CMessageExt *m = xmalloc(sizeof *m);
        *m = s->msgs[i];
        msg_free(m);
    }
    free(s->msgs);
    s->msgs = NULL;
    s->n = s->cap = 0;
}

static void set_str(char **dst, const char *v, size_t n)
{
    size_t len;
    free(*dst);
    *dst = unescape(v, n, &len);
}

/* Parse one script line into *m. Returns 0, or -1 for a line to skip. */
static int parse_line(char *line, size_t lineno, const char *dflt_topic, struct CMessageExt *m)
{
    size_t len = strlen(line);
    while (len && (line[len - 1] == '\n' || line[len - 1] == '\r'))
        line[--len] = '\0';
    const char *p = line;
    while (*p == ' ' || *p == '\t')
        p++;
    if (!*p || *p == '#')
        return -1;
    memset(m, 0, sizeof *m);
    char idbuf[32];
    snprintf(idbuf, sizeof idbuf, "MSG%zu", lineno);
    m->id = xstrdup(idbuf);
    m->topic = xstrdup(dflt_topic);
    m->tags = xstrdup("");
    m->keys = xstrdup("");
    m->body = NULL;
    m->offset = -1;
    m->commitlog = -1;
    m->born = -1;
    m->store = -1;
    size_t propcap = 0;
    while (*p) {
        while (*p == ' ' || *p == '\t')
            p++;
        if (!*p)
            break;
        const char *eq = strchr(p, '=');
        const char *sp = strpbrk(p, " \t");
        if (!eq || (sp && sp < eq)) {
            fprintf(stderr, "rocketmq double: script line %zu: bad token near '%s'\n", lineno, p);
            p = sp ? sp : p + strlen(p);
            continue;
        }
        size_t klen = (size_t)(eq - p);
        const char *v = eq + 1;
        if (klen == 4 && !strncmp(p, "body", 4)) {
            size_t blen;
            free(m->body);
            m->body = unescape(v, strlen(v), &blen);
            m->body_len = blen;
            break;
        }
        const char *vend = v + strcspn(v, " \t");
        size_t vlen = (size_t)(vend - v);
        char num[64];
        size_t nl = vlen < sizeof num - 1 ? vlen : sizeof num - 1;
        memcpy(num, v, nl);
        num[nl] = '\0';
#define KEY(s) (klen == sizeof(s) - 1 && !strncmp(p, s, klen))
        if (KEY("id"))
            set_str(&m->id, v, vlen);
        else if (KEY("topic"))
            set_str(&m->topic, v, vlen);
        else if (KEY("tags"))
            set_str(&m->tags, v, vlen);
        else if (KEY("keys"))
            set_str(&m->keys, v, vlen);
        else if (KEY("queue"))
            m->queue = atoi(num);
        else if (KEY("offset"))
            m->offset = atoll(num);
        else if (KEY("reconsume"))
            m->reconsume = atoi(num);
        else if (KEY("born"))
            m->born = atoll(num);
        else if (KEY("store"))
            m->store = atoll(num);
        else if (KEY("commitlog"))
            m->commitlog = atoll(num);
        else if (KEY("delay"))
            m->delay_level = atoi(num);
        else if (klen > 5 && !strncmp(p, "prop.", 5)) {
            if (m->nprops == propcap) {
                propcap = propcap ? 2 * propcap : 4;
                m->pnames = realloc(m->pnames, propcap * sizeof(char *));
                m->pvalues = realloc(m->pvalues, propcap * sizeof(char *));
                if (!m->pnames || !m->pvalues)
                    abort();
            }
            m->pnames[m->nprops] = xmemdup0(p + 5, klen - 5);
            m->pvalues[m->nprops] = NULL;
            set_str(&m->pvalues[m->nprops], v, vlen);
            m->nprops++;
        } else {
            fprintf(stderr, "rocketmq double: script line %zu: unknown field '%.*s'\n", lineno,
                    (int)klen, p);
        }
#undef KEY
        p = vend;
    }
    if (!m->body) {
        m->body = xstrdup("");
        m->body_len = 0;
    }
    return 0;
}

static void script_load(struct script *s, const char *dflt_topic)
{
    memset(s, 0, sizeof *s);
    const char *path = getenv("RMQ_DOUBLE_SCRIPT");
    if (!path || !*path)
        return;
    FILE *f = fopen(path, "re");
    if (!f) {
        fprintf(stderr, "rocketmq double: cannot open script %s: %s\n", path, strerror(errno));
        return;
    }
    struct script base = { 0 };
    char *line = NULL;
    size_t cap = 0, lineno = 0;
    while (getline(&line, &cap, f) != -1) {
        struct CMessageExt m;
        lineno++;
        if (parse_line(line, lineno, dflt_topic, &m) == 0)
            script_add(&base, &m);
    }
    free(line);
    fclose(f);
    long repeat = env_long("RMQ_DOUBLE_REPEAT", 1);
    if (repeat < 1)
        repeat = 1;
    for (long k = 1; k <= repeat; k++) {
        for (size_t i = 0; i < base.n; i++) {
            struct CMessageExt *c = msg_clone(&base.msgs[i]);
            size_t idx = s->n;
            if (repeat > 1) {
                size_t n = strlen(c->id) + 24;
                char *id = xmalloc(n);
                snprintf(id, n, "%s.%ld", c->id, k);
                free(c->id);
                c->id = id;
            }
            if (c->offset < 0)
                c->offset = (long long)idx;
            if (c->commitlog < 0)
                c->commitlog = 4096LL * (long long)idx;
            if (c->born < 0)
                c->born = 1700000000000LL + (long long)idx;
            if (c->store < 0)
                c->store = c->born + 1;
            script_add(s, c);
            free(c); /* the fields now belong to s */
        }
    }
    script_free(&base);
}

/* ---- consumers ----------------------------------------------------------- */

struct worker;

struct CPushConsumer {
    pthread_mutex_t lock;
    char *group, *namesrv, *instance;
    char **topics, **exprs;
    size_t ntopics;
    MessageCallBack callback;
    int orderly;
    int model;
    int threads;
    int started;
    struct script script;
    struct worker *workers;
    int nworkers;
};

struct item {
    const struct CMessageExt *tmpl;
    int reconsume;
    int attempt;
};

struct worker {
    CPushConsumer *c;
    int index;
    pthread_t tid;
    struct item *items;
    size_t n, cap, head;
    int *blocked;
    size_t nblocked;
};

static void worker_push(struct worker *w, struct item it)
{
    if (w->n == w->cap) {
        w->cap = w->cap ? 2 * w->cap : 16;
        struct item *p = realloc(w->items, w->cap * sizeof *p);
        if (!p)
            abort();
        w->items = p;
    }
    w->items[w->n++] = it;
}

static int queue_blocked(const struct worker *w, int q)
{
    for (size_t i = 0; i < w->nblocked; i++)
        if (w->blocked[i] == q)
            return 1;
    return 0;
}

static void block_queue(struct worker *w, int q)
{
    int *p = realloc(w->blocked, (w->nblocked + 1) * sizeof *p);
    if (!p)
        abort();
    w->blocked = p;
    w->blocked[w->nblocked++] = q;
}

static MessageCallBack current_callback(CPushConsumer *c)
{
    pthread_mutex_lock(&c->lock);
    MessageCallBack cb = c->callback;
    pthread_mutex_unlock(&c->lock);
    return cb;
}

/* One call of the callback; returns its status, or -2^31 if there is none. */
static int deliver(struct worker *w, const struct item *it, int *ok)
{
    MessageCallBack cb = current_callback(w->c);
    if (!cb) {
        *ok = 0;
        return 0;
    }
    *ok = 1;
    struct CMessageExt *m = msg_clone(it->tmpl);
    m->reconsume = it->reconsume;
    dlog("call id=%s attempt=%d reconsume=%d queue=%d thread=%d", m->id, it->attempt,
         it->reconsume, m->queue, w->index);
    int status = cb(w->c, m);
    dlog("deliver id=%s attempt=%d reconsume=%d status=%d", it->tmpl->id, it->attempt,
         it->reconsume, status);
    msg_free(m);
    return status;
}

static void *worker_main(void *arg)
{
    struct worker *w = arg;
    CPushConsumer *c = w->c;
    long max_reconsume = env_long("RMQ_DOUBLE_MAX_RECONSUME", 16);
    long orderly_limit = env_long("RMQ_DOUBLE_ORDERLY_LIMIT", 50);
    long orderly_counts = env_long("RMQ_DOUBLE_ORDERLY_COUNTS", 0);
    long retry_delay = env_long("RMQ_DOUBLE_RETRY_DELAY_MS", 0);
    long orderly_delay = env_long("RMQ_DOUBLE_ORDERLY_DELAY_MS", 0);
    if (orderly_limit < 1)
        orderly_limit = 1;
    while (w->head < w->n) {
        struct item it = w->items[w->head++];
        const char *id = it.tmpl->id;
        int ok;
        if (c->orderly) {
            if (queue_blocked(w, it.tmpl->queue)) {
                dlog("fate id=%s blocked", id);
                continue;
            }
            for (;;) {
                int status = deliver(w, &it, &ok);
                if (!ok) {
                    dlog("fate id=%s undelivered", id);
                    break;
                }
                if (status == 0) {
                    dlog("fate id=%s acked", id);
                    break;
                }
                if (it.attempt >= orderly_limit) {
                    dlog("fate id=%s stuck", id);
                    block_queue(w, it.tmpl->queue);
                    break;
                }
                it.attempt++;
                if (orderly_counts)
                    it.reconsume++;
                sleep_ms(orderly_delay);
            }
        } else if (c->model == BROADCASTING) {
            int status = deliver(w, &it, &ok);
            dlog("fate id=%s %s", id, !ok ? "undelivered" : status == 0 ? "acked" : "dropped");
        } else {
            int status = deliver(w, &it, &ok);
            if (!ok) {
                dlog("fate id=%s undelivered", id);
            } else if (status == 0) {
                dlog("fate id=%s acked", id);
            } else if (it.reconsume + 1 > max_reconsume) {
                dlog("fate id=%s dlq", id);
            } else {
                sleep_ms(retry_delay);
                it.reconsume++;
                it.attempt++;
                worker_push(w, it);
            }
        }
    }
    return NULL;
}

static void join_workers(CPushConsumer *c)
{
    for (int i = 0; i < c->nworkers; i++) {
        pthread_join(c->workers[i].tid, NULL);
        free(c->workers[i].items);
        free(c->workers[i].blocked);
    }
    free(c->workers);
    c->workers = NULL;
    c->nworkers = 0;
    script_free(&c->script);
}

EXPORT CPushConsumer *CreatePushConsumer(const char *groupId)
{
    if (!groupId)
        return NULL;
    CPushConsumer *c = calloc(1, sizeof *c);
    if (!c)
        return NULL;
    pthread_mutex_init(&c->lock, NULL);
    c->group = xstrdup(groupId);
    c->model = CLUSTERING;
    c->threads = 1;
    return c;
}

EXPORT int ShutdownPushConsumer(CPushConsumer *c)
{
    if (!c)
        return NULL_POINTER;
    if (c->started) {
        join_workers(c);
        c->started = 0;
        dlog("shutdown group=%s", c->group);
    }
    return OK;
}

EXPORT int DestroyPushConsumer(CPushConsumer *c)
{
    if (!c)
        return NULL_POINTER;
    ShutdownPushConsumer(c);
    dlog("destroy group=%s", c->group);
    free(c->group);
    free(c->namesrv);
    free(c->instance);
    for (size_t i = 0; i < c->ntopics; i++) {
        free(c->topics[i]);
        free(c->exprs[i]);
    }
    free(c->topics);
    free(c->exprs);
    pthread_mutex_destroy(&c->lock);
    free(c);
    return OK;
}

EXPORT int StartPushConsumer(CPushConsumer *c)
{
    if (!c)
        return NULL_POINTER;
    if (c->started || !current_callback(c)) {
        dlog("start-failed group=%s reason=%s", c->group, c->started ? "started" : "no-callback");
        return START_FAILED;
    }
    script_load(&c->script, c->ntopics ? c->topics[0] : "");
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
    char topics[1024] = "";
    for (size_t i = 0; i < c->ntopics; i++) {
        size_t l = strlen(topics);
        snprintf(topics + l, sizeof topics - l, "%s%s", i ? "," : "", c->topics[i]);
    }
    dlog("start group=%s model=%s orderly=%d threads=%d topics=%s messages=%zu", c->group,
         c->model == BROADCASTING ? "broadcasting" : "clustering", c->orderly, c->threads, topics,
         c->script.n);
    c->started = 1;
    for (int i = 0; i < c->nworkers; i++) {
        c->workers[i].c = c;
        c->workers[i].index = i;
        if (pthread_create(&c->workers[i].tid, NULL, worker_main, &c->workers[i]) != 0)
            abort();
    }
    return OK;
}

EXPORT int SetPushConsumerGroupID(CPushConsumer *c, const char *groupId)
{
    if (!c || !groupId)
        return NULL_POINTER;
    free(c->group);
    c->group = xstrdup(groupId);
    return OK;
}

EXPORT const char *GetPushConsumerGroupID(CPushConsumer *c)
{
    return c ? c->group : NULL;
}

EXPORT int SetPushConsumerNameServerAddress(CPushConsumer *c, const char *namesrv)
{
    if (!c || !namesrv)
        return NULL_POINTER;
    free(c->namesrv);
    c->namesrv = xstrdup(namesrv);
    return OK;
}

EXPORT int Subscribe(CPushConsumer *c, const char *topic, const char *expression)
{
    if (!c || !topic || !expression)
        return NULL_POINTER;
    char **t = realloc(c->topics, (c->ntopics + 1) * sizeof *t);
    if (!t)
        abort();
    c->topics = t;
    char **e = realloc(c->exprs, (c->ntopics + 1) * sizeof *e);
    if (!e)
        abort();
    c->exprs = e;
    c->topics[c->ntopics] = xstrdup(topic);
    c->exprs[c->ntopics] = xstrdup(expression);
    c->ntopics++;
    return OK;
}

static int set_callback(CPushConsumer *c, MessageCallBack cb, int orderly)
{
    if (!c || !cb)
        return NULL_POINTER;
    pthread_mutex_lock(&c->lock);
    c->callback = cb;
    c->orderly = orderly;
    pthread_mutex_unlock(&c->lock);
    return OK;
}

EXPORT int RegisterMessageCallbackOrderly(CPushConsumer *c, MessageCallBack cb)
{
    return set_callback(c, cb, 1);
}

EXPORT int RegisterMessageCallback(CPushConsumer *c, MessageCallBack cb)
{
    return set_callback(c, cb, 0);
}

static int clear_callback(CPushConsumer *c)
{
    if (!c)
        return NULL_POINTER;
    pthread_mutex_lock(&c->lock);
    c->callback = NULL;
    pthread_mutex_unlock(&c->lock);
    return OK;
}

EXPORT int UnregisterMessageCallbackOrderly(CPushConsumer *c)
{
    return clear_callback(c);
}

EXPORT int UnregisterMessageCallback(CPushConsumer *c)
{
    return clear_callback(c);
}

EXPORT int SetPushConsumerThreadCount(CPushConsumer *c, int threadCount)
{
    if (!c)
        return NULL_POINTER;
    if (threadCount < 1 || threadCount > 1024)
        return 2;
    c->threads = threadCount;
    return OK;
}

EXPORT int SetPushConsumerMessageBatchMaxSize(CPushConsumer *c, int batchSize)
{
    return c ? (batchSize < 1 ? 2 : OK) : NULL_POINTER;
}

EXPORT int SetPushConsumerInstanceName(CPushConsumer *c, const char *instanceName)
{
    if (!c || !instanceName)
        return NULL_POINTER;
    free(c->instance);
    c->instance = xstrdup(instanceName);
    return OK;
}

EXPORT int SetPushConsumerLogPath(CPushConsumer *c, const char *logPath)
{
    return c && logPath ? OK : NULL_POINTER;
}

EXPORT int SetPushConsumerLogLevel(CPushConsumer *c, CLogLevel level)
{
    (void)level;
    return c ? OK : NULL_POINTER;
}

EXPORT int SetPushConsumerMessageModel(CPushConsumer *c, CMessageModel messageModel)
{
    if (!c)
        return NULL_POINTER;
    c->model = messageModel == BROADCASTING ? BROADCASTING : CLUSTERING;
    return OK;
}

/* ---- message accessors ----------------------------------------------------- */

EXPORT const char *GetMessageTopic(CMessageExt *m) { return m ? m->topic : NULL; }
EXPORT const char *GetMessageTags(CMessageExt *m) { return m ? m->tags : NULL; }
EXPORT const char *GetMessageKeys(CMessageExt *m) { return m ? m->keys : NULL; }
EXPORT const char *GetMessageBody(CMessageExt *m) { return m ? m->body : NULL; }
#ifndef RMQ_DOUBLE_LEGACY
EXPORT int GetMessageBodyLength(CMessageExt *m) { return m ? (int)m->body_len : 0; }
#endif
EXPORT const char *GetMessageId(CMessageExt *m) { return m ? m->id : NULL; }
EXPORT int GetMessageDelayTimeLevel(CMessageExt *m) { return m ? m->delay_level : NULL_POINTER; }
EXPORT int GetMessageQueueId(CMessageExt *m) { return m ? m->queue : NULL_POINTER; }
EXPORT int GetMessageReconsumeTimes(CMessageExt *m) { return m ? m->reconsume : NULL_POINTER; }
EXPORT int GetMessageStoreSize(CMessageExt *m) { return m ? (int)m->body_len + 128 : NULL_POINTER; }
EXPORT long long GetMessageBornTimestamp(CMessageExt *m) { return m ? m->born : NULL_POINTER; }
EXPORT long long GetMessageStoreTimestamp(CMessageExt *m) { return m ? m->store : NULL_POINTER; }
EXPORT long long GetMessageQueueOffset(CMessageExt *m) { return m ? m->offset : NULL_POINTER; }
EXPORT long long GetMessageCommitLogOffset(CMessageExt *m) { return m ? m->commitlog : NULL_POINTER; }

/* Like the real client: an absent property reads as "". */
EXPORT const char *GetMessageProperty(CMessageExt *m, const char *key)
{
    if (!m || !key)
        return NULL;
    for (size_t i = 0; i < m->nprops; i++)
        if (!strcmp(m->pnames[i], key))
            return m->pvalues[i];
    return "";
}

/* ---- producer stubs -------------------------------------------------------- */

struct CMessage {
    char *topic, *tags, *keys;
    char *body;
    size_t body_len;
    int delay_level;
    size_t nprops;
    char **pnames, **pvalues;
};

struct CProducer {
    char *group, *namesrv, *instance;
    int started, timeout;
    long long sent;
};

static long send_attempts; /* all producers: for RMQ_DOUBLE_SEND_FAIL */

/* Producer life-cycle lines are opt-in (older tests expect the send line last). */
#define PLOG(...) do { if (env_long("RMQ_DOUBLE_PRODUCER_EVENTS", 0)) dlog(__VA_ARGS__); } while (0)

static void replace(char **dst, const char *v)
{
    free(*dst);
    *dst = xstrdup(v);
}

EXPORT CMessage *CreateMessage(const char *topic)
{
    CMessage *m = calloc(1, sizeof *m);
    if (!m)
        return NULL;
    m->topic = xstrdup(topic ? topic : "");
    m->tags = xstrdup("");
    m->keys = xstrdup("");
    m->body = xstrdup("");
    return m;
}

EXPORT int DestroyMessage(CMessage *m)
{
    if (!m)
        return NULL_POINTER;
    free(m->topic);
    free(m->tags);
    free(m->keys);
    free(m->body);
    for (size_t i = 0; i < m->nprops; i++) {
        free(m->pnames[i]);
        free(m->pvalues[i]);
    }
    free(m->pnames);
    free(m->pvalues);
    free(m);
    return OK;
}

EXPORT int SetMessageTopic(CMessage *m, const char *v)
{
    if (!m || !v)
        return NULL_POINTER;
    replace(&m->topic, v);
    return OK;
}

EXPORT int SetMessageTags(CMessage *m, const char *v)
{
    if (!m || !v)
        return NULL_POINTER;
    replace(&m->tags, v);
    return OK;
}

EXPORT int SetMessageKeys(CMessage *m, const char *v)
{
    if (!m || !v)
        return NULL_POINTER;
    replace(&m->keys, v);
    return OK;
}

EXPORT int SetByteMessageBody(CMessage *m, const char *body, int len)
{
    if (!m || !body || len < 0)
        return NULL_POINTER;
    free(m->body);
    m->body = xmemdup0(body, (size_t)len);
    m->body_len = (size_t)len;
    return OK;
}

EXPORT int SetMessageBody(CMessage *m, const char *body)
{
    if (!body)
        return NULL_POINTER;
    return SetByteMessageBody(m, body, (int)strlen(body));
}

EXPORT int SetMessageProperty(CMessage *m, const char *key, const char *value)
{
    if (!m || !key || !value)
        return NULL_POINTER;
    for (size_t i = 0; i < m->nprops; i++) {
        if (!strcmp(m->pnames[i], key)) {
            replace(&m->pvalues[i], value);
            return OK;
        }
    }
    m->pnames = realloc(m->pnames, (m->nprops + 1) * sizeof *m->pnames);
    m->pvalues = realloc(m->pvalues, (m->nprops + 1) * sizeof *m->pvalues);
    if (!m->pnames || !m->pvalues)
        abort();
    m->pnames[m->nprops] = xstrdup(key);
    m->pvalues[m->nprops] = xstrdup(value);
    m->nprops++;
    return OK;
}

EXPORT int SetDelayTimeLevel(CMessage *m, int level)
{
    if (!m)
        return NULL_POINTER;
    m->delay_level = level;
    return OK;
}

EXPORT CProducer *CreateProducer(const char *groupId)
{
    if (!groupId)
        return NULL;
    CProducer *p = calloc(1, sizeof *p);
    if (p)
        p->group = xstrdup(groupId);
    return p;
}

EXPORT int DestroyProducer(CProducer *p)
{
    if (!p)
        return NULL_POINTER;
    PLOG("producer-destroy group=%s", p->group);
    free(p->group);
    free(p->namesrv);
    free(p->instance);
    free(p);
    return OK;
}

EXPORT int StartProducer(CProducer *p)
{
    if (!p)
        return NULL_POINTER;
    p->started = 1;
    PLOG("producer-start group=%s namesrv=%s timeout=%d instance=%s", p->group,
         p->namesrv ? p->namesrv : "", p->timeout, p->instance ? p->instance : "");
    return OK;
}

EXPORT int ShutdownProducer(CProducer *p)
{
    if (!p)
        return NULL_POINTER;
    if (p->started)
        PLOG("producer-shutdown group=%s", p->group);
    p->started = 0;
    return OK;
}

EXPORT int SetProducerNameServerAddress(CProducer *p, const char *namesrv)
{
    if (!p || !namesrv)
        return NULL_POINTER;
    replace(&p->namesrv, namesrv);
    return OK;
}

EXPORT int SetProducerInstanceName(CProducer *p, const char *instance)
{
    if (!p || !instance)
        return NULL_POINTER;
    replace(&p->instance, instance);
    return OK;
}

EXPORT int SetProducerSendMsgTimeout(CProducer *p, int timeout)
{
    if (!p)
        return NULL_POINTER;
    p->timeout = timeout;
    return OK;
}

EXPORT int SetProducerLogPath(CProducer *p, const char *logPath)
{
    return p && logPath ? OK : NULL_POINTER;
}

EXPORT int SetProducerLogLevel(CProducer *p, CLogLevel level)
{
    (void)level;
    return p ? OK : NULL_POINTER;
}

static int record_send(CProducer *p, CMessage *m, int queue, CSendResult *result)
{
    if (!p || !m || !result)
        return NULL_POINTER;
    if (!p->started)
        return 3; /* PRODUCER_SEND_SYNC_FAILED */
    sleep_ms(env_long("RMQ_DOUBLE_SEND_DELAY_MS", 0));
    long attempt = __atomic_add_fetch(&send_attempts, 1, __ATOMIC_SEQ_CST);
    const char *fail = getenv("RMQ_DOUBLE_SEND_FAIL");
    if (fail && (!strcmp(fail, "all") || attempt <= atol(fail))) {
        dlog("send-failed topic=%s rc=3 status=-1", m->topic);
        return 3; /* PRODUCER_SEND_SYNC_FAILED */
    }
    /* The properties and the send line in one write, so that they stay together. */
    size_t cap = 256 + 4 * (strlen(m->topic) + strlen(m->tags) + strlen(m->keys) + m->body_len);
    for (size_t i = 0; i < m->nprops; i++)
        cap += 64 + 4 * (strlen(m->pnames[i]) + strlen(m->pvalues[i]));
    char *line = xmalloc(cap), *o = line;
    for (size_t i = 0; i < m->nprops; i++) {
        char *n = escape(m->pnames[i], strlen(m->pnames[i]));
        char *v = escape(m->pvalues[i], strlen(m->pvalues[i]));
        o += sprintf(o, "send-prop name=%s value=%s\n", n, v);
        free(n);
        free(v);
    }
    char *body = escape(m->body, m->body_len);
    sprintf(o, "send topic=%s tags=%s keys=%s queue=%d body=%s", m->topic, m->tags, m->keys, queue,
            body);
    dlog("%s", line);
    free(body);
    free(line);
    long long n = __atomic_fetch_add(&p->sent, 1, __ATOMIC_SEQ_CST);
    memset(result, 0, sizeof *result);
    result->sendStatus = (CSendStatus)env_long("RMQ_DOUBLE_SEND_STATUS", E_SEND_OK);
    snprintf(result->msgId, sizeof result->msgId, "SENT%lld", n + 1);
    result->offset = n;
    return OK;
}

EXPORT int SendMessageSync(CProducer *p, CMessage *m, CSendResult *result)
{
    return record_send(p, m, -1, result);
}

EXPORT int SendMessageOrderly(CProducer *p, CMessage *m, QueueSelectorCallback cb, void *arg,
                              int autoRetryTimes, CSendResult *result)
{
    (void)autoRetryTimes;
    if (!cb)
        return NULL_POINTER;
    int q = cb(4, m, arg);
    return record_send(p, m, q, result);
}
