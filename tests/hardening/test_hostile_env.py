"""
Hostile environment: a spool that is a symlink (or has symlinked tmp/ new/),
a symlink planted while the consumer runs, a world-writable spool, and a
spool path given to a set-uid program. Every refusal must be one clear
line, the host must keep running (pass-through, or the message not
acknowledged), and nothing may be written where the symlink points.
"""
from __future__ import annotations

import os
import pwd
import shutil
import stat
import subprocess

import pytest

from conftest import HB, figure, parse_double_log, parse_record, wait_for

POISON = "id=BAD queue=0 body=status:1"
FIGS = {}


def _shim_lines(r):
    return [l for l in r.err if l.startswith(f"reconsume[{r.pid}]:")]


def _assert_refused_passthrough(r, what):
    """Refused at the first registration: one line, then the unwrapped behaviour."""
    assert r.returncode == 0, r.stderr[-2000:]
    lines = _shim_lines(r)
    refusals = [l for l in lines if what in l]
    assert len(refusals) == 1, lines
    assert "pass-through" in refusals[0] and "RECONSUME_SPOOL_DIR" in refusals[0], refusals[0]
    # unwrapped: the double saw the raw 1s and dead-lettered the message
    assert r.statuses("BAD") == [1, 1, 1] and r.fates["BAD"] == "dlq"
    FIGS[what] = FIGS.get(what, 0) + 1


ENV = {"RECONSUME_MAX_RETRIES": "0", "RMQ_DOUBLE_MAX_RECONSUME": "2", "RECONSUME_STATS": None}


@pytest.mark.parametrize("trailing_slash", [False, True])
def test_symlinked_spool_dir(run, tmp_path, trailing_slash):
    target = tmp_path / "elsewhere"
    target.mkdir(mode=0o700)
    link = tmp_path / "spool-link"
    link.symlink_to(target)
    r = run("c", [POISON], env={**ENV, "RECONSUME_SPOOL_DIR": f"{link}{'/' if trailing_slash else ''}"})
    _assert_refused_passthrough(r, "is a symlink; refused")
    assert list(target.iterdir()) == [], "something was created through the symlink"


@pytest.mark.parametrize("sub", ["tmp", "new"])
def test_symlinked_subdir(run, tmp_path, sub):
    spool = tmp_path / "spool"
    spool.mkdir(mode=0o700)
    target = tmp_path / "elsewhere"
    target.mkdir(mode=0o700)
    (spool / sub).symlink_to(target)
    r = run("c", [POISON], env={**ENV, "RECONSUME_SPOOL_DIR": spool})
    _assert_refused_passthrough(r, "is a symlink; refused")
    assert list(target.iterdir()) == []


@pytest.mark.parametrize("mode", [0o777, 0o1777, 0o720])
def test_writable_by_others(run, tmp_path, mode):
    spool = tmp_path / "spool"
    spool.mkdir()
    os.chmod(spool, mode)
    r = run("c", [POISON], env={**ENV, "RECONSUME_SPOOL_DIR": spool})
    _assert_refused_passthrough(r, "writable by group/others")
    assert not (spool / "new").exists()


def test_symlink_planted_while_running(run, tmp_path):
    """new/ swapped for a symlink under a running consumer: the write is
    refused (O_NOFOLLOW), the message not acknowledged; once new/ is back,
    it is diverted."""
    spool = tmp_path / "spool"
    target = tmp_path / "elsewhere"
    target.mkdir(mode=0o700)
    log = tmp_path / "shim.log"

    def during(proc, rundir):
        wait_for(lambda: any(e.kind == "call" and e.fields["id"] == "HOLD"
                             for e in parse_double_log(rundir / "double.log")), 30, "HOLD")
        (spool / "new").rename(tmp_path / "new.saved")
        (spool / "new").symlink_to(target)
        wait_for(lambda: log.exists() and log.read_text().count("not acknowledged") >= 2, 30,
                 "refused writes")
        assert proc.poll() is None
        (spool / "new").unlink()
        (tmp_path / "new.saved").rename(spool / "new")

    r = run("c", ["id=HOLD queue=0 body=sleep:500", POISON],
            env={**ENV, "RECONSUME_SPOOL_DIR": spool, "RECONSUME_LOG": log,
                 "RMQ_DOUBLE_MAX_RECONSUME": "10000", "RMQ_DOUBLE_RETRY_DELAY_MS": "40"},
            during=during, timeout=60)
    assert r.returncode == 0
    assert list(target.iterdir()) == [], "written through the planted symlink"
    fails = [l for l in log.read_text().splitlines() if "not acknowledged" in l]
    assert fails and all("is a symlink; refused" in l for l in fails), fails[:2]
    st = r.statuses("BAD")
    assert st[-1] == 0 and set(st[:-1]) == {1}
    new = list((spool / "new").iterdir())
    assert len(new) == 1 and parse_record(new[0]).h("Msg-Id") == "BAD"
    FIGS["planted symlink"] = len(fails)


