/*
 * double.h - what the parts of the client test double share (internal; the
 * exported ABI is tests/capi/rocketmq_c.h). See tests/double/README.md for
 * which file does what.
 */
#ifndef RMQ_DOUBLE_H
#define RMQ_DOUBLE_H

#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "tests/capi/rocketmq_c.h"

#include <pthread.h>
#include <stddef.h>

#define EXPORT __attribute__((visibility("default")))

/* CCommon.h error codes */
#define OK 0
#define NULL_POINTER 1
#define START_FAILED 10

/* ---- util.c: memory, environment, time, escaping ---- */
void *rmqd_xmalloc(size_t n);                     /* aborts with a line when out of memory */
void *rmqd_xrealloc(void *p, size_t n);
char *rmqd_xstrdup(const char *s);
char *rmqd_xmemdup0(const char *s, size_t n);      /* n bytes, then a NUL */
/* ARR with room for at least N + 1 elements of ELEM bytes (capacity *CAP, doubled). */
void *rmqd_reserve(void *arr, size_t *cap, size_t n, size_t elem);
/* *DST = a copy of V: NULL_POINTER if either is NULL, else OK (the setters' contract). */
int rmqd_set_string(char **dst, const char *v);
long rmqd_env_long(const char *name, long dflt);   /* dflt when unset or not a whole number */
void rmqd_sleep_ms(long ms);
char *rmqd_escape(const char *s, size_t n);        /* for the log: printable ASCII, "\\", \xNN */

/* ---- log.c: the event log (RMQ_DOUBLE_LOG), one flushed line per call ---- */
__attribute__((format(printf, 1, 2))) void rmqd_log(const char *fmt, ...);

/* ---- fields.c: what a message carries, sent (CMessage) or delivered (CMessageExt) ---- */
struct rmqd_prop {
    char *name, *value;
};

struct rmqd_props {
    struct rmqd_prop *v;
    size_t n, cap;
};

struct rmqd_fields {
    char *topic, *tags, *keys;
    char *body; /* body_len bytes, then a NUL */
    size_t body_len;
    int delay_level;
    struct rmqd_props props;
};

void rmqd_props_add(struct rmqd_props *p, char *name, char *value); /* takes both */
void rmqd_props_set(struct rmqd_props *p, const char *name, const char *value);
const char *rmqd_props_get(const struct rmqd_props *p, const char *name); /* NULL if absent */
void rmqd_fields_init(struct rmqd_fields *f, const char *topic); /* tags, keys, body "" */
void rmqd_fields_copy(struct rmqd_fields *dst, const struct rmqd_fields *src);
void rmqd_fields_set_body(struct rmqd_fields *f, char *body, size_t len); /* takes body */
void rmqd_fields_free(struct rmqd_fields *f);

/* ---- message.c: a delivered message ---- */
struct CMessageExt {
    char *id;
    struct rmqd_fields f;
    int queue, reconsume;
    long long offset, commitlog, born, store;
};

struct CMessageExt *rmqd_msg_clone(const struct CMessageExt *t);
void rmqd_msg_fini(struct CMessageExt *m); /* frees what it holds, not m */
void rmqd_msg_free(struct CMessageExt *m);

/* ---- script.c: the delivery plan (RMQ_DOUBLE_SCRIPT, RMQ_DOUBLE_REPEAT) ---- */
struct rmqd_script {
    struct CMessageExt *msgs;
    size_t n, cap;
};

void rmqd_script_load(struct rmqd_script *s, const char *dflt_topic);
void rmqd_script_free(struct rmqd_script *s);

/* ---- consumer.c / delivery.c: the push consumer ---- */
struct rmqd_worker;

struct CPushConsumer {
    pthread_mutex_t lock;
    char *group, *namesrv, *instance;
    char **topics, **exprs;
    size_t ntopics;
    MessageCallBack callback; /* under lock */
    int orderly;              /* under lock */
    int model;
    int threads;
    int started;
    struct rmqd_script script;
    struct rmqd_worker *workers;
    int nworkers;
};

MessageCallBack rmqd_consumer_callback(CPushConsumer *c); /* the registered one, or NULL */
void rmqd_delivery_plan(CPushConsumer *c);  /* loads the script, shares it among the threads */
void rmqd_delivery_start(CPushConsumer *c); /* starts the threads */
void rmqd_delivery_join(CPushConsumer *c);  /* waits until they delivered the plan; frees it */
/* A sent message F, given id ID: when it is a retry copy to %RETRY%<group>
 * sent from inside that group's callback, it is delivered later on the
 * calling thread (returns 1); else 0. */
int rmqd_delivery_retry_copy(const struct rmqd_fields *f, const char *id);

#endif
