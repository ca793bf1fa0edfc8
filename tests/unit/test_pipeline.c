/*
 * test_pipeline.c - one delivery through hooks/pipeline.c: decide and act,
 * with the client and the sinks replaced at link time (-Wl,--wrap, as in
 * cmocka's example/mock): rc_client() hands out a table of fake accessors,
 * rc_sink_store() records what would be stored and answers as the test
 * says, rc_topic_retry_send() records a retry copy and answers as the test
 * says (by default: not confirmed), rc_pause_ms() does not sleep.
 *
 * Everything else is the library's own code: begin, call, the attempt table,
 * decide, act, divert, the counters.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hooks/closure.h"
#include "hooks/listener.h"
#include "hooks/pipeline.h"
#include "hooks/registry.h"
#include "hooks/runtime.h"
#include "obs/stats.h"
#include "io/read_file.h"
#include "policy/config.h"
#include "sink/sink.h"
#include "sink/topic.h"

/* ---- the fake client ------------------------------------------------------ */

struct fake_msg {
    const char *id;
    const char *topic;
    int reconsume_times;
    /* a retry copy's RECONSUME_RETRY_ATTEMPTS and _ORIGIN_MSG_ID, or NULL */
    const char *carried, *origin;
};

static const char *msg_id(CMessageExt *m) { return ((struct fake_msg *)m)->id; }
static const char *msg_topic(CMessageExt *m) { return ((struct fake_msg *)m)->topic; }
static int msg_reconsume(CMessageExt *m) { return ((struct fake_msg *)m)->reconsume_times; }
static const char *group_of(CPushConsumer *c) { (void)c; return "G1"; }
static const char *msg_prop(CMessageExt *m, const char *name)
{
    const struct fake_msg *f = (const struct fake_msg *)m;
    if (strcmp(name, "RECONSUME_RETRY_ATTEMPTS") == 0)
        return f->carried ? f->carried : "";
    if (strcmp(name, "RECONSUME_RETRY_ORIGIN_MSG_ID") == 0)
        return f->origin ? f->origin : "";
    return "";
}

static struct rc_client fake_client = {
    .GetMessageId = msg_id,
    .GetMessageTopic = msg_topic,
    .GetMessageReconsumeTimes = msg_reconsume,
    .GetPushConsumerGroupID = group_of,
    .GetMessageProperty = msg_prop,
};

const struct rc_client *__wrap_rc_client(void);
const struct rc_client *__wrap_rc_client(void) { return &fake_client; }

/* ---- the fake sinks ------------------------------------------------------- */

static int stores;                 /* calls of rc_sink_store */
static int store_answer;           /* what it returns */
static char stored_because[32];    /* the last record's reason */
static int stored_attempts;
static char stored_msg_id[32];

int __wrap_rc_sink_store(const struct rc_sinkspec *chain, const struct rc_sink_ctx *ctx,
                         const struct rc_record *r, char *where, size_t cap, char *err,
                         size_t errlen);
int __wrap_rc_sink_store(const struct rc_sinkspec *chain, const struct rc_sink_ctx *ctx,
                         const struct rc_record *r, char *where, size_t cap, char *err,
                         size_t errlen)
{
    (void)chain, (void)ctx;
    stores++;
    snprintf(stored_because, sizeof stored_because, "%s", r->because);
    stored_attempts = r->attempts;
    snprintf(stored_msg_id, sizeof stored_msg_id, "%s", r->msg_id ? r->msg_id : "");
    snprintf(where, cap, "the test");
    snprintf(err, errlen, "refused by the test");
    return store_answer;
}

/* ---- the fake retry copies (hooks/retry.c) --------------------------------- */

static int copies;          /* calls of rc_topic_retry_send */
static int copy_answer;     /* what it returns: -EIO (not confirmed) unless a test says 0 */
static char copy_topic[64]; /* the last copy's topic and its properties */
static char copy_props[8][2][64];
static size_t copy_nprops;

