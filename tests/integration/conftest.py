"""
Helpers for the integration tests: consumer programs (tests/programs) run
against the test double of the client (tests/double), with and without
build/libreconsume.so preloaded.

    run = the `run` fixture
    r = run("c", ["id=M1 body=status:1"], env={"RECONSUME_MAX_RETRIES": "3"})
    r.returncode, r.out (program stdout lines), r.delivered (parsed program lines),
    r.statuses("M1")  -> [1, 1, 1, 0]   what the double was told, attempt by attempt
    r.fates           -> {"M1": "acked"}
    r.spool           -> [Record], r.stats -> {"reconsume_diverted_total": 1, ...}
    r.stderr, r.err (stderr lines), r.pid

Programs: "c" (consumer_c), "cxx" (consumer_cxx), "clash" (consumer_clash), or
any path. Every run gets its own directory under pytest's tmp_path with the
script, the double's log, the spool (RECONSUME_SPOOL_DIR) and the stats file
(RECONSUME_STATS). Pass shim=False for the same run without LD_PRELOAD.
"""
from __future__ import annotations

import os
import re
import shlex
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "pylib"))
from records import (_PROG_LINE, Delivered, Record, parse_record, parse_stats,  # noqa: E402,F401
                     percent_decode, unescape_program)

ROOT = Path(__file__).resolve().parents[2]
BUILD = ROOT / "build"
# The shim under test; `make sanitize` / `make valgrind` point these elsewhere.
SHIM = Path(os.environ.get("RECONSUME_TEST_SHIM", BUILD / "libreconsume.so"))
SHIM_OVERRIDDEN = "RECONSUME_TEST_SHIM" in os.environ
PRELOAD_FIRST = os.environ.get("RECONSUME_TEST_PRELOAD", "").split()  # e.g. libasan.so
WRAPPER = shlex.split(os.environ.get("RECONSUME_TEST_WRAPPER", ""))  # e.g. valgrind
PASS_ENV = ("ASAN_OPTIONS", "UBSAN_OPTIONS", "LSAN_OPTIONS", "TSAN_OPTIONS")
DOUBLE_DIR = BUILD / "double"
LEGACY_DOUBLE_DIR = BUILD / "double" / "legacy"
PROGRAMS = {
    "c": BUILD / "programs" / "consumer_c",
    "cxx": BUILD / "programs" / "consumer_cxx",
    "clash": BUILD / "programs" / "consumer_clash",
}

# The contract's header order (Property-* may repeat between Store-Timestamp and Host).
HEADER_ORDER = [
    "Reconsume-Record", "Outcome", "Action", "Diverted-Because", "Injected", "Status", "Exception-Type", "Exception-What", "Signal",
    "Attempts", "Max-Retries", "Group", "Mode", "Rule", "Backoff", "Topic", "Tags", "Keys", "Msg-Id",
    "Delivered-Topic", "Delivered-Queue-Id", "Delivered-Queue-Offset", "Delivered-Commit-Log-Offset", "Reconsume-Times", "Born-Timestamp",
    "Store-Timestamp", "Property-", "Host", "Pid", "Diverted-At", "Diverted-At-Ms",
    "Body-Length",
]
STATS_OUTCOMES = ["success", "reconsume", "bad_status", "exception", "signal"]
RECORD_NAME_RE = re.compile(r"^(\d{13})\.(\d+)_(\d+)\.([A-Za-z0-9._-]{1,64})\.rec$")


# ---------------------------------------------------------------- building ----

