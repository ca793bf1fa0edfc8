"""
Concurrency: 16 delivery threads of the double (SetPushConsumerThreadCount
via --threads 16, 32 queues) through the shim at once, with every outcome
mixed in (success, reconsume, bad status, retry-then-success, C++
exceptions; signals under helgrind), diversions running in parallel:

  - under ThreadSanitizer (the shim built with -fsanitize=thread,
    build/tsan/libreconsume.so, libtsan preloaded first): zero reports;
  - under valgrind --tool=helgrind (the ordinary shim): zero errors; one
    suppression of ours (helgrind.supp: libgcc's unwinder table, initialised
    under pthread_once, which Helgrind does not model), valgrind's default
    suppressions for glibc internals on as always;
  - fork() while deliveries run, from another thread and from inside the
    callback, with the child creating, registering, starting, shutting down
    and destroying a consumer of its own: no deadlock, every child exits 0;
    and (separately) the
    child's registration is wrapped, so its poison message is diverted.

The sharded attempt table (state/attempts.c) on its own: its unit test, whose
threads fail, peek and forget their own ids (half of them pinned) on 64 shards
and on 4 with exact counts, built with ThreadSanitizer and run under helgrind:
zero reports.

Signals are left out of the TSan run: ThreadSanitizer intercepts sigaction
and runs handlers through its own wrapper, and a siglongjmp out of a
SIGSEGV handler under it crashes the process (the same workload passes
without TSan and under helgrind). Signal recovery is covered by helgrind.
"""
from __future__ import annotations

import os
import shutil
import subprocess
import time

import pytest

from conftest import HB, ROOT, TSAN_SHIM, c_check, figure, parse_record
import rc_integration_conftest as ic

THREADS = 16
QUEUES = 32


def _script(kinds, n):
    return [f"id=M{i} queue={i % QUEUES} body={kinds[i % len(kinds)]}" for i in range(n)]


def _check_consistent(r, n, kinds):
    """Every message ended acked (ok or diverted), each poison one has a record."""
    assert r.returncode == 0, r.stderr[-3000:]
    fates = r.fates
    assert len(fates) == n and set(fates.values()) == {"acked"}, \
        {k: v for k, v in fates.items() if v != "acked"}
    poison = {f"M{i}" for i in range(n)
              if kinds[i % len(kinds)] not in ("ok", "fail-until:2", "sleep:1")}
    ids = [rec.h("Msg-Id") for rec in r.spool]
    assert sorted(ids) == sorted(poison)
    assert c_check(list((r.spool_dir / "new").iterdir())) == []
    assert r.stats["reconsume_diverted_total"] == len(poison)
    assert r.stats["reconsume_divert_failures_total"] == 0
    return len(poison)


@pytest.mark.tsan
@pytest.mark.parametrize("program", ["c", "cxx"])
def test_tsan_16_threads(run, program):
    if not TSAN_SHIM.exists():
        pytest.skip(f"{TSAN_SHIM} not built (make hardening-tsan)")
    kinds = ["ok"] * 6 + ["status:1", "fail-until:2", "status:7", "sleep:1"]
    if program == "cxx":
        kinds += ["throw:std", "throw:int"]
    n = 40 * len(kinds)
    libtsan = subprocess.run(["gcc", "-print-file-name=libtsan.so"], capture_output=True,
                             text=True).stdout.strip()
    log = run.tmp / f"tsan-{program}"
    r = run(program, _script(kinds, n),
            env={"LD_PRELOAD": f"{libtsan} {TSAN_SHIM}", "RECONSUME_MAX_RETRIES": "2",
                 "TSAN_OPTIONS": f"halt_on_error=0 exitcode=66 log_path={log}"},
            extra_args=["--threads", str(THREADS)], timeout=300)
    reports = "".join(p.read_text() for p in run.tmp.glob(f"tsan-{program}*"))
    assert "ThreadSanitizer" not in reports + r.stderr, (reports + r.stderr)[:6000]
    diverted = _check_consistent(r, n, kinds)
    figure(f"tsan_{program}", threads=THREADS, queues=QUEUES, messages=n,
           deliveries=len(r.delivered), diverted=diverted, reports=0)


@pytest.mark.helgrind
def test_helgrind_16_threads(run):
    kinds = ["ok"] * 4 + ["status:1", "fail-until:2", "status:7", "throw:std", "segv"]
    n = 24 * len(kinds)
    exe = ic.PROGRAMS["cxx"]
    supp = os.path.join(os.path.dirname(__file__), "helgrind.supp")
    argv = ["valgrind", "--tool=helgrind", "--error-exitcode=99", "-q", f"--suppressions={supp}",
            str(exe), "--group", "G1",
            "--topic", "T", "--max-ms", "0", "--threads", str(THREADS)]
    r = run(argv, _script(kinds, n), env={"RECONSUME_MAX_RETRIES": "2", "RECONSUME_CATCH": "all"},
            timeout=400)
    assert "Possible data race" not in r.stderr and "lock order" not in r.stderr, r.stderr[:6000]
    assert r.returncode == 0, r.stderr[-3000:]
    diverted = _check_consistent(r, n, kinds)
    figure("helgrind", threads=THREADS, queues=QUEUES, messages=n, deliveries=len(r.delivered),
           diverted=diverted, errors=0)


