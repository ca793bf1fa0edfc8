"""C++ exceptions and fatal signals escaping the callback, with and without
the shim catching them."""
import signal

import pytest

from conftest import killed_by

N = 3
SIG = {"RECONSUME_MAX_RETRIES": str(N), "RECONSUME_CATCH": "status,exception,signal"}


@pytest.mark.parametrize("body,exc_type,what", [
    ("throw:std", "std::runtime_error", b"poison M1"),
    ("throw:int", "int", None),
    ("throw:odd", "app::OddPoison", None),
])
@pytest.mark.valgrind
def test_cxx_exception_capped_and_diverted(shim_run, body, exc_type, what):
    script = ["id=M0 body=ok", f"id=M1 topic=T tags=X keys=K body={body}", "id=M2 body=ok"]
    base = shim_run("cxx", script, {"RECONSUME_MAX_RETRIES": str(N)}, shim=False)
    assert killed_by(base, signal.SIGABRT), base.returncode
    assert base.fates == {"M0": "acked"}
    r = shim_run("cxx", script, {"RECONSUME_MAX_RETRIES": str(N)})
    assert r.returncode == 0, r.stderr
    assert r.statuses("M1") == [1] * N + [0]
    assert r.rets("M1") == ["throw"] * (N + 1)
    assert r.fates == {"M0": "acked", "M1": "acked", "M2": "acked"}
    (rec,) = r.spool
    assert rec.h("Outcome") == "exception"
    assert rec.h("Exception-Type") == exc_type
    if what is None:
        assert "Exception-What" not in rec.headers
    else:
        assert rec.headers["Exception-What"] == what
    assert "Signal" not in rec.headers
    assert rec.int("Attempts") == N + 1
    assert rec.h("Msg-Id") == "M1" and rec.h("Tags") == "X" and rec.h("Keys") == "K"
    assert rec.body == body.encode()
    assert r.outcomes() == {"success": 2, "reconsume": 0, "bad_status": 0, "exception": N + 1,
                            "signal": 0}
    assert r.stats["reconsume_diverted_total"] == 1


def test_cxx_exception_what_is_percent_encoded(shim_run):
    # msgId goes into what(): "poison a\nb" must not add a header line
    r = shim_run("cxx", [r"id=a\x0ab%\xc3\xa9 body=throw:std"], {"RECONSUME_MAX_RETRIES": "0"})
    (rec,) = r.spool
    assert rec.headers["Exception-What"] == b"poison a\nb%\xc3\xa9"
    assert b"Exception-What: poison a%0Ab%25%C3%A9\n" in rec.raw


def test_cxx_exception_not_caught_without_exception_in_catch(shim_run):
    script = ["id=M0 body=ok", "id=M1 body=throw:std", "id=M2 body=ok"]
    r = shim_run("cxx", script, {"RECONSUME_CATCH": "status"})
    assert killed_by(r, signal.SIGABRT), r.returncode
    assert r.fates == {"M0": "acked"}
    assert "poison M1" in r.stderr  # the same std::terminate as without the shim
    assert r.spool == []


def test_cxx_status_still_handled(shim_run):
    r = shim_run("cxx", ["id=M1 body=status:5"], {"RECONSUME_MAX_RETRIES": "1"})
    assert r.statuses("M1") == [1, 0]
    (rec,) = r.spool
    assert rec.h("Outcome") == "bad_status" and rec.int("Status") == 5


@pytest.mark.parametrize("program", ["c", "cxx"])
@pytest.mark.parametrize("body,signame", [("segv", "SIGSEGV"), ("fpe", "SIGFPE")])
def test_signal_diverted_at_once_and_consumer_goes_on(shim_run, program, body, signame):
    script = ["id=M0 body=ok", f"id=M1 queue=0 offset=9 body={body}", "id=M2 body=ok",
              "id=M3 body=status:1"]
    r = shim_run(program, script, SIG)
    assert r.returncode == 0, r.stderr
    assert r.statuses("M1") == [0]
    assert r.rets("M1") == [body]
    assert r.statuses("M2") == [0]
    assert r.statuses("M3") == [1] * N + [0]
    assert r.fates == {"M0": "acked", "M1": "acked", "M2": "acked", "M3": "acked"}
    (rec,) = r.records("M1")
    assert rec.h("Outcome") == "signal"
    assert rec.h("Signal") == signame
    assert rec.int("Attempts") == 1
    assert rec.int("Delivered-Queue-Offset") == 9
    assert rec.body == body.encode()
    assert "Exception-Type" not in rec.headers
    assert len(r.spool) == 2
    assert r.outcomes() == {"success": 2, "reconsume": N + 1, "bad_status": 0, "exception": 0,
                            "signal": 1}
    assert r.stats["reconsume_diverted_total"] == 2


