"""Baseline of C++ API consumers (tests/real/cxx_consumer.cc) and of batches,
on the real client and broker, WITHOUT the shim: what issue 12 changes.

Run: python3 -m pytest tests/real/test_cxx_api_baseline.py -q
(RECONSUME_BROKER_LINE=4.9|5, RECONSUME_CLIENT_VERSION=1.2.3|2.1.0).

- An exception thrown from consumeMessage ends the process with SIGABRT
  (std::terminate): concurrent listeners on 1.2.x, orderly listeners on both
  builds. 2.1.0's concurrent service catches it and reconsumes later.
- An orderly RECONSUME_LATER is retried locally with no cap: the queue stays
  blocked, nothing reaches %RETRY% or %DLQ%.
- Batches: 20 messages in a one-queue topic before the consumer starts arrive
  as one call of 20; one poison returning RECONSUME_LATER sends the whole
  batch back, so the good messages are called again, for the C++ API listener
  (which handles every message of the batch) and for the C API (whose
  MessageListenerInner stops at the poison: the messages after it are sent
  back without having been called, and their reconsume times grow all the same).
The figures measured go to build/listener-baseline.txt (LISTENER_NOTES.md quotes them).
"""
import signal
import subprocess
from collections import Counter, defaultdict
from pathlib import Path

import pytest
from stack import parse_delivery

ROOT = Path(__file__).resolve().parents[2]
RESULTS = ROOT / "build" / "listener-baseline.txt"
MAX_RETRIES = 16  # the broker's default retryMaxTimes of a subscription group

pytestmark = pytest.mark.slow


def note(text):
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    with open(RESULTS, "a") as f:
        f.write(text.rstrip() + "\n")
    print(text)


@pytest.fixture(scope="module")
def cxx_consumer_bin(real_stack):
    v = real_stack.client_version
    r = subprocess.run(["make", "-s", "-C", str(ROOT / "tests" / "real"), "cxx-consumer",
                        "CLIENT=" + v], capture_output=True, text=True, timeout=600)
    assert r.returncode == 0, r.stdout + r.stderr
    return ROOT / "build" / "real" / ("cxx_consumer-" + v)


def run_cxx(stack, binary, topic, group, *args):
    argv = [binary, "--namesrv", stack.namesrv, "--topic", topic, "--group", group, *args]
    if stack.client_version == "2.1.0":
        argv.append("--no-shutdown")  # 2.1.0 crashes in shutdown(), C++ API included
    return stack.run_consumer(argv)


def deliveries(c):
    """Parsed 'deliver' lines: the consumer.c format (cxx_consumer) or
    smoke_consumer's (msgid=..., body before reconsume)."""
    out = []
    for line in list(c.lines):
        if not line.startswith("deliver "):
            continue
        if line.startswith("deliver n="):
            d = parse_delivery(line)
            d["id"] = d["msgid"]
            out.append(d)
            continue
        head, _, ret = line.rpartition(" ret=")
        d = {"ret": ret}
        body_at = head.find(" body=")
        d["body"] = head[body_at + 6:]
        for kv in head[len("deliver "):body_at].split(" "):
            k, _, v = kv.partition("=")
            d[k] = v
        d["reconsume"] = int(d["reconsume"])
        out.append(d)
    return out


def batches(c):
    """'batch' lines: [(seq, [ids])]."""
    out = []
    for line in list(c.lines):
        if line.startswith("batch "):
            f = dict(kv.partition("=")[::2] for kv in line.split(" ")[1:])
            out.append((int(f["seq"]), f["ids"].split(",") if f["ids"] else []))
    return out


def calls_of(c, keys):
    return [d for d in deliveries(c) if d["keys"] == keys]


def tag(stack):
    return "client=%s broker=%s" % (stack.client_version, stack.line)


# ---- exceptions ------------------------------------------------------------

THROWS = {"throw:std": "std::runtime_error", "throw:odd": "app::OddPoison"}


