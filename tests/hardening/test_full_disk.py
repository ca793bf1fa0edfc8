"""
Full disk and I/O errors. The spool is made unwritable while a consumer runs;
a poison message (RECONSUME_MAX_RETRIES=0: every failing attempt is a
diversion) keeps coming back from the double (RMQ_DOUBLE_RETRY_DELAY_MS) and
must be:
  - never acknowledged while the spool cannot take it (status 1 at the double
    for every attempt until the spool works again);
  - never visible as a partial file: new/ stays empty, tmp/ too (a failed
    write removes its temporary file);
  - reported with one log line per failed attempt, naming the cause;
  - while ok messages queued behind it are consumed normally (the consumer
    keeps running);
  - diverted, whole, at the first attempt after the space returns.

Three ways to fail the spool:
  - ENOSPC: a 256 KiB tmpfs filled up with a filler file (then the filler is
    removed);
  - EROFS: the tmpfs remounted read-only (then read-write again);
  - EFBIG: RLIMIT_FSIZE below the record size on the consumer (prlimit), on
    the ordinary disk, with SIGXFSZ held off by the shim (then the limit is
    lifted with prlimit on the running process).
The tmpfs cases need a private mount namespace: `make hardening` runs pytest
under `unshare -m`; elsewhere they are skipped (RLIMIT_FSIZE still runs).
"""
from __future__ import annotations

import errno
import os
import resource
import subprocess
import time

import pytest

from conftest import (c_check, figure, parse_double_log, parse_record, private_mounts,
                      spool_files, wait_for)

POISON = b"status:1" + b"P" * (16 << 10)
FAIL_LINE = "not acknowledged"  # "could not divert|store msgId=...: not acknowledged, ..."


def _script(poison=POISON):
    lines = [f"id=POISON queue=0 body={poison.decode()}"]
    lines += [f"id=OK{i} queue=0 body=ok" for i in range(5)]
    return lines


def _env(d, **extra):
    e = {"RECONSUME_MAX_RETRIES": "0", "RECONSUME_LOG": str(d / "shim.log"),
         "RMQ_DOUBLE_MAX_RECONSUME": "100000", "RMQ_DOUBLE_RETRY_DELAY_MS": "40"}
    e.update(extra)
    return e


def _log_lines(path):
    return path.read_text(errors="replace").splitlines() if path.exists() else []


def _wait_failures(log, n, timeout=30):
    wait_for(lambda: sum(FAIL_LINE in l for l in _log_lines(log)) >= n,
             timeout, f"{n} failed diversions")


def _assert_outage_clean(spool):
    new, tmp, other = spool_files(spool)
    assert new == [], f"partial/unacked record visible in new/: {new}"
    assert tmp == [], f"temporary file left behind: {tmp}"
    assert other == []


def _verify(r, log, cause: str, name: str):
    """The common checks after the run; returns the figures."""
    assert r.returncode == 0, r.stderr[-2000:]
    st = r.statuses("POISON")
    assert st[-1] == 0 and all(s == 1 for s in st[:-1]), st
    failures = [l for l in _log_lines(log) if FAIL_LINE in l]
    # one line per failed attempt, each naming the cause, and only those
    assert len(failures) == len(st) - 1, (len(failures), st)
    assert all(cause in l and "not acknowledged" in l for l in failures), failures[:3]
    assert all(l.startswith(f"reconsume[{r.pid}]: error: ") for l in failures)
    # the consumer kept consuming during the outage
    fates = r.fates
    assert all(fates[f"OK{i}"] == "acked" for i in range(5)), fates
    first_ok = min(i for i, e in enumerate(r.events) if e.kind == "deliver" and e.fields["id"] == "OK0")
    last_fail = max(i for i, e in enumerate(r.events)
                    if e.kind == "deliver" and e.fields["id"] == "POISON" and e.fields["status"] == "1")
    assert first_ok < last_fail, "ok messages were not consumed during the outage"
    # exactly one, whole record afterwards
    new, tmp, other = spool_files(r.spool_dir)
    assert len(new) == 1 and tmp == [] and other == [], (new, tmp, other)
    rec = parse_record(new[0])
    assert rec.body == POISON and rec.h("Msg-Id") == "POISON"
    assert c_check(new) == []
    figure(f"full_disk_{name}", failed_attempts=len(failures), attempts=len(st),
           acked_while_failing=0, partial_files=0, resumed=1, log_lines_per_failure=1)


def _mount_tmpfs(where, size="256k"):
    where.mkdir(parents=True, exist_ok=True)
    subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size},mode=0700", "tmpfs", str(where)],
                   check=True)


def _umount(where):
    subprocess.run(["umount", "-l", str(where)], check=False)