static const char *copy_prop(const char *name)
{
    for (size_t i = 0; i < copy_nprops; i++)
        if (strcmp(copy_props[i][0], name) == 0)
            return copy_props[i][1];
    return NULL;
}

int __wrap_rc_topic_retry_send(const void *c, const char *topic, const struct rc_record *r,
                               const struct rc_topic_setprop *extra, size_t nextra, char *msg_id,
                               size_t cap, char *err, size_t errlen);
int __wrap_rc_topic_retry_send(const void *c, const char *topic, const struct rc_record *r,
                               const struct rc_topic_setprop *extra, size_t nextra, char *msg_id,
                               size_t cap, char *err, size_t errlen)
{
    (void)c, (void)r;
    copies++;
    snprintf(copy_topic, sizeof copy_topic, "%s", topic);
    copy_nprops = nextra < 8 ? nextra : 8;
    for (size_t i = 0; i < copy_nprops; i++) {
        snprintf(copy_props[i][0], sizeof copy_props[i][0], "%s", extra[i].name);
        snprintf(copy_props[i][1], sizeof copy_props[i][1], "%s", extra[i].value);
    }
    snprintf(msg_id, cap, "COPY%d", copies);
    snprintf(err, errlen, "not confirmed by the test");
    return copy_answer;
}

static int pauses;
void __wrap_rc_pause_ms(long ms);
void __wrap_rc_pause_ms(long ms) { (void)ms; pauses++; }

/* ---- the application ------------------------------------------------------ */

static int calls;      /* how often the application was called */
static int fail_first; /* it fails its first fail_first calls (status 1) */

static int app(CPushConsumer *c, CMessageExt *m)
{
    (void)c, (void)m;
    return calls++ < fail_first ? RC_RECONSUME_LATER : RC_CONSUME_SUCCESS;
}

static void no_handler(ffi_cif *cif, void *ret, void **args, void *user)
{
    (void)cif, (void)ret, (void)args, (void)user;
}

/* ---- set-up --------------------------------------------------------------- */

static const char *const *env_table;

static const char *get(const char *name)
{
    for (const char *const *p = env_table; p && *p; p += 2)
        if (strcmp(p[0], name) == 0)
            return p[1];
    return NULL;
}

static CPushConsumer *consumer = (CPushConsumer *)0x1000;

/* A process configured by env (name, value, ..., NULL), with one
 * registration of app by consumer, of the given model. */
static const struct rc_registration *configure(const char *const *env, int model, bool orderly)
{
    static ffi_cif cif;
    static ffi_type *args[2] = {&ffi_type_pointer, &ffi_type_pointer};
    char err[512];
    env_table = env;
    rc_config_free(&rc_rt.cfg);
    assert_int_equal(rc_config_load(&rc_rt.cfg, get, err, sizeof err), 0);
    if (rc_rt.attempts)
        rc_attempts_free(rc_rt.attempts);
    rc_rt.attempts = rc_attempts_new((size_t)rc_rt.cfg.track_max);
    rc_rt.tracked = rc_attempts_size_word(rc_rt.attempts);
    rc_rt.call_kind = RC_CALL_PLAIN;
    rc_rt.full_path = false;
    atomic_store(&rc_rt.active, true);
    rc_stats_reset();
    calls = stores = pauses = copies = 0;
    copy_nprops = 0;
    copy_answer = -EIO;
    store_answer = 0;
    stored_because[0] = '\0';
    assert_int_equal(ffi_prep_cif(&cif, FFI_DEFAULT_ABI, 2, &ffi_type_sint, args), FFI_OK);
    rc_registry_forget(consumer);
    rc_registry_set_model(consumer, model);
    const struct rc_registration *reg = rc_registry_wrap(consumer, app, orderly, &cif, no_handler);
    assert_non_null(reg);
    return reg;
}

/* One delivery the way the client makes it. */
static int deliver(const struct rc_registration *reg, struct fake_msg *m)
{
    return rc_deliver(reg, consumer, (CMessageExt *)m, NULL, -1);
}

/* ---- the tests ------------------------------------------------------------ */

