"""`reconsume run`: options to variables, checked before the exec; the
program replaces the command (same pid, its exit status and signals)."""
from __future__ import annotations

import os
import shlex
import shutil
import signal
import subprocess

import pytest

from conftest import (CONSUMER_ARGS, CONSUMER_C, RECONSUME, REPORT, SHIM, cc, clean_env,
                      consumer_env, rc, spool_records)


# ------------------------------------------------------- pass-through ----

def test_exit_status_passes_through():
    assert rc("run", "--", "sh", "-c", "exit 7").returncode == 7
    assert rc("run", "--", "sh", "-c", "exit 0").returncode == 0
    assert rc("run", "--max-retries", "2", "sh", "-c", "exit 42").returncode == 42


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGKILL, signal.SIGSEGV])
def test_killing_signal_passes_through(sig):
    script = f"kill -{sig.name[3:]} $$"
    direct = subprocess.run(["sh", "-c", script], env=clean_env())
    wrapped = rc("run", "--", "sh", "-c", script)
    assert direct.returncode == -sig
    assert wrapped.returncode == direct.returncode


def test_same_pid_the_program_is_the_process():
    p = subprocess.Popen([str(RECONSUME), "run", "--", "sh", "-c", "echo $$"],
                         stdout=subprocess.PIPE, text=True, env=clean_env())
    out, _ = p.communicate(timeout=10)
    assert int(out.strip()) == p.pid
    # And a program other than a shell, reading its own pid.
    p = subprocess.Popen([str(RECONSUME), "run", "--", "python3", "-c",
                          "import os; print(os.getpid(), os.getppid())"],
                         stdout=subprocess.PIPE, text=True, env=clean_env())
    out, _ = p.communicate(timeout=10)
    pid, ppid = map(int, out.split())
    assert pid == p.pid and ppid == os.getpid()


def test_signal_sent_to_the_pid_reaches_the_program():
    p = subprocess.Popen([str(RECONSUME), "run", "--", "sh", "-c",
                          "trap 'echo got-term; exit 3' TERM; echo ready; "
                          "while :; do sleep 0.05; done"],
                         stdout=subprocess.PIPE, text=True, env=clean_env())
    assert p.stdout.readline().strip() == "ready"
    p.send_signal(signal.SIGTERM)
    out, _ = p.communicate(timeout=10)
    assert "got-term" in out and p.returncode == 3


def test_stdin_stdout_and_args_untouched():
    r = rc("run", "--", "sh", "-c", 'cat; printf "%s|" "$@"', "sh", "a b", "--max-retries",
           "", input="in\n")
    assert r.returncode == 0
    assert r.stdout == "in\na b|--max-retries||"
    assert r.stderr == ""


def test_program_not_found_or_not_executable(tmp_path):
    r = rc("run", "--", str(tmp_path / "nope"))
    assert r.returncode == 127 and "No such file or directory" in r.stderr
    f = tmp_path / "plain"
    f.write_text("x")
    f.chmod(0o644)
    r = rc("run", "--", str(f))
    assert r.returncode == 126 and "Permission denied" in r.stderr


def test_first_non_option_starts_the_program():
    r = rc("run", "--max-retries", "1", "sh", "-c", 'echo "$RECONSUME_MAX_RETRIES"')
    assert r.returncode == 0 and r.stdout == "1\n"


# ------------------------------------------------------------- env ----

def child_env(*opts: str, env: dict | None = None) -> dict:
    r = rc("run", *opts, "--", "env", "-0", env=env)
    assert r.returncode == 0, r.stderr
    return dict(kv.split("=", 1) for kv in r.stdout.split("\0") if kv)


