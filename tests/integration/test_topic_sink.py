"""The topic sink (RECONSUME_SINK=topic...) against the test double: the
double's producer stubs log every send with its properties, fail on demand
(RMQ_DOUBLE_SEND_FAIL, RMQ_DOUBLE_SEND_STATUS) and log the producer's life
(RMQ_DOUBLE_PRODUCER_EVENTS=1)."""
from conftest import percent_decode, unescape_program

CAP1 = {"RECONSUME_MAX_RETRIES": "1"}


def sends(r):
    """[(send fields, {property: value})] in order."""
    out, props = [], {}
    for e in r.events:
        if e.kind == "send-prop":   # the value runs to the end of the line
            name, value = e.line[len("send-prop name="):].split(" value=", 1)
            props[name] = value
        elif e.kind == "send":
            out.append((e.fields, props))
            props = {}
    return out


def test_diverted_to_the_default_topic_with_every_property(shim_run):
    r = shim_run("c", ["id=M1 tags=TA keys=K\\x011 queue=2 offset=7 body=status:1\\x7f\\xc3\\xa9"],
                 {**CAP1, "RECONSUME_SINK": "topic", "RMQ_DOUBLE_PRODUCER_EVENTS": "1"},
                 extra_args=["--namesrv", "10.0.0.1:9876"])
    assert r.returncode == 0, r.stderr
    assert r.statuses("M1") == [1, 0]
    assert r.fates == {"M1": "acked"}
    assert r.spool == []
    ((f, p),) = sends(r)
    assert f["topic"] == "POISON_G1"
    assert f["tags"] == "TA" and unescape_program(f["keys"]) == b"K\x011"
    assert unescape_program(f["body"]) == b"status:1\x7f\xc3\xa9"   # byte for byte
    assert p["RECONSUME_RECORD"] == "1"
    assert p["RECONSUME_ORIGIN_TOPIC"] == "T" and p["RECONSUME_ORIGIN_MSG_ID"] == "M1"
    assert p["RECONSUME_DELIVERED_QUEUE_ID"] == "2" and p["RECONSUME_DELIVERED_QUEUE_OFFSET"] == "7"
    assert p["RECONSUME_DELIVERED_TOPIC"] == "T"
    assert "RECONSUME_ORIGIN_QUEUE_ID" not in p   # named for the delivered copy now
    assert p["RECONSUME_GROUP"] == "G1" and p["RECONSUME_OUTCOME"] == "reconsume"
    assert p["RECONSUME_STATUS"] == "1"
    assert p["RECONSUME_ATTEMPTS"] == "2" and p["RECONSUME_MAX_RETRIES"] == "1"
    assert p["RECONSUME_PID"] == str(r.pid) and p["RECONSUME_HOST"]
    assert int(p["RECONSUME_DIVERTED_AT_MS"]) > 1.6e12 and p["RECONSUME_DIVERTED_AT"].endswith("Z")
    assert p["RECONSUME_ACTION"] == "diverted" and p["RECONSUME_BECAUSE"] == "cap"
    assert "RECONSUME_ORIGIN_TAGS" not in p and not any("\\x" in v for v in p.values())
    starts = [e for e in r.events if e.kind == "producer-start"]
    assert len(starts) == 1
    assert starts[0].fields["namesrv"] == "10.0.0.1:9876" and starts[0].fields["timeout"] == "3000"
    assert any("-> topic POISON_G1 (msgId SENT1)" in line for line in r.err), r.stderr


def test_exception_text_and_type_travel_percent_encoded(shim_run):
    r = shim_run("cxx", ["id=X1 body=throw:std"], {**CAP1, "RECONSUME_SINK": "topic:DLQ_%TOPIC%"})
    assert r.returncode == 0, r.stderr
    ((f, p),) = sends(r)
    assert f["topic"] == "DLQ_T"
    assert p["RECONSUME_OUTCOME"] == "exception"
    assert p["RECONSUME_EXCEPTION_TYPE"] == "std::runtime_error"
    assert percent_decode(p["RECONSUME_EXCEPTION_WHAT"].encode()) == b"poison X1"


def test_one_producer_per_process_shut_down_with_the_consumer(shim_run):
    script = ["id=A body=status:1", "id=B body=status:1", "id=C body=ok"]
    r = shim_run("c", script, {**CAP1, "RECONSUME_SINK": "topic:P", "RMQ_DOUBLE_PRODUCER_EVENTS": "1"})
    assert r.returncode == 0, r.stderr
    kinds = [e.kind for e in r.events if e.kind.startswith("producer") or e.kind in ("destroy", "send")]
    assert kinds == ["producer-start", "send", "send", "destroy", "producer-shutdown", "producer-destroy"]