def test_repeated_signals_each_recovered(shim_run):
    script = [f"id=S{i} body=segv" for i in range(5)] + ["id=OK body=ok"]
    r = shim_run("c", script, SIG)
    assert r.returncode == 0, r.stderr
    assert r.fates == {**{f"S{i}": "acked" for i in range(5)}, "OK": "acked"}
    assert sorted(rec.h("Msg-Id") for rec in r.spool) == [f"S{i}" for i in range(5)]
    assert r.outcome("signal") == 5


def test_signal_max_caps_recoveries(shim_run):
    script = ["id=S1 body=segv", "id=S2 body=segv", "id=OK body=ok"]
    r = shim_run("c", script, {**SIG, "RECONSUME_SIGNAL_MAX": "1"})
    assert killed_by(r, signal.SIGSEGV), r.returncode
    assert r.fates == {"S1": "acked"}
    assert [rec.h("Msg-Id") for rec in r.spool] == ["S1"]
    assert r.rets("S2") == ["segv"]


def test_crash_without_signal_catching_kills_like_no_shim(shim_run):
    script = ["id=M0 body=ok", "id=M1 body=segv", "id=M2 body=ok"]
    base = shim_run("c", script, {"RECONSUME_CATCH": None}, shim=False)
    r = shim_run("c", script, {"RECONSUME_CATCH": None})  # default: status,exception
    for x in (base, r):
        assert killed_by(x, signal.SIGSEGV), x.returncode
        assert x.fates == {"M0": "acked"}
        assert [c.fields["id"] for c in x.calls()] == ["M0", "M1"]
        assert x.statuses("M1") == []
        assert x.spool == []


@pytest.mark.parametrize("program", ["c", "cxx"])
def test_abort_kills_unless_abort_caught(shim_run, program):
    script = ["id=M0 body=ok", "id=M1 body=abort", "id=M2 body=ok"]
    r = shim_run(program, script, SIG)  # signal, but not abort
    assert killed_by(r, signal.SIGABRT), r.returncode
    assert r.fates == {"M0": "acked"}
    assert r.spool == []
    r = shim_run(program, script, {**SIG, "RECONSUME_CATCH": "status,exception,signal,abort"})
    assert r.returncode == 0, r.stderr
    assert r.statuses("M1") == [0]
    assert r.fates == {"M0": "acked", "M1": "acked", "M2": "acked"}
    (rec,) = r.spool
    assert rec.h("Outcome") == "signal" and rec.h("Signal") == "SIGABRT"
    assert rec.int("Attempts") == 1


def test_catch_all(shim_run):
    script = ["id=A body=abort", "id=S body=segv", "id=T body=throw:std", "id=B body=status:9"]
    r = shim_run("cxx", script, {"RECONSUME_CATCH": "all", "RECONSUME_MAX_RETRIES": "0"})
    assert r.returncode == 0, r.stderr
    assert r.fates == {"A": "acked", "S": "acked", "T": "acked", "B": "acked"}
    got = {rec.h("Msg-Id"): (rec.h("Outcome"), rec.h("Signal") or rec.h("Exception-Type")
                             or rec.h("Status")) for rec in r.spool}
    assert got == {"A": ("signal", "SIGABRT"), "S": ("signal", "SIGSEGV"),
                   "T": ("exception", "std::runtime_error"), "B": ("bad_status", "9")}


def test_catch_none_is_pass_through_for_status(shim_run):
    r = shim_run("c", ["id=M1 body=status:7"], {"RECONSUME_CATCH": "none"})
    assert r.statuses("M1") == [7] * 17
    assert r.fates == {"M1": "dlq"}
    assert r.spool == []


def test_signal_recovery_with_four_consumer_threads(shim_run):
    # one poison per queue, four threads: each recovers its own, all others consumed
    script = [f"id=Q{q}_{i} queue={q} body={'segv' if i == 3 else 'ok'}"
              for q in range(4) for i in range(20)]
    r = shim_run("c", script, SIG, extra_args=["--threads", "4"])
    assert r.returncode == 0, r.stderr
    assert len(r.fates) == 80 and set(r.fates.values()) == {"acked"}
    assert sorted(rec.h("Msg-Id") for rec in r.spool) == [f"Q{q}_3" for q in range(4)]
    assert r.outcome("signal") == 4 and r.outcome("success") == 76
