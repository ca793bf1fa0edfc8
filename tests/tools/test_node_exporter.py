"""Debian's real prometheus-node-exporter scraping the statistics files of
several consumers in one textfile directory (issue 14, section 3).

The files are written by the real shim (build/libreconsume.so) in consumer
processes (build/programs/consumer_c against the test double of the client),
two RECONSUME_STATS paths in one directory. node_exporter runs on a free
loopback port with only the textfile collector; /metrics is fetched and
parsed here.

When two files hold a series of the same name and labels, node_exporter 1.5
still answers 200 and node_textfile_scrape_error 0, but drops the second
file's copy and logs "... was collected before with the same name and label
values": so the test reads node_exporter's log as well as /metrics.

The package is installed by scripts/install-deps.sh test when missing (it
needs root, or sudo).
"""
from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
BUILD = ROOT / "build"
SHIM = Path(os.environ.get("RECONSUME_TEST_SHIM", BUILD / "libreconsume.so"))  # another build: make ... RECONSUME_TEST_SHIM=
CONSUMER = BUILD / "programs" / "consumer_c"
DOUBLE_DIR = BUILD / "double"
EXPORTER = "prometheus-node-exporter"
COLLISION = "was collected before with the same name and label values"

SAMPLE = re.compile(r"^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$")
LABEL = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"')


@pytest.fixture(scope="module")
def exporter() -> str:
    path = shutil.which(EXPORTER) or shutil.which(EXPORTER, path="/usr/bin:/usr/sbin")
    if not path:
        p = subprocess.run([str(ROOT / "scripts" / "install-deps.sh"), "test"],
                           capture_output=True, text=True)
        path = shutil.which(EXPORTER, path="/usr/bin:/usr/sbin")
        if p.returncode != 0 or not path:
            pytest.fail(f"scripts/install-deps.sh test did not install {EXPORTER}:\n"
                        f"{p.stdout}\n{p.stderr}", pytrace=False)
    for t in ("lib", "programs"):
        m = subprocess.run(["make", "-s", t], cwd=ROOT, capture_output=True, text=True)
        assert m.returncode == 0, m.stdout + m.stderr
    return path


def consume(textdir: Path, name: str, group: str, labels: str | None = None) -> Path:
    """One consumer process, to its end: one message acknowledged, one
    diverted at its cap. Its statistics go to textdir/name.prom."""
    run = textdir.parent / f"run-{name}"
    run.mkdir()
    (run / "script").write_text("id=OK body=ok\nid=BAD body=status:1\n")
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(run),
        "XDG_RUNTIME_DIR": str(run),
        "LD_LIBRARY_PATH": str(DOUBLE_DIR),
        "LD_PRELOAD": str(SHIM),
        "RMQ_DOUBLE_SCRIPT": str(run / "script"),
        "RMQ_DOUBLE_LOG": str(run / "double.log"),
        "RECONSUME_MAX_RETRIES": "1",
        "RECONSUME_SPOOL_DIR": str(run / "spool"),
        "RECONSUME_STATS": str(textdir / f"{name}.prom"),
    }
    if labels:
        env["RECONSUME_STATS_LABELS"] = labels
    p = subprocess.run([str(CONSUMER), "--group", group, "--topic", "T", "--idle-ms", "300",
                        "--max-ms", "20000"], env=env, capture_output=True, text=True, timeout=120)
    assert p.returncode == 0, p.stderr
    return textdir / f"{name}.prom"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def scrape(exporter: str, textdir: Path, log: Path) -> str:
    """Start node_exporter on a free loopback port, wait until it answers,
    fetch /metrics once, stop it. Its log (stderr) is in log."""
    for _ in range(5):  # the port may be taken between free_port() and the bind
        port = free_port()
        with log.open("w") as err:
            proc = subprocess.Popen([exporter, f"--web.listen-address=127.0.0.1:{port}",
                                     "--collector.disable-defaults", "--collector.textfile",
                                     f"--collector.textfile.directory={textdir}"],
                                    stdout=subprocess.DEVNULL, stderr=err)
        try:
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline and proc.poll() is None:
                try:
                    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=10) as r:
                        assert r.status == 200
                        return r.read().decode()
                except (urllib.error.URLError, ConnectionError):
                    time.sleep(0.05)
            if proc.poll() is None:
                raise AssertionError(f"node_exporter never answered on port {port}: "
                                     f"{log.read_text()}")
        finally:
            proc.terminate()
            proc.wait(timeout=30)
    raise AssertionError(f"node_exporter did not start: {log.read_text()}")


