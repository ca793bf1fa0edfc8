"""tools/reconsume-report: the table, the comparison, the chart, the JSON and
the strict checker of the Prometheus text format.

Hand-written fixtures (tests/tools/fixtures): run_a.prom / run_b.prom with
their .csv series, and bad/*.prom, one defect each, whose header says what
the checker must report ("# expect: LINE: message") and what promtool 2.42
makes of the file. Files written by the real shim come from the shim_stats
fixture below.

The fixtures live in this file, not in a conftest.py: the other test
directories import helpers with `from conftest import ...`, which a second
conftest module would shadow when both directories are collected together.
"""
from __future__ import annotations

import csv
import importlib
import json
import math
import os
import re
import shutil
import subprocess
import sys
import warnings
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
TOOL = ROOT / "tools" / "reconsume-report"
PACKAGE = ROOT / "tools" / "report"
FIXTURES = Path(__file__).resolve().parent / "fixtures"
BUILD = ROOT / "build"
SHIM = BUILD / "libreconsume.so"
CONSUMER = BUILD / "programs" / "consumer_c"
DOUBLE_DIR = BUILD / "double"

# 36 messages: most succeed, some fail for good (diverted after 3 attempts),
# some recover on their second attempt, some are slow, one segfaults once.
KINDS = ["ok", "status:1", "fail-until:2", "sleep:40", "ok", "ok"]
SCRIPT = [f"id=M{i:02d} topic=Orders keys=k{i} body={'segv' if i == 7 else KINDS[i % 6]}"
          for i in range(36)]


@pytest.fixture(scope="session")
def tool():
    """The package behind the launcher (tools/report/reconsume_report), imported."""
    if str(PACKAGE) not in sys.path:
        sys.path.insert(0, str(PACKAGE))
    return importlib.import_module("reconsume_report.figures")


@pytest.fixture(scope="session")
def report():
    def run(*args, cwd=None, input=None):
        return subprocess.run([str(TOOL), *map(str, args)], capture_output=True, text=True,
                              cwd=cwd, input=input, timeout=60)
    return run


def _build():
    p = subprocess.run(["make", "-s", "lib", "programs"], cwd=ROOT, capture_output=True, text=True)
    missing = [x for x in (SHIM, CONSUMER, DOUBLE_DIR / "librocketmq.so") if not x.exists()]
    if p.returncode != 0:
        if missing:
            pytest.fail(f"`make lib programs` failed and {missing} missing:\n{p.stderr[-3000:]}",
                        pytrace=False)
        warnings.warn(f"`make lib programs` failed; using the existing build:\n{p.stderr[-1000:]}")


def _run_consumer(d: Path, name: str, extra_env: dict) -> Path:
    d.mkdir(parents=True, exist_ok=True)
    script = d / "script.txt"
    script.write_text("".join(line + "\n" for line in SCRIPT))
    stats = d / f"{name}.prom"
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(d),
        "LD_LIBRARY_PATH": str(DOUBLE_DIR),
        "LD_PRELOAD": str(SHIM),
        "RMQ_DOUBLE_SCRIPT": str(script),
        "RMQ_DOUBLE_LOG": str(d / f"{name}.double.log"),
        "RECONSUME_MAX_RETRIES": "2",
        "RECONSUME_CATCH": "all",
        "RECONSUME_SPOOL_DIR": str(d / f"spool-{name}"),
        "RECONSUME_STATS": str(stats),
        "RECONSUME_STATS_INTERVAL_MS": "100",
        "RECONSUME_RETRY": "batch",  # the double redelivers; it never delivers retry copies
        **extra_env,
    }
    p = subprocess.run([str(CONSUMER), "--group", "G1", "--topic", "Orders", "--max-ms", "0"],
                       env=env, capture_output=True, text=True, timeout=120)
    if p.returncode != 0 or not stats.exists():
        pytest.fail(f"consumer_c run {name!r} failed (exit {p.returncode}):\n{p.stderr[-3000:]}",
                    pytrace=False)
    return stats


@pytest.fixture(scope="session")
def shim_stats(tmp_path_factory):
    _build()
    d = tmp_path_factory.mktemp("shim_stats")
    return {
        "base": _run_consumer(d, "base", {}),
        "inj": _run_consumer(d, "inj", {"RECONSUME_INJECT": "reconsume,p=0.3",
                                        "RECONSUME_INJECT_SEED": "7"}),
    }


A = FIXTURES / "run_a.prom"
B = FIXTURES / "run_b.prom"
BAD = sorted((FIXTURES / "bad").glob("*.prom"))
OUTCOMES = ["success", "reconsume", "bad_status", "exception", "signal"]
SERIES = ["success", "reconsume", "bad_status", "exception", "signal", "injected", "diverted",
          "crash_loops"]
SVG = "{http://www.w3.org/2000/svg}"


# ------------------------------------------------------------------ helpers ----

def read_prom(path: Path) -> dict:
    """An independent, simple reading of a well-formed file: {(name, labels): value}."""
    out = {}
    for line in path.read_text().splitlines():
        if not line or line.startswith("#"):
            continue
        m = re.fullmatch(r"([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)", line)
        assert m, line
        labels = tuple((k, re.sub(r'\\(.)', lambda e: "\n" if e[1] == "n" else e[1], v))
                       for k, v in re.findall(r'(\w+)="((?:[^"\\]|\\.)*)"', m[2] or ""))
        out[(m[1], tuple(sorted(labels)))] = float(m[3])
    return out


