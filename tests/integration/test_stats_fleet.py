"""The statistics file of one process among many (issue 14, section 3): every
series labelled with the process's consumer groups and RECONSUME_STATS_LABELS,
reconsume_up / reconsume_build_info / reconsume_max_retries (also in
pass-through), and a write at the first delivery, not only on the interval."""
from __future__ import annotations

import re
import subprocess
import sys
import time
from pathlib import Path

import pytest

from conftest import BUILD, ROOT, parse_stats, wait_for
from test_shim_api import py

SAMPLE = re.compile(r"^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{.*\})? (\S+)$")
LABEL = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"')
REPORT = ROOT / "tools" / "reconsume-report"


def samples(text: str) -> list[tuple[str, dict, str]]:
    out = []
    for line in text.splitlines():
        if line.startswith("#") or not line:
            continue
        m = SAMPLE.match(line)
        assert m, line
        out.append((m.group(1), dict(LABEL.findall(m.group(2) or "")), m.group(3)))
    return out


def check(path: Path) -> None:
    """The project's own exposition check (tools/report --check), and
    promtool's where it is installed."""
    p = subprocess.run([sys.executable, str(REPORT), "--check", str(path)], capture_output=True,
                       text=True)
    assert p.returncode == 0, p.stdout + p.stderr
    from shutil import which
    if which("promtool"):
        p = subprocess.run(["promtool", "check", "metrics"], input=path.read_text(),
                           capture_output=True, text=True)
        assert p.returncode == 0, p.stdout + p.stderr


def test_every_series_has_the_group_and_the_operators_labels(shim_run):
    r = shim_run("c", ["id=M1 body=status:1", "id=M2 body=ok"],
                 {"RECONSUME_MAX_RETRIES": "1", "RECONSUME_STATS_LABELS": "service=orders,zone=a"},
                 group="orders-g")
    assert r.returncode == 0
    s = samples(r.stats_path.read_text())
    assert len(s) > 30
    for name, labels, _ in s:
        assert labels.get("service") == "orders" and labels.get("zone") == "a", (name, labels)
        assert labels.get("group") == "orders-g", (name, labels)
    check(r.stats_path)
    st = parse_stats(r.stats_path, keep_process_labels=True)
    assert st['reconsume_up{group="orders-g",service="orders",zone="a",reason="none"}'] == 1
    assert st['reconsume_max_retries{group="orders-g",service="orders",zone="a"}'] == 1
    assert st['reconsume_diverted_total{group="orders-g",service="orders",zone="a"}'] == 1


def test_build_info_is_the_version_of_the_tools(shim_run):
    r = shim_run("c", ["id=M1 body=ok"])
    version = subprocess.run([str(BUILD / "reconsume"), "--version"], capture_output=True,
                             text=True).stdout.split()[1].rstrip(",")
    assert r.stats[f'reconsume_build_info{{version="{version}"}}'] == 1


def test_two_groups_in_one_process_are_joined(shim_run):
    code = """
    a, b = consumer("G2"), consumer("G1")
    cb = returning(0, "cb")  # kept alive while the consumers run
    for c in (a, b):
        assert api.RegisterMessageCallback(c, cb) == 0
    for c in (a, b):
        assert api.StartPushConsumer(c) == 0
    for c in (a, b):
        api.ShutdownPushConsumer(c); api.DestroyPushConsumer(c)
    """
    r = py(shim_run, code, ["id=M1 body=ok"])
    assert r.returncode == 0, r.stderr
    st = parse_stats(r.stats_path, keep_process_labels=True)
    assert st['reconsume_registrations_total{group="G1,G2"}'] == 2
    # the detail keeps each group of its own
    assert {k for k in st if k.startswith("reconsume_topic_deliveries_total")} == {
        f'reconsume_topic_deliveries_total{{group="{g}",topic="T",outcome="success",injected="false"}}'
        for g in ("G1", "G2")}


def test_label_values_are_escaped(shim_run):
    r = shim_run("c", ["id=M1 body=ok"], {"RECONSUME_STATS_LABELS": 'note=say "hi" \\ ok,x=é'})
    text = r.stats_path.read_text()
    assert 'note="say \\"hi\\" \\\\ ok",x="é"' in text
    check(r.stats_path)


@pytest.mark.parametrize("value,why", [
    ("service", "pair 1 has no '='"),
    ("9lives=x", "'9lives' is not a label name"),
    ("my-label=x", "'my-label' is not a label name"),
    ("__name__=x", "names starting with __ are reserved"),
    ("group=x", "'group' is a label the shim sets itself"),
    ("a=1,a=2", "label 'a' is given twice"),
    ("a=", "label 'a' has an empty value"),
    ("a=x\x01y", "a control character or invalid UTF-8 at byte 2"),
    ("a=x,", "pair 2 has no '='"),
])
def test_a_bad_label_names_the_variable_and_what_is_accepted(shim_run, value, why):
    r = shim_run("c", ["id=M1 body=status:1"], {"RECONSUME_STATS_LABELS": value})
    assert len(r.err) == 1, r.err
    line = r.err[0]
    assert line.startswith(f"reconsume[{r.pid}]: error: RECONSUME_STATS_LABELS: "), line
    assert why in line, line
    assert line.endswith("; shim disabled (pass-through)")
    # pass-through, and the file says so (with the group, noted at the
    # registration, and none of the operator's labels: they were not valid)
    assert r.statuses("M1") == [1] * 17
    st = parse_stats(r.stats_path, keep_process_labels=True)
    assert st['reconsume_up{group="G1",reason="config-invalid"}'] == 0


def test_pass_through_after_a_refused_spool_is_in_the_file(shim_run):
    d = shim_run.tmp / "open-spool"  # a directory of the run's own, 0777
    d.mkdir()
    d.chmod(0o777)
    r = shim_run("c", ["id=M1 body=status:1"], {"RECONSUME_SPOOL_DIR": str(d),
                                                  "RECONSUME_STATS_LABELS": "service=pay"})
    assert any("writable by group/others" in l for l in r.err), r.err
    st = parse_stats(r.stats_path, keep_process_labels=True)
    assert st['reconsume_up{group="G1",service="pay",reason="spool-refused"}'] == 0
    assert st['reconsume_max_retries{group="G1",service="pay"}'] == 16
    check(r.stats_path)


def test_written_at_the_first_delivery_not_only_on_the_interval(shim_run):
    # An hour-long interval: before the change the file appeared only when
    # the consumer was destroyed. It must show the first delivery while the
    # process still runs.
    seen = {}

    def first_delivery_in_file(proc, d):
        stats = d / "stats.prom"

        def counted():
            st = parse_stats(stats) if stats.exists() else None
            return bool(st) and st.get('reconsume_deliveries_total{outcome="success"}', 0) >= 1
        wait_for(counted, timeout=20, what="the first delivery in the stats file")
        # the consumer was not shut down yet (the destroy writes the file too)
        seen["running"] = "shutdown group=" not in (d / "double.log").read_text()
        seen["up"] = parse_stats(stats).get('reconsume_up{reason="none"}')

    r = shim_run("c", ["id=M1 body=ok"], {"RECONSUME_STATS_INTERVAL_MS": "3600000"},
                 args=["--group", "G1", "--topic", "T", "--max-ms", "4000"],
                 during=first_delivery_in_file)
    assert r.returncode == 0
    assert seen == {"running": True, "up": 1}