static void success_passes_and_stores_nothing(void **state)
{
    (void)state;
    static const char *const env[] = {NULL};
    const struct rc_registration *reg = configure(env, RC_CLUSTERING, false);
    struct fake_msg m = {"M1", "T1", 0, NULL, NULL};
    assert_int_equal(deliver(reg, &m), RC_CONSUME_SUCCESS);
    assert_int_equal(calls, 1);
    assert_int_equal(stores, 0);
    assert_int_equal(rc_counter_get(&rc_stats.deliveries[RC_OUT_SUCCESS]), 1);
}

/* Orderly with a client that keeps no count: the shim's own count caps it. */
static void cap_diverts_at_one_plus_n_then_acknowledges(void **state)
{
    (void)state;
    static const char *const env[] = {"RECONSUME_MAX_RETRIES", "2", NULL};
    const struct rc_registration *reg = configure(env, RC_CLUSTERING, true);
    fail_first = 1000;
    struct fake_msg m = {"M1", "T1", 0, NULL, NULL};
    assert_int_equal(deliver(reg, &m), RC_RECONSUME_LATER);
    assert_int_equal(deliver(reg, &m), RC_RECONSUME_LATER);
    assert_int_equal(stores, 0);
    assert_int_equal(deliver(reg, &m), RC_CONSUME_SUCCESS);
    assert_int_equal(stores, 1);
    assert_string_equal(stored_because, "cap");
    assert_int_equal(stored_attempts, 3);
    assert_int_equal(rc_counter_get(&rc_stats.diverted), 1);
    /* Resolved: its count is gone, a new failure starts from 1. */
    assert_int_equal(rc_attempts_peek(rc_rt.attempts, reg->owner, "M1"), 0);
}

/* Clustering: the client's reconsume times say which attempt this is. */
static void client_count_is_the_attempt(void **state)
{
    (void)state;
    static const char *const env[] = {"RECONSUME_MAX_RETRIES", "3", NULL};
    const struct rc_registration *reg = configure(env, RC_CLUSTERING, false);
    fail_first = 1000;
    struct fake_msg m = {"M2", "T1", 3, NULL, NULL}; /* the 4th delivery: 1 + 3 */
    assert_int_equal(deliver(reg, &m), RC_CONSUME_SUCCESS);
    assert_int_equal(stores, 1);
    assert_int_equal(stored_attempts, 4);
}

/* Clustering with a cap above the broker's 16: the delivery after the 16th
 * send-back is the last the broker takes (issue 13, item 10). */
static void cap_above_the_broker_diverts_at_its_last_attempt(void **state)
{
    (void)state;
    static const char *const env[] = {"RECONSUME_MAX_RETRIES", "20", NULL};
    const struct rc_registration *reg = configure(env, RC_CLUSTERING, false);
    fail_first = 1000;
    struct fake_msg m = {"M11", "T1", 15, NULL, NULL};
    assert_int_equal(deliver(reg, &m), RC_RECONSUME_LATER); /* attempt 16: handed back */
    m.reconsume_times = 16;
    assert_int_equal(deliver(reg, &m), RC_CONSUME_SUCCESS); /* attempt 17: diverted */
    assert_int_equal(stores, 1);
    assert_string_equal(stored_because, "broker_max");
    assert_int_equal(stored_attempts, 17);
}

/* The broker's maximum is about its count, not the shim's: a clustering
 * message the shim has seen fail 20 times while the client says reconsume
 * times 0 (a client that keeps no count) is still retried below the cap. */
static void broker_max_counts_the_brokers_count(void **state)
{
    (void)state;
    static const char *const env[] = {"RECONSUME_MAX_RETRIES", "30", NULL};
    const struct rc_registration *reg = configure(env, RC_CLUSTERING, false);
    fail_first = 1000;
    struct fake_msg m = {"M13", "T1", 0, NULL, NULL};
    for (int i = 1; i <= 20; i++)
        assert_int_equal(deliver(reg, &m), RC_RECONSUME_LATER);
    assert_int_equal(stores, 0);
}