def val(p: dict, name: str, **labels) -> int:
    """The series name{labels} and the process's own labels (those of
    reconsume_build_info but version: its groups, RECONSUME_STATS_LABELS),
    which every series of a file carries."""
    own = next((dict(ls) for (n, ls) in p if n == "reconsume_build_info"), {})
    own.pop("version", None)
    want = {**own, **labels}
    return int(p.get((name, tuple(sorted(want.items()))), 0))


def section(text: str, title: str) -> list[list[str]]:
    """The rows (cells split on 2+ blanks) of the table under a section title."""
    lines = text.splitlines()
    start = next(i for i, l in enumerate(lines) if l.startswith(title))
    rows = []
    for l in lines[start + 1:]:
        if not l.strip():
            break
        rows.append(re.split(r"\s{2,}", l.strip()))
    return rows


def row(rows, *first):
    for r in rows:
        if r[:len(first)] == list(first):
            return r[len(first):]
    raise AssertionError(f"no row {first} in {rows}")


def shown(s: str) -> str:
    return s.replace("\\", "\\\\").replace("\n", "\\n")


def bad_expectations(path: Path):
    head = path.read_text(errors="replace").splitlines()
    expects = [re.match(r"# expect: (\d+): (.*)", l) for l in head if l.startswith("# expect:")]
    verdict = next(l for l in head if l.startswith("# promtool 2.42:")).split(": ", 1)[1]
    return [(int(m[1]), m[2]) for m in expects], verdict


# ------------------------------------------------------------- launcher ----

def test_the_launcher_finds_its_package_through_a_symlink(tmp_path):
    link = tmp_path / "reconsume-report"
    link.symlink_to(TOOL)
    r = subprocess.run([str(link), str(A)], capture_output=True, text=True, cwd=tmp_path,
                       timeout=60)
    assert (r.returncode, r.stderr) == (0, "")
    assert r.stdout.startswith("reconsume report: run_a.prom\n")


def test_the_launcher_without_its_package_says_so_in_one_line(tmp_path):
    alone = tmp_path / "reconsume-report"
    shutil.copy(TOOL, alone)
    r = subprocess.run([str(alone), str(A)], capture_output=True, text=True, timeout=60)
    assert (r.returncode, r.stdout) == (2, "")
    assert r.stderr == (f"reconsume-report: the package reconsume_report is not in "
                        f"'{tmp_path / 'report'}' (a broken install?)\n")


# -------------------------------------------------------------- one run ----

def check_table_against_file(text: str, path: Path):
    p = read_prom(path)
    out = section(text, "Outcomes")
    for o in OUTCOMES:
        r = val(p, "reconsume_deliveries_total", outcome=o)
        i = val(p, "reconsume_injected_deliveries_total", outcome=o)
        assert row(out, o) == [str(r), str(i), str(r + i)], o
    tot_r = sum(val(p, "reconsume_deliveries_total", outcome=o) for o in OUTCOMES)
    tot_i = sum(val(p, "reconsume_injected_deliveries_total", outcome=o) for o in OUTCOMES)
    assert row(out, "all") == [str(tot_r), str(tot_i), str(tot_r + tot_i)]

    faults = section(text, "Injected faults")
    for a in ("reconsume", "status", "throw", "delay"):
        assert row(faults, a) == [str(val(p, "reconsume_injected_faults_total", action=a))]

    handling = section(text, "Handling")
    for label, metric in [("diverted", "reconsume_diverted_total"),
                          ("divert failures", "reconsume_divert_failures_total"),
                          ("crash loops", "reconsume_crash_loops_total"),
                          ("timeouts", "reconsume_timeouts_total"),
                          ("in-process retries", "reconsume_inprocess_retries_total"),
                          ("signal recoveries", "reconsume_signal_recoveries_total"),
                          ("would divert (observe)", "reconsume_would_divert_total"),
                          ("registrations", "reconsume_registrations_total")]:
        assert row(handling, label) == [str(val(p, metric))], label

    topics = section(text, "By group / topic")
    expected = {}
    for (name, labels), v in p.items():
        if name == "reconsume_topic_deliveries_total":
            d = dict(labels)
            kind = "injected" if d["injected"] == "true" else "real"
            expected.setdefault((shown(d["group"]), shown(d["topic"]), kind), {})[d["outcome"]] = int(v)
    assert len(topics) == 1 + len(expected)  # the header and one row per (group, topic, kind)
    for (g, t, kind), outs in expected.items():
        assert row(topics, g, t, kind) == [str(outs.get(o, 0)) for o in OUTCOMES] + \
            [str(sum(outs.values()))]

    lat_count = val(p, "reconsume_callback_duration_seconds_count")
    assert re.search(rf"^Callback latency: {lat_count} calls, mean ", text, re.M)

    att_count = val(p, "reconsume_attempts_count")
    assert re.search(rf"^Attempts per message: {att_count} messages, mean "
                     rf"{val(p, 'reconsume_attempts_sum') / att_count:.2f}$", text, re.M)
    cum = {dict(k[1])["le"]: int(v) for k, v in p.items() if k[0] == "reconsume_attempts_bucket"}
    bounds = ["1", "2", "3", "4", "6", "8", "12", "17", "32", "+Inf"]
    labels = ["1", "2", "3", "4", "5-6", "7-8", "9-12", "13-17", "18-32", ">32"]
    att = section(text, "Attempts per message")
    prev = 0
    for b, lbl in zip(bounds, labels):
        n = cum[b] - prev
        prev = cum[b]
        assert row(att, lbl)[:2] == [str(n), f"{n / att_count * 100:.1f}%"], lbl


