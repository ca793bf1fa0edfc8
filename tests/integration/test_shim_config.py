"""Configuration: pass-through, bad values, strict mode, non-consumer hosts,
the shim's log, and diversion failures."""
import os
import re
import shutil
import sys

from pathlib import Path

import pytest

from conftest import SHIM, wait_for

ROOT = Path(__file__).resolve().parents[2]

POISON = ["id=M0 body=ok", "id=M1 body=status:7", "id=M2 body=fail-until:2"]


def same_as_no_shim(r, base):
    """The double saw exactly what it sees without the shim."""
    assert r.returncode == base.returncode == 0
    assert [e.line for e in r.events] == [e.line for e in base.events]
    assert r.out == base.out
    assert r.statuses("M1") == [7] * 17
    assert r.fates == {"M0": "acked", "M1": "dlq", "M2": "acked"}
    assert not (r.spool_dir / "new").exists()


@pytest.mark.valgrind
@pytest.mark.parametrize("value", ["0", "false", "no", "off", "OFF"])
def test_enable_off_is_pure_pass_through(shim_run, value):
    base = shim_run("c", POISON, {"RECONSUME_MAX_RETRIES": "3"}, shim=False)
    r = shim_run("c", POISON, {"RECONSUME_MAX_RETRIES": "3", "RECONSUME_ENABLE": value})
    same_as_no_shim(r, base)
    assert r.stderr == ""
    assert not r.spool_dir.exists()
    # only the statistics, which say that the shim passes through, and why
    st = r.stats
    assert st['reconsume_up{reason="disabled"}'] == 0
    assert st["reconsume_registrations_total"] == 0


@pytest.mark.parametrize("value", ["1", "true", "yes", "on"])
def test_enable_on_values(shim_run, value):
    r = shim_run("c", POISON, {"RECONSUME_MAX_RETRIES": "3", "RECONSUME_ENABLE": value})
    assert r.statuses("M1") == [1, 1, 1, 0]
    assert len(r.spool) == 1


def test_bad_max_retries_one_exact_error_line_then_pass_through(shim_run):
    base = shim_run("c", POISON, {}, shim=False)
    r = shim_run("c", POISON, {"RECONSUME_MAX_RETRIES": "abc"})
    assert r.err == [f"reconsume[{r.pid}]: error: RECONSUME_MAX_RETRIES='abc': expected an integer "
                     f"from 0 to 1000; shim disabled (pass-through)"]
    same_as_no_shim(r, base)
    # the statistics say so (the settings are not known: no cap is written)
    st = r.stats
    assert st['reconsume_up{reason="config-invalid"}'] == 0
    assert "reconsume_max_retries" not in st


@pytest.mark.parametrize("var,value", [
    ("RECONSUME_MAX_RETRIES", "1001"),
    ("RECONSUME_MAX_RETRIES", "-1"),
    ("RECONSUME_MAX_RETRIES", "3x"),
    ("RECONSUME_MAX_RETRIES", ""),
    ("RECONSUME_ENABLE", "maybe"),
    ("RECONSUME_CATCH", "status,bogus"),
    ("RECONSUME_LOG_LEVEL", "loud"),
    ("RECONSUME_BROADCAST_BACKOFF_MS", "60001"),
    ("RECONSUME_TIMEOUT_MS", "-5"),
    ("RECONSUME_TRACK_MAX", "15"),
    ("RECONSUME_SIGNAL_MAX", "1000001"),
    ("RECONSUME_STRICT", "sometimes"),
])
def test_bad_value_named_once_then_pass_through(shim_run, var, value):
    base = shim_run("c", POISON, {}, shim=False)
    r = shim_run("c", POISON, {var: value})
    assert len(r.err) == 1, r.err
    line = r.err[0]
    assert line.startswith(f"reconsume[{r.pid}]: error: {var}='{value}': "), line
    if var != "RECONSUME_STRICT":
        assert line.endswith("; shim disabled (pass-through)"), line
    same_as_no_shim(r, base)


def test_strict_bad_value_exits_78_at_load(shim_run):
    r = shim_run("c", POISON, {"RECONSUME_STRICT": "1", "RECONSUME_MAX_RETRIES": "abc"})
    assert r.returncode == 78
    assert r.events == []          # never reached the client
    assert r.out == []
    assert len(r.err) == 1
    assert r.err[0].startswith(f"reconsume[{r.pid}]: error: RECONSUME_MAX_RETRIES='abc': ")


def test_strict_good_config_runs_normally(shim_run):
    r = shim_run("c", POISON, {"RECONSUME_STRICT": "1", "RECONSUME_MAX_RETRIES": "2"})
    assert r.returncode == 0
    assert r.statuses("M1") == [1, 1, 0]
    assert len(r.spool) == 1


@pytest.mark.parametrize("argv,code", [
    (["/bin/true"], 0),
    (["/bin/false"], 1),
    ([sys.executable, "-c", "pass"], 0),
    ([sys.executable, "-c", "import sys; sys.exit(3)"], 3),
])
def test_preloaded_into_non_consumers(shim_run, argv, code):
    r = shim_run(argv, [], {"RECONSUME_CATCH": "all"})
    assert r.returncode == code
    assert r.stdout == "" and r.stderr == ""
    assert not r.spool_dir.exists()
    assert not r.stats_path.exists()