def _build_attempts_test(tmp_path, flags):
    exe = tmp_path / "test_attempts"
    cc = subprocess.run(["gcc", "-std=c11", "-D_GNU_SOURCE", "-Wall", "-Wextra", "-Werror", "-O1", "-g",
                         *flags, f"-I{ROOT}", "-o", str(exe), str(ROOT / "tests/unit/test_attempts.c"),
                         str(ROOT / "state/attempts.c"), "-lcmocka", "-lpthread"],
                        capture_output=True, text=True)
    assert cc.returncode == 0, cc.stderr
    return exe


@pytest.mark.tsan
def test_attempt_table_tsan(tmp_path):
    exe = _build_attempts_test(tmp_path, ["-fsanitize=thread"])
    log = tmp_path / "tsan"
    r = subprocess.run([str(exe)], capture_output=True, text=True, timeout=300,
                       env=dict(os.environ, TSAN_OPTIONS=f"halt_on_error=0 exitcode=66 log_path={log}"))
    reports = "".join(p.read_text() for p in tmp_path.glob("tsan*"))
    assert "ThreadSanitizer" not in reports + r.stderr, (reports + r.stderr)[:6000]
    assert r.returncode == 0, r.stdout[-3000:] + r.stderr[-3000:]
    figure("tsan_attempts", shards=64, threads=16, reports=0)


@pytest.mark.helgrind
def test_attempt_table_helgrind(tmp_path):
    exe = _build_attempts_test(tmp_path, [])
    supp = os.path.join(os.path.dirname(__file__), "helgrind.supp")
    r = subprocess.run(["valgrind", "--tool=helgrind", "--error-exitcode=99", "-q", f"--suppressions={supp}",
                        str(exe)], capture_output=True, text=True, timeout=600)
    assert "Possible data race" not in r.stderr and "lock order" not in r.stderr, r.stderr[:6000]
    assert r.returncode == 0, r.stdout[-3000:] + r.stderr[-3000:]
    figure("helgrind_attempts", shards=64, threads=16, errors=0)


def _gdb_stacks(pids):
    if not shutil.which("gdb"):
        return "(gdb not installed)"
    out = []
    for pid in pids:
        p = subprocess.run(["gdb", "-p", str(pid), "-batch", "-ex", "thread apply all bt"],
                           capture_output=True, text=True, timeout=60)
        out.append(f"--- pid {pid}\n{p.stdout[-6000:]}")
    return "\n".join(out)


def test_fork_while_delivering(run, tools, tmp_path):
    forks_thread = 24
    kinds = ["sleep:1", "ok", "status:1", "ok", "sleep:1", "ok"]
    script = _script(kinds, 40 * len(kinds))
    # one "fork" from inside the callback per queue group
    script += [f"id=F{q} queue={q} body=fork" for q in range(0, QUEUES, 2)]
    child_script = tmp_path / "child.txt"
    child_script.write_text("id=C-OK body=ok\nid=C-BAD body=status:1\n")
    argv = [str(HB / "fork_consumer"), "--group", "G1", "--topic", "T", "--threads", str(THREADS),
            "--forks", str(forks_thread), "--child-script", str(child_script)]

    def during(proc, rundir):
        deadline = time.monotonic() + 120
        while proc.poll() is None and time.monotonic() < deadline:
            time.sleep(0.05)
        if proc.poll() is None:
            kids = subprocess.run(["pgrep", "-P", str(proc.pid)], capture_output=True,
                                  text=True).stdout.split()
            stacks = _gdb_stacks([proc.pid, *kids])
            pytest.fail(f"deadlock: fork_consumer still running after 120 s\n{stacks}")

    r = run(argv, script, env={"RECONSUME_MAX_RETRIES": "0", "RMQ_DOUBLE_LOG": None},
            during=during, timeout=60)
    assert r.returncode == 0, r.stdout + r.stderr[-3000:]
    line = [l for l in r.out if l.startswith("forks=")][0]
    nums = dict(kv.split("=") for kv in line.split())
    forks = int(nums["forks"])
    assert forks == forks_thread + QUEUES // 2 and int(nums["children_ok"]) == forks, line
    recs = [parse_record(p) for p in sorted((r.spool_dir / "new").iterdir())]
    child_recs = [x for x in recs if x.h("Msg-Id") == "C-BAD"]
    parent_poison = [x for x in recs if x.h("Msg-Id") != "C-BAD"]
    assert len(parent_poison) == 40 and {x.int("Pid") for x in parent_poison} == {r.pid}
    figure("fork", threads=THREADS, forks=forks, forks_from_callback=QUEUES // 2,
           children_ok=forks, child_records=len(child_recs), deadlocks=0)


def test_forked_child_registration_is_wrapped(run, tools, tmp_path):
    """The child of a fork registers a callback: it must be wrapped (the shim
    keeps spare closures for that), so its poison message is diverted."""
    child_script = tmp_path / "child.txt"
    child_script.write_text("id=C-OK body=ok\nid=C-BAD body=status:1\n")
    argv = [str(HB / "fork_consumer"), "--group", "G1", "--topic", "T", "--threads", "2",
            "--forks", "2", "--child-script", str(child_script)]
    r = run(argv, ["id=M1 body=sleep:50", "id=M2 queue=1 body=fork"],
            env={"RECONSUME_MAX_RETRIES": "0", "RMQ_DOUBLE_LOG": None}, timeout=60)
    assert r.returncode == 0, r.stderr[-2000:]
    assert "no spare closure" not in r.stderr, r.stderr
    recs = [parse_record(p) for p in sorted((r.spool_dir / "new").iterdir())]
    assert len([x for x in recs if x.h("Msg-Id") == "C-BAD"]) == 3
