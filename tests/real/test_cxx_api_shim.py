"""C++ API consumers (tests/real/cxx_consumer.cc, unmodified) under the shim,
on the real client and broker (issue 12, first part): the listener registered
with DefaultMQPushConsumer::registerMessageListener is wrapped, and each
message of its batches goes through the same pipeline as a C callback's.

For each listener kind (concurrent, orderly) and each poison (status 1, a
thrown std::runtime_error, a thrown non-std type): the poison is called
exactly 1 + N times and diverted (its record says why), the messages after it
are consumed, and the process is alive at the end. The unshimmed baselines
(test_cxx_api_baseline.py, collected here too, beside them): the exceptions
end the process (SIGABRT) except 2.1.0's concurrent service, which reconsumes
without a cap; an orderly RECONSUME_LATER is retried locally for ever.

Run: python3 -m pytest tests/real/test_cxx_api_shim.py -q
(RECONSUME_BROKER_LINE=4.9|5, RECONSUME_CLIENT_VERSION=1.2.3|2.1.0).
"""
from pathlib import Path

import pytest
import sys

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tests" / "pylib"))
from records import parse_record  # noqa: E402

# The baselines, beside the shimmed runs (and their fixture).
from test_cxx_api_baseline import (  # noqa: E402,F401
    calls_of, cxx_consumer_bin, deliveries, note, tag,
    test_exception_from_consume_message as test_baseline_exception_from_consume_message,
    test_orderly_reconsume_later_is_retried_without_cap as test_baseline_orderly_reconsume_later,
)

pytestmark = pytest.mark.slow

SHIM = ROOT / "build" / "libreconsume.so"
N = 1  # RECONSUME_MAX_RETRIES: the poison is called 1 + N times
POISONS = {
    "status:1": ("reconsume", None),
    "throw:std": ("exception", "std::runtime_error"),
    "throw:odd": ("exception", "app::OddPoison"),
}
FOLLOWERS = ["m0", "m1", "m2"]


def spool(d):
    new = d / "new"
    return [parse_record(p) for p in sorted(new.iterdir())] if new.is_dir() else []


@pytest.mark.parametrize("kind", sorted(POISONS))
@pytest.mark.parametrize("listener", ["concurrently", "orderly"])
def test_cxx_listener_poison_capped_and_diverted(real_stack, cxx_consumer_bin, tmp_path, listener,
                                                  kind):
    s = real_stack
    orderly = listener == "orderly"
    topic, group = s.unique("cxx_shim_t"), s.unique("cxx_shim_g")
    s.prepare(topic, group, queues=1)
    msgs = [("T", "poison", kind)] + [("T", k, "ok " + k) for k in FOLLOWERS]
    s.send(topic, msgs, orderly=orderly, queue=0)
    sp = tmp_path / "spool"
    env = {"LD_PRELOAD": str(SHIM), "RECONSUME_MAX_RETRIES": str(N),
           "RECONSUME_SPOOL_DIR": str(sp), "RECONSUME_LOG_LEVEL": "debug"}
    args = ["--max-ms", "150000", "--idle-ms", "150000", "--check-capi"]
    argv = [cxx_consumer_bin, "--namesrv", s.namesrv, "--topic", topic, "--group", group, *args]
    if orderly:
        argv.append("--orderly")
    if s.client_version == "2.1.0":
        argv.append("--no-shutdown")  # 2.1.0 crashes in shutdown(), C++ API included
    c = s.run_consumer(argv, env)

    def done(_):
        ok = all(any(d["ret"] == "0" for d in calls_of(c, k)) for k in FOLLOWERS)
        return ok and len(spool(sp)) >= 1

    c.wait_for(done, timeout=120)
    assert c.proc.poll() is None, "the consumer died"
    poison = calls_of(c, "poison")
    want_outcome, want_type = POISONS[kind]
    (rec,) = spool(sp)
    c.stop()
    assert len(poison) == 1 + N, [(d["reconsume"], d["ret"]) for d in poison]
    assert rec.h("Keys") == "poison" and rec.h("Outcome") == want_outcome, rec.headers
    assert rec.h("Mode") == ("orderly" if orderly else "clustering")
    assert rec.int("Attempts") == 1 + N
    if want_type:
        assert rec.h("Exception-Type") == want_type
    if orderly:
        # the queue moves on only after the poison left it, in order
        order = [d["keys"] for d in deliveries(c)]
        assert order == ["poison"] * (1 + N) + FOLLOWERS, order
    assert any(line.startswith("capi ok ") for line in c.lines)
    assert not any(line.startswith("capi MISMATCH") for line in c.lines)
    # the application saw one message per call (the wrapper's one-message view)
    assert all(line.split(" size=")[1].split(" ")[0] == "1"
               for line in c.lines if line.startswith("batch "))
    note("cxx-api shim %s %s %s: poison called %d times, diverted (%s%s), followers consumed, alive"
         % (listener, kind, tag(s), len(poison), want_outcome, ", " + want_type if want_type else ""))