def _make(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(["make", "-s", *args], cwd=ROOT, capture_output=True, text=True)


@pytest.fixture(scope="session", autouse=True)
def built_programs():
    for d in ("tests/double", "tests/programs"):
        p = _make("-C", d)
        if p.returncode != 0:
            pytest.fail(f"make -C {d} failed:\n{p.stdout}\n{p.stderr}", pytrace=False)
    return PROGRAMS


@pytest.fixture(scope="session")
def shim_lib() -> Path:
    """build/libreconsume.so, brought up to date with `make lib`. If that fails
    but a library exists, the existing one is used (with a warning); if there
    is none, the test fails (it does not skip)."""
    if SHIM_OVERRIDDEN:
        if not SHIM.exists():
            pytest.fail(f"RECONSUME_TEST_SHIM={SHIM} does not exist", pytrace=False)
        return SHIM
    p = _make("lib")
    if p.returncode != 0:
        if not SHIM.exists():
            pytest.fail(f"build/libreconsume.so is missing and `make lib` failed:\n{p.stderr[-3000:]}",
                        pytrace=False)
        import warnings
        warnings.warn(f"`make lib` failed; testing the existing {SHIM}:\n{p.stderr[-1000:]}")
    return SHIM


# ----------------------------------------------------------------- parsing ----

@dataclass
class Event:
    """One line of the double's log."""
    kind: str
    fields: dict
    rest: list
    line: str


def parse_double_log(path: Path) -> list[Event]:
    events = []
    if not path.exists():
        return events
    for line in path.read_text(errors="surrogateescape").splitlines():
        toks = line.split(" ")
        kind, fields, rest = toks[0], {}, []
        for j, t in enumerate(toks[1:], 1):
            if t.startswith("body="):
                fields["body"] = " ".join(toks[j:])[5:]
                break
            if "=" in t:
                k, v = t.split("=", 1)
                fields[k] = v
            else:
                rest.append(t)
        events.append(Event(kind, fields, rest, line))
    return events


# ----------------------------------------------------------------- running ----

@dataclass
class Result:
    argv: list
    env: dict
    dir: Path
    returncode: int
    stdout: str
    stderr: str
    pid: int
    elapsed: float
    events: list
    spool_dir: Path
    stats_path: Path
    out: list = field(default_factory=list)
    delivered: list = field(default_factory=list)

    @property
    def err(self) -> list[str]:
        return self.stderr.splitlines()

    # ---- what the double saw
    def statuses(self, msg_id: str) -> list[int]:
        return [int(e.fields["status"]) for e in self.events
                if e.kind == "deliver" and e.fields["id"] == msg_id]

    def reconsumes(self, msg_id: str) -> list[int]:
        return [int(e.fields["reconsume"]) for e in self.events
                if e.kind == "deliver" and e.fields["id"] == msg_id]

    def calls(self, msg_id: str | None = None) -> list[Event]:
        return [e for e in self.events
                if e.kind == "call" and (msg_id is None or e.fields["id"] == msg_id)]

    @property
    def fates(self) -> dict:
        f = {}
        for e in self.events:
            if e.kind == "fate":
                assert e.fields["id"] not in f, f"two fates for {e.fields['id']}"
                f[e.fields["id"]] = e.rest[0]
        return f

    def delivered_ids(self) -> list[str]:
        return [e.fields["id"] for e in self.events if e.kind == "deliver"]

    # ---- what the program printed
    def rets(self, msg_id: str) -> list[str]:
        return [d.ret for d in self.delivered if d.id == msg_id]

    # ---- what the shim left
    @property
    def spool(self) -> list[Record]:
        new = self.spool_dir / "new"
        if not new.is_dir():
            return []
        return [parse_record(p) for p in sorted(new.iterdir())]

    def records(self, msg_id: str) -> list[Record]:
        return [r for r in self.spool if r.h("Msg-Id") == msg_id]

    @property
    def stats(self) -> dict | None:
        return parse_stats(self.stats_path)

    def outcome(self, name: str) -> int:
        return self.stats[f'reconsume_deliveries_total{{outcome="{name}"}}']

    def outcomes(self) -> dict:
        return {o: self.outcome(o) for o in STATS_OUTCOMES}


def _script_text(script) -> str:
    if isinstance(script, str):
        return script
    return "".join(line + "\n" for line in script)


class Runner:
    def __init__(self, tmp_path: Path):
        self.tmp = tmp_path
        self.n = 0

    def __call__(self, program="c", script=(), env=None, *, shim=True, args=None, group="G1",
                 topic="T", extra_args=(), lib_dir: Path = DOUBLE_DIR, timeout=60,
                 during: Callable | None = None, cwd: Path | None = None) -> Result:
        """Run a program (a key of PROGRAMS or a path/argv list) against the double.

        env values of None remove a variable; args replaces the default consumer
        arguments; during(proc, rundir) runs while the process is alive.
        """
        self.n += 1
        d = self.tmp / f"run{self.n}"
        d.mkdir()
        script_path = d / "script.txt"
        script_path.write_text(_script_text(script))
        log_path = d / "double.log"
        spool = d / "spool"
        stats = d / "stats.prom"
        e = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "HOME": str(d / "home"),
            "LD_LIBRARY_PATH": str(lib_dir),
            "RMQ_DOUBLE_SCRIPT": str(script_path),
            "RMQ_DOUBLE_LOG": str(log_path),
            "RECONSUME_SPOOL_DIR": str(spool),
            "RECONSUME_STATS": str(stats),
            # The double redelivers what the callback hands back (the client's
            # own retries) but never delivers a retry copy the shim sends to
            # %RETRY%<group>: these suites test the client's retries, the
            # copies are tests/unit/test_pipeline.c's and tests/real's.
            "RECONSUME_RETRY": "batch",
        }
        for k in PASS_ENV:
            if k in os.environ:
                e[k] = os.environ[k]
        if shim:
            e["LD_PRELOAD"] = " ".join([*PRELOAD_FIRST, str(SHIM)])
        for k, v in (env or {}).items():
            if v is None:
                e.pop(k, None)
            else:
                e[k] = str(v)
        if isinstance(program, (list, tuple)):
            argv = [str(a) for a in program]
        else:
            exe = PROGRAMS.get(program, program)
            if args is None:
                args = ["--group", group, "--topic", topic, "--max-ms", "0", *extra_args]
            argv = [*WRAPPER, str(exe), *[str(a) for a in args]]
        t0 = time.monotonic()
        proc = subprocess.Popen(argv, env=e, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                cwd=str(cwd or d))
        if during is not None:
            try:
                during(proc, d)
            except BaseException:
                proc.kill()
                proc.communicate()
                raise
        try:
            out, err = proc.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            out, err = proc.communicate()
            pytest.fail(f"{argv} timed out after {timeout}s\nstdout tail: {out[-2000:]!r}\n"
                        f"stderr tail: {err[-2000:]!r}")
        elapsed = time.monotonic() - t0
        stdout = out.decode("utf-8", "surrogateescape")
        r = Result(argv=argv, env=e, dir=d, returncode=proc.returncode, stdout=stdout,
                   stderr=err.decode("utf-8", "surrogateescape"), pid=proc.pid, elapsed=elapsed,
                   events=parse_double_log(log_path), spool_dir=spool, stats_path=stats)
        r.out = stdout.splitlines()
        for line in r.out:
            m = _PROG_LINE.match(line)
            if m:
                r.delivered.append(Delivered(
                    id=m["id"], topic=m["topic"], tags=m["tags"],
                    keys=unescape_program(m["keys"]), reconsume=int(m["reconsume"]),
                    body=unescape_program(m["body"]), ret=m["ret"]))
        return r


@pytest.fixture
def run(tmp_path) -> Runner:
    return Runner(tmp_path)


@pytest.fixture
def shim_run(shim_lib, tmp_path) -> Runner:
    """Like run, but the test needs build/libreconsume.so (fails if it cannot be built)."""
    return Runner(tmp_path)


def wait_for(pred: Callable[[], bool], timeout: float = 10.0, what: str = "condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if pred():
            return
        time.sleep(0.01)
    pytest.fail(f"timed out waiting for {what}")


def killed_by(r: Result, sig: signal.Signals) -> bool:
    return r.returncode == -int(sig)
