"""End to end (issue 14 section 4): `reconsume-spool replay --to-group G`
against the real client (RECONSUME_CLIENT_VERSION, default 1.2.3) and a real
broker. Two groups consume one topic; G1 diverts a message, G2 consumes it.
Replayed to G1 alone (%RETRY%G1 with RETRY_TOPIC), it reaches G1's consumer
with its original topic, and not G2's, which still gets a marker sent to the
topic afterwards (so it was listening). The tool's client logs go to its own
directory, not $HOME/logs.
Run: python3 -m pytest tests/real/test_redrive_e2e.py -q
"""
import os
import subprocess
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
from test_topic_sink_e2e import CONSUMER, ROOT, SHIM, TOOL, built, delivered  # noqa: E402,F401


def consumer(s, d, topic, group, env, idle_ms=8000):
    d.mkdir(parents=True, exist_ok=True)
    e = {"HOME": str(d / "home"), "RECONSUME_SPOOL_DIR": str(d / "spool"), "LD_PRELOAD": str(SHIM)}
    e.update(env)
    return s.run_consumer([CONSUMER, "--namesrv", s.namesrv, "--topic", topic, "--group", group,
                           "--idle-ms", str(idle_ms), "--max-ms", "120000"], e)


def test_replay_to_one_group_reaches_that_group_alone(real_stack, tmp_path):
    s = real_stack
    topic, g1, g2 = s.unique("rg_t"), s.unique("rg_a"), s.unique("rg_b")
    s.prepare(topic, g1)
    s.prepare(topic, g2)
    bad = consumer(s, tmp_path / "a", topic, g1, {"RECONSUME_MAX_RETRIES": "0"})
    good = consumer(s, tmp_path / "b", topic, g2, {"CONSUMER_FIXED": "1"})
    s.send(topic, [("T", "poison", "status:1")])
    assert bad.wait(150) == 0 and good.wait(150) == 0
    assert [d["keys"] for d in delivered(good)] == ["poison"]
    spool = tmp_path / "a" / "spool"
    assert len(list((spool / "new").iterdir())) == 1

    home = tmp_path / "toolhome"
    home.mkdir()
    env = s.client_env({"HOME": str(home)})
    env.pop("XDG_STATE_HOME", None)
    env.pop("ROCKETMQ_CLIENT_LOG_DIR", None)
    r = subprocess.run([str(TOOL), "replay", "--spool", str(spool), "--namesrv", s.namesrv,
                        "--client-lib", str(s.client_dir / "librocketmq.so"), "--to-group", g1],
                       env=env, capture_output=True, text=True, timeout=180)
    assert r.returncode == 0, r.stdout + r.stderr
    assert r.stdout.count("replayed ") == 1 and f"-> %RETRY%{g1}" in r.stdout, r.stdout
    assert "replay: sent 1 of 1" in r.stderr
    assert not (home / "logs").exists()
    logs = home / ".local/state/reconsume/client-logs"
    assert any(p.is_file() for p in logs.rglob("*")), "the client wrote no log there"

    fixed1 = consumer(s, tmp_path / "fa", topic, g1, {"CONSUMER_FIXED": "1"})
    fixed2 = consumer(s, tmp_path / "fb", topic, g2, {"CONSUMER_FIXED": "1"})
    fixed1.wait_for(lambda _: any(d["keys"] == "poison" for d in delivered(fixed1)), 90)
    s.send(topic, [("T", "marker", "ok")])
    fixed2.wait_for(lambda _: any(d["keys"] == "marker" for d in delivered(fixed2)), 90)
    assert fixed1.wait(150) == 0 and fixed2.wait(150) == 0
    got1 = [d for d in delivered(fixed1) if d["keys"] == "poison"]
    assert len(got1) == 1 and got1[0]["topic"] == topic, delivered(fixed1)
    assert [d["keys"] for d in delivered(fixed2)] == ["marker"], delivered(fixed2)