/* Orderly retries are the client's own: a cap of 20 is honoured. */
static void orderly_cap_above_16_is_honoured(void **state)
{
    (void)state;
    static const char *const env[] = {"RECONSUME_MAX_RETRIES", "20", NULL};
    const struct rc_registration *reg = configure(env, RC_CLUSTERING, true);
    fail_first = 1000;
    struct fake_msg m = {"M12", "T1", 0, NULL, NULL};
    for (int i = 1; i <= 20; i++)
        assert_int_equal(deliver(reg, &m), RC_RECONSUME_LATER);
    assert_int_equal(stores, 0);
    assert_int_equal(deliver(reg, &m), RC_CONSUME_SUCCESS);
    assert_string_equal(stored_because, "cap");
    assert_int_equal(stored_attempts, 21);
}

/* A store that fails is never an acknowledgement. */
static void failed_store_is_not_acknowledged(void **state)
{
    (void)state;
    static const char *const env[] = {"RECONSUME_MAX_RETRIES", "0", NULL};
    const struct rc_registration *reg = configure(env, RC_CLUSTERING, false);
    fail_first = 1000;
    store_answer = -EIO;
    struct fake_msg m = {"M3", "T1", 0, NULL, NULL};
    assert_int_equal(deliver(reg, &m), RC_RECONSUME_LATER);
    assert_int_equal(stores, 1);
    assert_int_equal(rc_counter_get(&rc_stats.divert_failures), 1);
    assert_int_equal(rc_counter_get(&rc_stats.diverted), 0);
}

static void non_retryable_status_diverts_at_once(void **state)
{
    (void)state;
    static const char *const env[] = {"RECONSUME_NON_RETRYABLE", "status:1", NULL};
    const struct rc_registration *reg = configure(env, RC_CLUSTERING, false);
    fail_first = 1;
    struct fake_msg m = {"M4", "T1", 0, NULL, NULL};
    assert_int_equal(deliver(reg, &m), RC_CONSUME_SUCCESS);
    assert_int_equal(stores, 1);
    assert_string_equal(stored_because, "non_retryable");
    assert_int_equal(stored_attempts, 1);
}

/* Broadcasting: retried in the consume thread (the outer loop) until it
 * succeeds, with a pause before each retry. */
static void broadcasting_retries_in_process(void **state)
{
    (void)state;
    static const char *const env[] = {"RECONSUME_MAX_RETRIES", "5", NULL};
    const struct rc_registration *reg = configure(env, RC_BROADCASTING, false);
    fail_first = 2;
    struct fake_msg m = {"M5", "T1", 0, NULL, NULL};
    assert_int_equal(deliver(reg, &m), RC_CONSUME_SUCCESS);
    assert_int_equal(calls, 3);
    assert_int_equal(pauses, 2);
    assert_int_equal(rc_counter_get(&rc_stats.inprocess_retries), 2);
    assert_int_equal(stores, 0);
}

/* Broadcasting past the cap: diverted after 1 + N calls, in one delivery. */
static void broadcasting_diverts_at_the_cap(void **state)
{
    (void)state;
    static const char *const env[] = {"RECONSUME_MAX_RETRIES", "2", NULL};
    const struct rc_registration *reg = configure(env, RC_BROADCASTING, false);
    fail_first = 1000;
    struct fake_msg m = {"M6", "T1", 0, NULL, NULL};
    assert_int_equal(deliver(reg, &m), RC_CONSUME_SUCCESS);
    assert_int_equal(calls, 3);
    assert_int_equal(stores, 1);
    assert_int_equal(stored_attempts, 3);
}

/* Observe mode: the callback's own status, nothing stored. */
static void observe_changes_nothing(void **state)
{
    (void)state;
    static const char *const env[] = {"RECONSUME_MODE", "observe", "RECONSUME_MAX_RETRIES", "0", NULL};
    const struct rc_registration *reg = configure(env, RC_CLUSTERING, false);
    fail_first = 1000;
    struct fake_msg m = {"M7", "T1", 0, NULL, NULL};
    assert_int_equal(deliver(reg, &m), RC_RECONSUME_LATER);
    assert_int_equal(stores, 0);
    assert_int_equal(rc_counter_get(&rc_stats.would_divert), 1);
}