@pytest.mark.parametrize("path", [A, B], ids=["run_a", "run_b"])
def test_table_numbers_equal_the_file(report, path):
    r = report(path)
    assert r.returncode == 0, r.stderr
    assert r.stderr == ""
    assert r.stdout.startswith(f"reconsume report: {path.name}\n")
    check_table_against_file(r.stdout, path)


@pytest.mark.parametrize("which", ["base", "inj"])
def test_table_of_the_real_shims_output(report, shim_stats, which):
    path = shim_stats[which]
    r = report(path)
    assert r.returncode == 0, r.stderr
    check_table_against_file(r.stdout, path)
    p = read_prom(path)
    if which == "inj":
        assert val(p, "reconsume_injected_deliveries_total", outcome="reconsume") > 0
        assert row(section(r.stdout, "By group / topic"), "G1", "Orders", "injected")
    assert val(p, "reconsume_signal_recoveries_total") == 1   # the segv message
    assert val(p, "reconsume_diverted_total") >= 6            # the six status:1 messages


def test_latency_percentiles_as_histogram_quantile(report):
    # run_a: p50 rank 25 in (0.001, 0.005] holding 10..30 -> 0.001 + 0.004 * 15/20 = 4 ms
    #        p90 rank 45 in (0.01, 0.05] holding 40..45 -> 50 ms; p99 rank 49.5 in (0.1, 0.5] -> 400 ms
    lat = section(report(A).stdout, "Callback latency")
    assert row(lat, "p50") == ["4.00 ms"]
    assert row(lat, "p90") == ["50.0 ms"]
    assert row(lat, "p99") == ["400 ms"]
    # run_b: p99 rank 73.26 falls in the +Inf bucket: above the last bound (60 s)
    lat = section(report(B).stdout, "Callback latency")
    assert row(lat, "p50") == ["4.60 ms"]
    assert row(lat, "p90") == ["36.4 ms"]
    assert row(lat, "p99") == ["> 60 s"]


def test_histogram_quantile_edge_cases(tool):
    q = tool.histogram_quantile
    inf = math.inf
    assert q(0.5, []) == (None, False)
    assert q(0.5, [(1, 0), (inf, 0)]) == (None, False)              # no observations
    assert q(0.5, [(1, 3), (2, 5)]) == (None, False)                # no +Inf bucket
    assert q(0.5, [(1, 4), (inf, 4)]) == (0.5, False)               # first bucket: from 0
    assert q(1.0, [(1, 4), (2, 8), (inf, 8)]) == (2, False)
    assert q(0.5, [(1, 4), (2, 8), (inf, 8)]) == (1, False)         # rank on a boundary
    assert q(0.99, [(1, 1), (inf, 2)]) == (1, True)                 # in +Inf: the last bound
    assert q(0.5, [(-1, 2), (inf, 4)]) == (-1, False)               # Prometheus's special case


def test_json_has_the_figures(report):
    r = report(B, "--json")
    assert r.returncode == 0, r.stderr
    doc = json.loads(r.stdout)
    (run,) = doc["runs"]
    assert run["label"] == "run_b.prom"
    assert run["deliveries"]["real"]["success"] == 52
    assert run["deliveries"]["injected"] == {"success": 0, "reconsume": 12, "bad_status": 3,
                                             "exception": 0, "signal": 0}
    assert run["injected_faults"]["delay"] == 5
    assert run["counters"] == {"diverted": 5, "divert_failures": 1, "crash_loops": 0,
                               "timeouts": 4, "inprocess_retries": 0, "signal_recoveries": 0,
                               "would_divert": 0, "registrations": 1}
    odd = [t for t in run["topics"] if t["group"] == 'G"2']
    assert odd == [{"group": 'G"2', "topic": "odd\\name\nx", "injected": False,
                    "outcomes": {"success": 2, "reconsume": 0, "bad_status": 0, "exception": 0,
                                 "signal": 0}}]
    qs = run["latency"]["quantiles"]
    assert qs["p50"]["seconds"] == pytest.approx(0.0046)
    assert qs["p90"]["seconds"] == pytest.approx(0.0364)
    assert qs["p99"] == {"seconds": 60, "above_last_bound": True}
    assert run["attempts"]["distribution"][:4] == [
        {"attempts": "1", "count": 40}, {"attempts": "2", "count": 8},
        {"attempts": "3", "count": 7}, {"attempts": "4", "count": 2}]
    assert "diff" not in doc


# ------------------------------------------------------------- two runs ----

