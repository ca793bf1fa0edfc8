"""The test double and the consumer programs on their own (no shim): the
baseline every shimmed scenario is compared with."""
import ctypes
import signal

from conftest import DOUBLE_DIR, LEGACY_DOUBLE_DIR, killed_by


def test_clustering_success_and_fields(run):
    r = run("c", ["id=M1 topic=T tags=TA keys=K queue=2 offset=5 reconsume=0 body=ok hello"],
            shim=False)
    assert r.returncode == 0
    assert r.statuses("M1") == [0]
    assert r.fates == {"M1": "acked"}
    assert r.out == ["deliver id=M1 topic=T tags=TA keys=K reconsume=0 body=ok hello ret=0"]
    start = [e for e in r.events if e.kind == "start"]
    assert len(start) == 1
    assert start[0].fields == {"group": "G1", "model": "clustering", "orderly": "0",
                               "threads": "1", "topics": "T", "messages": "1"}
    assert [e.kind for e in r.events] == ["start", "call", "deliver", "fate", "shutdown", "destroy"]


def test_clustering_failure_redelivered_until_dlq(run):
    r = run("c", ["id=M1 body=status:1", "id=M2 body=ok"], shim=False)
    assert r.returncode == 0
    assert r.statuses("M1") == [1] * 17
    assert r.reconsumes("M1") == list(range(17))
    assert [int(e.fields["attempt"]) for e in r.events if e.kind == "deliver"
            and e.fields["id"] == "M1"] == list(range(1, 18))
    assert r.fates == {"M1": "dlq", "M2": "acked"}
    assert [d.reconsume for d in r.delivered if d.id == "M1"] == list(range(17))


def test_clustering_any_nonzero_status_is_a_failure(run):
    r = run("c", ["id=A body=status:-1", "id=B body=status:7"], shim=False)
    assert r.statuses("A") == [-1] * 17
    assert r.statuses("B") == [7] * 17
    assert r.fates == {"A": "dlq", "B": "dlq"}


def test_max_reconsume_is_configurable(run):
    r = run("c", ["id=M1 body=status:1"], {"RMQ_DOUBLE_MAX_RECONSUME": "2"}, shim=False)
    assert r.statuses("M1") == [1, 1, 1]
    assert r.fates == {"M1": "dlq"}


def test_fail_until_succeeds_on_kth_delivery(run):
    r = run("c", ["id=M1 body=fail-until:3"], shim=False)
    assert r.statuses("M1") == [1, 1, 0]
    assert r.rets("M1") == ["1", "1", "0"]
    assert r.fates == {"M1": "acked"}


def test_orderly_failure_retries_in_place_then_stuck(run):
    script = ["id=P queue=0 body=status:1", "id=G1 queue=0 body=ok", "id=G2 queue=0 body=ok",
              "id=H queue=1 body=ok"]
    r = run("c", script, shim=False, extra_args=["--orderly"])
    assert r.returncode == 0
    assert r.statuses("P") == [1] * 50
    assert r.reconsumes("P") == [0] * 50  # not counted before client 1.2.5
    assert r.fates == {"P": "stuck", "G1": "blocked", "G2": "blocked", "H": "acked"}
    assert r.statuses("G1") == [] and r.statuses("G2") == []


def test_orderly_counts_and_limit(run):
    r = run("c", ["id=P body=status:1"],
            {"RMQ_DOUBLE_ORDERLY_COUNTS": "1", "RMQ_DOUBLE_ORDERLY_LIMIT": "5"},
            shim=False, extra_args=["--orderly"])
    assert r.reconsumes("P") == [0, 1, 2, 3, 4]
    assert r.fates == {"P": "stuck"}


def test_orderly_keeps_queue_order(run):
    script = [f"id=Q{i} queue=0 body=fail-until:2" for i in range(4)]
    r = run("c", script, shim=False, extra_args=["--orderly"])
    assert r.delivered_ids() == ["Q0", "Q0", "Q1", "Q1", "Q2", "Q2", "Q3", "Q3"]
    assert r.fates == {f"Q{i}": "acked" for i in range(4)}


def test_broadcast_failure_dropped(run):
    r = run("c", ["id=M1 body=status:1", "id=M2 body=ok"], shim=False, extra_args=["--broadcast"])
    assert r.statuses("M1") == [1]
    assert r.fates == {"M1": "dropped", "M2": "acked"}
    assert [e for e in r.events if e.kind == "start"][0].fields["model"] == "broadcasting"


def test_binary_body_and_escaped_fields(run):
    r = run("c", [r"id=B keys=a\x20b\x0a\xc3\xa9 tags=T\\X body=\x01bin\x7f\xff\x00tail"],
            shim=False)
    (d,) = r.delivered
    # the program sees the body as a C string: up to the first NUL
    assert d.body == b"\x01bin\x7f\xff"
    assert d.keys == b"a b\n\xc3\xa9"
    assert d.tags == "T\\\\X"  # tags printed escaped; one real backslash
    assert r.fates == {"B": "acked"}


