"""
Crash consistency: SIGKILL a consumer (test double + shim) at random points
while it diverts poison messages, CRASH_KILLS times (default 200).

Each run: 12 poison messages (body "status:1" + 2 MiB), RECONSUME_MAX_RETRIES=0
(so every delivery is a diversion: encode, write to tmp/, fsync, rename into
new/, fsync new/), two delivery threads, the spool on the build disk (ext4,
so fsync is real). A calibration run without a kill measures how long the
whole script takes; each kill lands at a uniformly random delay within that
time (a fixed seed: the same delays every run, the same sequence of points
modulo scheduling).

After every kill:
  - every file in new/ has a well-formed name and parses, with both the
    test's parser and the product's own (rc_record_parse via record_dump),
    and its body is the message's body byte for byte: no torn record is
    ever visible in new/;
  - every message the double saw acknowledged ("deliver ... status=0") has a
    complete record in new/ (status 0 for a poison message is only ever the
    shim's "diverted" answer);
  - nothing but tmp/ and new/ exists in the spool; files left in tmp/ are
    counted, not failed: they are the Maildir "being written" state, never
    read as records (the shim does not list tmp/), and a record whose temp
    file was left there was never acknowledged, so the broker redelivers it.
"""
from __future__ import annotations

import os
import random
import shutil
import signal
import subprocess
import time

from conftest import (HB, RECORD_NAME_RE, c_check, figure, parse_double_log, parse_record,
                      spool_files)
import rc_integration_conftest as ic

KILLS = int(os.environ.get("CRASH_KILLS", "200"))
MESSAGES = 12
BODY = 2 << 20


def _body(i: int) -> bytes:
    # "status:1" makes the program return 1; the rest makes the write take time
    # and lets a torn copy be told from a whole one.
    return b"status:1" + (b"%02d" % i) * ((BODY - 8) // 2)


def _start(d, script, spool, log):
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(d),
        "LD_LIBRARY_PATH": str(ic.DOUBLE_DIR),
        "LD_PRELOAD": str(ic.SHIM),
        "RMQ_DOUBLE_SCRIPT": str(script),
        "RMQ_DOUBLE_LOG": str(log),
        "RECONSUME_SPOOL_DIR": str(spool),
        "RECONSUME_MAX_RETRIES": "0",
        "RECONSUME_RETRY": "batch",  # the double redelivers; it never delivers retry copies
    }
    argv = [str(ic.PROGRAMS["c"]), "--group", "G", "--topic", "T", "--max-ms", "0",
            "--threads", "2"]
    return subprocess.Popen(argv, env=env, stdout=subprocess.DEVNULL,
                            stderr=open(d / "stderr.txt", "wb"), cwd=str(d))


def _check_run(spool, log, bodies):
    """Returns (acked ids, ids in new/, tmp leftovers, violations)."""
    new, tmp, other = spool_files(spool)
    problems = []
    if other:
        problems.append(f"unexpected paths in the spool: {other}")
    in_spool = {}
    for f in new:
        if not RECORD_NAME_RE.match(f.name):
            problems.append(f"bad name in new/: {f.name}")
            continue
        try:
            r = parse_record(f)
        except Exception as e:  # noqa: BLE001 - any parse failure is a torn record
            problems.append(f"torn record in new/: {f.name}: {e}")
            continue
        mid = r.h("Msg-Id")
        if r.body != bodies.get(mid):
            problems.append(f"{f.name}: body differs from message {mid}'s")
        in_spool[mid] = in_spool.get(mid, 0) + 1
    problems += c_check(new)
    acked = set()
    for e in parse_double_log(log):
        if e.kind == "deliver" and e.fields.get("status") == "0":
            acked.add(e.fields["id"])
    for mid in acked:
        if mid not in in_spool:
            problems.append(f"{mid} acknowledged (status=0) but no record in new/")
    return acked, set(in_spool), len(tmp), problems


def test_sigkill_during_diversion(tmp_path, shim_lib, built_programs):
    base = HB / "crash"
    shutil.rmtree(base, ignore_errors=True)
    base.mkdir(parents=True)
    bodies = {f"P{i}": _body(i) for i in range(MESSAGES)}
    script = base / "script.txt"
    script.write_text("".join(f"id=P{i} queue={i} body={bodies[f'P{i}'].decode()}\n"
                              for i in range(MESSAGES)))

    # Calibration: the whole script, no kill.
    d = base / "calibrate"
    d.mkdir()
    t0 = time.monotonic()
    p = _start(d, script, d / "spool", d / "double.log")
    assert p.wait(timeout=120) == 0
    full = time.monotonic() - t0
    acked, stored, ntmp, problems = _check_run(d / "spool", d / "double.log", bodies)
    assert not problems, problems
    assert acked == stored == set(bodies), (acked, stored)
    assert ntmp == 0

    rng = random.Random(7)
    totals = dict(kills=0, killed_before_first_ack=0, killed_mid_script=0, finished_before_kill=0,
                  tmp_leftovers=0, runs_with_tmp_leftover=0, stored_not_acked=0,
                  records_checked=0, acked_checked=0)
    violations = []
    k = -1
    while totals["kills"] < KILLS and k < 2 * KILLS:  # a run that ends first is not a kill
        k += 1
        d = base / f"k{k:03d}"
        d.mkdir()
        spool, log = d / "spool", d / "double.log"
        delay = rng.uniform(0.0, full * 0.95)
        p = _start(d, script, spool, log)
        time.sleep(delay)
        if p.poll() is None:
            p.send_signal(signal.SIGKILL)
            rc = p.wait(timeout=60)
            assert rc in (-signal.SIGKILL, 0), rc
            totals["kills"] += 1 if rc == -signal.SIGKILL else 0
            if rc == 0:
                totals["finished_before_kill"] += 1
        else:
            assert p.wait() == 0
            totals["finished_before_kill"] += 1
        acked, stored, ntmp, problems = _check_run(spool, log, bodies)
        violations += [f"kill {k} (at {delay * 1000:.0f} ms): {x}" for x in problems]
        totals["tmp_leftovers"] += ntmp
        totals["runs_with_tmp_leftover"] += 1 if ntmp else 0
        totals["stored_not_acked"] += len(stored - acked)
        totals["records_checked"] += len(stored)
        totals["acked_checked"] += len(acked)
        if not acked:
            totals["killed_before_first_ack"] += 1
        elif len(acked) < MESSAGES:
            totals["killed_mid_script"] += 1
        if not problems:
            shutil.rmtree(d)  # keep only the failing runs for inspection
    figure("crash_consistency", kills_attempted=k + 1, messages_per_run=MESSAGES,
           body_bytes=BODY, calibration_ms=round(full * 1000), violations=len(violations),
           **totals)
    assert not violations, "\n".join(violations[:30])
    # The kills must actually have landed during diversion, not only around it.
    assert totals["kills"] == KILLS
    assert totals["killed_mid_script"] >= KILLS * 0.3, totals
