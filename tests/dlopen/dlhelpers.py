"""dlhelpers.py - helpers for tests/dlopen (a module of its own, not conftest,
so that it never collides with tests/integration/conftest.py): programs that dlopen() the client (the test
double, build/double/librocketmq.so) and look it up on its handle, run with
and without build/libreconsume.so preloaded.

    r = dl_run(["dlopen_consumer", "--lib", DOUBLE], ["id=M1 body=status:1"],
               env={"RECONSUME_MAX_RETRIES": "2"})
    r.statuses("M1") -> [1, 1, 0]   what the double was told, attempt by attempt
    r.fates          -> {"M1": "acked"}
    r.spool          -> [Record]
"""
from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
BUILD = ROOT / "build"
DLB = BUILD / "dlopen"
DOUBLE = BUILD / "double" / "librocketmq.so"
SHIM = Path(os.environ.get("RECONSUME_TEST_SHIM", BUILD / "libreconsume.so"))
PRELOAD_FIRST = os.environ.get("RECONSUME_TEST_PRELOAD", "").split()
PASS_ENV = ("ASAN_OPTIONS", "UBSAN_OPTIONS", "LSAN_OPTIONS", "TSAN_OPTIONS")
PYTHON = sys.executable

sys.path.insert(0, str(ROOT / "tests" / "pylib"))
from records import Record, parse_record  # noqa: E402


def _make(*args):
    return subprocess.run(["make", "-s", *args], cwd=ROOT, capture_output=True, text=True)


def build():
    """make lib (unless RECONSUME_TEST_SHIM names another build), the test
    double and tests/dlopen's programs; returns an error text or None."""
    steps = [("-C", "tests/double"), ("-f", "tests/dlopen/dlopen.mk", "dlopen-build")]
    if "RECONSUME_TEST_SHIM" not in os.environ:
        steps.insert(0, ("lib",))
    for args in steps:
        p = _make(*args)
        if p.returncode != 0:
            return f"make {' '.join(args)} failed:\n{p.stdout}\n{p.stderr}"
    return None


@dataclass
class Run:
    returncode: int
    stdout: str
    stderr: str
    events: list
    spool_dir: Path

    def statuses(self, msg_id):
        return [int(f["status"]) for k, f in self.events if k == "deliver" and f["id"] == msg_id]

    @property
    def fates(self):
        return {f["id"]: f["_rest"][0] for k, f in self.events if k == "fate"}

    @property
    def spool(self) -> list[Record]:
        new = self.spool_dir / "new"
        return [parse_record(p) for p in sorted(new.iterdir())] if new.is_dir() else []

    def records(self, msg_id):
        return [r for r in self.spool if r.h("Msg-Id") == msg_id]


def _events(path: Path):
    out = []
    if not path.exists():
        return out
    for line in path.read_text(errors="replace").splitlines():
        toks = line.split(" ")
        f = {"_rest": []}
        for t in toks[1:]:
            if t.startswith("body="):
                break
            if "=" in t:
                k, v = t.split("=", 1)
                f[k] = v
            else:
                f["_rest"].append(t)
        out.append((toks[0], f))
    return out


class Runner:
    def __init__(self, tmp: Path):
        self.tmp, self.n = tmp, 0

    def __call__(self, argv, script=(), env=None, *, shim=True, timeout=60) -> Run:
        self.n += 1
        d = self.tmp / f"run{self.n}"
        d.mkdir()
        (d / "script.txt").write_text("".join(s + "\n" for s in script))
        e = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "HOME": str(d),
            "RMQ_DOUBLE_SCRIPT": str(d / "script.txt"),
            "RMQ_DOUBLE_LOG": str(d / "double.log"),
            "RECONSUME_SPOOL_DIR": str(d / "spool"),
            "RECONSUME_RETRY": "batch",  # the double redelivers; it never delivers retry copies
        }
        for k in PASS_ENV:
            if k in os.environ:
                e[k] = os.environ[k]
        # without the shim, a sanitizer runtime (RECONSUME_TEST_PRELOAD) stays:
        # the lookups are compared with and without the shim alone
        preload = [*PRELOAD_FIRST, str(SHIM)] if shim else PRELOAD_FIRST
        if preload:
            e["LD_PRELOAD"] = " ".join(preload)
        e.update({k: str(v) for k, v in (env or {}).items()})
        argv = [str(DLB / argv[0]) if not os.path.isabs(str(argv[0])) and argv[0] != PYTHON
                else str(argv[0]), *map(str, argv[1:])]
        p = subprocess.run(argv, env=e, cwd=d, capture_output=True, text=True, timeout=timeout)
        return Run(p.returncode, p.stdout, p.stderr, _events(d / "double.log"), d / "spool")

