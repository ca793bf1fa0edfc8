"""Observe mode (RECONSUME_MODE=observe): every outcome is classified, counted
and logged, but what the client sees is exactly what it sees without the shim:
the same statuses, the same fates, the same deaths."""
import signal

import pytest

from conftest import killed_by

OBS = {"RECONSUME_MODE": "observe", "RECONSUME_MAX_RETRIES": "2"}


def same_as_without_shim(shim_run, program, script, env, **kw):
    base = shim_run(program, script, env, shim=False, **kw)
    obs = shim_run(program, script, env, **kw)
    assert obs.returncode == base.returncode
    # The double's whole log (every delivery, status and fate), and the
    # program's own output, are identical line for line.
    strip = lambda r: [(e.kind, e.fields, e.rest) for e in r.events if e.kind in ("deliver", "fate", "call")]
    assert strip(obs) == strip(base)
    assert obs.out == base.out
    assert obs.spool == []
    return base, obs


@pytest.mark.parametrize("orderly", [False, True])
def test_statuses_untouched(shim_run, orderly):
    script = ["id=A body=ok", "id=B body=status:1", "id=C body=status:-1", "id=D body=status:7",
              "id=E body=fail-until:2", "id=F body=ok"]
    extra = ["--orderly"] if orderly else []
    env = {**OBS, "RMQ_DOUBLE_ORDERLY_LIMIT": "20"}
    base, obs = same_as_without_shim(shim_run, "c", script, env, extra_args=extra)
    if not orderly:
        assert base.statuses("B") == [1] * 17 and base.fates["B"] == "dlq"
        assert base.statuses("C") == [-1] * 17
        assert obs.outcome("reconsume") == 17 + 1  # B 17 times, E once
        assert obs.outcome("bad_status") == 34
        assert obs.outcome("success") == 3
        # enforcing would have diverted B, C and D at attempt 3, and kept failing them after
        assert obs.stats["reconsume_would_divert_total"] == 3 * 15
    else:
        assert base.fates["B"] == "stuck" and base.fates["C"] == "blocked"
    assert obs.stats["reconsume_diverted_total"] == 0
    assert any("observe: msgId=B" in l and "enforcing would retry it" in l for l in obs.err)
    if not orderly:
        assert any("observe: msgId=B clustering attempt 3: reconsume; enforcing would divert it" in l
                   for l in obs.err)


def test_broadcast_not_retried_in_process(shim_run):
    script = ["id=B body=status:1", "id=OK body=ok"]
    base, obs = same_as_without_shim(shim_run, "c", script, OBS, extra_args=["--broadcast"])
    assert base.fates == {"B": "dropped", "OK": "acked"}
    assert obs.stats["reconsume_inprocess_retries_total"] == 0


def test_exception_passes_through_and_is_counted(shim_run):
    """The exception reaches the client (which, like client 1.2.3, does not
    catch it): the process ends the same way, after the shim has logged it."""
    script = ["id=OK body=ok", "id=X body=throw:std", "id=LATER body=ok"]
    base = shim_run("cxx", script, OBS, shim=False)
    obs = shim_run("cxx", script, OBS)
    assert killed_by(base, signal.SIGABRT)  # std::terminate
    assert killed_by(obs, signal.SIGABRT)
    assert obs.statuses("OK") == base.statuses("OK") == [0]
    assert "LATER" not in obs.fates and "LATER" not in base.fates
    assert any("observe: msgId=X threw std::runtime_error: poison X; passed through to the client" in l
               for l in obs.err)
    assert any("terminate called after throwing an instance of 'std::runtime_error'" in l for l in obs.err)


def test_signals_are_not_recovered(shim_run):
    env = {**OBS, "RECONSUME_CATCH": "all"}
    script = ["id=OK body=ok", "id=S body=segv", "id=LATER body=ok"]
    base = shim_run("c", script, env, shim=False)
    obs = shim_run("c", script, env)
    assert killed_by(base, signal.SIGSEGV) and killed_by(obs, signal.SIGSEGV)


def test_observe_record_keeps_what_would_be_diverted(shim_run):
    env = {**OBS, "RECONSUME_OBSERVE_RECORD": "1"}
    script = ["id=B topic=Orders body=status:7", "id=OK body=ok"]
    base = shim_run("c", script, env, shim=False)
    obs = shim_run("c", script, env)
    assert obs.statuses("B") == base.statuses("B") == [7] * 17
    assert obs.fates == base.fates == {"B": "dlq", "OK": "acked"}
    (rec,) = obs.spool  # recorded once, when it crossed the cap
    assert rec.h("Action") == "observed"
    assert rec.h("Outcome") == "bad_status"
    assert rec.h("Status") == "7"
    assert rec.h("Attempts") == "3"
    assert rec.h("Msg-Id") == "B"
    assert rec.body == b"status:7"
    assert obs.stats["reconsume_diverted_total"] == 0


def test_enforce_records_say_diverted(shim_run):
    r = shim_run("c", ["id=B body=status:1"], {"RECONSUME_MAX_RETRIES": "0"})
    (rec,) = r.spool
    assert rec.h("Action") == "diverted"


@pytest.mark.parametrize("value", ["watch", "", "OBSERVE "])
def test_bad_mode_named(shim_run, value):
    r = shim_run("c", ["id=A body=ok"], {"RECONSUME_MODE": value})
    msg = ("empty value; unset it for the default" if value == ""
           else "expected enforce or observe")
    assert r.err == [f"reconsume[{r.pid}]: error: RECONSUME_MODE='{value}': {msg}; shim disabled (pass-through)"]


# Issue 13 ("also"): observe mode without RECONSUME_OBSERVE_RECORD stores
# nothing, so it leaves no trace: not even the spool's tmp/ and new/.
def test_observe_without_record_creates_no_spool(shim_run):
    r = shim_run("c", ["id=B body=status:1", "id=OK body=ok"], OBS)
    assert r.returncode == 0
    assert not r.spool_dir.exists(), sorted(p.name for p in r.spool_dir.iterdir())
    rec = shim_run("c", ["id=B body=status:1"], {**OBS, "RECONSUME_OBSERVE_RECORD": "1"})
    assert (rec.spool_dir / "new").is_dir()  # recording observe mode still makes it
