"""Statuses returned by a C consumer under the shim: normalised, capped and
diverted at attempt 1+N; the spool record and the stats say why."""
import os
import re
import socket
import stat
import time
from datetime import datetime, timezone

import pytest

from conftest import HEADER_ORDER, RECORD_NAME_RE, LEGACY_DOUBLE_DIR

N = 3
ENV = {"RECONSUME_MAX_RETRIES": str(N)}
MSG = "id=M1 topic=T tags=TA keys=K queue=2 offset=5 reconsume=0 born=1700000000123 store=1700000000456 commitlog=777 body="


def check_order(rec):
    """Headers appear in the contract's order, each at most once."""
    idx = []
    for name in rec.order:
        key = "Property-" if name.startswith("Property-") else name
        assert key in HEADER_ORDER, f"unknown header {name}"
        idx.append(HEADER_ORDER.index(key))
    assert idx == sorted(idx), rec.order


def test_status_0_acked_not_diverted(shim_run):
    r = shim_run("c", [MSG + "ok"], ENV)
    base = shim_run("c", [MSG + "ok"], ENV, shim=False)
    assert r.returncode == 0 == base.returncode
    assert r.statuses("M1") == [0] == base.statuses("M1")
    assert r.fates == {"M1": "acked"}
    assert r.spool == []
    assert r.outcomes() == {"success": 1, "reconsume": 0, "bad_status": 0, "exception": 0, "signal": 0}
    assert r.stats["reconsume_diverted_total"] == 0
    assert r.stats["reconsume_divert_failures_total"] == 0
    assert r.stats["reconsume_timeouts_total"] == 0
    assert r.stats["reconsume_inprocess_retries_total"] == 0


