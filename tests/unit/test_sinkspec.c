/*
 * test_sinkspec.c - RECONSUME_SINK: every accepted form, the one-line error
 * for each bad one, topic name expansion, the config and rule wiring, and
 * the record <-> topic message mapping (sink/topicmsg.c) round trip.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "io/read_file.h"
#include "policy/config.h"
#include "policy/record.h"
#include "policy/sinkspec.h"
#include "sink/topic.h"

static void accepted_forms(void **state)
{
    (void)state;
    struct rc_sinkspec s;
    char err[512], buf[300];
    assert_int_equal(rc_sinkspec_parse("X", "spool", &s, err, sizeof err), 0);
    assert_int_equal(s.n, 1);
    assert_int_equal(s.v[0].kind, RC_SINK_SPOOL);
    assert_int_equal(rc_sinkspec_parse("X", "topic", &s, err, sizeof err), 0);
    assert_string_equal(s.v[0].topic, "POISON_%GROUP%");
    assert_int_equal(rc_sinkspec_parse("X", "TOPIC:Orders_DLQ|x-1,Spool", &s, err, sizeof err), 0);
    assert_int_equal(s.n, 2);
    assert_int_equal(s.v[0].kind, RC_SINK_TOPIC);
    assert_string_equal(s.v[0].topic, "Orders_DLQ|x-1");
    assert_int_equal(s.v[1].kind, RC_SINK_SPOOL);
    rc_sinkspec_format(&s, buf, sizeof buf);
    assert_string_equal(buf, "topic:Orders_DLQ|x-1,spool");
    assert_int_equal(rc_sinkspec_parse("X", "spool,topic:%TOPIC%_%GROUP%", &s, err, sizeof err), 0);
    assert_int_equal(s.v[1].kind, RC_SINK_TOPIC);
    assert_true(rc_sinkspec_has(&s, RC_SINK_SPOOL));
    char max[140];
    memset(max, 'a', 127);
    max[127] = '\0';
    char v[150];
    snprintf(v, sizeof v, "topic:%s", max);
    assert_int_equal(rc_sinkspec_parse("X", v, &s, err, sizeof err), 0);
}

static void bad_forms(void **state)
{
    (void)state;
    static const struct { const char *v, *msg; } cases[] = {
        {"", "RECONSUME_SINK='': empty value; expected spool, topic or topic:NAME, or a comma "
             "list of them such as topic:NAME,spool"},
        {"kafka", "RECONSUME_SINK='kafka': unknown sink 'kafka'; expected spool, topic or "
                  "topic:NAME, or a comma list of them such as topic:NAME,spool"},
        {"topics", "RECONSUME_SINK='topics': unknown sink 'topics'; expected spool, topic or "
                   "topic:NAME, or a comma list of them such as topic:NAME,spool"},
        {"topic:", "RECONSUME_SINK='topic:': sink 'topic:': empty topic name; expected spool, "
                   "topic or topic:NAME, or a comma list of them such as topic:NAME,spool"},
        {"spool,", "RECONSUME_SINK='spool,': unknown sink ''; expected spool, topic or "
                   "topic:NAME, or a comma list of them such as topic:NAME,spool"},
        {"topic:a,topic:b", "RECONSUME_SINK='topic:a,topic:b': sink 'topic:b' given twice; "
                            "expected spool, topic or topic:NAME, or a comma list of them such "
                            "as topic:NAME,spool"},
        {"spool,topic,spool", "RECONSUME_SINK='spool,topic,spool': more than 2 sinks; expected "
                              "spool, topic or topic:NAME, or a comma list of them such as "
                              "topic:NAME,spool"},
    };
    char err[512];
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        struct rc_sinkspec s = {.n = 7};
        assert_int_equal(rc_sinkspec_parse("RECONSUME_SINK", cases[i].v, &s, err, sizeof err), -1);
        assert_string_equal(err, cases[i].msg);
        assert_int_equal(s.n, 7); /* untouched */
    }
    static const char *const why[][2] = {
        {"topic:a%GROUP", "unknown placeholder"},
        {"topic:%group%", "unknown placeholder"},
        {"topic:a.b", "may hold only"},
        {"topic:a b", "may hold only"},
        {"topic:a\x1b[31m", "may hold only"},
    };
    for (size_t i = 0; i < sizeof why / sizeof *why; i++) {
        struct rc_sinkspec s;
        assert_int_equal(rc_sinkspec_parse("X", why[i][0], &s, err, sizeof err), -1);
        assert_non_null(strstr(err, why[i][1]));
    }
    char v[150] = "topic:";
    memset(v + 6, 'a', 128);
    v[134] = '\0';
    struct rc_sinkspec s;
    assert_int_equal(rc_sinkspec_parse("X", v, &s, err, sizeof err), -1);
    assert_non_null(strstr(err, "longer than 127"));
}