def test_two_runs_side_by_side(report):
    r = report(A, B)
    assert r.returncode == 0, r.stderr
    t = r.stdout
    assert t.startswith("reconsume report: A = run_a.prom, B = run_b.prom\n")
    out = section(t, "Outcomes")
    assert out[0] == ["A", "B", "B - A"]
    assert row(out, "success real") == ["40", "52", "+12 (+30.0%)"]
    assert row(out, "bad_status real") == ["2", "0", "-2 (-100.0%)"]
    assert row(out, "reconsume injected") == ["0", "12", "+12 (new)"]
    assert row(out, "exception real") == ["1", "1", "0"]
    assert row(out, "all") == ["50", "74", "+24 (+48.0%)"]
    assert row(section(t, "Handling"), "diverted") == ["2", "5", "+3 (+150.0%)"]
    assert row(section(t, "Handling"), "timeouts") == ["1", "4", "+3 (+300.0%)"]
    assert row(section(t, "Injected faults"), "delay") == ["0", "5", "+5 (new)"]
    topics = section(t, "By group / topic")
    assert row(topics, "G1 / Orders success real") == ["30", "40", "+10 (+33.3%)"]
    assert row(topics, "G1 / Payments signal real") == ["1", "0", "-1 (-100.0%)"]
    assert row(topics, "G1 / Orders reconsume injected") == ["0", "12", "+12 (new)"]
    assert row(topics, 'G"2 / odd\\\\name\\nx success real') == ["0", "2", "+2 (new)"]
    lat = section(t, "Callback latency")
    assert row(lat, "p50") == ["4.00 ms", "4.60 ms", "+600 us (+15.0%)"]
    assert row(lat, "p90") == ["50.0 ms", "36.4 ms", "-13.6 ms (-27.2%)"]
    assert row(lat, "p99") == ["400 ms", "> 60 s", "n/a"]   # no difference to an open bound
    att = section(t, "Attempts per message")
    assert row(att, "messages") == ["42", "57", "+15 (+35.7%)"]
    assert row(att, "attempts 3") == ["2", "7", "+5 (+250.0%)"]


def test_two_runs_labels_and_json_diff(report, shim_stats):
    r = report(shim_stats["base"], shim_stats["inj"], "--labels", "baseline,injected")
    assert r.returncode == 0, r.stderr
    assert r.stdout.startswith("reconsume report: A = baseline, B = injected\n")
    pa, pb = read_prom(shim_stats["base"]), read_prom(shim_stats["inj"])
    a = val(pa, "reconsume_injected_deliveries_total", outcome="reconsume")
    b = val(pb, "reconsume_injected_deliveries_total", outcome="reconsume")
    assert a == 0 and b > 0
    assert row(section(r.stdout, "Outcomes"), "reconsume injected") == ["0", str(b), f"+{b} (new)"]
    sa, sb = (val(p, "reconsume_deliveries_total", outcome="success") for p in (pa, pb))
    d = sb - sa
    expect = "0" if d == 0 else f"{d:+d} ({d / sa * 100:+.1f}%)"
    assert row(section(r.stdout, "Outcomes"), "success real") == [str(sa), str(sb), expect]

    doc = json.loads(report(shim_stats["base"], shim_stats["inj"], "--json").stdout)
    assert [x["label"] for x in doc["runs"]] == ["base.prom", "inj.prom"]
    item = next(x for x in doc["diff"] if x["row"] == "success real")
    assert (item["a"], item["b"], item["delta"], item["diff"]) == (str(sa), str(sb), d, expect)


def test_same_file_names_are_told_apart_by_path(report, tmp_path):
    (tmp_path / "x").mkdir()
    (tmp_path / "y").mkdir()
    shutil.copy(A, tmp_path / "x" / "stats.prom")
    shutil.copy(B, tmp_path / "y" / "stats.prom")
    r = report("x/stats.prom", "y/stats.prom", cwd=tmp_path)
    assert r.stdout.startswith("reconsume report: A = x/stats.prom, B = y/stats.prom\n")


# ---------------------------------------------------------------- check ----

def test_check_accepts_good_files(report, shim_stats):
    for path in (A, B, shim_stats["base"], shim_stats["inj"]):
        r = report("--check", path)
        assert r.returncode == 0, r.stderr
        assert r.stderr == ""
        assert re.fullmatch(rf"{re.escape(str(path))}: ok \(\d+ samples, \d+ metric families\)\n",
                            r.stdout)
    r = report("--check", "-", input=A.read_text())
    assert (r.returncode, r.stdout.split(":")[0]) == (0, "<stdin>")


@pytest.mark.parametrize("path", BAD, ids=[p.stem for p in BAD])
def test_check_rejects_each_malformed_case(report, path):
    expects, _ = bad_expectations(path)
    assert expects, f"{path.name} has no '# expect:' line"
    r = report("--check", path)
    assert r.returncode == 1, r.stdout + r.stderr
    errors = r.stderr.splitlines()
    assert len(errors) == len(expects), r.stderr
    for line, msg in expects:
        assert any(e.startswith(f"{path}:{line}: ") and msg in e for e in errors), \
            f"expected {path.name}:{line}: {msg}\ngot:\n{r.stderr}"


def test_check_reports_every_file_and_fails_if_any_is_bad(report):
    bad = FIXTURES / "bad" / "duplicate_series.prom"
    r = report("--check", A, bad)
    assert r.returncode == 1
    assert r.stdout == f"{A}: ok (55 samples, 14 metric families)\n"
    assert r.stderr.startswith(f"{bad}:8: duplicate series")


def test_report_of_a_malformed_file_is_an_input_error(report):
    bad = FIXTURES / "bad" / "nonmonotonic_buckets.prom"
    r = report(bad)
    assert r.returncode == 2
    assert r.stdout == ""
    assert r.stderr.splitlines() == [
        f"reconsume-report: {bad}:8: reconsume_attempts: bucket le=\"3\" has 4, fewer than bucket "
        "le=\"2\" (line 7) with 5; cumulative buckets must not decrease"]