def parse(text: str) -> list[tuple[str, dict, float]]:
    out = []
    for line in text.splitlines():
        if not line or line.startswith("#"):
            continue
        m = SAMPLE.match(line)
        assert m, f"not a sample line: {line!r}"
        out.append((m.group(1), dict(LABEL.findall(m.group(2) or "")), float(m.group(3))))
    return out


def reconsume_series(samples) -> dict:
    return {(n, tuple(sorted(l.items()))): v for n, l, v in samples if n.startswith("reconsume_")}


def own(series: dict, **labels) -> dict:
    return {k: v for k, v in series.items() if all((n, x) in k[1] for n, x in labels.items())}


def test_two_consumer_groups_in_one_textfile_directory(exporter, tmp_path):
    textdir = tmp_path / "textfile"
    textdir.mkdir()
    orders = consume(textdir, "orders", "orders-g", "service=orders")
    payments = consume(textdir, "payments", "payments-g", "service=payments")
    log = tmp_path / "node_exporter.log"
    samples = parse(scrape(exporter, textdir, log))

    assert COLLISION not in log.read_text(), log.read_text()
    errors = [v for n, l, v in samples if n == "node_textfile_scrape_error"]
    assert errors == [0.0]
    mtimes = {l["file"] for n, l, v in samples if n == "node_textfile_mtime_seconds"}
    assert mtimes == {str(orders), str(payments)}

    series = reconsume_series(samples)
    a = own(series, group="orders-g", service="orders")
    b = own(series, group="payments-g", service="payments")
    assert a and b and not set(a) & set(b)
    # every series of either file is there, once: as many as each file has
    lines = lambda p: [l for l in p.read_text().splitlines() if l and not l.startswith("#")]
    assert len(a) == len(lines(orders)) and len(b) == len(lines(payments))
    assert len(series) == len(a) + len(b)
    for s in (a, b):
        g = dict(s)
        key = lambda name, **l: next(v for (n, ls), v in g.items()
                                     if n == name and all((k, x) in ls for k, x in l.items()))
        assert key("reconsume_up", reason="none") == 1
        assert key("reconsume_max_retries") == 1
        assert key("reconsume_diverted_total") == 1
        assert key("reconsume_deliveries_total", outcome="success") == 1
        assert key("reconsume_build_info") == 1


def test_one_group_twice_collides_without_labels_and_not_with_them(exporter, tmp_path):
    # Two processes of one consumer group on one host: the group alone does
    # not tell them apart (node_exporter drops one and says so in its log);
    # RECONSUME_STATS_LABELS does.
    textdir = tmp_path / "textfile"
    textdir.mkdir()
    consume(textdir, "a", "orders-g")
    consume(textdir, "b", "orders-g")
    log = tmp_path / "node_exporter.log"
    series = reconsume_series(parse(scrape(exporter, textdir, log)))
    assert COLLISION in log.read_text()
    assert len(own(series, group="orders-g")) < 2 * len(
        [l for l in (textdir / "a.prom").read_text().splitlines() if l and not l.startswith("#")])

    for f in textdir.iterdir():
        f.unlink()
    shutil.rmtree(tmp_path / "run-a")
    shutil.rmtree(tmp_path / "run-b")
    consume(textdir, "a", "orders-g", "instance=a")
    consume(textdir, "b", "orders-g", "instance=b")
    samples = parse(scrape(exporter, textdir, log))
    assert COLLISION not in log.read_text(), log.read_text()
    series = reconsume_series(samples)
    assert own(series, instance="a") and own(series, instance="b")
    assert not set(own(series, instance="a")) & set(own(series, instance="b"))
    assert [v for n, l, v in samples if n == "node_textfile_scrape_error"] == [0.0]