static void expansion(void **state)
{
    (void)state;
    char out[200], err[300];
    assert_int_equal(rc_sink_topic_expand("POISON_%GROUP%", "billing", "Orders", out, sizeof out,
                                          err, sizeof err), 0);
    assert_string_equal(out, "POISON_billing");
    assert_int_equal(rc_sink_topic_expand("%TOPIC%-%GROUP%-%TOPIC%", "g", "T", out, sizeof out, err,
                                          sizeof err), 0);
    assert_string_equal(out, "T-g-T");
    assert_int_equal(rc_sink_topic_expand("P_%GROUP%", "a.b", "T", out, sizeof out, err, sizeof err),
                     -1);
    assert_string_equal(err, "topic 'P_%GROUP%' expands to 'P_a.b', not a valid topic name");
    assert_int_equal(rc_sink_topic_expand("%GROUP%", NULL, "T", out, sizeof out, err, sizeof err), -1);
    char big[200];
    memset(big, 'g', 121);
    big[121] = '\0';
    assert_int_equal(rc_sink_topic_expand("POISON_%GROUP%", big, "T", out, sizeof out, err,
                                          sizeof err), -1);
    assert_non_null(strstr(err, "more than 127"));
    assert_true(rc_topic_name_valid("%RETRY%g"));
    assert_false(rc_topic_name_valid(""));
}

static const char *const *fake_env;
static const char *fake_get(const char *name)
{
    for (const char *const *p = fake_env; p && p[0]; p += 2)
        if (strcmp(p[0], name) == 0)
            return p[1];
    return NULL;
}

static void config_wiring(void **state)
{
    (void)state;
    struct rc_config c;
    char err[1024];
    const char *const none[] = {"HOME", "/tmp", NULL};
    fake_env = none;
    assert_int_equal(rc_config_load(&c, fake_get, err, sizeof err), 0);
    assert_int_equal(c.sink.n, 1);
    assert_int_equal(c.sink.v[0].kind, RC_SINK_SPOOL);
    rc_config_free(&c);
    const char *const chain[] = {"HOME", "/tmp", "RECONSUME_SINK", "topic,spool", NULL};
    fake_env = chain;
    assert_int_equal(rc_config_load(&c, fake_get, err, sizeof err), 0);
    assert_int_equal(c.sink.n, 2);
    rc_config_free(&c);
    const char *const empty[] = {"HOME", "/tmp", "RECONSUME_SINK", "", NULL};
    fake_env = empty;
    assert_int_equal(rc_config_load(&c, fake_get, err, sizeof err), -1);
    assert_string_equal(err, "RECONSUME_SINK='': empty value; unset it for the default");
    const char *const rule[] = {"HOME", "/tmp", "RECONSUME_RULES",
                                "group=a => max_retries=1; topic=B => sink=topic:x,nope", NULL};
    fake_env = rule;
    assert_int_equal(rc_config_load(&c, fake_get, err, sizeof err), -1);
    assert_string_equal(err, "RECONSUME_RULES: rule 2: sink='topic:x,nope': unknown sink 'nope'; "
                             "expected spool, topic or topic:NAME, or a comma list of them such "
                             "as topic:NAME,spool");
    const char *const good_rule[] = {"HOME", "/tmp", "RECONSUME_RULES", "* => sink=topic:x", NULL};
    fake_env = good_rule;
    assert_int_equal(rc_config_load(&c, fake_get, err, sizeof err), 0);
    rc_config_free(&c);
}

/* ---- the topic message mapping, with a fake message ---------------------- */

static struct { char name[64]; char *value; } fprops[64];
static size_t nfprops;
static const char *fake_tags = "TagA", *fake_keys = "k 1", *fake_body = "body\x01\xff";

static const char *fget_prop(rc_cmessage_ext *m, const char *name)
{
    (void)m;
    for (size_t i = 0; i < nfprops; i++)
        if (strcmp(fprops[i].name, name) == 0)
            return fprops[i].value;
    return ""; /* as the real client says for an absent one */
}
static const char *fget_tags(rc_cmessage_ext *m) { (void)m; return fake_tags; }
static const char *fget_keys(rc_cmessage_ext *m) { (void)m; return fake_keys; }
static const char *fget_body(rc_cmessage_ext *m) { (void)m; return fake_body; }

