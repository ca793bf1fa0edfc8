"""
The shim's log and statistics files against a hostile or careless host
(issue 13, items 1, 2 and 8):

- no open of a user-named path blocks: a FIFO as RECONSUME_LOG or at
  <RECONSUME_STATS>.csv is refused with one line, and the host runs on;
- a process that never registers a consumer creates no log file;
- a host that closes the shim's log descriptor and reuses its number never
  gets the shim's lines in its own file;
- what reaches the log from the wire is terminal-safe: C0 and C1 controls,
  bidirectional controls and invalid UTF-8 are escaped, valid UTF-8 is kept.
"""
from __future__ import annotations

import os
import re
import stat

import pytest

from conftest import parse_stats, BUILD

POISON = ["id=OK1 body=ok", "id=P1 body=status:1"]
FDREUSE = BUILD / "programs" / "fdreuse"
# Each test's run must end well before this; a hang is the failure.
HANG = 20


def _fifo(path):
    os.mkfifo(path)
    return path


def _still_fifo(path):
    return stat.S_ISFIFO(os.lstat(path).st_mode)


# ---- item 1: nothing blocks, nothing is created -----------------------------

def test_log_fifo_does_not_hang_a_non_consumer(shim_run, tmp_path):
    fifo = _fifo(tmp_path / "log.fifo")
    r = shim_run(["/bin/echo", "hi"], [], {"RECONSUME_LOG": str(fifo)}, timeout=HANG)
    assert (r.returncode, r.stdout, r.stderr) == (0, "hi\n", "")
    assert _still_fifo(fifo)


def test_log_fifo_in_a_consumer_is_refused_with_one_line(shim_run, tmp_path):
    fifo = _fifo(tmp_path / "log.fifo")
    r = shim_run("c", POISON, {"RECONSUME_LOG": str(fifo), "RECONSUME_MAX_RETRIES": "0"},
                 timeout=HANG)
    assert r.returncode == 0
    assert r.statuses("P1") == [0] and len(r.spool) == 1
    refused = [l for l in r.err if "RECONSUME_LOG" in l]
    assert refused == [f"reconsume[{r.pid}]: warn: cannot open RECONSUME_LOG={fifo} "
                       "(not a regular file); logging to stderr"], r.err
    # and the lines it would have written go to stderr instead
    assert any("diverted msgId=P1" in l for l in r.err), r.err
    assert _still_fifo(fifo)


@pytest.mark.parametrize("level", ["info", "debug"])
@pytest.mark.parametrize("prog", [["/bin/true"], ["/bin/echo", "hi"]])
def test_no_log_file_in_a_process_that_never_consumes(shim_run, tmp_path, prog, level):
    log = tmp_path / "shim.log"
    r = shim_run(prog, [], {"RECONSUME_LOG": str(log), "RECONSUME_LOG_LEVEL": level},
                 timeout=HANG)
    assert r.returncode == 0 and r.stderr == ""
    assert not log.exists()


def test_log_file_is_created_at_the_first_registration(shim_run, tmp_path):
    """The other half of the rule: a consumer still gets its log, with the
    lines from before its first registration (the debug 'loaded' line) in it."""
    log = tmp_path / "shim.log"
    r = shim_run("c", POISON, {"RECONSUME_LOG": str(log), "RECONSUME_LOG_LEVEL": "debug",
                               "RECONSUME_MAX_RETRIES": "0"}, timeout=HANG)
    assert r.returncode == 0 and r.stderr == ""
    lines = log.read_text().splitlines()
    assert "loaded:" in lines[0], lines
    assert any("diverted msgId=P1" in l for l in lines), lines
    assert stat.S_IMODE(os.stat(log).st_mode) == 0o600


def test_stats_csv_fifo_does_not_hang_a_consumer(shim_run, tmp_path):
    stats = tmp_path / "stats.prom"
    fifo = _fifo(tmp_path / "stats.prom.csv")
    r = shim_run("c", POISON, {"RECONSUME_STATS": str(stats), "RECONSUME_MAX_RETRIES": "0"},
                 timeout=HANG)
    assert r.returncode == 0
    assert r.statuses("P1") == [0]
    # the statistics themselves are still written, in full
    st = parse_stats(stats)
    assert st['reconsume_deliveries_total{outcome="reconsume"}'] == 1
    assert st["reconsume_diverted_total"] == 1
    refused = [l for l in r.err if "stats.prom.csv" in l]
    assert refused == [f"reconsume[{r.pid}]: warn: cannot append to {fifo} (not a regular file); "
                       "the RECONSUME_STATS series is not written"], r.err
    assert _still_fifo(fifo)


