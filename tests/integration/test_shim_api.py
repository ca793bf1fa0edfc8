"""Client API sequences the consumer programs do not make, driven from a
Python process through ctypes (the shim preloaded, the double RTLD_GLOBAL):
several consumers, re-registration, late group/model changes, stats on destroy."""
import sys
import textwrap
from pathlib import Path

from conftest import DOUBLE_DIR

HERE = Path(__file__).resolve().parent
PRELUDE = f"""
import sys, os
sys.path.insert(0, {str(HERE)!r})
import capi
api = capi.load({str(DOUBLE_DIR)!r})
def consumer(group, topic="T"):
    c = api.CreatePushConsumer(group.encode())
    assert c
    assert api.Subscribe(c, topic.encode(), b"*") == 0
    return c
def returning(status, tag):
    @capi.CALLBACK
    def cb(c, m):
        print(tag, api.GetMessageId(m).decode(), api.GetMessageReconsumeTimes(m), flush=True)
        return status
    return cb
"""


def py(shim_run, code, script, env=None, shim=True):
    src = PRELUDE + textwrap.dedent(code)
    return shim_run([sys.executable, "-c", src], script, env or {}, shim=shim)


def test_counts_are_per_group(shim_run):
    # orderly: only the shim's own count caps it; A's attempts must not count for B
    code = """
    cb = returning(1, "cb")
    for g in ("GA", "GB"):
        c = consumer(g)
        assert api.RegisterMessageCallbackOrderly(c, cb) == 0
        assert api.StartPushConsumer(c) == 0
        api.ShutdownPushConsumer(c)
        api.DestroyPushConsumer(c)
    """
    r = py(shim_run, code, ["id=M1 body=x"], {"RECONSUME_MAX_RETRIES": "2"})
    assert r.returncode == 0, r.stderr
    assert r.statuses("M1") == [1, 1, 0, 1, 1, 0]
    assert sorted(rec.h("Group") for rec in r.spool) == ["GA", "GB"]
    assert {rec.int("Attempts") for rec in r.spool} == {3}


def test_reregistration_uses_latest_callback(shim_run):
    code = """
    first, second = returning(1, "first"), returning(5, "second")
    c = consumer("G")
    assert api.RegisterMessageCallback(c, first) == 0
    assert api.UnregisterMessageCallback(c) == 0
    assert api.RegisterMessageCallback(c, second) == 0
    assert api.StartPushConsumer(c) == 0
    api.ShutdownPushConsumer(c)
    api.DestroyPushConsumer(c)
    """
    r = py(shim_run, code, ["id=M1 body=x"], {"RECONSUME_MAX_RETRIES": "1"})
    assert r.returncode == 0, r.stderr
    assert r.out == ["second M1 0", "second M1 1"]
    assert r.statuses("M1") == [1, 0]
    (rec,) = r.spool
    assert rec.h("Outcome") == "bad_status" and rec.int("Status") == 5


def test_group_renamed_after_create(shim_run):
    code = """
    c = consumer("OLD")
    assert api.SetPushConsumerGroupID(c, b"NEW") == 0
    assert api.GetPushConsumerGroupID(c) == b"NEW"
    cb = returning(1, "cb")  # kept alive: ctypes frees the thunk with the object
    assert api.RegisterMessageCallback(c, cb) == 0
    assert api.StartPushConsumer(c) == 0
    api.ShutdownPushConsumer(c); api.DestroyPushConsumer(c)
    """
    r = py(shim_run, code, ["id=M1 body=x"], {"RECONSUME_MAX_RETRIES": "0"})
    assert r.returncode == 0, r.stderr
    (rec,) = r.spool
    assert rec.h("Group") == "NEW"


def test_model_set_after_register(shim_run):
    code = """
    c = consumer("G")
    cb = returning(1, "cb")
    assert api.RegisterMessageCallback(c, cb) == 0
    assert api.SetPushConsumerMessageModel(c, capi.BROADCASTING) == 0
    assert api.StartPushConsumer(c) == 0
    api.ShutdownPushConsumer(c); api.DestroyPushConsumer(c)
    """
    r = py(shim_run, code, ["id=M1 body=x"],
           {"RECONSUME_MAX_RETRIES": "2", "RECONSUME_BROADCAST_BACKOFF_MS": "0"})
    assert r.returncode == 0, r.stderr
    assert r.out == ["cb M1 0"] * 3
    assert r.statuses("M1") == [0]
    assert r.fates == {"M1": "acked"}
    (rec,) = r.spool
    assert rec.h("Mode") == "broadcasting"


