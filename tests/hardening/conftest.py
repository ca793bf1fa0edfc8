"""
Shared pieces of the hardening harnesses (issue 7). They reuse the integration
suite's Runner and record parser (tests/integration/conftest.py, loaded under
another module name so that the two conftests do not clash), and add:

  HB            build/hardening (HARDENING_BUILD), where `make hardening-tools` put
                record_dump, fork_consumer and consumer_linked
  figure(name, **numbers)   the figures of one harness, as
                build/hardening/figures/<name>.json (summary.py tabulates them)
  c_check(files)            read records back with the product's own parser
  script_escape(bytes)      a value for the double's script (\\xNN for anything
                            not plainly printable)
  private_mounts()          True when this process has a mount namespace of its
                            own (make hardening runs pytest under `unshare -m`),
                            so mounting a tmpfs touches nothing else
"""
from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
_spec = importlib.util.spec_from_file_location("rc_integration_conftest",
                                               ROOT / "tests" / "integration" / "conftest.py")
ic = importlib.util.module_from_spec(_spec)
sys.modules["rc_integration_conftest"] = ic
_spec.loader.exec_module(ic)

# The integration fixtures, re-exported for the tests here.
built_programs = ic.built_programs
shim_lib = ic.shim_lib
Runner = ic.Runner
parse_record = ic.parse_record
parse_double_log = ic.parse_double_log
RECORD_NAME_RE = ic.RECORD_NAME_RE
wait_for = ic.wait_for

HB = Path(os.environ.get("HARDENING_BUILD", ROOT / "build" / "hardening"))
TSAN_SHIM = Path(os.environ.get("HARDENING_TSAN_SHIM", ROOT / "build" / "tsan" / "libreconsume.so"))


def pytest_configure(config):
    for m in ("tsan: runs the shim built with ThreadSanitizer",
              "helgrind: runs under valgrind --tool=helgrind",
              "mounts: needs a private mount namespace (make hardening gives one)"):
        config.addinivalue_line("markers", m)


@pytest.fixture
def run(tmp_path, shim_lib) -> Runner:
    return Runner(tmp_path)


@pytest.fixture(scope="session")
def tools():
    need = [HB / "record_dump", HB / "fork_consumer", HB / "consumer_linked"]
    missing = [str(p) for p in need if not p.exists()]
    if missing:
        p = subprocess.run(["make", "-s", "hardening-tools"], cwd=ROOT, capture_output=True, text=True)
        if p.returncode != 0:
            pytest.fail(f"make hardening-tools failed:\n{p.stdout}\n{p.stderr}", pytrace=False)
    return HB


def figure(name: str, **numbers):
    d = HB / "figures"
    d.mkdir(parents=True, exist_ok=True)
    (d / f"{name}.json").write_text(json.dumps(numbers, sort_keys=True) + "\n")


def c_check(files) -> list[str]:
    """Parse each file with rc_record_parse; returns the 'bad ...' lines."""
    files = [str(f) for f in files]
    bad = []
    for i in range(0, len(files), 200):
        p = subprocess.run([str(HB / "record_dump"), "--check", *files[i:i + 200]],
                           capture_output=True, text=True)
        bad += [l for l in p.stdout.splitlines() if not l.startswith("ok ")]
    return bad


def c_dump(path) -> dict:
    """The fields of one record as the product's parser reads them (bytes)."""
    p = subprocess.run([str(HB / "record_dump"), str(path)], capture_output=True, text=True)
    assert p.returncode == 0, p.stdout + p.stderr
    out = {"props": {}}
    for line in p.stdout.splitlines():
        k, _, v = line.partition("=")
        if k == "prop":
            n, _, val = v.partition(":")
            out["props"][bytes.fromhex(n)] = bytes.fromhex(val)
        elif k in ("status", "attempts", "max_retries", "pid", "queue_id", "queue_offset",
                   "reconsume_times"):
            out[k] = int(v)
        else:
            out[k] = bytes.fromhex(v)
    return out


def script_escape(v: bytes) -> str:
    out = []
    for c in v:
        if (0x30 <= c <= 0x39) or (0x41 <= c <= 0x5A) or (0x61 <= c <= 0x7A) or c in b"_-.:,":
            out.append(chr(c))
        else:
            out.append(f"\\x{c:02x}")
    return "".join(out)


def private_mounts() -> bool:
    """make hardening records its own mount namespace in HARDENING_HOST_MNTNS
    before it runs pytest under `unshare -m`; a different one here is private."""
    host = os.environ.get("HARDENING_HOST_MNTNS")
    try:
        return bool(host) and os.readlink("/proc/self/ns/mnt") != host
    except OSError:
        return False


def spool_files(spool: Path):
    """(files in new/, files in tmp/, anything else below the spool)."""
    new = sorted((spool / "new").iterdir()) if (spool / "new").is_dir() else []
    tmp = sorted((spool / "tmp").iterdir()) if (spool / "tmp").is_dir() else []
    other = [p for p in spool.rglob("*") if p.parent not in (spool / "new", spool / "tmp")
             and p not in (spool / "new", spool / "tmp")]
    return new, tmp, other