/* A rule's own cap (and its sink chain, parsed once) win over the process's. */
static void rule_settings_win(void **state)
{
    (void)state;
    static const char *const env[] = {"RECONSUME_MAX_RETRIES", "5", "RECONSUME_RULES",
                                      "topic=T9 => max_retries=0", NULL};
    const struct rc_registration *reg = configure(env, RC_CLUSTERING, false);
    fail_first = 1000;
    struct fake_msg other = {"M8", "T1", 0, NULL, NULL}, ruled = {"M9", "T9", 0, NULL, NULL};
    assert_int_equal(deliver(reg, &other), RC_RECONSUME_LATER);
    assert_int_equal(deliver(reg, &ruled), RC_CONSUME_SUCCESS);
    assert_int_equal(stores, 1);
}

/* errno is the client's, whatever the pipeline did. */
static void errno_is_kept(void **state)
{
    (void)state;
    static const char *const env[] = {"RECONSUME_MAX_RETRIES", "0", NULL};
    const struct rc_registration *reg = configure(env, RC_CLUSTERING, false);
    fail_first = 1000;
    store_answer = -EIO;
    struct fake_msg m = {"M10", "T1", 0, NULL, NULL};
    errno = EDOM;
    deliver(reg, &m);
    assert_int_equal(errno, EDOM);
}

/* ---- a listener's batch (hooks/batch.c) ------------------------------------ */

static int called[8]; /* calls per message of the batch */

/* Fails the message whose id starts with 'P'; counts calls per message. */
static int app_by_id(CPushConsumer *c, CMessageExt *m)
{
    (void)c;
    const struct fake_msg *f = (const struct fake_msg *)m;
    called[f->id[1] - '0']++;
    return f->id[0] == 'P' ? RC_RECONSUME_LATER : RC_CONSUME_SUCCESS;
}

static const struct rc_registration *batch_reg(const char *const *env, bool orderly)
{
    (void)configure(env, RC_CLUSTERING, orderly);
    memset(called, 0, sizeof called);
    const struct rc_registration *reg = rc_registry_add(consumer, app_by_id, orderly);
    assert_non_null(reg);
    return reg;
}

static int deliver_batch(const struct rc_registration *reg, struct fake_msg *v, size_t n)
{
    return rc_deliver_batch(reg, consumer, (char *)v, sizeof *v, n);
}

/* Concurrent: every message is called once; one failure makes the batch
 * RECONSUME_LATER (the client's rule); all good, CONSUME_SUCCESS. */
static void batch_concurrent_calls_every_message(void **state)
{
    (void)state;
    static const char *const env[] = {"RECONSUME_MAX_RETRIES", "2", NULL};
    const struct rc_registration *reg = batch_reg(env, false);
    struct fake_msg v[4] = {{"G0", "T1", 0, NULL, NULL}, {"P1", "T1", 0, NULL, NULL}, {"G2", "T1", 0, NULL, NULL}, {"G3", "T1", 0, NULL, NULL}};
    assert_int_equal(deliver_batch(reg, v, 4), RC_RECONSUME_LATER);
    for (int i = 0; i < 4; i++)
        assert_int_equal(called[i], 1);
    assert_int_equal(stores, 0);
    struct fake_msg good[2] = {{"G0", "T1", 0, NULL, NULL}, {"G1", "T1", 0, NULL, NULL}};
    assert_int_equal(deliver_batch(reg, good, 2), RC_CONSUME_SUCCESS);
}

/* Concurrent, the poison at its last attempt (client count 2 = attempt 3 =
 * 1 + N): diverted before the batch is acknowledged, and the batch passes. */