def test_options_become_variables(tmp_path):
    e = child_env("--max-retries", "3", "--catch=all", "--spool", str(tmp_path / "sp"),
                  "--sink", "topic:P_%GROUP%,spool", "--observe", "--inject",
                  "reconsume,p=0.1", "--inject-seed", "7", "--rules",
                  "topic=Orders => max_retries=1", "--non-retryable", "std::bad_alloc",
                  "--journal", str(tmp_path), "--max-crashes", "2", "--stats",
                  str(tmp_path / "s.prom"), "--stats-interval-ms", "100", "--log",
                  str(tmp_path / "log"), "--log-level", "debug", "--timeout-ms", "50",
                  "--broadcast-backoff-ms", "0", "--track-max", "16", "--signal-max", "0",
                  "--strict", "--disable")
    want = {
        "RECONSUME_MAX_RETRIES": "3", "RECONSUME_CATCH": "all",
        "RECONSUME_SPOOL_DIR": str(tmp_path / "sp"), "RECONSUME_SINK": "topic:P_%GROUP%,spool",
        "RECONSUME_MODE": "observe", "RECONSUME_INJECT": "reconsume,p=0.1",
        "RECONSUME_INJECT_SEED": "7", "RECONSUME_RULES": "topic=Orders => max_retries=1",
        "RECONSUME_NON_RETRYABLE": "std::bad_alloc", "RECONSUME_JOURNAL": str(tmp_path),
        "RECONSUME_MAX_CRASHES": "2", "RECONSUME_STATS": str(tmp_path / "s.prom"),
        "RECONSUME_STATS_INTERVAL_MS": "100", "RECONSUME_LOG": str(tmp_path / "log"),
        "RECONSUME_LOG_LEVEL": "debug", "RECONSUME_TIMEOUT_MS": "50",
        "RECONSUME_BROADCAST_BACKOFF_MS": "0", "RECONSUME_TRACK_MAX": "16",
        "RECONSUME_SIGNAL_MAX": "0", "RECONSUME_STRICT": "1", "RECONSUME_ENABLE": "0",
    }
    got = {k: v for k, v in e.items() if k.startswith("RECONSUME_")}
    assert got == want
    assert e["LD_PRELOAD"] == str(SHIM)


def test_observe_record_implies_observe(tmp_path):
    e = child_env("--observe-record")
    assert e["RECONSUME_OBSERVE_RECORD"] == "1" and e["RECONSUME_MODE"] == "observe"


def test_relative_paths_are_made_absolute(tmp_path):
    r = subprocess.run([str(RECONSUME), "run", "--spool", "sp", "--stats", "./s.prom",
                        "--", "env"], cwd=tmp_path, capture_output=True, text=True,
                       env=clean_env())
    assert f"RECONSUME_SPOOL_DIR={tmp_path}/sp\n" in r.stdout
    assert f"RECONSUME_STATS={tmp_path}/s.prom\n" in r.stdout


def test_options_override_inherited_variables_others_are_kept():
    e = child_env("--max-retries", "4",
                  env=clean_env(RECONSUME_MAX_RETRIES="9", RECONSUME_CATCH="all"))
    assert e["RECONSUME_MAX_RETRIES"] == "4" and e["RECONSUME_CATCH"] == "all"


# ------------------------------------------------------- LD_PRELOAD ----

@pytest.fixture(scope="module")
def other_lib(tmp_path_factory):
    d = tmp_path_factory.mktemp("other")
    src = d / "other.c"
    src.write_text("int reconsume_test_other_lib(void) { return 1; }\n")
    return cc(d / "libother.so", "-shared", "-fPIC", str(src))


def test_composes_with_an_existing_preload(other_lib):
    e = child_env(env=clean_env(LD_PRELOAD=str(other_lib)))
    assert e["LD_PRELOAD"] == f"{other_lib}:{SHIM}"
    # Both are really loaded into the program, the other one first.
    r = rc("run", "--", "sh", "-c", "cat /proc/$$/maps", env=clean_env(LD_PRELOAD=str(other_lib)))
    maps = r.stdout
    assert str(other_lib) in maps and str(SHIM) in maps
    assert r.stderr == ""


def test_space_separated_preload_is_kept(other_lib):
    e = child_env(env=clean_env(LD_PRELOAD=f"{other_lib} {other_lib}"))
    assert e["LD_PRELOAD"] == f"{other_lib}:{other_lib}:{SHIM}"


def test_never_preloaded_twice(other_lib, tmp_path):
    for existing in (str(SHIM), f"{SHIM}:{other_lib}", f"{other_lib} {SHIM}"):
        e = child_env(env=clean_env(LD_PRELOAD=existing))
        assert e["LD_PRELOAD"].split(":").count(str(SHIM)) == 1
        assert e["LD_PRELOAD"].endswith(str(SHIM))
    # Another copy of the shim is replaced, with a note.
    copy = tmp_path / "libreconsume.so"
    shutil.copy(SHIM, copy)
    r = rc("run", "--", "sh", "-c", 'echo "$LD_PRELOAD"',
           env=clean_env(LD_PRELOAD=f"{other_lib}:{copy}"))
    assert r.stdout.strip() == f"{other_lib}:{SHIM}"
    assert "replacing" in r.stderr