needs_mounts = pytest.mark.skipif(not private_mounts(),
                                  reason="needs a private mount namespace (run via make hardening)")


def _fill(fs_dir):
    filler = fs_dir / "filler"
    fd = os.open(filler, os.O_WRONLY | os.O_CREAT, 0o600)
    try:
        while True:
            os.write(fd, b"F" * 4096)
    except OSError as e:
        assert e.errno == errno.ENOSPC
    finally:
        os.close(fd)
    return filler


@needs_mounts
def test_enospc_tiny_tmpfs(run, tmp_path):
    mnt = tmp_path / "mnt"
    _mount_tmpfs(mnt)
    try:
        spool = mnt / "spool"
        for p in (spool, spool / "tmp", spool / "new"):
            p.mkdir(mode=0o700)
        filler = _fill(mnt)

        def during(proc, rundir):
            _wait_failures(tmp_path / "shim.log", 3)
            _assert_outage_clean(spool)
            assert proc.poll() is None, "the consumer stopped"
            filler.unlink()  # space returns

        r = run("c", _script(), env=_env(tmp_path, RECONSUME_SPOOL_DIR=spool), during=during,
                timeout=90)
        r.spool_dir = spool
        _verify(r, tmp_path / "shim.log", "No space left on device", "enospc")
    finally:
        _umount(mnt)


@needs_mounts
def test_read_only_spool(run, tmp_path):
    mnt = tmp_path / "mnt"
    _mount_tmpfs(mnt, "4m")
    try:
        spool = mnt / "spool"
        # The first message holds the queue for a while, so that the spool can
        # go read-only after the shim checked it at registration.
        script = ["id=HOLD queue=0 body=sleep:700", *_script()]

        def during(proc, rundir):
            wait_for(lambda: any(e.kind == "call" and e.fields["id"] == "HOLD"
                                 for e in parse_double_log(rundir / "double.log")), 30, "HOLD")
            for _ in range(100):  # EBUSY while a file is open for writing: retry
                if subprocess.run(["mount", "-o", "remount,ro", str(mnt)]).returncode == 0:
                    break
                time.sleep(0.01)
            else:
                pytest.fail("cannot remount read-only")
            _wait_failures(tmp_path / "shim.log", 3)
            _assert_outage_clean(spool)
            assert proc.poll() is None
            subprocess.run(["mount", "-o", "remount,rw", str(mnt)], check=True)

        r = run("c", script, env=_env(tmp_path, RECONSUME_SPOOL_DIR=spool), during=during,
                timeout=90)
        r.spool_dir = spool
        _verify(r, tmp_path / "shim.log", "Read-only file system", "erofs")
    finally:
        _umount(mnt)


def test_rlimit_fsize(run, tmp_path):
    """RLIMIT_FSIZE 8 KiB < the 16 KiB record: EFBIG, and no SIGXFSZ death."""
    spool = tmp_path / "spool"
    limit = 8 << 10

    def during(proc, rundir):
        resource.prlimit(proc.pid, resource.RLIMIT_FSIZE, (limit, resource.RLIM_INFINITY))
        _wait_failures(tmp_path / "shim.log", 3)
        _assert_outage_clean(spool)
        assert proc.poll() is None, "killed (SIGXFSZ?)"
        resource.prlimit(proc.pid, resource.RLIMIT_FSIZE,
                         (resource.RLIM_INFINITY, resource.RLIM_INFINITY))

    # The limit is set from outside once the process runs; the first delivery
    # waits for it behind a short sleep on the same queue.
    script = ["id=HOLD queue=0 body=sleep:500", *_script()]
    r = run("c", script, env=_env(tmp_path, RECONSUME_SPOOL_DIR=spool), during=during, timeout=90)
    r.spool_dir = spool
    _verify(r, tmp_path / "shim.log", "File too large", "efbig")


def test_rlimit_fsize_on_the_log_file(run, tmp_path):
    """The shim's own log file past RLIMIT_FSIZE must not kill the host either."""
    log = tmp_path / "shim.log"
    log.write_bytes(b"x" * (8 << 10))  # already at the limit
    script = ["id=HOLD queue=0 body=sleep:300", "id=BAD queue=0 body=status:1"]

    def during(proc, rundir):
        resource.prlimit(proc.pid, resource.RLIMIT_FSIZE, (8 << 10, resource.RLIM_INFINITY))

    r = run("c", script, env=_env(tmp_path, RECONSUME_SPOOL_DIR=tmp_path / "spool",
                                  RECONSUME_MAX_RETRIES="1", RMQ_DOUBLE_LOG=None,
                                  RECONSUME_STATS=None),
            during=during, timeout=60)
    assert r.returncode == 0, f"consumer ended with {r.returncode} (-25 = SIGXFSZ)"