static void batch_concurrent_poison_at_the_cap_is_diverted(void **state)
{
    (void)state;
    static const char *const env[] = {"RECONSUME_MAX_RETRIES", "2", NULL};
    const struct rc_registration *reg = batch_reg(env, false);
    struct fake_msg v[3] = {{"G0", "T1", 2, NULL, NULL}, {"P1", "T1", 2, NULL, NULL}, {"G2", "T1", 2, NULL, NULL}};
    assert_int_equal(deliver_batch(reg, v, 3), RC_CONSUME_SUCCESS);
    assert_int_equal(stores, 1);
    assert_string_equal(stored_because, "cap");
    assert_int_equal(stored_attempts, 3);
    for (int i = 0; i < 3; i++)
        assert_int_equal(called[i], 1);
}

/* Orderly: a failure stops the batch; the message behind it is not called. */
static void batch_orderly_stops_at_a_failure(void **state)
{
    (void)state;
    static const char *const env[] = {"RECONSUME_MAX_RETRIES", "2", NULL};
    const struct rc_registration *reg = batch_reg(env, true);
    struct fake_msg v[3] = {{"G0", "T1", 0, NULL, NULL}, {"P1", "T1", 0, NULL, NULL}, {"G2", "T1", 0, NULL, NULL}};
    assert_int_equal(deliver_batch(reg, v, 3), RC_RECONSUME_LATER);
    assert_int_equal(called[0], 1);
    assert_int_equal(called[1], 1);
    assert_int_equal(called[2], 0);
    /* the shim's own count caps it: attempts 2, then 3 = 1 + N: diverted */
    assert_int_equal(deliver_batch(reg, v + 1, 2), RC_RECONSUME_LATER);
    assert_int_equal(deliver_batch(reg, v + 1, 2), RC_CONSUME_SUCCESS);
    assert_int_equal(stores, 1);
    assert_int_equal(called[1], 3);
    assert_int_equal(called[2], 1);
}

/* ---- retry copies (hooks/retry.c) ------------------------------------------ */

/* Clustering, concurrent, below the cap: a confirmed copy to %RETRY%<group>
 * carrying the topic, the delay, the calls so far and the id; the message is
 * acknowledged. */
static void confirmed_copy_acknowledges_the_message(void **state)
{
    (void)state;
    static const char *const env[] = {"RECONSUME_MAX_RETRIES", "3", NULL};
    const struct rc_registration *reg = configure(env, RC_CLUSTERING, false);
    fail_first = 1000;
    copy_answer = 0;
    struct fake_msg m = {"M1", "T1", 0, NULL, NULL};
    assert_int_equal(deliver(reg, &m), RC_CONSUME_SUCCESS);
    assert_int_equal(calls, 1);
    assert_int_equal(copies, 1);
    assert_int_equal(stores, 0);
    assert_string_equal(copy_topic, "%RETRY%G1");
    assert_string_equal(copy_prop("RETRY_TOPIC"), "T1");
    assert_string_equal(copy_prop("DELAY"), "3");
    assert_string_equal(copy_prop("RECONSUME_RETRY_ATTEMPTS"), "1");
    assert_string_equal(copy_prop("RECONSUME_RETRY_ORIGIN_MSG_ID"), "M1");
    assert_int_equal(rc_counter_get(&rc_stats.retry_copies), 1);
    assert_int_equal(rc_counter_get(&rc_stats.retry_copy_failures), 0);
}

/* RECONSUME_BACKOFF: each copy asks for its retry's delay, as the nearest
 * delay level at or above it, or as a 5.x timer with RECONSUME_BACKOFF_TIMER. */