def test_no_diversion_no_producer(shim_run):
    r = shim_run("c", ["id=A body=ok"], {"RECONSUME_SINK": "topic", "RMQ_DOUBLE_PRODUCER_EVENTS": "1"})
    assert r.returncode == 0
    assert not [e for e in r.events if e.kind.startswith("producer")]


def test_failed_send_falls_back_to_the_spool(shim_run):
    r = shim_run("c", ["id=M1 tags=TA body=status:1"],
                 {**CAP1, "RECONSUME_SINK": "topic:P,spool", "RMQ_DOUBLE_SEND_FAIL": "all"})
    assert r.returncode == 0, r.stderr
    assert r.statuses("M1") == [1, 0]
    assert sends(r) == []
    (rec,) = r.spool
    assert rec.h("Msg-Id") == "M1" and rec.h("Tags") == "TA"
    assert any("could not store msgId=M1 in the topic sink" in x and "trying the spool sink" in x
               for x in r.err), r.stderr


def test_failed_send_without_fallback_is_not_acknowledged(shim_run):
    # The first send fails: reconsume later; the next failure diverts again, and that send works.
    r = shim_run("c", ["id=M1 body=status:1"],
                 {**CAP1, "RECONSUME_SINK": "topic:P", "RMQ_DOUBLE_SEND_FAIL": "1"})
    assert r.returncode == 0, r.stderr
    assert r.statuses("M1") == [1, 1, 0]
    assert [e.kind for e in r.events if e.kind.startswith("send")] == ["send-failed"] + ["send-prop"] * len(sends(r)[0][1]) + ["send"]
    assert any("not acknowledged, it will be retried" in x for x in r.err)
    assert r.stats["reconsume_divert_failures_total"] == 1
    assert r.stats["reconsume_diverted_total"] == 1


def test_a_send_status_other_than_ok_is_a_failure(shim_run):
    r = shim_run("c", ["id=M1 body=status:1"],
                 {**CAP1, "RECONSUME_SINK": "topic:P", "RMQ_DOUBLE_SEND_STATUS": "1",
                  "RMQ_DOUBLE_MAX_RECONSUME": "3"})
    assert r.returncode == 0
    assert 0 not in r.statuses("M1")
    assert r.fates == {"M1": "dlq"}      # the broker's own DLQ, never lost
    assert any("send status 1, not SEND_OK" in x for x in r.err), r.stderr


def test_broadcast_keeps_trying_until_the_send_works(shim_run):
    r = shim_run("c", ["id=M1 body=status:1"],
                 {**CAP1, "RECONSUME_SINK": "topic:P", "RMQ_DOUBLE_SEND_FAIL": "2",
                  "RECONSUME_BROADCAST_BACKOFF_MS": "0"}, extra_args=["--broadcast"])
    assert r.returncode == 0, r.stderr
    assert r.statuses("M1") == [0]
    assert len(sends(r)) == 1


def test_a_rule_chooses_its_own_sink(shim_run):
    r = shim_run("c", ["id=A topic=T body=status:1", "id=B topic=Orders body=status:1"],
                 {**CAP1, "RECONSUME_RULES": "topic=Orders => sink=topic:ORDERS_POISON"},
                 extra_args=["--topic", "Orders"])
    assert r.returncode == 0, r.stderr
    ((f, p),) = sends(r)
    assert f["topic"] == "ORDERS_POISON" and p["RECONSUME_ORIGIN_MSG_ID"] == "B"
    assert [rec.h("Msg-Id") for rec in r.spool] == ["A"]


def test_bad_values_are_named_on_one_line(shim_run):
    for value, why in [("kafka", "unknown sink 'kafka'"), ("topic:", "empty topic name"),
                       ("topic:a%X%", "unknown placeholder"), ("spool,spool", "given twice"),
                       ("topic:a b", "may hold only")]:
        r = shim_run("c", ["id=M1 body=status:1"], {**CAP1, "RECONSUME_SINK": value})
        assert r.returncode == 0
        (line,) = [x for x in r.err if "RECONSUME_SINK" in x]
        assert f"RECONSUME_SINK='{value}'" in line and why in line and "expected spool" in line, line
        assert line.endswith("shim disabled (pass-through)")
    r = shim_run("c", ["id=M1 body=ok"], {"RECONSUME_RULES": "* => sink=topic:x,kafka"})
    (line,) = [x for x in r.err if "error" in x]
    assert "rule 1" in line and "sink='topic:x,kafka'" in line, line


def test_an_expanded_name_that_is_not_a_topic_falls_back(shim_run):
    # A group holding a character no topic may hold.
    r = shim_run("c", ["id=M1 body=status:1"], {**CAP1, "RECONSUME_SINK": "topic,spool"},
                 group="g.1")
    assert r.returncode == 0, r.stderr
    assert sends(r) == [] and len(r.spool) == 1
    assert any("not a valid topic name" in x for x in r.err), r.stderr