@pytest.mark.parametrize("orderly", [False, True])
def test_c_api_listener_is_not_wrapped_twice(real_stack, orderly):
    # The C API's MessageListenerInner reaches the interposed
    # registerMessageListener too; its callback is the shim's closure, which
    # decides, so the listener is left as it is (one layer decides).
    s = real_stack
    topic, group = s.unique("capi_once_t"), s.unique("capi_once_g")
    s.prepare(topic, group, queues=1)
    args = ["--orderly"] if orderly else []
    c = s.smoke_consumer(topic, group, *args, env={"LD_PRELOAD": str(SHIM),
                                                   "RECONSUME_LOG_LEVEL": "debug"})
    kind = "orderly" if orderly else "concurrent"
    c.wait_for(lambda _: any("wrapped the %s callback of group %s" % (kind, group) in e
                             for e in c.err_lines), timeout=60)
    c.stop()
    assert not any("C++ API listener" in e for e in c.err_lines), c.err_lines


def test_cxx_broadcasting_consumer_is_seen_and_retried_in_process(real_stack, cxx_consumer_bin,
                                                                 tmp_path):
    """A C++ API consumer that sets BROADCASTING itself, without the C API
    (1.2.x: the inline setter's store; 2.1.0: DefaultMQPushConsumer::
    setMessageModel): the shim asks the client for the model, so the poison
    gets broadcasting's in-process retries and is diverted with Mode
    broadcasting, and no retry copy goes to a %RETRY% topic that a
    broadcasting consumer never reads (which would lose it)."""
    s = real_stack
    topic, group = s.unique("cxx_bc_t"), s.unique("cxx_bc_g")
    s.prepare(topic, group, queues=1)
    sp = tmp_path / "spool"
    env = {"LD_PRELOAD": str(SHIM), "RECONSUME_MAX_RETRIES": str(N), "RECONSUME_SPOOL_DIR": str(sp),
           "RECONSUME_BROADCAST_BACKOFF_MS": "50"}
    argv = [cxx_consumer_bin, "--namesrv", s.namesrv, "--topic", topic, "--group", group,
            "--broadcast", "--max-ms", "150000", "--idle-ms", "150000"]
    if s.client_version == "2.1.0":
        argv.append("--no-shutdown")
    c = s.run_consumer(argv, env)
    # a broadcasting consumer starts at the queue's end: warm up first
    import time
    deadline = time.monotonic() + 90
    while not calls_of(c, "warm"):
        assert time.monotonic() < deadline, "never received a warm-up message"
        s.send(topic, [("T", "warm", "ok")])
        try:
            c.wait_for(lambda _: bool(calls_of(c, "warm")), 2)
        except AssertionError:
            if c.proc.poll() is not None:
                raise
    s.send(topic, [("T", "poison", "status:1"), ("T", "after", "ok after")])
    c.wait_for(lambda _: len(spool(sp)) >= 1 and any(d["ret"] == "0" for d in calls_of(c, "after")),
               timeout=120)
    (rec,) = spool(sp)
    c.stop()
    assert rec.h("Mode") == "broadcasting", rec.headers
    assert len(calls_of(c, "poison")) == 1 + N
    assert rec.int("Attempts") == 1 + N
    assert s.retry_count(group) == 0          # no copy, no send-back
    note("cxx-api shim broadcasting %s: model found without the C API, poison called %d times "
         "in process, diverted, %%RETRY%% 0" % (tag(s), 1 + N))