def test_stats_written_when_consumer_destroyed(shim_run):
    # The file is written at the registration and at the first delivery
    # (then not before the hour-long interval): once that write is seen, it
    # is removed, and only the destroy can write it again.
    code = """
    import time
    c = consumer("G")
    cb = returning(1, "cb")
    assert api.RegisterMessageCallback(c, cb) == 0
    assert api.StartPushConsumer(c) == 0
    stats = os.environ["RECONSUME_STATS"]
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        text = open(stats).read() if os.path.exists(stats) else ""
        if any(l.startswith("reconsume_deliveries_total") and not l.endswith(" 0")
               for l in text.splitlines()):
            break
        time.sleep(0.01)
    api.ShutdownPushConsumer(c)
    os.unlink(stats)
    print("before-destroy", os.path.exists(stats), flush=True)
    api.DestroyPushConsumer(c)
    print("after-destroy", os.path.exists(stats), flush=True)
    text = open(stats).read()
    print("diverted", [l for l in text.splitlines() if l.startswith("reconsume_diverted_total")][0], flush=True)
    os._exit(0)   # no exit handlers: only the destroy could have written it
    """
    r = py(shim_run, code, ["id=M1 body=x"], {"RECONSUME_MAX_RETRIES": "1",
                                               "RECONSUME_STATS_INTERVAL_MS": "3600000"})
    assert r.returncode == 0, r.stderr
    assert "before-destroy False" in r.out
    assert "after-destroy True" in r.out
    assert 'diverted reconsume_diverted_total{group="G"} 1' in r.out


def test_two_consumers_concurrently(shim_run):
    code = """
    cs = []
    cb = returning(1, "cb")
    for g in ("GA", "GB"):
        c = consumer(g)
        api.SetPushConsumerThreadCount(c, 2)
        assert api.RegisterMessageCallback(c, cb) == 0
        cs.append(c)
    for c in cs:
        assert api.StartPushConsumer(c) == 0
    for c in cs:
        api.ShutdownPushConsumer(c); api.DestroyPushConsumer(c)
    """
    script = [f"id=M{i} queue={i % 2} body=x" for i in range(6)]
    r = py(shim_run, code, script, {"RECONSUME_MAX_RETRIES": "1"})
    assert r.returncode == 0, r.stderr
    assert len(r.spool) == 12
    assert sorted((rec.h("Group"), rec.h("Msg-Id")) for rec in r.spool) == \
        sorted((g, f"M{i}") for g in ("GA", "GB") for i in range(6))
    assert r.stats["reconsume_diverted_total"] == 12


def _crash_outside_callback(shim_run, catch, crash):
    code = f"""
    c = consumer("G")
    cb = returning(0, "cb")
    assert api.RegisterMessageCallback(c, cb) == 0
    assert api.StartPushConsumer(c) == 0
    api.ShutdownPushConsumer(c); api.DestroyPushConsumer(c)
    print("crashing", flush=True)
    {crash}
    print("survived", flush=True)
    """
    return py(shim_run, code, ["id=M1 body=x"], {"RECONSUME_CATCH": catch})


def test_segv_outside_callback_still_kills(shim_run):
    import ctypes  # noqa: F401  (the snippet uses its own)
    r = _crash_outside_callback(shim_run, "all", "import ctypes; ctypes.string_at(0)")
    assert r.returncode == -11, (r.returncode, r.stderr)
    assert r.out[-1] == "crashing"
    assert r.spool == []


def test_abort_outside_callback_still_kills(shim_run):
    r = _crash_outside_callback(shim_run, "all", "os.abort()")
    assert r.returncode == -6, (r.returncode, r.stderr)
    assert r.out[-1] == "crashing"


def test_raise_sigfpe_outside_callback_still_kills(shim_run):
    r = _crash_outside_callback(shim_run, "status,signal", "import signal; signal.raise_signal(signal.SIGFPE)")
    assert r.returncode == -8, (r.returncode, r.stderr)
