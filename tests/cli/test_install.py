"""make install / uninstall, and the installed command finding the
installed library without any variable."""
from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from conftest import CONSUMER_ARGS, CONSUMER_C, ROOT, clean_env, consumer_env, make, spool_records

FILES = ["bin/reconsume", "bin/reconsume-report", "lib/libreconsume.so",
         "share/man/man1/reconsume.1", "share/man/man7/reconsume.7"]


def install(*args: str) -> None:
    p = make(*args)
    assert p.returncode == 0, p.stdout + p.stderr


@pytest.fixture(scope="module")
def staged(tmp_path_factory):
    """make install DESTDIR=$tmp PREFIX=/usr: a staging root."""
    dest = tmp_path_factory.mktemp("stage")
    install("install", f"DESTDIR={dest}", "PREFIX=/usr")
    return dest


def test_staged_install_puts_every_file_in_place(staged):
    for f in FILES:
        assert (staged / "usr" / f).is_file(), f
    assert os.access(staged / "usr/bin/reconsume", os.X_OK)
    assert oct((staged / "usr/lib/libreconsume.so").stat().st_mode & 0o777) == "0o644"
    # Every tool, always (issue 14: it used to be skipped when not built yet).
    assert os.access(staged / "usr/bin/reconsume-spool", os.X_OK)
    # The report tool's package, and the launcher naming where it will be.
    modules = sorted(p.name for p in (ROOT / "tools/report/reconsume_report").glob("*.py"))
    pkg = staged / "usr/lib/reconsume/report/reconsume_report"
    assert sorted(p.name for p in pkg.glob("*.py")) == modules
    launcher = (staged / "usr/bin/reconsume-report").read_text()
    assert '\nPACKAGE_DIR = "/usr/lib/reconsume/report"\n' in launcher


def test_staged_command_names_the_installed_path(staged):
    r = subprocess.run([str(staged / "usr/bin/reconsume"), "run", "--print-env", "--", "true"],
                       capture_output=True, text=True, env=clean_env())
    assert r.returncode == 0, r.stderr
    # DESTDIR is a staging root: the command names where the library will be.
    assert r.stdout.splitlines()[0] == "LD_PRELOAD=/usr/lib/libreconsume.so"
    v = subprocess.run([str(staged / "usr/bin/reconsume"), "--version"], capture_output=True,
                       text=True)
    assert "library /usr/lib/libreconsume.so" in v.stdout


def test_staged_command_runs_a_consumer_with_lib_or_variable(staged, tmp_path):
    lib = staged / "usr/lib/libreconsume.so"
    for how in ("--lib", "RECONSUME_LIB"):
        spool = tmp_path / how / "spool"
        env = consumer_env(tmp_path, ["id=M1 topic=T body=status:1"])
        opts = ["--lib", str(lib)] if how == "--lib" else []
        if how == "RECONSUME_LIB":
            env["RECONSUME_LIB"] = str(lib)
        r = subprocess.run([str(staged / "usr/bin/reconsume"), "run", *opts, "--max-retries",
                            "0", "--spool", str(spool), "--", str(CONSUMER_C), *CONSUMER_ARGS],
                           capture_output=True, text=True, env=env, timeout=60)
        assert r.returncode == 0, r.stderr
        assert len(spool_records(spool)) == 1, (how, r.stderr)


def test_staged_command_without_the_library_says_so(staged):
    if Path("/usr/lib/libreconsume.so").exists():
        pytest.skip("a reconsume is installed in /usr on this machine")
    r = subprocess.run([str(staged / "usr/bin/reconsume"), "run", "--", "true"],
                       capture_output=True, text=True, env=clean_env())
    assert r.returncode == 2
    assert "/usr/lib/libreconsume.so (the installed path): not found" in r.stderr


def test_installed_command_finds_the_installed_library_without_any_variable(tmp_path):
    prefix = tmp_path / "prefix"
    install("install", f"PREFIX={prefix}")
    spool = tmp_path / "spool"
    env = consumer_env(tmp_path, ["id=M1 topic=T body=status:1", "id=M2 topic=T body=ok"])
    r = subprocess.run([str(prefix / "bin/reconsume"), "run", "--max-retries", "1", "--spool",
                        str(spool), "--", str(CONSUMER_C), *CONSUMER_ARGS],
                       capture_output=True, text=True, env=env, timeout=60)
    assert r.returncode == 0, r.stderr
    assert len(spool_records(spool)) == 1
    pe = subprocess.run([str(prefix / "bin/reconsume"), "run", "--print-env"],
                        capture_output=True, text=True, env=clean_env())
    assert pe.stdout == f"LD_PRELOAD={prefix}/lib/libreconsume.so\n"
    # The installed report tool runs from its new place.
    rep = subprocess.run([str(prefix / "bin/reconsume-report"), "--help"], capture_output=True)
    assert rep.returncode == 0
    run_a = ROOT / "tests/tools/fixtures/run_a.prom"
    tree = subprocess.run([str(ROOT / "tools/reconsume-report"), str(run_a)], capture_output=True)
    rep = subprocess.run([str(prefix / "bin/reconsume-report"), str(run_a)], capture_output=True,
                         cwd=tmp_path)
    assert (rep.returncode, rep.stdout, rep.stderr) == (0, tree.stdout, b"")
    install("uninstall", f"PREFIX={prefix}")
    for f in FILES:
        assert not (prefix / f).exists(), f
    assert not (prefix / "lib/reconsume").exists()   # the report's package, __pycache__ too


def test_custom_dirs_and_uninstall(tmp_path):
    dest = tmp_path / "root"
    dirs = ["PREFIX=/opt/rc", "LIBDIR=/opt/rc/lib64", "BINDIR=/opt/rc/sbin",
            "MANDIR=/opt/rc/man"]
    install("install", f"DESTDIR={dest}", *dirs)
    for f in ("opt/rc/lib64/libreconsume.so", "opt/rc/sbin/reconsume",
              "opt/rc/man/man1/reconsume.1", "opt/rc/man/man7/reconsume.7"):
        assert (dest / f).is_file(), f
    r = subprocess.run([str(dest / "opt/rc/sbin/reconsume"), "run", "--print-env"],
                       capture_output=True, text=True, env=clean_env())
    assert r.stdout.startswith("LD_PRELOAD=/opt/rc/lib64/libreconsume.so\n")
    install("uninstall", f"DESTDIR={dest}", *dirs)
    left = [p for p in dest.rglob("*") if p.is_file()]
    assert left == []


def test_build_tree_binary_is_not_changed_by_install(staged):
    r = subprocess.run([str(ROOT / "build/reconsume"), "--version"], capture_output=True,
                       text=True)
    assert "(build tree)" in r.stdout