@pytest.mark.parametrize("kind", sorted(THROWS))
@pytest.mark.parametrize("listener", ["concurrently", "orderly"])
def test_exception_from_consume_message(real_stack, cxx_consumer_bin, listener, kind):
    s = real_stack
    topic, group = s.unique("cxx_exc_t"), s.unique("cxx_exc_g")
    s.prepare(topic, group, queues=1)
    s.send(topic, [("TagA", "poison", kind)])
    args = ["--max-ms", "120000", "--check-capi"] + (["--orderly"] if listener == "orderly" else [])
    c = run_cxx(s, cxx_consumer_bin, topic, group, *args)
    if listener == "concurrently" and s.client_version == "2.1.0":
        # 2.1.0's concurrent service catches it (catch (...)) and reconsumes
        # later: the process lives on, the message comes back with reconsume 1, 2.
        c.wait_for(lambda _: len(calls_of(c, "poison")) >= 3, timeout=60)
        got = calls_of(c, "poison")
        assert [d["reconsume"] for d in got[:3]] == [0, 1, 2]
        assert all(d["ret"] == "throw" for d in got)
        assert c.proc.poll() is None
        c.stop()
        note("exception %s %s %s: caught by the client, reconsumed (reconsume 0,1,2 seen)"
             % (listener, kind, tag(s)))
        return
    rc = c.wait(90)
    assert rc == -signal.SIGABRT, (rc, c.lines[-5:], c.err_lines[-5:])
    got = calls_of(c, "poison")
    assert len(got) == 1 and got[0]["ret"] == "throw"
    assert any("terminate called after throwing an instance of '%s'" % THROWS[kind] in e
               for e in c.err_lines), c.err_lines[-5:]
    assert not any(line.startswith("result ") for line in c.lines)
    assert any(line.startswith("capi ok ") for line in c.lines), c.lines
    note("exception %s %s %s: process ended by SIGABRT after 1 call" % (listener, kind, tag(s)))


# ---- orderly RECONSUME_LATER -----------------------------------------------

def test_orderly_reconsume_later_is_retried_without_cap(real_stack, cxx_consumer_bin):
    s = real_stack
    topic, group = s.unique("cxx_ord_t"), s.unique("cxx_ord_g")
    s.prepare(topic, group, queues=1)
    s.send(topic, [("TagA", "poison", "status:1"), ("TagA", "next1", "ok"), ("TagA", "next2", "ok")])
    c = run_cxx(s, cxx_consumer_bin, topic, group, "--orderly", "--max-ms", "150000")
    want = 21
    # 1.2.x retries every ~100 ms; 2.1.0 every 1 s (16 times), then every 5 s.
    c.wait_for(lambda _: len(calls_of(c, "poison")) >= want, timeout=120)
    got = calls_of(c, "poison")
    assert all(d["ret"] == "1" for d in got)
    # the queue is blocked behind the poison
    assert calls_of(c, "next1") == [] and calls_of(c, "next2") == []
    assert len({d["id"] for d in got}) == 1
    # nothing was sent back: the retries are local
    assert s.retry_count(group) == 0
    assert s.dlq_count(group) == 0
    assert c.proc.poll() is None
    c.stop()
    recs = [d["reconsume"] for d in got]
    note("orderly RECONSUME_LATER %s: %d calls, no cap, followers blocked, reconsume times %s..%s"
         % (tag(s), len(got), recs[0], recs[-1]))
    if s.client_version == "1.2.3":
        assert set(recs) == {0}  # 1.2.x never counts local retries
    else:
        assert recs[:want] == list(range(want))  # 2.1.0 counts them


# ---- a status that is no ConsumeStatus -------------------------------------

@pytest.mark.parametrize("listener", ["concurrently", "orderly"])
def test_bad_status(real_stack, cxx_consumer_bin, listener):
    """consumeMessage returning 2 (neither CONSUME_SUCCESS nor RECONSUME_LATER):
    the concurrent service sends the batch back (as for RECONSUME_LATER), the
    orderly one commits it (it retries only on == RECONSUME_LATER): the
    message is acknowledged without having been consumed."""
    s = real_stack
    topic, group = s.unique("cxx_bad_t"), s.unique("cxx_bad_g")
    s.prepare(topic, group, queues=1)
    s.send(topic, [("TagA", "poison", "status:2"), ("TagA", "next1", "ok")])
    args = ["--max-ms", "120000"] + (["--orderly"] if listener == "orderly" else [])
    c = run_cxx(s, cxx_consumer_bin, topic, group, *args)
    if listener == "concurrently":
        c.wait_for(lambda _: len(calls_of(c, "poison")) >= 2, timeout=60)
        assert [d["reconsume"] for d in calls_of(c, "poison")[:2]] == [0, 1]
        outcome = "sent back like RECONSUME_LATER (reconsume 0, 1 seen)"
    else:
        c.wait_for(lambda _: calls_of(c, "next1"), timeout=60)
        # the follower is only handed out once the poison was committed
        assert len(calls_of(c, "poison")) == 1
        outcome = "committed like CONSUME_SUCCESS (called once, the queue moved on)"
    c.stop()
    note("status 2 %s %s: %s" % (listener, tag(s), outcome))