def test_preloaded_into_non_consumer_strict_bad(shim_run):
    r = shim_run(["/bin/true"], [], {"RECONSUME_STRICT": "1", "RECONSUME_CATCH": "x"})
    assert r.returncode == 78
    assert len(r.err) == 1 and "RECONSUME_CATCH='x'" in r.err[0]


def test_preload_in_child_processes_of_python(shim_run):
    code = "import subprocess,sys; sys.exit(subprocess.call(['/bin/sh','-c','exit 5']))"
    r = shim_run([sys.executable, "-c", code], [], {})
    assert r.returncode == 5 and r.stdout == "" and r.stderr == ""


def test_log_file_gets_the_lines(shim_run, tmp_path):
    log = tmp_path / "shim.log"
    r = shim_run("c", POISON, {"RECONSUME_MAX_RETRIES": "1", "RECONSUME_LOG": str(log),
                                "RECONSUME_LOG_LEVEL": "debug"})
    assert r.returncode == 0
    assert r.stderr == ""
    lines = log.read_text().splitlines()
    assert lines, "nothing logged at debug level"
    for line in lines:
        assert re.match(rf"^reconsume\[{r.pid}\]: (error|warn|info|debug): ", line), line
    assert any("M1" in line for line in lines), lines  # the diversion is logged


def test_log_level_error_is_quiet_on_success_path(shim_run, tmp_path):
    log = tmp_path / "shim.log"
    r = shim_run("c", POISON, {"RECONSUME_MAX_RETRIES": "1", "RECONSUME_LOG": str(log),
                                "RECONSUME_LOG_LEVEL": "error"})
    assert r.returncode == 0 and r.stderr == ""
    assert len(r.spool) == 1
    assert not log.exists() or log.read_text() == ""


def test_spool_dir_inside_a_file_never_acks(shim_run, tmp_path):
    afile = tmp_path / "afile"
    afile.write_text("not a directory\n")
    r = shim_run("c", ["id=M0 body=ok", "id=M1 body=status:1"],
                 {"RECONSUME_MAX_RETRIES": "3", "RECONSUME_SPOOL_DIR": str(afile / "spool")})
    assert r.returncode == 0
    assert r.statuses("M1") == [1] * 17   # never 0: never acked
    assert r.fates == {"M0": "acked", "M1": "dlq"}
    assert afile.read_text() == "not a directory\n"
    assert any("RECONSUME_SPOOL_DIR" in line for line in r.err), r.err


def test_spool_dir_inside_a_file_strict_exits_78(shim_run, tmp_path):
    afile = tmp_path / "afile"
    afile.write_text("x")
    r = shim_run("c", ["id=M1 body=status:1"],
                 {"RECONSUME_STRICT": "1", "RECONSUME_SPOOL_DIR": str(afile / "spool")})
    assert r.returncode == 78
    assert r.fates == {}


@pytest.mark.valgrind
def test_diversion_failure_at_run_time_reported_1_never_acked(shim_run):
    """The spool is fine at start; new/ turns into a regular file while the first
    message sleeps; every capped attempt then fails to divert and says 1."""
    def break_spool(proc, d):
        wait_for(lambda: (d / "double.log").exists() and "call id=S " in (d / "double.log").read_text(),
                 what="the first delivery")
        spool = d / "spool"
        assert (spool / "new").is_dir()
        os.rename(spool / "new", spool / "new.gone")
        (spool / "new").write_text("now a file\n")

    script = ["id=S body=sleep:700", "id=P body=status:7"]
    r = shim_run("c", script, {"RECONSUME_MAX_RETRIES": "2"}, during=break_spool)
    assert r.returncode == 0
    assert r.statuses("S") == [0]
    assert r.statuses("P") == [1] * 17
    assert r.fates == {"S": "acked", "P": "dlq"}
    assert (r.spool_dir / "new").read_text() == "now a file\n"
    assert os.listdir(r.spool_dir / "new.gone") == []
    assert os.listdir(r.spool_dir / "tmp") == []
    assert r.stats["reconsume_diverted_total"] == 0
    assert r.stats["reconsume_divert_failures_total"] == 15  # attempts 3..17
    assert r.outcome("bad_status") == 17


def test_spool_symlink_refused(shim_run, tmp_path):
    real = tmp_path / "real"
    real.mkdir()
    link = tmp_path / "link"
    link.symlink_to(real)
    r = shim_run("c", ["id=M1 body=status:1"],
                 {"RECONSUME_MAX_RETRIES": "0", "RECONSUME_SPOOL_DIR": str(link)})
    assert r.statuses("M1") == [1] * 17
    assert not (real / "new").exists() or os.listdir(real / "new") == []


# ---- RECONSUME_CONFIG naming something that is not a regular file (issue 13) ----

