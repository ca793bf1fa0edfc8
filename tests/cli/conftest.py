"""
Helpers for the tests of the `reconsume` command (tools/cli/): the command,
the shim and the test double are built once per session (make cli lib
programs); programs run against the test double (build/double) unless said.
"""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
BUILD = ROOT / "build"
RECONSUME = BUILD / "reconsume"
SHIM = BUILD / "libreconsume.so"
DOUBLE_DIR = BUILD / "double"
CONSUMER_C = BUILD / "programs" / "consumer_c"
REPORT = ROOT / "tools" / "reconsume-report"


def make(*args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(["make", "-s", *args], cwd=ROOT, capture_output=True, text=True,
                          env=env)


@pytest.fixture(scope="session", autouse=True)
def built():
    p = make("cli", "lib", "programs")
    if p.returncode != 0:
        pytest.fail(f"make cli lib programs failed:\n{p.stdout}\n{p.stderr}", pytrace=False)


def clean_env(**extra: str) -> dict:
    """The environment without any RECONSUME_* or LD_PRELOAD of the caller's."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith("RECONSUME_") and k not in ("LD_PRELOAD", "LD_LIBRARY_PATH")}
    env.update(extra)
    return env


def rc(*args, env: dict | None = None, **kw) -> subprocess.CompletedProcess:
    """Run build/reconsume with args."""
    return subprocess.run([str(RECONSUME), *map(str, args)], capture_output=True, text=True,
                          env=env if env is not None else clean_env(), **kw)


def cc(out: Path, *args: str) -> Path:
    p = subprocess.run(["cc", "-o", str(out), *args], capture_output=True, text=True)
    if p.returncode != 0:
        pytest.fail(f"cc failed: {p.stderr}", pytrace=False)
    return out


def double_script(tmp: Path, lines: list[str]) -> Path:
    s = tmp / "script.txt"
    s.write_text("\n".join(lines) + "\n")
    return s


def consumer_env(tmp: Path, lines: list[str], **extra: str) -> dict:
    """For consumer_c against the test double, delivering lines. The double
    redelivers what is handed back but never delivers a retry copy, so the
    client's retries are used (RECONSUME_RETRY=batch) unless extra says."""
    extra = {"RECONSUME_RETRY": "batch", **extra}
    return clean_env(LD_LIBRARY_PATH=str(DOUBLE_DIR),
                     RMQ_DOUBLE_SCRIPT=str(double_script(tmp, lines)),
                     RMQ_DOUBLE_LOG=str(tmp / "double.log"), **extra)


CONSUMER_ARGS = ["--group", "g1", "--topic", "T", "--idle-ms", "300", "--max-ms", "20000"]


def spool_records(spool: Path) -> list[Path]:
    new = spool / "new"
    return sorted(new.iterdir()) if new.is_dir() else []


sys.path.insert(0, str(Path(__file__).resolve().parent))