static void copy_delay_follows_the_backoff(void **state)
{
    (void)state;
    static const char *const env[] = {"RECONSUME_MAX_RETRIES", "5", "RECONSUME_BACKOFF", "1s,7s,20m", NULL};
    const struct rc_registration *reg = configure(env, RC_CLUSTERING, false);
    fail_first = 1000;
    copy_answer = 0;
    struct fake_msg m = {"M1", "T1", 0, NULL, NULL};
    assert_int_equal(deliver(reg, &m), RC_CONSUME_SUCCESS);
    assert_string_equal(copy_prop("DELAY"), "1");             /* 1s */
    struct fake_msg c1 = {"C1", "T1", 0, "1", "M1"};
    assert_int_equal(deliver(reg, &c1), RC_CONSUME_SUCCESS);
    assert_string_equal(copy_prop("DELAY"), "3");             /* 7s -> 10s, level 3 */
    struct fake_msg c2 = {"C2", "T1", 0, "2", "M1"};
    assert_int_equal(deliver(reg, &c2), RC_CONSUME_SUCCESS);
    assert_string_equal(copy_prop("DELAY"), "15");            /* 20m, level 15 exactly */
    assert_null(copy_prop("TIMER_DELAY_MS"));

    static const char *const timer[] = {"RECONSUME_MAX_RETRIES", "5", "RECONSUME_BACKOFF", "1s,7s,20m",
                                        "RECONSUME_BACKOFF_TIMER", "1", NULL};
    reg = configure(timer, RC_CLUSTERING, false);
    fail_first = 1000;
    copy_answer = 0;
    assert_int_equal(deliver(reg, &c1), RC_CONSUME_SUCCESS);
    assert_string_equal(copy_prop("TIMER_DELAY_MS"), "7000"); /* exact, and no level */
    assert_null(copy_prop("DELAY"));
}

/* Not confirmed: RECONSUME_LATER (the client's whole-batch retry), never an ack. */
static void unconfirmed_copy_is_reconsume_later(void **state)
{
    (void)state;
    static const char *const env[] = {"RECONSUME_MAX_RETRIES", "3", NULL};
    const struct rc_registration *reg = configure(env, RC_CLUSTERING, false);
    fail_first = 1000;
    struct fake_msg m = {"M1", "T1", 0, NULL, NULL};
    assert_int_equal(deliver(reg, &m), RC_RECONSUME_LATER);
    assert_int_equal(copies, 2); /* sent once more after a pause */
    assert_int_equal(pauses, 1);
    assert_int_equal(rc_counter_get(&rc_stats.retry_copies), 0);
    assert_int_equal(rc_counter_get(&rc_stats.retry_copy_failures), 1);
    assert_int_equal(stores, 0);
}

/* A copy's carried count: the next copy carries one more, with the next
 * delay level and the first id; at 1 + N the cap diverts it, the record
 * says Attempts 1 + N and the first id, and no copy is made. */
static void carried_count_reaches_the_cap(void **state)
{
    (void)state;
    static const char *const env[] = {"RECONSUME_MAX_RETRIES", "3", NULL};
    const struct rc_registration *reg = configure(env, RC_CLUSTERING, false);
    fail_first = 1000;
    copy_answer = 0;
    struct fake_msg second = {"NEW2", "T1", 0, "1", "M1"};
    assert_int_equal(deliver(reg, &second), RC_CONSUME_SUCCESS);
    assert_int_equal(copies, 1);
    assert_string_equal(copy_prop("RECONSUME_RETRY_ATTEMPTS"), "2");
    assert_string_equal(copy_prop("DELAY"), "4");
    assert_string_equal(copy_prop("RECONSUME_RETRY_ORIGIN_MSG_ID"), "M1");
    struct fake_msg last = {"NEW4", "T1", 0, "3", "M1"};
    assert_int_equal(deliver(reg, &last), RC_CONSUME_SUCCESS);
    assert_int_equal(copies, 1);
    assert_int_equal(stores, 1);
    assert_string_equal(stored_because, "cap");
    assert_int_equal(stored_attempts, 4);
    assert_string_equal(stored_msg_id, "M1");
    /* A copy handed back by the client (reconsume times 1) counts both. */
    struct fake_msg back = {"NEW3", "T1", 1, "2", "M1"};
    stores = 0;
    assert_int_equal(deliver(reg, &back), RC_CONSUME_SUCCESS);
    assert_int_equal(stores, 1);
    assert_int_equal(stored_attempts, 4);
}

