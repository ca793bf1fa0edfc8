"""Orderly and broadcasting consumers, and many messages on many threads."""
import pytest

N = 3
ENV = {"RECONSUME_MAX_RETRIES": str(N)}


def orderly_script(poison_body="status:1"):
    return [f"id=P queue=0 offset=10 body={poison_body}", "id=G1 queue=0 offset=11 body=ok",
            "id=G2 queue=0 offset=12 body=ok", "id=H queue=1 offset=3 body=ok"]


def test_orderly_poison_without_shim_blocks_queue(shim_run):
    r = shim_run("c", orderly_script(), ENV, shim=False, extra_args=["--orderly"])
    assert r.statuses("P") == [1] * 50
    assert r.fates == {"P": "stuck", "G1": "blocked", "G2": "blocked", "H": "acked"}


@pytest.mark.valgrind
def test_orderly_poison_diverted_then_queue_goes_on_in_order(shim_run):
    r = shim_run("c", orderly_script(), ENV, extra_args=["--orderly"])
    assert r.returncode == 0
    assert r.statuses("P") == [1] * N + [0]
    assert r.reconsumes("P") == [0] * (N + 1)  # the client does not count; the shim does
    assert r.fates == {"P": "acked", "G1": "acked", "G2": "acked", "H": "acked"}
    q0 = [d.id for d in r.delivered if d.id in ("P", "G1", "G2")]
    assert q0 == ["P"] * (N + 1) + ["G1", "G2"]
    (rec,) = r.spool
    assert rec.h("Mode") == "orderly"
    assert rec.h("Outcome") == "reconsume"
    assert rec.int("Attempts") == N + 1
    assert rec.int("Reconsume-Times") == 0
    assert rec.int("Delivered-Queue-Offset") == 10
    assert r.outcomes() == {"success": 3, "reconsume": N + 1, "bad_status": 0, "exception": 0,
                            "signal": 0}


def test_orderly_counting_client(shim_run):
    r = shim_run("c", orderly_script("status:2"), {**ENV, "RMQ_DOUBLE_ORDERLY_COUNTS": "1"},
                 extra_args=["--orderly"])
    assert r.statuses("P") == [1] * N + [0]
    assert r.reconsumes("P") == list(range(N + 1))
    (rec,) = r.spool
    assert rec.int("Attempts") == N + 1 and rec.int("Reconsume-Times") == N
    assert rec.h("Outcome") == "bad_status" and rec.int("Status") == 2


def test_orderly_cxx_exception(shim_run):
    r = shim_run("cxx", orderly_script("throw:std"), ENV, extra_args=["--orderly"])
    assert r.returncode == 0, r.stderr
    assert r.statuses("P") == [1] * N + [0]
    assert r.fates == {"P": "acked", "G1": "acked", "G2": "acked", "H": "acked"}
    (rec,) = r.spool
    assert rec.h("Mode") == "orderly" and rec.h("Exception-Type") == "std::runtime_error"


def test_orderly_two_poisons_counted_separately(shim_run):
    script = ["id=A queue=0 body=status:1", "id=B queue=0 body=status:1", "id=C queue=0 body=ok"]
    r = shim_run("c", script, ENV, extra_args=["--orderly"])
    assert r.statuses("A") == [1] * N + [0]
    assert r.statuses("B") == [1] * N + [0]
    assert r.delivered_ids() == ["A"] * (N + 1) + ["B"] * (N + 1) + ["C"]
    assert sorted(rec.h("Msg-Id") for rec in r.spool) == ["A", "B"]


def test_broadcast_failure_without_shim_dropped(shim_run):
    r = shim_run("c", ["id=M1 body=status:1", "id=M2 body=ok"], ENV, shim=False,
                 extra_args=["--broadcast"])
    assert r.statuses("M1") == [1]
    assert r.fates == {"M1": "dropped", "M2": "acked"}


@pytest.mark.valgrind
def test_broadcast_retried_in_process_then_diverted(shim_run):
    r = shim_run("c", ["id=M1 body=status:1", "id=M2 body=ok"],
                 {**ENV, "RECONSUME_BROADCAST_BACKOFF_MS": "0"}, extra_args=["--broadcast"])
    assert r.returncode == 0
    assert r.rets("M1") == ["1"] * (N + 1)         # the callback ran 1+N times
    assert r.statuses("M1") == [0]                 # in one delivery of the client
    assert r.fates == {"M1": "acked", "M2": "acked"}
    (rec,) = r.spool
    assert rec.h("Mode") == "broadcasting"
    assert rec.int("Attempts") == N + 1
    assert rec.int("Reconsume-Times") == 0
    assert r.stats["reconsume_inprocess_retries_total"] == N
    assert r.outcomes() == {"success": 1, "reconsume": N + 1, "bad_status": 0, "exception": 0,
                            "signal": 0}
    assert r.stats["reconsume_diverted_total"] == 1