@pytest.mark.parametrize("args, message", [
    ([], "give RUN.prom"),
    ([A, B, A], "at most two runs"),
    (["/nonexistent/stats.prom"], "/nonexistent/stats.prom: No such file or directory"),
    ([A, B, "--labels", "one"], "--labels needs 2"),
    ([FIXTURES / "run_a.prom.csv"], "can only be charted (--svg"),
    (["--check"], "--check needs at least one FILE"),
    (["--check", "/nonexistent/x.prom"], "No such file or directory"),
    ([A, "--bogus"], "unrecognized arguments: --bogus"),
    ([FIXTURES / "bad" / "type_misspelt.prom"], "type_misspelt.prom:5: TYPE counter"),
    ([FIXTURES / "bad" / "no_inf_bucket.prom"], 'no le="+Inf" bucket'),
])
def test_usage_and_input_errors_exit_2_with_one_line(report, args, message):
    r = report(*args)
    assert r.returncode == 2
    assert r.stdout == ""
    assert len(r.stderr.splitlines()) == 1, r.stderr
    assert r.stderr.startswith("reconsume-report: ") and message in r.stderr


def test_a_file_that_is_not_reconsume_stats(report, tmp_path):
    f = tmp_path / "other.prom"
    f.write_text("# TYPE up gauge\nup 1\n")
    assert report("--check", f).returncode == 0
    r = report(f)
    assert r.returncode == 2
    assert "not a reconsume stats file" in r.stderr


# --------------------------------------------- values and names (#13 item 7) ----

SUCCESS_LINE = 'reconsume_deliveries_total{outcome="success"} 40'


def with_line(tmp_path: Path, old: str, new: str, drop_type: str | None = None) -> Path:
    """run_a.prom with one line changed (and optionally its TYPE line dropped)."""
    text = A.read_text()
    assert text.count(old + "\n") == 1, old
    text = text.replace(old + "\n", new + "\n")
    if drop_type:
        text = "".join(l for l in text.splitlines(True) if not l.startswith(f"# TYPE {drop_type} "))
    f = tmp_path / "edited.prom"
    f.write_text(text)
    return f


def line_of(path: Path, text: str) -> int:
    return next(i for i, l in enumerate(path.read_text().splitlines(), 1) if l == text)


@pytest.mark.parametrize("value, reason", [
    ("NaN", "a counter cannot be NaN"),
    ("+Inf", "a counter cannot be +Inf"),
    ("1e400", "out of range"),
])
def test_a_non_finite_counter_fails_check_and_the_report_says_so_in_one_line(report, tmp_path,
                                                                               value, reason):
    bad = f'reconsume_deliveries_total{{outcome="success"}} {value}'
    f = with_line(tmp_path, SUCCESS_LINE, bad)
    n = line_of(f, bad)
    r = report("--check", f)
    assert r.returncode == 1 and r.stdout == ""
    assert r.stderr.splitlines() == [r.stderr.rstrip("\n")], r.stderr        # one line
    assert r.stderr.startswith(f"{f}:{n}: reconsume_deliveries_total: ") and reason in r.stderr
    r = report(f)
    assert "Traceback" not in r.stderr
    assert (r.returncode, r.stdout) == (2, "")
    assert r.stderr.splitlines() == [f"reconsume-report: {r.stderr.split(': ', 1)[1].rstrip()}"]
    assert f"{f}:{n}: " in r.stderr and reason in r.stderr


@pytest.mark.parametrize("value", ["NaN", "+Inf", "-Inf", "-3"])
def test_the_report_refuses_a_count_that_is_not_one_even_untyped(report, tmp_path, value):
    """Without its TYPE line the family is untyped, where the format allows any
    value (so --check passes it, as promtool does); the report reads it as a
    count all the same and must say, in one line, that it is not one."""
    bad = f'reconsume_deliveries_total{{outcome="success"}} {value}'
    f = with_line(tmp_path, SUCCESS_LINE, bad, drop_type="reconsume_deliveries_total")
    assert report("--check", f).returncode == 0
    r = report(f)
    assert "Traceback" not in r.stderr
    assert (r.returncode, r.stdout) == (2, "")
    assert r.stderr.splitlines() == [
        f"reconsume-report: {f}:{line_of(f, bad)}: reconsume_deliveries_total"
        f"{{outcome=\"success\"}}: {value} is not a count (the report needs finite, "
        "non-negative counts)"], r.stderr


def test_the_report_never_raises_whatever_a_value_is(tool, tmp_path, capsys):
    """Every sample of run_a, typed and untyped, set to each hostile value: the
    report either works or returns 2 with one error line, never an exception."""
    cli = importlib.import_module("reconsume_report.cli")
    lines = A.read_text().splitlines()
    samples = [i for i, l in enumerate(lines) if l and not l.startswith("#")]
    f = tmp_path / "x.prom"
    for typed in (True, False):
        for i in samples:
            for value in ("NaN", "+Inf", "-Inf", "1e400", "-1", "-0", "1e-400"):
                edited = list(lines)
                edited[i] = edited[i].rsplit(" ", 1)[0] + " " + value
                if not typed:
                    edited = [l for l in edited if not l.startswith("# TYPE ")]
                f.write_text("\n".join(edited) + "\n")
                code = cli.main([str(f)])
                out, err = capsys.readouterr()
                assert code in (0, 2), (lines[i], value, typed)
                if code == 2:
                    assert out == "" and len(err.splitlines()) == 1, (lines[i], value, err)