def test_library_choice(tmp_path):
    copy = tmp_path / "lib" / "libreconsume.so"
    copy.parent.mkdir()
    shutil.copy(SHIM, copy)
    assert child_env("--lib", str(copy))["LD_PRELOAD"] == str(copy)
    assert child_env(env=clean_env(RECONSUME_LIB=str(copy)))["LD_PRELOAD"] == str(copy)
    # --lib wins over RECONSUME_LIB; the build tree's binary finds build/libreconsume.so.
    assert child_env("--lib", str(SHIM), env=clean_env(RECONSUME_LIB=str(copy)))["LD_PRELOAD"] == str(SHIM)
    r = rc("run", "--lib", str(tmp_path / "missing.so"), "--", "true")
    assert r.returncode == 2 and "missing.so" in r.stderr and "not found" in r.stderr


# ------------------------------------------------------- bad values ----

BAD = [
    (["--max-retries", "abc"], "--max-retries abc: expected an integer from 0 to 1000"),
    (["--max-retries", "1001"], "--max-retries 1001: expected an integer from 0 to 1000"),
    (["--max-retries=-1"], "--max-retries -1: expected an integer from 0 to 1000"),
    (["--catch", "status,bogus"], "--catch status,bogus: unknown kind 'bogus'"),
    (["--log-level", "loud"], "--log-level loud: expected one of error, warn, info, debug"),
    (["--stats-interval-ms", "5"], "--stats-interval-ms 5: expected an integer from 100 to 3600000"),
    (["--timeout-ms", "1x"], "--timeout-ms 1x: expected an integer from 0 to 86400000"),
    (["--broadcast-backoff-ms", "60001"], "--broadcast-backoff-ms 60001: expected an integer"),
    (["--track-max", "15"], "--track-max 15: expected an integer from 16 to 10000000"),
    (["--signal-max", "many"], "--signal-max many: expected an integer from 0 to 1000000"),
    (["--max-crashes", "0"], "--max-crashes 0: expected an integer from 1 to 1000"),
    (["--inject", "explode"], "--inject explode: rule 1 'explode': unknown action 'explode'"),
    (["--inject", "reconsume", "--inject-seed", "x"], "--inject-seed x:"),
    (["--sink", "kafka"], "--sink kafka: unknown sink 'kafka'"),
    (["--rules", "nonsense"], "--rules nonsense:"),
    (["--non-retryable", "status:abc"], "--non-retryable status:abc:"),
    (["--spool", "/proc/version/x"], "is not a directory"),
    (["--stats", "/"], "--stats /: is a directory; expected a file path"),
    (["--config", "/nonexistent/reconsume.conf"], "--config /nonexistent/reconsume.conf"),
    (["--max-retries", ""], "--max-retries: empty value"),
    (["--max-retries"], "--max-retries: expected a value (N)"),
    (["--observe=yes"], "--observe takes no value"),
    (["--bogus"], "unknown option --bogus"),
    ([], "no program given"),
]


@pytest.mark.parametrize("args,message", BAD, ids=[" ".join(a) or "none" for a, _ in BAD])
def test_bad_option_is_rejected_before_anything_runs(args, message, tmp_path):
    marker = tmp_path / "ran"
    prog = [] if args == [] else ["--", "touch", str(marker)]
    r = rc("run", *args, *prog)
    assert r.returncode == 2, r.stderr
    first, hint = r.stderr.splitlines()[:2]
    assert first.startswith("reconsume run: ")
    assert message in first, first
    assert "reconsume run --help" in hint
    assert r.stdout == ""
    assert not marker.exists()


def test_bad_inherited_variable_is_named():
    r = rc("run", "--", "true", env=clean_env(RECONSUME_CATCH="everything"))
    assert r.returncode == 2
    assert r.stderr.startswith("reconsume run: in the environment: RECONSUME_CATCH='everything'")
    # Overriding it with the option fixes it.
    assert rc("run", "--catch", "all", "--", "true",
              env=clean_env(RECONSUME_CATCH="everything")).returncode == 0


@pytest.mark.parametrize("path,why", [("/nonexistent/reconsume.conf",
                                       "cannot open: No such file or directory"),
                                      ("/dev/zero", "not a regular file")])
def test_a_config_file_that_cannot_be_used_is_named_once(path, why):
    r = rc("run", "--config", path, "--", "true")
    assert r.returncode == 2
    assert r.stderr.splitlines()[0] == f"reconsume run: --config {path}: {why}"
    r = rc("run", "--", "true", env=clean_env(RECONSUME_CONFIG=path))
    assert r.returncode == 2
    assert r.stderr.splitlines()[0] == (f"reconsume run: in the environment: "
                                        f"RECONSUME_CONFIG='{path}': {why}")


