"""Baseline of the real client and broker, without the shim: what reconsume
changes. Run: python3 -m pytest tests/real -q
(RECONSUME_BROKER_LINE=4.9|5, RECONSUME_CLIENT_VERSION=1.2.3|2.1.0)."""
import re

import pytest

MAX_RETRIES = 16  # the broker's default retryMaxTimes of a subscription group


def test_success_is_delivered_once(real_stack):
    topic, group = real_stack.unique("ok_t"), real_stack.unique("ok_g")
    real_stack.prepare(topic, group)
    sent = real_stack.send(topic, [("TagA", "k%d" % i, "hello %d" % i) for i in range(3)])
    c = real_stack.smoke_consumer(topic, group, "--action", "ok", "--count", "3", "--timeout", "30")
    assert c.wait(60) == 0
    got = c.deliveries()
    assert sorted(d["msgid"] for d in got) == sorted(mid for mid, _ in sent)
    assert all(d["reconsume"] == 0 for d in got)
    assert {d["body"] for d in got} == {"hello 0", "hello 1", "hello 2"}
    assert real_stack.retry_count(group) == 0
    assert real_stack.dlq_count(group) == 0


def test_reconsume_later_goes_to_dlq_after_16_retries(real_stack):
    topic, group = real_stack.unique("later_t"), real_stack.unique("later_g")
    real_stack.prepare(topic, group)
    [(msgid, _)] = real_stack.send(topic, [("TagA", "poison", "bad")])
    c = real_stack.smoke_consumer(topic, group, "--action", "later",
                                  "--count", str(MAX_RETRIES + 1), "--timeout", "90")
    assert c.wait(120) == 0
    got = c.deliveries()
    # 1 delivery + 16 redeliveries through %RETRY%<group>, each 1 s apart
    # (every delay level is 1 s on this broker); the client shows the
    # original msgId each time and GetMessageReconsumeTimes counts up.
    assert len(got) == MAX_RETRIES + 1
    assert [d["msgid"] for d in got] == [msgid] * (MAX_RETRIES + 1)
    assert [d["reconsume"] for d in got] == list(range(MAX_RETRIES + 1))
    assert real_stack.wait_count("%RETRY%" + group, MAX_RETRIES) == MAX_RETRIES
    dlq = real_stack.wait_count("%DLQ%" + group, 1, timeout=10)
    if real_stack.line == "5" and real_stack.client_version == "1.2.3":
        # Seen here: the 5.3.3 broker answers the 1.2.3 client's last
        # send-back with a NullPointerException (TopicValidator.isSystemTopic,
        # topic null); the message reaches no %DLQ% and is never redelivered.
        assert dlq == 0
        pytest.xfail("1.2.3 client + 5.x broker: the 17th failure is lost, not in %DLQ%")
    assert dlq == 1
    # the same through the admin tool, as an operator would check it
    assert real_stack.mqadmin_topic_count("%DLQ%" + group) == 1
    out = real_stack.mqadmin("queryMsgByKey", "-t", "%DLQ%" + group, "-k", "poison")
    assert len(re.findall(r"^[0-9A-F]{32}\s", out, re.M)) == 1, out