@pytest.mark.parametrize("value", ["-0", "-1e-400", "-0.0"])
def test_check_rejects_a_negative_counter_however_it_is_written(report, tmp_path, value):
    bad = f'reconsume_deliveries_total{{outcome="success"}} {value}'
    f = with_line(tmp_path, SUCCESS_LINE, bad)
    r = report("--check", f)
    assert r.returncode == 1
    assert r.stderr.splitlines() == [
        f"{f}:{line_of(f, bad)}: reconsume_deliveries_total: a counter cannot be negative "
        f"({value!r})"], r.stderr


def test_check_rejects_unicode_digits_in_values(report, tmp_path):
    bad = 'reconsume_deliveries_total{outcome="success"} \u0664\u0660'   # Arabic-Indic "40"
    f = with_line(tmp_path, SUCCESS_LINE, bad)
    r = report("--check", f)
    assert r.returncode == 1
    assert r.stderr.splitlines() == [f"{f}:{line_of(f, bad)}: reconsume_deliveries_total: "
                                     "invalid value '\u0664\u0660'"], r.stderr


@pytest.mark.parametrize("bad, reason", [
    ('reconsume_deliveries_total{__outcome="success"} 40',
     "label name '__outcome' is reserved (names starting with '__' are Prometheus's own)"),
    ('reconsume_deliveries_total{__="success"} 40', "label name '__' is reserved"),
    ('reconsume_deliveries_total{__name__="x"} 40', "label name '__name__' is reserved"),
    ('reconsume_deliveries_total{out-come="success"} 40', "invalid label name 'out-come'"),
    ('reconsume_deliveries_total{out:come="success"} 40', "invalid label name 'out:come'"),
    ('reconsume_deliveries_total{1outcome="success"} 40', "invalid label name '1outcome'"),
    ('reconsume_deliveries_total{outcom\u00e9="success"} 40', "invalid label name 'outcom\u00e9'"),
    ('reconsume-deliveries_total{outcome="success"} 40', "invalid metric name"),
    ('1reconsume_deliveries_total{outcome="success"} 40', "invalid metric name"),
    ('reconsume_d\u00e9liveries_total{outcome="success"} 40', "invalid metric name"),
])
def test_check_holds_prometheus_naming_rules(report, tmp_path, bad, reason):
    """Metric names [a-zA-Z_:][a-zA-Z0-9_:]*, label names [a-zA-Z_][a-zA-Z0-9_]*
    and no label name starting with '__' (reserved for Prometheus's internal use)."""
    f = with_line(tmp_path, SUCCESS_LINE, bad)
    r = report("--check", f)
    assert r.returncode == 1
    errors = r.stderr.splitlines()
    n = line_of(f, bad)
    assert any(e.startswith(f"{f}:{n}: ") and reason in e for e in errors), r.stderr
    assert all(e.startswith(f"{f}:{n}: ") or "reconsume_deliveries_total" in e for e in errors)


# ------------------------------------------- one error line (#14 section 3) ----

PASSWD = "".join(f"user{i}:x:{1000 + i}:{1000 + i}:User {i}:/home/user{i}:/bin/sh\n"
                 for i in range(25))


def test_a_file_that_is_not_prometheus_text_is_one_error_line(report, tmp_path):
    f = tmp_path / "passwd"
    f.write_text(PASSWD)
    assert len(report("--check", f).stderr.splitlines()) == 25   # --check lists every one
    r = report(f)
    assert (r.returncode, r.stdout) == (2, "")
    (line,) = r.stderr.splitlines()
    assert line.startswith(f"reconsume-report: {f}:1: user0:x:1000:1000:User: invalid value ")
    assert line.endswith(" (and 24 more problems; --check lists them all)")


@pytest.mark.skipif(not Path("/etc/passwd").is_file(), reason="no /etc/passwd here")
def test_etc_passwd_is_one_error_line(report):
    r = report("/etc/passwd")
    assert (r.returncode, r.stdout) == (2, "")
    assert len(r.stderr.splitlines()) == 1, r.stderr
    assert r.stderr.startswith("reconsume-report: /etc/passwd:")


def test_a_csv_with_many_bad_rows_is_one_error_line(report, tmp_path):
    f = tmp_path / "s.prom.csv"
    f.write_text(",".join(["unix_ms", *SERIES]) + "\n" + "x,y\n" * 9)
    r = report(f, "--svg", tmp_path / "o.svg")
    assert r.returncode == 2
    assert r.stderr.splitlines() == [
        f"reconsume-report: {f}:2: expected 9 unsigned integers, got 'x,y' "
        "(and 8 more bad rows)"], r.stderr


NOTE = "  p50, p90, p99: estimated from the histogram buckets (as Prometheus's histogram_quantile)"


def test_the_percentiles_are_said_to_be_estimates_from_the_buckets(report):
    for args, rows in (([A], ["p50", "p90", "p99"]), ([A, B], ["calls", "mean", "p50", "p90", "p99"])):
        text = report(*args).stdout
        lines = text.splitlines()
        start = next(i for i, l in enumerate(lines) if l.startswith("Callback latency"))
        end = lines.index("", start)
        block = lines[start + 1:end]
        assert block[-1] == NOTE, text                      # right under the figures
        assert [re.split(r"\s{2,}", l.strip())[0] for l in block[:-1]][-len(rows):] == rows
    doc = json.loads(report(A, "--json").stdout)
    assert doc["runs"][0]["latency"]["quantiles_estimated_from"] == "histogram buckets"