# ---- one batch with one poison ---------------------------------------------

N_BATCH = 20
POISON_AT = 10  # 0-based position of the poison among the 20


def _batch_messages(poison_body):
    msgs = []
    for i in range(N_BATCH):
        if i == POISON_AT:
            msgs.append(("TagA", "poison", poison_body))
        else:
            msgs.append(("TagA", "g%02d" % i, "ok%d" % i))
    return msgs


def _summary(s, api, c, sent, group):
    ids_by_key = {k: mid for mid, k in sent}
    got = deliveries(c)
    per_key = Counter(d["keys"] for d in got)
    goods = [k for k in ids_by_key if k != "poison"]
    good_calls = sum(per_key[k] for k in goods)
    first_reconsume = {}
    for d in got:
        first_reconsume.setdefault(d["keys"], d["reconsume"])
    text = ("batch %s %s: 20 msgs (1 poison at %d) -> poison calls %d; good calls %d for %d good "
            "messages (%d repeats), per good min %d max %d; goods first called with reconsume>0: %d, "
            "never called: %d; %%RETRY%% %d, %%DLQ%% %d"
            % (api, tag(s), POISON_AT, per_key["poison"], good_calls, len(goods),
               good_calls - len(goods), min(per_key[k] for k in goods),
               max(per_key[k] for k in goods),
               sum(1 for k in goods if first_reconsume.get(k, 0) > 0),
               sum(1 for k in goods if per_key[k] == 0),
               s.retry_count(group), s.dlq_count(group)))
    note(text)
    note("  per good message: " + " ".join("%s=%d" % (k, per_key[k]) for k in sorted(goods)))
    return per_key, goods, first_reconsume


def _wait_poison_done(s, c):
    # 1 + 16 calls of the poison; then the consumer stops by itself once no
    # call came for 6 s (a redelivery comes ~1 s after a failure here).
    c.wait_for(lambda _: len(calls_of(c, "poison")) >= MAX_RETRIES + 1, timeout=120)
    rc = c.wait(60)
    return rc


def test_batch_poison_cxx_listener(real_stack, cxx_consumer_bin):
    s = real_stack
    topic, group = s.unique("cxx_batch_t"), s.unique("cxx_batch_g")
    s.prepare(topic, group, queues=1)  # one queue: one pull of up to 32 -> one call
    sent = s.send(topic, _batch_messages("status:1"))
    c = run_cxx(s, cxx_consumer_bin, topic, group, "--idle-ms", "6000", "--max-ms", "150000",
                "--check-capi")
    rc = _wait_poison_done(s, c)
    assert rc == 0, (rc, c.err_lines[-5:])
    b = batches(c)
    # the 20 came as one call, in send order
    assert b[0][1] == [mid for mid, _ in sent]
    assert all(line.startswith("capi ok ") for line in c.lines if line.startswith("capi "))
    per_key, goods, _ = _summary(s, "cxx-concurrently", c, sent, group)
    assert per_key["poison"] == MAX_RETRIES + 1
    # the whole first call was sent back: every good message was called again
    assert all(per_key[k] >= 2 for k in goods), per_key


def test_batch_poison_c_api(real_stack):
    s = real_stack
    topic, group = s.unique("c_batch_t"), s.unique("c_batch_g")
    s.prepare(topic, group, queues=1)
    sent = s.send(topic, _batch_messages("bad"))
    c = s.smoke_consumer(topic, group, "--action", "later", "--poison", "poison",
                         "--idle", "6", "--timeout", "150")
    rc = _wait_poison_done(s, c)
    assert rc == 0, (rc, c.err_lines[-5:])
    per_key, goods, first_reconsume = _summary(s, "c-api", c, sent, group)
    assert per_key["poison"] == MAX_RETRIES + 1
    before = [k for k in goods if int(k[1:]) < POISON_AT]
    after = [k for k in goods if int(k[1:]) > POISON_AT]
    # MessageListenerInner called the messages before the poison, stopped at
    # it, and the client sent the whole batch back:
    assert all(per_key[k] >= 2 for k in before), per_key
    # the messages after it were sent back without a call: their first call,
    # if there is one at all, already carries a reconsume count (a message
    # that always follows the poison reaches %DLQ% without ever being called)
    assert all(first_reconsume.get(k, 1) >= 1 for k in after), first_reconsume