def test_repeat_gives_distinct_ids(run):
    r = run("c", ["id=A body=ok", "id=B body=ok"], {"RMQ_DOUBLE_REPEAT": "3"}, shim=False)
    assert sorted(r.fates) == ["A.1", "A.2", "A.3", "B.1", "B.2", "B.3"]
    assert set(r.fates.values()) == {"acked"}


def test_threads_partition_by_queue(run):
    script = [f"id=M{i} queue={i % 4} body=ok" for i in range(40)]
    r = run("c", script, shim=False, extra_args=["--threads", "4"])
    assert len(r.fates) == 40 and set(r.fates.values()) == {"acked"}
    by_thread = {}
    for e in r.calls():
        by_thread.setdefault(e.fields["thread"], set()).add(int(e.fields["queue"]))
    assert by_thread == {"0": {0}, "1": {1}, "2": {2}, "3": {3}}


def test_cxx_exception_ends_process_without_shim(run):
    r = run("cxx", ["id=M0 body=ok", "id=M1 body=throw:std", "id=M2 body=ok"], shim=False)
    assert killed_by(r, signal.SIGABRT), r.returncode
    assert r.fates == {"M0": "acked"}
    assert [c.fields["id"] for c in r.calls()] == ["M0", "M1"]
    assert "poison M1" in r.stderr  # std::terminate reports what()


def test_segv_without_shim_kills_process(run):
    r = run("c", ["id=M0 body=ok", "id=M1 body=segv", "id=M2 body=ok"], shim=False)
    assert killed_by(r, signal.SIGSEGV), r.returncode
    assert r.fates == {"M0": "acked"}
    assert r.rets("M1") == ["segv"]


def test_program_expect_and_idle(run):
    # --expect 2 stops waiting after two successes; shutdown still drains the script
    r = run("c", ["id=A body=ok", "id=B body=ok", "id=C body=ok"],
            args=["--group", "G", "--topic", "T", "--max-ms", "20000", "--expect", "2"],
            shim=False)
    assert r.returncode == 0 and r.elapsed < 10
    assert r.fates == {"A": "acked", "B": "acked", "C": "acked"}
    r = run("c", ["id=A body=ok"],
            args=["--group", "G", "--topic", "T", "--max-ms", "20000", "--idle-ms", "100"],
            shim=False)
    assert r.returncode == 0 and r.elapsed < 10
    assert r.fates == {"A": "acked"}


def test_program_cli_errors(run):
    r = run("c", [], args=["--topic", "T"], shim=False)
    assert r.returncode == 2 and "usage" in r.stderr
    r = run("cxx", [], args=["--group", "G", "--bogus", "1"], shim=False)
    assert r.returncode == 2


def test_producer_stubs_record_sends(tmp_path, monkeypatch):
    log = tmp_path / "p.log"
    monkeypatch.setenv("RMQ_DOUBLE_LOG", str(log))
    lib = ctypes.CDLL(str(DOUBLE_DIR / "librocketmq.so"))
    lib.CreateProducer.restype = ctypes.c_void_p
    lib.CreateMessage.restype = ctypes.c_void_p

    class SendResult(ctypes.Structure):
        _fields_ = [("sendStatus", ctypes.c_int), ("msgId", ctypes.c_char * 256),
                    ("offset", ctypes.c_longlong)]

    p = ctypes.c_void_p(lib.CreateProducer(b"PG"))
    assert lib.StartProducer(p) == 0
    m = ctypes.c_void_p(lib.CreateMessage(b"T"))
    lib.SetMessageTags(m, b"TA")
    lib.SetMessageKeys(m, b"K1")
    lib.SetByteMessageBody(m, b"a\x00b", 3)
    res = SendResult()
    assert lib.SendMessageSync(p, m, ctypes.byref(res)) == 0
    assert res.sendStatus == 0 and res.msgId == b"SENT1"
    lib.DestroyMessage(m)
    lib.ShutdownProducer(p)
    lib.DestroyProducer(p)
    assert log.read_text().splitlines()[-1] == "send topic=T tags=TA keys=K1 queue=-1 body=a\\x00b"


def test_legacy_double_lacks_body_length():
    full = ctypes.CDLL(str(DOUBLE_DIR / "librocketmq.so"))
    legacy = ctypes.CDLL(str(LEGACY_DOUBLE_DIR / "librocketmq.so"))
    assert hasattr(full, "GetMessageBodyLength")
    assert not hasattr(legacy, "GetMessageBodyLength")