def test_no_estimate_note_without_calls(report, tmp_path):
    f = tmp_path / "none.prom"
    f.write_text("# TYPE reconsume_deliveries_total counter\n"
                 'reconsume_deliveries_total{outcome="success"} 0\n')
    text = report(f).stdout
    assert "Callback latency: no calls\n" in text and "estimated" not in text


# ---------------------------------------------------------------- chart ----

def nonempty_series(csv_path: Path) -> set[str]:
    with open(csv_path, newline="") as fh:
        rows = list(csv.DictReader(fh))
    return {s for s in SERIES if any(int(r[s]) for r in rows)}


def polylines(svg_path: Path):
    root = ET.parse(svg_path).getroot()   # well-formed XML, or this raises
    assert root.tag == f"{SVG}svg"
    assert all(el.tag != f"{SVG}script" for el in root.iter())
    return root, list(root.iter(f"{SVG}polyline"))


def series_of(pl) -> tuple[str, str]:
    cls = pl.get("class").split()
    name = next(c[len("series-"):] for c in cls if c.startswith("series-"))
    run = next(c for c in cls if c.startswith("run-"))
    return name, run


def test_svg_of_one_run(report, tmp_path):
    out = tmp_path / "a.svg"
    r = report(A, "--svg", out)
    assert r.returncode == 0, r.stderr
    assert r.stdout.startswith("reconsume report: run_a.prom")   # the table as well
    root, pls = polylines(out)
    want = nonempty_series(FIXTURES / "run_a.prom.csv")
    assert want == {"success", "reconsume", "bad_status", "exception", "signal", "diverted"}
    assert sorted(series_of(p)[0] for p in pls) == sorted(want)
    for p in pls:
        assert len(p.get("points").split()) == 6      # one point per CSV row
        assert p.get("stroke-dasharray") is None
    texts = " ".join(t.text or "" for t in root.iter(f"{SVG}text"))
    assert "cumulative" in texts and "seconds since" in texts
    for s in want:                                     # the legend names each series
        assert s in texts


def test_svg_of_two_runs_dashes_b(report, tmp_path):
    out = tmp_path / "ab.svg"
    r = report(A, B, "--svg", out, "--labels", "base,inj")
    assert r.returncode == 0, r.stderr
    root, pls = polylines(out)
    want_a = nonempty_series(FIXTURES / "run_a.prom.csv")
    want_b = nonempty_series(FIXTURES / "run_b.prom.csv")
    assert "injected" in want_b and "signal" not in want_b
    got = sorted(series_of(p) for p in pls)
    assert got == sorted([(s, "run-0") for s in want_a] + [(s, "run-1") for s in want_b])
    for p in pls:
        dashed = p.get("stroke-dasharray") is not None
        assert dashed == (series_of(p)[1] == "run-1")
    texts = " ".join(t.text or "" for t in root.iter(f"{SVG}text"))
    assert "A: base" in texts and "B: inj" in texts


def test_svg_rates_from_csv_given_directly(report, tmp_path):
    out = tmp_path / "rate.svg"
    r = report(FIXTURES / "run_b.prom.csv", "--svg", out, "--chart", "rate")
    assert r.returncode == 0, r.stderr
    assert r.stdout == ""                                # a .csv: only the chart
    root, pls = polylines(out)
    assert sorted(series_of(p)[0] for p in pls) == sorted(nonempty_series(FIXTURES / "run_b.prom.csv"))
    texts = " ".join(t.text or "" for t in root.iter(f"{SVG}text"))
    assert "per second" in texts and "per-second rates" in texts
    # success: 12, 18, 15, 7 per second over the four one-second intervals
    success = next(p for p in pls if series_of(p)[0] == "success")
    assert len(success.get("points").split()) == 4


def test_svg_of_the_real_shims_series(report, shim_stats, tmp_path):
    out = tmp_path / "real.svg"
    r = report(shim_stats["base"], shim_stats["inj"], "--svg", out)
    assert r.returncode == 0, r.stderr
    _, pls = polylines(out)
    want = [(s, "run-0") for s in nonempty_series(Path(str(shim_stats["base"]) + ".csv"))] + \
           [(s, "run-1") for s in nonempty_series(Path(str(shim_stats["inj"]) + ".csv"))]
    assert sorted(series_of(p) for p in pls) == sorted(want)
    assert ("injected", "run-1") in want and ("injected", "run-0") not in want


HEADER = "unix_ms," + ",".join(SERIES) + "\n"


def svg_texts(path: Path) -> str:
    root, _ = polylines(path)
    return " ".join(t.text or "" for t in root.iter(f"{SVG}text"))


@pytest.mark.parametrize("rows, kind", [
    (["1700000000000,25,2,0,0,0,0,1,0"], "one write"),
    (["1700000000000,25,2,0,0,0,0,1,0", "1700000000002,25,2,0,0,0,0,1,0"], "no change"),
], ids=["one-write", "destroy-and-exit"])
def test_rate_chart_of_a_run_written_only_at_its_end_says_what_it_can(report, tmp_path, rows, kind):
    """#14: '--chart rate' said 'no deliveries recorded' when 25 were."""
    f = tmp_path / "end.prom.csv"
    f.write_text(HEADER + "".join(r + "\n" for r in rows))
    out = tmp_path / "r.svg"
    r = report(f, "--svg", out, "--chart", "rate")
    assert r.returncode == 0, r.stderr
    texts = svg_texts(out)
    assert "no deliveries recorded" not in texts
    assert "success 25, reconsume 2, diverted 1" in texts          # the totals
    if kind == "one write":
        assert "a rate needs at least two writes" in texts
    else:
        assert "all before its first write" in texts and "every rate is 0" in texts