def test_misspelt_inherited_variable_is_named_with_the_nearest(tmp_path):
    """Issue 14, 2: the shim warns about it (an error in strict mode); the
    command refuses it before anything runs."""
    marker = tmp_path / "ran"
    r = rc("run", "--max-retries", "2", "--", "touch", marker,
           env=clean_env(RECONSUME_MAXRETRIES="3"))
    assert r.returncode == 2 and r.stdout == ""
    assert r.stderr.splitlines()[0] == ("reconsume run: in the environment: RECONSUME_MAXRETRIES: "
                                        "unknown variable (did you mean RECONSUME_MAX_RETRIES?)")
    assert not marker.exists()
    # The project's own names are no misspellings; --print-env ignores the environment.
    assert rc("run", "--", "true", env=clean_env(RECONSUME_LIB=str(SHIM),
                                                 RECONSUME_TEST_SHIM=str(SHIM))).returncode == 0
    assert rc("run", "--print-env", env=clean_env(RECONSUME_MAXRETRIES="3")).returncode == 0


def test_a_config_file_is_checked_whole(tmp_path):
    f = tmp_path / "reconsume.conf"
    f.write_text("RECONSUME_MAX_RETRIES=3\nRECONSUME_CATCH=sometimes\n")
    r = rc("run", "--config", f, "--", "true")
    assert r.returncode == 2
    assert r.stderr.startswith(f"reconsume run: in --config {f}: RECONSUME_CATCH='sometimes'")
    f.write_text("RECONSUME_MAX_RETRIES=3\nrule topic=Orders => max_retries=1\n")
    assert rc("run", "--config", f, "--", "true").returncode == 0


def test_help_lists_every_option():
    r = rc("run", "--help")
    assert r.returncode == 0 and "--max-retries N" in r.stdout and r.stderr == ""
    top = rc("--help")
    assert top.returncode == 0 and "reconsume doctor" in top.stdout
    assert rc().returncode == 2 and rc("frobnicate").returncode == 2


# -------------------------------------------------------- print-env ----

def parse_env_lines(text: str) -> dict:
    out = {}
    for line in text.splitlines():
        k, v = line.split("=", 1)
        words = shlex.split(v)
        assert len(words) == 1, line
        out[k] = words[0]
    return out


def test_print_env(tmp_path):
    r = rc("run", "--max-retries", "3", "--spool", tmp_path, "--rules",
           "topic=Orders* => max_retries=1 name=o; tag=a => catch=all", "--print-env",
           "--", "true")
    assert r.returncode == 0, r.stderr
    lines = r.stdout.splitlines()
    assert lines[0] == f"LD_PRELOAD={SHIM}"
    assert "RECONSUME_MAX_RETRIES=3" in lines
    env = parse_env_lines(r.stdout)
    assert env["RECONSUME_RULES"] == "topic=Orders* => max_retries=1 name=o; tag=a => catch=all"
    assert env["RECONSUME_SPOOL_DIR"] == str(tmp_path)
    # Sourced by a shell, it gives back exactly the values.
    f = tmp_path / "env"
    f.write_text(r.stdout)
    sh = subprocess.run(["sh", "-c", f'set -a; . {f}; printf "%s" "$RECONSUME_RULES"'],
                        capture_output=True, text=True)
    assert sh.stdout == env["RECONSUME_RULES"]


def test_print_env_quotes_single_quotes():
    r = rc("run", "--inject", "throw:it's bad", "--print-env")
    assert r.returncode == 0, r.stderr
    assert parse_env_lines(r.stdout)["RECONSUME_INJECT"] == "throw:it's bad"


def test_print_env_needs_no_program_and_ignores_inherited_settings():
    r = rc("run", "--catch", "all", "--print-env",
           env=clean_env(RECONSUME_MAX_RETRIES="bad", RECONSUME_LOG_LEVEL="debug"))
    assert r.returncode == 0, r.stderr
    assert r.stdout == f"LD_PRELOAD={SHIM}\nRECONSUME_CATCH=all\n"


def test_print_env_does_not_check_paths_here(tmp_path):
    """The paths are for the target environment: /var/lib/... need not be
    writable (or exist) where the file is made."""
    r = rc("run", "--spool", "/proc/version/x", "--stats", "/nonexistent/s.prom",
           "--config", "/nonexistent/c.conf", "--print-env")
    assert r.returncode == 0, r.stderr
    assert "RECONSUME_SPOOL_DIR=/proc/version/x\n" in r.stdout
    assert "RECONSUME_CONFIG=/nonexistent/c.conf\n" in r.stdout
    assert "not checked here" in r.stderr


def test_print_env_still_checks_values():
    r = rc("run", "--max-retries", "x", "--print-env")
    assert r.returncode == 2 and r.stdout == ""