/* RECONSUME_RETRY=batch, orderly, broadcasting and observe mode: no copy. */
static void no_copy_where_the_client_or_the_shim_retries(void **state)
{
    (void)state;
    static const char *const batch[] = {"RECONSUME_MAX_RETRIES", "3", "RECONSUME_RETRY", "batch", NULL};
    static const char *const plain[] = {"RECONSUME_MAX_RETRIES", "3", NULL};
    static const char *const observe[] = {"RECONSUME_MAX_RETRIES", "3", "RECONSUME_MODE", "observe", NULL};
    struct fake_msg m = {"M1", "T1", 0, NULL, NULL};
    const struct rc_registration *reg = configure(batch, RC_CLUSTERING, false);
    fail_first = 1000;
    copy_answer = 0;
    assert_int_equal(deliver(reg, &m), RC_RECONSUME_LATER);
    assert_int_equal(copies, 0);
    reg = configure(plain, RC_CLUSTERING, true);
    copy_answer = 0;
    assert_int_equal(deliver(reg, &m), RC_RECONSUME_LATER);
    assert_int_equal(copies, 0);
    reg = configure(plain, RC_BROADCASTING, false);
    copy_answer = 0;
    assert_int_equal(deliver(reg, &m), RC_CONSUME_SUCCESS); /* in-process retries, then diverted */
    assert_int_equal(copies, 0);
    reg = configure(observe, RC_CLUSTERING, false);
    copy_answer = 0;
    assert_int_equal(deliver(reg, &m), RC_RECONSUME_LATER);
    assert_int_equal(copies, 0);
}

/* A listener's batch (the C++ API): each failure its own confirmed copy,
 * every message called once, and the batch is consumed. */
static void batch_concurrent_copies_each_failure(void **state)
{
    (void)state;
    static const char *const env[] = {"RECONSUME_MAX_RETRIES", "2", NULL};
    const struct rc_registration *reg = batch_reg(env, false);
    copy_answer = 0;
    struct fake_msg v[4] = {{"G0", "T1", 0, NULL, NULL}, {"P1", "T1", 0, NULL, NULL},
                            {"G2", "T1", 0, NULL, NULL}, {"P3", "T1", 0, NULL, NULL}};
    assert_int_equal(deliver_batch(reg, v, 4), RC_CONSUME_SUCCESS);
    for (int i = 0; i < 4; i++)
        assert_int_equal(called[i], 1);
    assert_int_equal(copies, 2);
    assert_string_equal(copy_prop("RECONSUME_RETRY_ORIGIN_MSG_ID"), "P3");
    /* one copy not confirmed: the batch goes back (never acknowledged) */
    copy_answer = -EIO;
    assert_int_equal(deliver_batch(reg, v, 4), RC_RECONSUME_LATER);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(success_passes_and_stores_nothing),
        cmocka_unit_test(cap_diverts_at_one_plus_n_then_acknowledges),
        cmocka_unit_test(client_count_is_the_attempt),
        cmocka_unit_test(cap_above_the_broker_diverts_at_its_last_attempt),
        cmocka_unit_test(orderly_cap_above_16_is_honoured),
        cmocka_unit_test(broker_max_counts_the_brokers_count),
        cmocka_unit_test(failed_store_is_not_acknowledged),
        cmocka_unit_test(non_retryable_status_diverts_at_once),
        cmocka_unit_test(broadcasting_retries_in_process),
        cmocka_unit_test(broadcasting_diverts_at_the_cap),
        cmocka_unit_test(observe_changes_nothing),
        cmocka_unit_test(rule_settings_win),
        cmocka_unit_test(errno_is_kept),
        cmocka_unit_test(batch_concurrent_calls_every_message),
        cmocka_unit_test(batch_concurrent_poison_at_the_cap_is_diverted),
        cmocka_unit_test(batch_orderly_stops_at_a_failure),
        cmocka_unit_test(confirmed_copy_acknowledges_the_message),
        cmocka_unit_test(copy_delay_follows_the_backoff),
        cmocka_unit_test(unconfirmed_copy_is_reconsume_later),
        cmocka_unit_test(carried_count_reaches_the_cap),
        cmocka_unit_test(no_copy_where_the_client_or_the_shim_retries),
        cmocka_unit_test(batch_concurrent_copies_each_failure),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