def test_cumulative_chart_of_a_single_write_shows_its_counts(report, tmp_path):
    f = tmp_path / "one.prom.csv"
    f.write_text(HEADER + "1700000000000,25,2,0,0,0,0,1,0\n")
    out = tmp_path / "c.svg"
    assert report(f, "--svg", out).returncode == 0
    root, pls = polylines(out)
    axes = next(g for g in root.iter(f"{SVG}g") if g.get("class") == "axes")
    zero = float(next(iter(axes)).get("y1"))          # the x axis: a count of 0
    ys = {series_of(p)[0]: float(p.get("points").split(",")[1]) for p in pls}
    assert set(ys) == {"success", "reconsume", "diverted"}
    assert ys["success"] < ys["reconsume"] < ys["diverted"] < zero   # 25 > 2 > 1 > 0
    texts = svg_texts(out)
    assert "success 25, reconsume 2, diverted 1" in texts
    assert "a line over time needs at least two writes" in texts
    values = [t.text for t in root.iter(f"{SVG}text") if t.get("class") == "value"]
    assert sorted(values) == ["1", "2", "25"]                     # each mark is labelled


def test_rate_chart_of_nothing_recorded_still_says_so(report, tmp_path):
    f = tmp_path / "zero.prom.csv"
    f.write_text(HEADER + "1700000000000,0,0,0,0,0,0,0,0\n1700000001000,0,0,0,0,0,0,0,0\n")
    out = tmp_path / "z.svg"
    assert report(f, "--svg", out, "--chart", "rate").returncode == 0
    texts = svg_texts(out)
    assert "no deliveries recorded" in texts and "needs at least" not in texts


def test_rate_chart_of_the_real_shim_writing_only_at_the_end(report, tmp_path):
    """The shim with an interval longer than the run: whatever it writes, a
    chart of a run that recorded deliveries never says that none were."""
    _build()
    stats = _run_consumer(tmp_path, "end", {"RECONSUME_STATS_INTERVAL_MS": "600000"})
    csv_path = Path(str(stats) + ".csv")
    assert nonempty_series(csv_path)                    # deliveries were recorded
    success = val(read_prom(stats), "reconsume_deliveries_total", outcome="success")
    for mode in ("rate", "cumulative"):
        out = tmp_path / f"{mode}.svg"
        r = report(stats, "--svg", out, "--chart", mode)
        assert r.returncode == 0, r.stderr
        root, pls = polylines(out)
        texts = svg_texts(out)
        assert "no deliveries recorded" not in texts
        if mode == "rate" and not pls:
            assert f"success {success}" in texts


@pytest.mark.parametrize("content, message", [
    ("", "empty"),
    ("unix_ms,success\n1,2\n", ":1: expected the header"),
    ("unix_ms,success,reconsume,bad_status,exception,signal,injected,diverted,crash_loops\n",
     "no data rows"),
    ("unix_ms,success,reconsume,bad_status,exception,signal,injected,diverted,crash_loops\n"
     "1,2,3\n", ":2: expected 9 unsigned integers"),
])
def test_bad_csv_is_an_input_error(report, tmp_path, content, message):
    f = tmp_path / "s.prom.csv"
    f.write_text(content)
    r = report(f, "--svg", tmp_path / "o.svg")
    assert r.returncode == 2
    assert len(r.stderr.splitlines()) == 1 and message in r.stderr
    assert not (tmp_path / "o.svg").exists()


# ------------------------------------------------------------- promtool ----

PROMTOOL = shutil.which("promtool")
needs_promtool = pytest.mark.skipif(
    PROMTOOL is None, reason="promtool not installed (Debian: apt-get install prometheus); "
    "tools/reconsume-report --check stands in for it")


@needs_promtool
def test_promtool_accepts_the_shims_real_output(shim_stats):
    for path in (shim_stats["base"], shim_stats["inj"], A, B):
        with open(path, "rb") as fh:
            p = subprocess.run([PROMTOOL, "check", "metrics"], stdin=fh, capture_output=True,
                               text=True, timeout=60)
        assert p.returncode == 0, f"{path}: {p.stdout}{p.stderr}"


@needs_promtool
@pytest.mark.parametrize("path", BAD, ids=[p.stem for p in BAD])
def test_promtool_verdict_on_each_malformed_case(path):
    """What promtool makes of each case, as its header says: we are never more
    lenient (every case above fails --check), and the header shows where we
    are stricter (promtool 2.42 accepts duplicates, decreasing buckets, ...)."""
    _, verdict = bad_expectations(path)
    with open(path, "rb") as fh:
        p = subprocess.run([PROMTOOL, "check", "metrics"], stdin=fh, capture_output=True,
                           text=True, timeout=60)
    want = {"accepts": 0, "rejects": 1, "lint only": 3}[re.match(r"[a-z ]+?(?= \()", verdict)[0]]
    assert p.returncode == want, f"{path.name}: promtool said {p.returncode}: {p.stdout}{p.stderr}"