static void mapping_round_trip(void **state)
{
    (void)state;
    struct rc_record r;
    memset(&r, 0, sizeof r);
    r.outcome = "exception";
    r.action = "diverted";
    r.because = "cap";
    r.status = 1;
    r.exc_type = "app::Bad";
    r.exc_what = " lead\ntrail %\x1b[0m ";
    r.attempts = 3;
    r.max_retries = 2;
    r.group = "G";
    r.mode = "clustering";
    r.host = "h";
    r.pid = 42;
    r.diverted_at_ms = 1700000000123LL;
    r.topic = "Orders";
    r.tags = fake_tags;
    r.keys = fake_keys;
    r.msg_id = "ID1";
    r.queue_id = 3;
    r.queue_offset = 99;
    r.commit_log_offset = -1;
    r.born_ts = 5;
    r.store_ts = 6;
    r.nprops = 1;
    r.props[0].name = "SHARDING_KEY";
    r.props[0].value = "s1";
    r.body = fake_body;
    r.body_len = strlen(fake_body);

    size_t need = rc_record_encoded_size(&r);
    char *enc = malloc(need);
    assert_int_equal(rc_record_encode(&r, enc, need), need);
    struct rc_topic_prop props[64];
    size_t n = rc_topic_props_from_record(enc, need, props, 64);
    nfprops = 0;
    for (size_t i = 0; i < n; i++) {
        assert_null(strstr(props[i].name, "TAGS"));
        assert_null(strstr(props[i].name, "BODY"));
        snprintf(fprops[nfprops].name, sizeof fprops[nfprops].name, "%.63s", props[i].name);
        fprops[nfprops].value = strndup(props[i].value, props[i].value_len);
        for (const char *p = fprops[nfprops].value; *p; p++)
            assert_true(*p >= 0x20 && *p < 0x7f); /* never a client separator */
        nfprops++;
    }
    assert_string_equal(fget_prop(NULL, "RECONSUME_ORIGIN_PROP_SHARDING_KEY"), "s1");
    assert_string_equal(fget_prop(NULL, "RECONSUME_ORIGIN_TOPIC"), "Orders");

    struct rc_topic_api api;
    memset(&api, 0, sizeof api);
    api.GetMessageProperty = fget_prop;
    api.GetMessageTags = fget_tags;
    api.GetMessageKeys = fget_keys;
    api.GetMessageBody = fget_body;
    size_t len;
    char err[256];
    char *text = rc_topic_record_text(&api, NULL, &len, err, sizeof err);
    assert_non_null(text);
    struct rc_record back;
    assert_int_equal(rc_record_parse(text, len, &back, err, sizeof err), 0);
    assert_string_equal(back.exc_what, r.exc_what);
    assert_string_equal(back.topic, "Orders");
    assert_string_equal(back.keys, "k 1");
    assert_string_equal(back.tags, "TagA");
    assert_int_equal(back.queue_offset, 99);
    assert_int_equal(back.diverted_at_ms, 1700000000123LL);
    assert_int_equal(back.body_len, r.body_len);
    assert_memory_equal(back.body, r.body, r.body_len);
    assert_int_equal(back.nprops, 1);
    /* The same text the shim would have spooled. */
    r.nprops = 1;
    assert_int_equal(len, need);
    assert_memory_equal(text, enc, need);
    rc_record_free(&back);
    free(text);

    /* A hostile value cannot add a header line; a message without the
     * marker property is not a record. */
    free(fprops[1].value);
    fprops[1].value = strdup("x\nTopic: evil");
    text = rc_topic_record_text(&api, NULL, &len, err, sizeof err);
    assert_int_equal(rc_record_parse(text, len, &back, err, sizeof err), 0);
    assert_string_equal(back.topic, "Orders");
    rc_record_free(&back);
    free(text);
    for (size_t i = 0; i < nfprops; i++)
        free(fprops[i].value);
    nfprops = 0;
    assert_null(rc_topic_record_text(&api, NULL, &len, err, sizeof err));
    assert_string_equal(err, "not a diverted message (no RECONSUME_RECORD property)");
    free(enc);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(accepted_forms),  cmocka_unit_test(bad_forms),
        cmocka_unit_test(expansion),       cmocka_unit_test(config_wiring),
        cmocka_unit_test(mapping_round_trip),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