# --------------------------------------------- a real consumer, wrapped ----

def test_wraps_a_consumer_and_diverts(tmp_path):
    spool = tmp_path / "spool"
    stats = tmp_path / "stats.prom"
    env = consumer_env(tmp_path, ["id=M1 topic=T body=status:1", "id=M2 topic=T body=ok"])
    r = rc("run", "--max-retries", "1", "--spool", spool, "--stats", stats, "--",
           CONSUMER_C, *CONSUMER_ARGS, env=env, timeout=60)
    assert r.returncode == 0, r.stderr
    recs = spool_records(spool)
    assert len(recs) == 1 and ".M1.rec" in recs[0].name
    text = recs[0].read_text()
    assert "Attempts: 2\n" in text and "Max-Retries: 1\n" in text
    assert "fate id=M1 acked" in (tmp_path / "double.log").read_text()
    # Item 4 of issue 9, through the command: the stats file is valid text format.
    chk = subprocess.run([str(REPORT), "--check", str(stats)], capture_output=True, text=True)
    assert chk.returncode == 0, chk.stdout + chk.stderr
    assert 'reconsume_diverted_total{group="g1"} 1' in stats.read_text()
    promtool = shutil.which("promtool")
    if promtool:
        p = subprocess.run([promtool, "check", "metrics"], stdin=stats.open(),
                           capture_output=True, text=True)
        assert p.returncode == 0, p.stdout + p.stderr


def test_disable_is_pass_through(tmp_path):
    spool = tmp_path / "spool"
    env = consumer_env(tmp_path, ["id=M1 topic=T body=status:1"], RMQ_DOUBLE_MAX_RECONSUME="2")
    r = rc("run", "--disable", "--max-retries", "0", "--spool", spool, "--",
           CONSUMER_C, *CONSUMER_ARGS, env=env, timeout=60)
    assert r.returncode == 0, r.stderr
    assert spool_records(spool) == []
    assert "fate id=M1 dlq" in (tmp_path / "double.log").read_text()


@pytest.mark.parametrize("value,why", [
    ("bad-name=1", "'bad-name' is not a label name"),
    ("version=1", "'version' is a label the shim sets itself"),
])
def test_stats_labels_are_checked_before_the_program_runs(value, why):
    r = rc("run", "--stats-labels", value, "--", "true")
    assert r.returncode == 2
    assert r.stderr.startswith(f"reconsume run: --stats-labels: RECONSUME_STATS_LABELS: {why}"), r.stderr
    ok = rc("run", "--stats-labels", "service=orders,zone=a", "--print-env", "--", "true")
    assert "RECONSUME_STATS_LABELS=service=orders,zone=a" in ok.stdout


# ----------------------------------------------------- the spool pre-check ----

@pytest.mark.parametrize("bad", ["0777", "symlink", "new-0777"])
def test_a_spool_the_shim_would_refuse_stops_run(tmp_path, bad):
    """`reconsume run` applies the shim's own spool checks (sink/spool.c) to
    what exists, so a spool the shim would refuse at its first registration
    (and then pass through) stops the run before anything starts (issue 14)."""
    spool = tmp_path / "spool"
    if bad == "symlink":
        (tmp_path / "real").mkdir(mode=0o700)
        spool.symlink_to(tmp_path / "real")
    else:
        spool.mkdir(mode=0o700)
        target = spool / "new" if bad == "new-0777" else spool
        target.mkdir(mode=0o700, exist_ok=True)
        target.chmod(0o777)
    r = rc("run", "--spool", spool, "--", "sh", "-c", "echo ran")
    assert r.returncode == 2 and "ran" not in r.stdout, (r.returncode, r.stdout, r.stderr)
    assert "RECONSUME_SPOOL_DIR=" in r.stderr and "the shim would refuse it" in r.stderr
    assert ("symlink" if bad == "symlink" else "writable by group/others") in r.stderr


def test_a_good_or_missing_spool_is_left_to_the_shim(tmp_path):
    ok = tmp_path / "ok"
    ok.mkdir(mode=0o700)
    assert rc("run", "--spool", ok, "--", "sh", "-c", "exit 0").returncode == 0
    missing = tmp_path / "not" / "yet"
    assert rc("run", "--spool", missing, "--", "sh", "-c", "exit 0").returncode == 0
    assert not missing.exists()   # the pre-check creates nothing
    # observe mode without records stores nothing: the spool is not checked
    bad = tmp_path / "bad"
    bad.mkdir()
    bad.chmod(0o777)
    assert rc("run", "--observe", "--spool", bad, "--", "sh", "-c", "exit 0").returncode == 0