def test_stats_csv_directory_is_refused_too(shim_run, tmp_path):
    stats = tmp_path / "stats.prom"
    (tmp_path / "stats.prom.csv").mkdir()
    r = shim_run("c", POISON, {"RECONSUME_STATS": str(stats)}, timeout=HANG)
    assert r.returncode == 0 and stats.exists()
    assert len([l for l in r.err if "stats.prom.csv" in l]) == 1, r.err


# ---- item 2: a host that closes and reuses the log's descriptor -------------

@pytest.mark.parametrize("level", ["info", "debug"])
def test_host_reusing_the_log_descriptor_never_gets_log_lines(shim_run, tmp_path, level):
    log = tmp_path / "shim.log"
    app = tmp_path / "app"
    app.mkdir()
    r = shim_run([FDREUSE, "--group", "G1", "--topic", "T", "--dir", app], POISON,
                 {"RECONSUME_LOG": str(log), "RECONSUME_LOG_LEVEL": level,
                  "RECONSUME_MAX_RETRIES": "0", "RMQ_DOUBLE_LOG": None,
                  "RECONSUME_STATS": None}, timeout=HANG)
    assert r.returncode == 0, r.stderr
    assert "app files at descriptors 3..10" in r.stdout
    for i in range(8):
        assert (app / f"app.{i}").read_text() == f"app {i} before\napp {i} after\n", i
    lines = log.read_text().splitlines()
    diverted = [l for l in lines if "diverted msgId=P1" in l]
    assert len(diverted) == 2, lines   # one per round: none lost, none in app.*
    reopened = [l for l in lines if "was closed by the host" in l]
    assert len(reopened) == 1 and lines.index(reopened[0]) > lines.index(diverted[0]), lines
    assert r.stderr == ""


def test_host_closing_the_log_descriptor_gets_it_reopened(shim_run, tmp_path):
    log = tmp_path / "shim.log"
    r = shim_run([FDREUSE, "--group", "G1", "--topic", "T", "--dir", tmp_path, "--files", "0"],
                 POISON, {"RECONSUME_LOG": str(log), "RECONSUME_MAX_RETRIES": "0",
                          "RMQ_DOUBLE_LOG": None, "RECONSUME_STATS": None}, timeout=HANG)
    assert r.returncode == 0 and r.stderr == ""
    lines = log.read_text().splitlines()
    assert len([l for l in lines if "diverted msgId=P1" in l]) == 2, lines


# ---- item 8: terminal-safe log lines -----------------------------------------

HOSTILE_IDS = {
    # script spelling (the double's \xNN)  -> what the log must show
    r"C1\x9braw": rb"C1\x9braw",                      # a raw C1 CSI byte: invalid UTF-8
    r"C1\xc2\x9butf8": rb"C1\xc2\x9butf8",            # U+009B, a C1 control, as UTF-8
    r"BIDI\xe2\x80\xaeevil": rb"BIDI\xe2\x80\xaeevil",  # U+202E RIGHT-TO-LEFT OVERRIDE
    r"ISO\xe2\x81\xa6x": rb"ISO\xe2\x81\xa6x",        # U+2066 LEFT-TO-RIGHT ISOLATE
    r"RLM\xe2\x80\x8fx": rb"RLM\xe2\x80\x8fx",        # U+200F RIGHT-TO-LEFT MARK
    r"BAD\xff\xc3": rb"BAD\xff\xc3",                  # invalid and truncated UTF-8
    r"OVER\xc0\xafx": rb"OVER\xc0\xafx",              # an overlong '/'
    r"ESC\x1b[31mx": rb"ESC\x1b[31mx",                # C0, as before
    r"OK\xc3\xa9\xe4\xb8\xad": "OK\u00e9\u4e2d".encode(),  # valid UTF-8 stays as it is
}


def test_log_escapes_c1_bidi_and_invalid_utf8(shim_run, tmp_path):
    script = [f"id={i} body=status:1" for i in HOSTILE_IDS]
    log = tmp_path / "shim.log"
    r = shim_run("c", script, {"RECONSUME_MAX_RETRIES": "0", "RECONSUME_LOG": str(log)},
                 timeout=HANG)
    assert r.returncode == 0
    raw = log.read_bytes()
    lines = [l for l in raw.split(b"\n") if b"diverted msgId=" in l]
    assert len(lines) == len(HOSTILE_IDS), raw
    for want in HOSTILE_IDS.values():
        assert any(b"msgId=" + want + b" " in l for l in lines), (want, lines)
    for l in lines:
        l.decode("utf-8")                  # every line is valid UTF-8 ...
        assert not re.search(rb"[\x00-\x1f\x7f]", l), l
        for bad in (b"\xc2\x9b", b"\xe2\x80\xae", b"\xe2\x81\xa6", b"\xe2\x80\x8f"):
            assert bad not in l, l         # ... with no C1 or bidi control in it