def test_broadcast_recovers_within_cap(shim_run):
    r = shim_run("c", ["id=M1 body=fail-until:3"], {**ENV, "RECONSUME_BROADCAST_BACKOFF_MS": "0"},
                 extra_args=["--broadcast"])
    assert r.rets("M1") == ["1", "1", "0"]
    assert r.statuses("M1") == [0]
    assert r.spool == []
    assert r.stats["reconsume_inprocess_retries_total"] == 2
    assert r.stats["reconsume_diverted_total"] == 0


def test_broadcast_backoff_between_tries(shim_run):
    r = shim_run("c", ["id=M1 body=status:1"],
                 {"RECONSUME_MAX_RETRIES": "2", "RECONSUME_BROADCAST_BACKOFF_MS": "300"},
                 extra_args=["--broadcast"])
    assert r.rets("M1") == ["1", "1", "1"]
    assert r.elapsed >= 0.6
    assert len(r.spool) == 1


def test_broadcast_default_backoff_is_100ms(shim_run):
    r = shim_run("c", ["id=M1 body=status:1"],
                 {"RECONSUME_MAX_RETRIES": "4", "RECONSUME_BROADCAST_BACKOFF_MS": None},
                 extra_args=["--broadcast"])
    assert r.rets("M1") == ["1"] * 5
    assert r.elapsed >= 0.4


def test_broadcast_cxx_exception_retried_in_process(shim_run):
    r = shim_run("cxx", ["id=M1 body=throw:int"], {**ENV, "RECONSUME_BROADCAST_BACKOFF_MS": "0"},
                 extra_args=["--broadcast"])
    assert r.returncode == 0, r.stderr
    assert r.rets("M1") == ["throw"] * (N + 1)
    assert r.statuses("M1") == [0]
    (rec,) = r.spool
    assert rec.h("Exception-Type") == "int" and rec.h("Mode") == "broadcasting"


@pytest.mark.parametrize("program", ["c", "cxx"])
def test_many_messages_many_threads(shim_run, program):
    base = [f"id=M{i} queue={i % 8} body={'status:1' if i in (3, 7) else 'ok'}" for i in range(10)]
    r = shim_run(program, base, {"RECONSUME_MAX_RETRIES": "2", "RMQ_DOUBLE_REPEAT": "50"},
                 extra_args=["--threads", "4"], timeout=120)
    assert r.returncode == 0, r.stderr[-2000:]
    fates = r.fates
    assert len(fates) == 500 and set(fates.values()) == {"acked"}
    poison = sorted(f"M{i}.{k}" for i in (3, 7) for k in range(1, 51))
    assert sorted(rec.h("Msg-Id") for rec in r.spool) == poison
    assert len({rec.name for rec in r.spool}) == 100
    for pid in poison[:5]:
        assert r.statuses(pid) == [1, 1, 0]
    assert r.outcomes() == {"success": 400, "reconsume": 300, "bad_status": 0, "exception": 0,
                            "signal": 0}
    assert r.stats["reconsume_diverted_total"] == 100
    assert {len(r.calls(pid)) for pid in poison} == {3}


# Issue 13, item 3: where the shim's own count is the only one (orderly, the
# client keeps reconsume times at 0), a flood of other failing ids must not
# evict it. 10 x RECONSUME_TRACK_MAX poisons, each the head of its own queue:
# before the fix none was ever diverted (each went on until the double gave
# up); now every one is diverted at attempt 1 + N, and the evictions that the
# flood does cause elsewhere are counted.
def test_orderly_cap_holds_under_a_flood_of_failing_ids(shim_run):
    track = 16
    script = [f"id=P{q} queue={q} offset=0 body=status:1" for q in range(10 * track)]
    # 20 consume threads: 20 queue heads failing at once, more than the table holds
    r = shim_run("c", script, {**ENV, "RECONSUME_TRACK_MAX": str(track), "RMQ_DOUBLE_ORDERLY_DELAY_MS": "2"},
                 extra_args=["--orderly", "--threads", "20"])
    assert r.returncode == 0
    for q in range(10 * track):
        assert r.statuses(f"P{q}") == [1] * N + [0], q
    assert len(r.spool) == 10 * track
    assert all(rec.int("Attempts") == N + 1 for rec in r.spool)