@pytest.mark.valgrind
@pytest.mark.parametrize("status,outcome", [(1, "reconsume"), (-1, "bad_status"), (7, "bad_status")])
def test_failing_status_capped_and_diverted(shim_run, status, outcome):
    t0 = int(time.time() * 1000)
    r = shim_run("c", [MSG + f"status:{status}", "id=M2 body=ok"], ENV)
    t1 = int(time.time() * 1000)
    base = shim_run("c", [MSG + f"status:{status}", "id=M2 body=ok"], ENV, shim=False)
    # without the shim: 17 deliveries, the raw status each time, then the DLQ
    assert base.statuses("M1") == [status] * 17
    assert base.fates == {"M1": "dlq", "M2": "acked"}
    # with it: normalised to 1, then the attempt 1+N is diverted and acked
    assert r.returncode == 0
    assert r.statuses("M1") == [1] * N + [0]
    assert r.reconsumes("M1") == list(range(N + 1))
    assert r.rets("M1") == [str(status)] * (N + 1)  # the callback ran each time
    assert r.fates == {"M1": "acked", "M2": "acked"}
    (rec,) = r.spool
    check_order(rec)
    assert rec.h("Outcome") == outcome
    assert rec.int("Status") == status
    assert rec.int("Attempts") == N + 1
    assert rec.int("Max-Retries") == N
    assert rec.h("Group") == "G1"
    assert rec.h("Mode") == "clustering"
    assert rec.h("Topic") == "T"
    assert rec.h("Tags") == "TA"
    assert rec.h("Keys") == "K"
    assert rec.h("Msg-Id") == "M1"
    assert rec.int("Delivered-Queue-Id") == 2
    assert rec.int("Delivered-Queue-Offset") == 5
    assert rec.int("Delivered-Commit-Log-Offset") == 777
    assert rec.int("Reconsume-Times") == N
    assert rec.int("Born-Timestamp") == 1700000000123
    assert rec.int("Store-Timestamp") == 1700000000456
    assert rec.h("Host") == socket.gethostname()
    assert rec.int("Pid") == r.pid
    ms = rec.int("Diverted-At-Ms")
    assert t0 <= ms <= t1
    iso = datetime.fromtimestamp(ms / 1000, timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.") + f"{ms % 1000:03d}Z"
    assert rec.h("Diverted-At") == iso
    assert "Exception-Type" not in rec.headers and "Signal" not in rec.headers
    assert rec.body == f"status:{status}".encode()
    assert rec.int("Body-Length") == len(rec.body)
    assert r.outcomes() == {"success": 1, "reconsume": N + 1 if status == 1 else 0,
                            "bad_status": 0 if status == 1 else N + 1, "exception": 0, "signal": 0}
    assert r.stats["reconsume_diverted_total"] == 1
    assert r.stats["reconsume_divert_failures_total"] == 0
    assert r.err and all(line.startswith(f"reconsume[{r.pid}]: ") for line in r.err), r.err


def test_spool_file_name_layout_and_modes(shim_run):
    r = shim_run("c", ["id=weird/../id%x body=status:1", "id=M2 body=status:1"],
                 {"RECONSUME_MAX_RETRIES": "0"})
    files = sorted(os.listdir(r.spool_dir / "new"))
    assert len(files) == 2
    assert os.listdir(r.spool_dir / "tmp") == []
    seqs = set()
    for f in files:
        m = RECORD_NAME_RE.match(f)
        assert m, f
        assert int(m[2]) == r.pid
        seqs.add(m[3])
        st = os.stat(r.spool_dir / "new" / f)
        assert stat.S_IMODE(st.st_mode) == 0o600
    assert len(seqs) == 2
    stems = sorted(RECORD_NAME_RE.match(f)[4] for f in files)
    assert stems == sorted(["M2", "weird_.._id_x"])
    for d in (r.spool_dir, r.spool_dir / "new", r.spool_dir / "tmp"):
        assert stat.S_IMODE(os.stat(d).st_mode) == 0o700, d
    rec = r.records("weird/../id%x")
    assert len(rec) == 1 and rec[0].int("Attempts") == 1


def test_max_retries_zero_diverts_first_failure(shim_run):
    r = shim_run("c", ["id=M1 body=status:1"], {"RECONSUME_MAX_RETRIES": "0"})
    assert r.statuses("M1") == [0]
    (rec,) = r.spool
    assert rec.int("Attempts") == 1 and rec.int("Max-Retries") == 0
    assert rec.int("Reconsume-Times") == 0


def test_default_max_retries_is_16(shim_run):
    r = shim_run("c", ["id=M1 body=status:1"], {"RECONSUME_MAX_RETRIES": None})
    assert r.statuses("M1") == [1] * 16 + [0]
    assert r.fates == {"M1": "acked"}
    (rec,) = r.spool
    assert rec.int("Attempts") == 17 and rec.int("Max-Retries") == 16


def test_fail_until_within_cap_not_diverted(shim_run):
    r = shim_run("c", ["id=M1 body=fail-until:2"], ENV)
    base = shim_run("c", ["id=M1 body=fail-until:2"], ENV, shim=False)
    assert r.statuses("M1") == [1, 0] == base.statuses("M1")
    assert r.fates == {"M1": "acked"} == base.fates
    assert r.spool == []
    assert r.outcomes()["reconsume"] == 1 and r.outcomes()["success"] == 1
    assert r.stats["reconsume_diverted_total"] == 0


def test_fail_until_beyond_cap_diverted_at_cap(shim_run):
    r = shim_run("c", ["id=M1 body=fail-until:10"], ENV)
    assert r.statuses("M1") == [1, 1, 1, 0]
    assert r.records("M1")[0].int("Attempts") == 4


def test_attempts_taken_from_reconsume_times(shim_run):
    # a message already redelivered 5 times by the broker (before this process)
    r = shim_run("c", ["id=M1 reconsume=5 body=status:1"], ENV)
    assert r.statuses("M1") == [0]
    (rec,) = r.spool
    assert rec.int("Attempts") == 6
    assert rec.int("Reconsume-Times") == 5


def test_header_values_percent_encoded(shim_run):
    r = shim_run("c", [r"id=M1 tags=t%x keys=a\x20b\x0a\xc3\xa9\x1b[31m\x7f topic=T body=status:1"],
                 {"RECONSUME_MAX_RETRIES": "0"})
    (rec,) = r.spool
    head = rec.raw[:rec.raw.index(b"\n\n")]
    assert b"Keys: a b%0A%C3%A9%1B[31m%7F\n" in head
    assert b"Tags: t%25x\n" in head
    assert rec.headers["Keys"] == b"a b\n\xc3\xa9\x1b[31m\x7f"
    assert rec.h("Tags") == "t%x"
    assert all(0x20 <= c < 0x7f for c in head.replace(b"\n", b""))


@pytest.mark.valgrind
def test_binary_body_kept_exactly(shim_run):
    # the program reads "status:1" (up to the NUL) and fails
    r = shim_run("c", [r"id=M1 body=status:1\x00\x01\xff\r\nbin\x00tail\\"],
                 {"RECONSUME_MAX_RETRIES": "0"})
    (rec,) = r.spool
    # the double exports GetMessageBodyLength: the whole body, NULs included
    assert rec.body == b"status:1\x00\x01\xff\r\nbin\x00tail\\"
    assert rec.int("Body-Length") == 22 == len(rec.body)
    assert r.statuses("M1") == [0]


def test_binary_body_legacy_client_up_to_nul(shim_run):
    # a 1.2.x client has no GetMessageBodyLength: the body is a C string
    r = shim_run("c", [r"id=M1 body=status:1\x01\xfe\x80bin\x00tail"], {"RECONSUME_MAX_RETRIES": "0"},
                 lib_dir=LEGACY_DOUBLE_DIR)
    assert r.returncode == 0
    assert r.statuses("M1") == [0]
    (rec,) = r.spool
    assert rec.body == b"status:1\x01\xfe\x80bin"
    assert rec.int("Body-Length") == 14


def test_timeout_counted_not_diverted(shim_run):
    r = shim_run("c", ["id=S body=sleep:300", "id=F body=ok"], {"RECONSUME_TIMEOUT_MS": "100"})
    assert r.statuses("S") == [0] and r.statuses("F") == [0]
    assert r.spool == []
    assert r.stats["reconsume_timeouts_total"] == 1
    assert r.outcomes()["success"] == 2


def test_default_spool_dir_xdg(shim_run, tmp_path):
    state = tmp_path / "xdg"
    r = shim_run("c", ["id=M1 body=status:1"],
                 {"RECONSUME_SPOOL_DIR": None, "XDG_STATE_HOME": str(state), "RECONSUME_MAX_RETRIES": "0"})
    assert r.statuses("M1") == [0]
    files = os.listdir(state / "reconsume" / "spool" / "new")
    assert len(files) == 1 and files[0].endswith(".M1.rec")


def test_default_spool_dir_home(shim_run, tmp_path):
    home = tmp_path / "h"
    home.mkdir()
    r = shim_run("c", ["id=M1 body=status:1"],
                 {"RECONSUME_SPOOL_DIR": None, "XDG_STATE_HOME": None, "HOME": str(home),
                  "RECONSUME_MAX_RETRIES": "0"})
    assert r.statuses("M1") == [0]
    files = os.listdir(home / ".local" / "state" / "reconsume" / "spool" / "new")
    assert len(files) == 1 and files[0].endswith(".M1.rec")


def test_stats_file_format(shim_run):
    r = shim_run("c", ["id=M1 body=status:1", "id=M2 body=ok"], {"RECONSUME_MAX_RETRIES": "1"})
    text = r.stats_path.read_text()
    for o in ["success", "reconsume", "bad_status", "exception", "signal"]:
        assert re.search(rf'^reconsume_deliveries_total{{group="G1",outcome="{o}"}} \d+$', text, re.M), o
    for n in ["reconsume_timeouts_total", "reconsume_diverted_total",
              "reconsume_divert_failures_total", "reconsume_inprocess_retries_total"]:
        assert re.search(rf'^{n}{{group="G1"}} \d+$', text, re.M), n
    assert r.outcomes() == {"success": 1, "reconsume": 2, "bad_status": 0, "exception": 0, "signal": 0}
    assert r.stats["reconsume_diverted_total"] == 1
    # written atomically: no temporary files left next to it, only the
    # time series (one line per write: at the registration, at the first
    # delivery -- one write if the writer starts after it --, at destroy and
    # at exit)
    assert sorted(p.name for p in r.stats_path.parent.iterdir() if "stats" in p.name) == \
        ["stats.prom", "stats.prom.csv"]
    rows = (r.dir / "stats.prom.csv").read_text().splitlines()
    assert rows[0] == "unix_ms,success,reconsume,bad_status,exception,signal,injected,diverted,crash_loops"
    assert len(rows) in (4, 5), rows
    assert rows[-1].split(",")[1:] == ["1", "2", "0", "0", "0", "0", "1", "0"]


def test_large_body_and_long_id(shim_run):
    big = "status:1" + "A" * 300000 + r"\x00" + "B" * 10
    long_id = "L" * 300
    r = shim_run("c", [f"id={long_id} body={big}"], {"RECONSUME_MAX_RETRIES": "0"})
    assert r.returncode == 0
    assert r.statuses(long_id) == [0]
    (rec,) = r.spool
    assert rec.body == b"status:1" + b"A" * 300000 + b"\x00" + b"B" * 10
    assert rec.h("Msg-Id") == long_id
    m = RECORD_NAME_RE.match(rec.name)
    assert m and m[4] == "L" * 64


def test_small_attempt_table_still_caps(shim_run):
    # orderly: the cap rests on the shim's own count; many good messages
    # through a 16-entry table must not make it forget the poison's attempts
    script = [f"id=OK{i} queue=0 body=ok" for i in range(200)] + ["id=P queue=0 body=status:1"]
    r = shim_run("c", script, {"RECONSUME_MAX_RETRIES": "3", "RECONSUME_TRACK_MAX": "16"},
                 extra_args=["--orderly"])
    assert r.statuses("P") == [1, 1, 1, 0]
    assert r.fates["P"] == "acked"
    assert [rec.h("Msg-Id") for rec in r.spool] == ["P"]


# Issue 13, item 11: a redelivered message is the broker's %RETRY% copy. Its
# record names the copy's coordinates as the copy's (Delivered-*), beside the
# original topic the client restored, and keeps the original's id property.
# Before: Topic said T1s while Queue-Id/Queue-Offset were the retry copy's.
def test_redelivered_copy_coordinates_are_named_for_the_copy(shim_run):
    line = ("id=M1 topic=T1s tags=TA keys=K queue=0 offset=2 commitlog=99 reconsume=1 "
            "prop.RETRY_TOPIC=T1s prop.REAL_TOPIC=%RETRY%G1 prop.ORIGIN_MESSAGE_ID=ORIG1 "
            "body=status:1")
    r = shim_run("c", [line], {**ENV, "RECONSUME_MAX_RETRIES": "1"})
    assert r.returncode == 0
    (rec,) = r.spool
    check_order(rec)
    assert rec.h("Topic") == "T1s"
    assert rec.h("Delivered-Topic") == "%RETRY%G1"
    assert (rec.int("Delivered-Queue-Id"), rec.int("Delivered-Queue-Offset"),
            rec.int("Delivered-Commit-Log-Offset")) == (0, 2, 99)
    assert rec.h("Property-ORIGIN_MESSAGE_ID") == "ORIG1"
    assert rec.h("Queue-Id") is None and rec.h("Queue-Offset") is None


def test_first_delivery_is_stored_in_its_own_topic(shim_run):
    r = shim_run("c", ["id=M1 topic=T queue=3 offset=4 body=status:1"], {**ENV, "RECONSUME_MAX_RETRIES": "0"})
    (rec,) = r.spool
    assert rec.h("Delivered-Topic") == "T"
    assert (rec.int("Delivered-Queue-Id"), rec.int("Delivered-Queue-Offset")) == (3, 4)