def test_config_naming_a_fifo_never_blocks_the_host(shim_run, tmp_path):
    """A FIFO used to hang every preloaded process at load: the file was
    opened (and open(2) of a FIFO waits for a writer) before it was checked.
    Bounded by the runner's timeout, which fails the test."""
    fifo = tmp_path / "reconsume.conf"
    os.mkfifo(fifo)
    r = shim_run(["/bin/echo", "hi"], [], {"RECONSUME_CONFIG": str(fifo)}, timeout=15)
    assert r.returncode == 0 and r.stdout == "hi\n"
    assert len(r.err) == 1, r.err
    assert r.err[0].startswith(f"reconsume[{r.pid}]: error: RECONSUME_CONFIG='{fifo}': "), r.err
    assert r.err[0].endswith(": not a regular file; shim disabled (pass-through)"), r.err


@pytest.mark.parametrize("path,why", [("/dev/zero", "not a regular file"),
                                      ("/nonexistent/rc.conf", "cannot open: No such file or directory")])
def test_config_file_that_cannot_be_used_is_named_once(shim_run, path, why):
    """The variable and its value came twice:
    RECONSUME_CONFIG='/dev/zero': RECONSUME_CONFIG='/dev/zero': not a regular file."""
    r = shim_run(["/bin/true"], [], {"RECONSUME_CONFIG": path})
    assert r.returncode == 0
    assert r.err == [f"reconsume[{r.pid}]: error: RECONSUME_CONFIG='{path}': {why}; "
                     f"shim disabled (pass-through)"]


# ---- a misspelt RECONSUME_* name (issue 14, 2) ------------------------------

TYPO_LINE = ("RECONSUME_MAXRETRIES: unknown variable (did you mean RECONSUME_MAX_RETRIES?)")


def test_misspelt_variable_is_named_with_the_nearest_and_the_shim_stays_active(shim_run):
    r = shim_run("c", POISON, {"RECONSUME_MAX_RETRIES": "3", "RECONSUME_MAXRETRIES": "5"})
    said = [line for line in r.err if not line.startswith(f"reconsume[{r.pid}]: info: ")]
    assert said == [f"reconsume[{r.pid}]: warn: {TYPO_LINE}; ignored"], r.err
    assert r.statuses("M1") == [1, 1, 1, 0]  # active, with the cap that is spelt right
    assert len(r.spool) == 1


def test_misspelt_variable_in_strict_mode_exits_78_at_load(shim_run):
    r = shim_run("c", POISON, {"RECONSUME_STRICT": "1", "RECONSUME_MAXRETRIES": "5"})
    assert r.returncode == 78 and r.events == []
    assert r.err == [f"reconsume[{r.pid}]: error: {TYPO_LINE}; exiting (RECONSUME_STRICT=1)"]


def _names_the_project_sets() -> set[str]:
    """RECONSUME_* names that the Makefiles, the test suites, the demo and the
    bench put in or read from an environment (read from their sources, so a
    new one is covered without editing this test)."""
    root = ROOT
    patterns = [
        r"environ\.get\(\s*\"(RECONSUME_[A-Z0-9_]+)",   # os.environ.get("X")
        r"\"(RECONSUME_[A-Z0-9_]+)\" in os\.environ",       # "X" in os.environ
        r"environ\[\"(RECONSUME_[A-Z0-9_]+)\"\]",            # os.environ["X"]
        r"dict\(os\.environ,[^)]*?\b(RECONSUME_[A-Z0-9_]+)=",  # dict(os.environ, X=...)
        r"\$\{(RECONSUME_[A-Z0-9_]+)",                      # ${X:-...} in shell
        r"(?m)^\s*(RECONSUME_[A-Z0-9_]+)=",                   # X=... in make or shell
        r"(?m)[\t ](RECONSUME_[A-Z0-9_]+)=\S",               # make: X=v $(PYTEST) ...
    ]
    files = [root / "Makefile", *root.glob("**/*.mk"), *root.glob("tests/**/*.py"),
             *root.glob("tests/**/*.sh"), *root.glob("scripts/*"), *root.glob("bench/*.py")]
    names = set()
    for f in files:
        if "build" in f.relative_to(root).parts or not f.is_file():
            continue
        text = f.read_text(errors="replace")
        for p in patterns:
            names |= set(re.findall(p, text))
    return names


def test_names_of_the_project_s_own_environments_are_not_flagged(shim_run):
    names = _names_the_project_sets()
    # The harness names must be among what was found, or the scan is broken.
    assert {"RECONSUME_TEST_SHIM", "RECONSUME_TEST_WRAPPER", "RECONSUME_BROKER_LINE",
            "RECONSUME_NAMESRV_PORT"} <= names, sorted(names)
    settings = set(re.findall(r"^RC_SETTING\((\w+),", (ROOT / "policy" / "settings.def").read_text(),
                              re.M))
    assert "MAX_RETRIES" in settings
    # Only the names that are no settings matter here (settings have values to check).
    env = {n: "1" for n in names if n[len("RECONSUME_"):] not in settings}
    env["RECONSUME_STRICT"] = "1"  # a flagged name would end the process
    r = shim_run(["/bin/true"], [], env)
    assert r.returncode == 0 and r.stderr == "", (r.stderr, sorted(env))