def _setuid_possible(d):
    if os.geteuid() != 0 or not shutil.which("setpriv"):
        return "needs root and setpriv"
    opts = subprocess.run(["findmnt", "-no", "OPTIONS", "--target", str(d)],
                          capture_output=True, text=True).stdout
    if "nosuid" in opts.split(","):
        return f"{d} is mounted nosuid"
    return None


def test_setuid_program_ignores_reconsume_env(tools, tmp_path):
    """A set-uid root copy of the consumer (linked to the shim and the double by
    absolute path: the loader ignores LD_PRELOAD paths and LD_LIBRARY_PATH for
    it), run as nobody: RECONSUME_* must be ignored (secure_getenv). Probed
    with a bad value under RECONSUME_STRICT=1 (honoured: exit 78 at load) and
    a spool and log path that must not be created."""
    why = _setuid_possible(tmp_path)
    if why:
        pytest.skip(why)
    nobody = pwd.getpwnam("nobody")
    d = tmp_path / "suid"
    d.mkdir()
    os.chmod(tmp_path, 0o755)
    os.chmod(d, 0o755)
    exe = d / "consumer_suid"
    shutil.copy(HB / "consumer_linked", exe)
    os.chown(exe, 0, 0)
    os.chmod(exe, 0o4755)
    script = d / "script.txt"
    script.write_text("id=OK1 body=ok\n")
    os.chmod(script, 0o644)
    evil_spool, evil_log = d / "evil-spool", d / "evil.log"
    env = {"PATH": "/usr/bin:/bin", "RMQ_DOUBLE_SCRIPT": str(script),
           "RECONSUME_STRICT": "1", "RECONSUME_MAX_RETRIES": "not-a-number",
           "RECONSUME_SPOOL_DIR": str(evil_spool), "RECONSUME_LOG": str(evil_log),
           "RECONSUME_LOG_LEVEL": "debug"}
    argv = [str(exe), "--group", "G", "--topic", "T", "--max-ms", "0"]

    # Control: the same binary, not set-uid (as root), honours the environment.
    ctl = subprocess.run([str(HB / "consumer_linked"), *argv[1:]], env=env, capture_output=True,
                         text=True, timeout=60)
    assert ctl.returncode == 78, (ctl.returncode, ctl.stderr)
    assert "RECONSUME_MAX_RETRIES='not-a-number'" in ctl.stderr

    # The default spool a set-uid program falls back to (HOME is ignored too).
    default = f"/var/tmp/reconsume-{nobody.pw_uid}"
    existed = os.path.exists(default)
    try:
        p = subprocess.run(["setpriv", f"--reuid={nobody.pw_uid}", f"--regid={nobody.pw_gid}",
                            "--clear-groups", *argv], env=env, capture_output=True, text=True,
                           timeout=60, cwd=str(d))
        assert p.returncode == 0, (p.returncode, p.stderr)
        assert "deliver id=OK1" in p.stdout
        assert "RECONSUME_MAX_RETRIES" not in p.stderr, p.stderr
        assert not evil_spool.exists() and not evil_log.exists()
    finally:
        if not existed:
            shutil.rmtree(default, ignore_errors=True)
    FIGS["setuid ignored"] = 1


def test_zz_figures():
    figure("hostile_env", **{k.replace(" ", "_").replace(";", "").replace("/", "_"): v
                             for k, v in FIGS.items()}, cases=sum(FIGS.values()))
