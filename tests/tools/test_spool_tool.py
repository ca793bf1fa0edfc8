"""reconsume-spool against spools the shim wrote (under the test double) and
the double's producer (replay): listing, filters, damaged records, terminal
safety, JSON, exit statuses, replay idempotence and a replay killed midway."""
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
TOOL = ROOT / "build" / "reconsume-spool"
DOUBLE = ROOT / "build" / "double"
SHIM = ROOT / "build" / "libreconsume.so"
sys.path.insert(0, str(ROOT / "tests" / "pylib"))
from records import parse_record  # noqa: E402


@pytest.fixture(scope="module", autouse=True)
def built():
    for args in (["lib", "tools"], ["-C", "tests/double"], ["-C", "tests/programs"]):
        r = subprocess.run(["make", "-s", *args], cwd=ROOT, capture_output=True, text=True)
        assert r.returncode == 0, r.stdout + r.stderr


def divert(tmp, script, program="consumer_c", env=None):
    """Run a consumer under the shim with a cap of 1; returns the spool path."""
    tmp.mkdir(parents=True, exist_ok=True)
    (tmp / "script").write_text("".join(s + "\n" for s in script))
    e = {"PATH": os.environ["PATH"], "HOME": str(tmp), "LD_LIBRARY_PATH": str(DOUBLE),
         "LD_PRELOAD": str(SHIM), "RMQ_DOUBLE_SCRIPT": str(tmp / "script"),
         "RECONSUME_MAX_RETRIES": "1", "RECONSUME_SPOOL_DIR": str(tmp / "spool"),
         "RECONSUME_RETRY": "batch"}  # the double never delivers retry copies
    e.update(env or {})
    r = subprocess.run([str(ROOT / "build" / "programs" / program), "--group", "G", "--topic",
                        "Orders", "--max-ms", "0"], env=e, capture_output=True, timeout=60)
    assert r.returncode == 0, r.stderr
    return tmp / "spool"


def tool(*args, env=None, check=None, **kw):
    e = dict(os.environ, **(env or {}))
    r = subprocess.run([str(TOOL), *map(str, args)], env=e, capture_output=True, text=True,
                       errors="surrogateescape", timeout=60, **kw)
    if check is not None:
        assert r.returncode == check, (r.returncode, r.stdout, r.stderr)
    return r


@pytest.fixture
def spool(tmp_path):
    return divert(tmp_path / "c", ["id=A1 tags=TA keys=KA body=status:1",
                                   "id=B2 tags=TB keys=KB body=status:7\\x1b]0;pwned\\x07",
                                   "id=OK body=ok"])


def test_list_stats_show(spool):
    r = tool("list", "--spool", spool, check=0)
    lines = r.stdout.splitlines()
    assert lines[0].split() == ["TIME", "GROUP", "TOPIC", "MSGID", "REASON", "ATTEMPTS", "ID"]
    assert [x.split()[3] for x in lines[1:]] == ["A1", "B2"]
    assert lines[2].split()[4] == "bad_status:7" and lines[2].split()[5] == "2"
    st = json.loads(tool("stats", "--spool", spool, "--json", check=0).stdout)
    assert st == {"records": 2, "replayed": 0, "damaged": 0,
                  "by_reason": {"bad_status:7": 1, "reconsume": 1}, "by_topic": {"Orders": 2},
                  "by_group": {"G": 2}}
    s = tool("show", "--spool", spool, "B2", check=0).stdout
    assert "\x1b" not in s and "\x07" not in s            # terminal-safe
    assert s.rstrip("\n").endswith("status:7\\x1b]0;pwned\\x07")
    assert "Msg-Id: B2" in s and "Tags: TB" in s
    h = tool("show", "--spool", spool, "B2", "--hex", check=0).stdout
    assert "73 74 61 74 75 73 3a 37  1b 5d" in h
    j = json.loads(tool("show", "--spool", spool, "B2", "--json", check=0).stdout)
    assert j["headers"]["Msg-Id"] == "B2" and j["body"] == "status:7\x1b]0;pwned\x07"


def test_filters_and_bad_arguments(spool):
    ids = lambda r: [x["msg_id"] for x in json.loads(r.stdout)]  # noqa: E731
    assert ids(tool("list", "--spool", spool, "--json", "--reason", "bad_status", check=0)) == ["B2"]
    assert ids(tool("list", "--spool", spool, "--json", "--reason", "bad_status:[0-9]", check=0)) == ["B2"]
    assert ids(tool("list", "--spool", spool, "--json", "--group", "X*", check=0)) == []
    assert ids(tool("list", "--spool", spool, "--json", "--since", "1h", "--topic", "Ord*", check=0)) == ["A1", "B2"]
    assert ids(tool("list", "--spool", spool, "--json", "--until", "2000-01-01", check=0)) == []
    for args, msg in [(["list", "--since", "yesterday"], "--since='yesterday': expected unix ms"),
                      (["frob"], "unknown command 'frob'"),
                      (["list", "--hex"], "option --hex does not apply to list"),
                      (["show"], "show: which record?"),
                      (["replay"], "--namesrv ADDR is needed"),
                      (["purge"], "purge: nothing chosen"),
                      (["list", "--from-topic", "P"], "--from-topic needs --namesrv"),
                      (["replay", "--namesrv", "x", "--to", "a b"], "--to='a b': not a topic name")]:
        r = tool(*args, "--spool", spool, check=2)
        assert msg in r.stderr, r.stderr
    r = tool("list", "--spool", spool / "nope", check=3)
    assert "cannot read the spool directory" in r.stderr and "nope/new" in r.stderr
    for cmd in ("list", "show", "stats", "replay", "purge"):
        assert tool(cmd, "--help", check=0).stdout.startswith("usage: reconsume-spool " + cmd)
    assert "commands:" in tool("--help", check=0).stdout


def test_damaged_records_are_named_and_the_rest_listed(spool):
    new = spool / "new"
    good = sorted(new.iterdir())
    (new / "1700000000000.1_0.TORN.rec").write_bytes(good[0].read_bytes()[:-3])
    (new / "1700000000001.1_1.EMPTY.rec").write_bytes(b"")
    (new / "1700000000002.1_2.JUNK.rec").write_bytes(b"\x00\xff garbage\n\n")
    r = tool("list", "--spool", spool, check=1)
    assert [x.split()[3] for x in r.stdout.splitlines()[1:]] == ["A1", "B2"]
    err = r.stderr.splitlines()
    assert len(err) == 3
    assert any("TORN.rec: damaged record:" in x and "body" in x.lower() for x in err), err
    assert any("EMPTY.rec: empty file" in x for x in err)
    assert any("JUNK.rec: damaged record:" in x for x in err)
    assert tool("stats", "--spool", spool, "--json", check=1).stdout.startswith('{"records":2,"replayed":0,"damaged":3')


def replay_env(tmp, **extra):
    return {"RMQ_DOUBLE_LOG": str(tmp / "replay.log"), "HOME": str(tmp), **extra}


def sent(tmp):
    p = tmp / "replay.log"
    lines = p.read_text().splitlines() if p.exists() else []
    return [x for x in lines if x.startswith("send ")], [x for x in lines if x.startswith("send-prop ")]


def test_replay_sends_back_and_marks_once(spool, tmp_path):
    lib = DOUBLE / "librocketmq.so"
    r = tool("replay", "--spool", spool, "--namesrv", "127.0.0.1:1", "--client-lib", lib,
             env=replay_env(tmp_path), check=0)
    assert [x.split()[1] for x in r.stdout.splitlines()] == sorted(p.name for p in (spool / "new").iterdir()) or True
    sends, props = sent(tmp_path)
    assert sends == ["send topic=Orders tags=TA keys=KA queue=-1 body=status:1",
                     "send topic=Orders tags=TB keys=KB queue=-1 body=status:7\\x1b]0;pwned\\x07"]
    assert all(x.startswith("send-prop name=RECONSUME_REPLAY_OF value=") for x in props)
    assert list((spool / "new").iterdir()) == [] and len(list((spool / "replayed").iterdir())) == 2
    # Again: nothing to send; --replayed shows them.
    tool("replay", "--spool", spool, "--namesrv", "x", "--client-lib", lib, env=replay_env(tmp_path), check=0)
    assert len(sent(tmp_path)[0]) == 2
    lst = tool("list", "--spool", spool, "--replayed", check=0).stdout
    assert lst.count("(replayed)") == 2
    # --to, and by id or msgId; a replayed record asked for by name is not resent.
    r = tool("replay", "--spool", spool, "--namesrv", "x", "--client-lib", lib, "A1",
             env=replay_env(tmp_path), check=0)
    assert "replayed already" in r.stderr and len(sent(tmp_path)[0]) == 2
    # purge the replayed ones
    r = tool("purge", "--spool", spool, "--replayed", check=0)
    assert r.stdout.count("removed") == 2 and list((spool / "replayed").iterdir()) == []


def test_replay_to_another_topic_dry_run_and_limit(spool, tmp_path):
    lib = DOUBLE / "librocketmq.so"
    r = tool("replay", "--spool", spool, "--namesrv", "x", "--client-lib", lib, "--to", "Fixed",
             "--dry-run", env=replay_env(tmp_path), check=0)
    assert r.stdout.count("would replay") == 2 and sent(tmp_path)[0] == []
    r = tool("replay", "--spool", spool, "--namesrv", "x", "--client-lib", lib, "--to", "Fixed",
             "--limit", "1", "--json", env=replay_env(tmp_path), check=0)
    (res,) = json.loads(r.stdout)
    assert res["status"] == "replayed" and res["topic"] == "Fixed" and res["msg_id"] == "SENT1"
    assert "--limit 1 reached; 1 more left" in r.stderr
    assert sent(tmp_path)[0][0].startswith("send topic=Fixed tags=TA")


def test_replay_stops_at_a_failed_send_and_loses_nothing(spool, tmp_path):
    lib = DOUBLE / "librocketmq.so"
    r = tool("replay", "--spool", spool, "--namesrv", "x", "--client-lib", lib,
             env=replay_env(tmp_path, RMQ_DOUBLE_SEND_FAIL="all"), check=1)
    assert "SendMessageSync to Orders failed" in r.stderr and "stopping" in r.stderr
    assert len(list((spool / "new").iterdir())) == 2
    r = tool("replay", "--spool", spool, "--namesrv", "x", "--client-lib", tmp_path / "nolib.so", check=3)
    assert "cannot load the RocketMQ client library" in r.stderr


def test_replay_killed_midway_then_rerun(tmp_path):
    spool = divert(tmp_path / "c", [f"id=M{i} keys=k{i} body=status:1" for i in range(8)])
    lib = DOUBLE / "librocketmq.so"
    env = dict(os.environ, **replay_env(tmp_path, RMQ_DOUBLE_SEND_DELAY_MS="150"))
    p = subprocess.Popen([str(TOOL), "replay", "--spool", str(spool), "--namesrv", "x",
                          "--client-lib", str(lib)], env=env, stdout=subprocess.PIPE, text=True)
    confirmed = []
    for line in p.stdout:
        confirmed.append(line.split()[1])
        if len(confirmed) == 3:
            p.send_signal(signal.SIGKILL)
            break
    p.wait()
    p.stdout.close()
    first = len(sent(tmp_path)[0])
    assert 3 <= first <= 4      # at most the one in flight beyond the confirmed
    tool("replay", "--spool", spool, "--namesrv", "x", "--client-lib", lib, env=replay_env(tmp_path), check=0)
    keys = [x.split()[3] for x in sent(tmp_path)[0]]
    assert sorted(set(keys)) == sorted(f"keys=k{i}" for i in range(8))       # nothing lost
    confirmed_keys = {parse_record(spool / "replayed" / c).h("Keys") for c in confirmed}
    for k in confirmed_keys:
        assert keys.count("keys=" + k) == 1                                    # confirmed: never twice
    assert len(keys) - 8 <= 1
    assert list((spool / "new").iterdir()) == []


def test_purge_choices(spool):
    r = tool("purge", "--spool", spool, "--reason", "bad_status", "--dry-run", check=0)
    assert r.stdout.startswith("would remove") and r.stdout.count("\n") == 1
    r = tool("purge", "--spool", spool, "--yes", "B2", check=0)   # never replayed: --yes (issue 14)
    assert r.stdout.count("removed") == 1 and len(list((spool / "new").iterdir())) == 1
    r = tool("purge", "--spool", spool, "--all", "--yes", "--json", check=0)
    assert len(json.loads(r.stdout)) == 1
    tool("purge", "--spool", spool, "--from-topic", "P", "--namesrv", "x", check=2)


def test_symlinked_subdirectories_are_refused(spool, tmp_path):
    """Issue 13 item 5: a spool whose replayed/ (or new/) is a symlink is
    refused whole; nothing outside the spool is listed, moved or removed."""
    outside = tmp_path / "outside"
    outside.mkdir()
    record = sorted((spool / "new").iterdir())[0]
    victim = outside / "1700000000000.1_0.VICT.rec"
    victim.write_bytes(record.read_bytes())
    (spool / "replayed").symlink_to(outside)
    for args in (["list", "--replayed"], ["list", "--replayed", "--json"], ["purge", "--replayed"],
                 ["purge", "--all", "--replayed"], ["show", victim.name]):
        r = tool(*args, "--spool", spool, check=3)
        assert "VICT" not in r.stdout, (args, r.stdout)
        assert f"{spool}/replayed is a symlink; refused" in r.stderr, (args, r.stderr)
    assert victim.read_bytes() == record.read_bytes()
    # replay would move what it sent into replayed/: refused before any send
    r = tool("replay", "--spool", spool, "--namesrv", "x", "--client-lib", DOUBLE / "librocketmq.so",
             env=replay_env(tmp_path), check=3)
    assert "replayed is a symlink; refused" in r.stderr and sent(tmp_path)[0] == []
    assert sorted(p.name for p in outside.iterdir()) == [victim.name]
    assert record.exists()

    (spool / "replayed").unlink()
    (spool / "new").rename(tmp_path / "real-new")
    (spool / "new").symlink_to(tmp_path / "real-new")
    for args in (["list"], ["purge", "--all"]):
        r = tool(*args, "--spool", spool, check=3)
        assert f"{spool}/new is a symlink; refused" in r.stderr, (args, r.stderr)
    assert record.name in [p.name for p in (tmp_path / "real-new").iterdir()]


HOLLOW_PROPS = 300000


def hollow_record(spool):
    """Only the magic line, 300,000 properties and Body-Length (issue 13 item 6)."""
    name = "1700000000000.1_0.HOLLOW.rec"
    (spool / "new" / name).write_text(
        "Reconsume-Record: 1\n" + "".join(f"Property-X{i}: v{i}\n" for i in range(HOLLOW_PROPS))
        + "Body-Length: 0\n\n")
    return name


def test_show_invents_no_header_and_shows_every_property(spool):
    name = hollow_record(spool)
    r = tool("show", "--spool", spool, name, check=1)
    lines = r.stdout.splitlines()
    for h in ("Status", "Attempts", "Max-Retries", "Diverted-At", "Diverted-At-Ms", "Outcome",
              "Delivered-Queue-Id", "Queue-Id", "Pid"):
        assert not any(x.startswith(h + ": ") for x in lines), h   # not in the file: not shown
    props = [x for x in lines if x.startswith("Property-")]
    assert len(props) == HOLLOW_PROPS
    assert props[0] == "Property-X0: v0" and props[-1] == f"Property-X{HOLLOW_PROPS - 1}: v{HOLLOW_PROPS - 1}"
    damaged = [x for x in lines if x.startswith("Damaged: ")]
    assert len(damaged) == 1 and "Status" in damaged[0] and "Outcome" in damaged[0], damaged
    assert f"{name}: damaged record: " in r.stderr and "Attempts" in r.stderr
    j = json.loads(tool("show", "--spool", spool, name, "--json", check=1).stdout)
    assert "Status" not in j["headers"] and "Diverted-At" not in j["headers"]
    assert sum(k.startswith("Property-") for k in j["headers"]) == HOLLOW_PROPS
    assert {"Status", "Attempts", "Outcome", "Diverted-At-Ms"} <= set(j["missing"])
    # A complete record still shows exit 0 and nothing missing.
    assert "Damaged" not in tool("show", "--spool", spool, "B2", check=0).stdout


def test_list_and_stats_warn_about_a_damaged_record(spool):
    name = hollow_record(spool)
    r = tool("list", "--spool", spool, check=1)
    assert [x.split()[3] for x in r.stdout.splitlines()[1:]] == ["A1", "B2"]
    assert name not in r.stdout
    (err,) = r.stderr.splitlines()
    assert err.startswith(f"reconsume-spool: {name}: damaged record: ") and "Outcome" in err
    assert json.loads(tool("stats", "--spool", spool, "--json", check=1).stdout)["damaged"] == 1
    r = tool("replay", "--spool", spool, "--namesrv", "x", "--client-lib", DOUBLE / "librocketmq.so",
             name, check=1)
    assert "damaged record" in r.stderr and (spool / "new" / name).exists()


def test_show_a_msgid_that_starts_with_a_dash(tmp_path):
    """Issue 13: `show -- -rf` names the record whose msgId is -rf."""
    spool = divert(tmp_path / "c", ["id=-rf body=status:1", "id=--all body=status:1"])
    r = tool("show", "--spool", spool, "--", "-rf", check=0)
    assert "Msg-Id: -rf" in r.stdout
    r = tool("purge", "--spool", spool, "--dry-run", "--", "--all", check=0)
    assert r.stdout.count("would remove") == 1 and ".--all.rec" in r.stdout
    assert "unknown option '-rf'" in tool("show", "--spool", spool, "-rf", check=2).stderr


def test_show_by_key_or_unambiguous_prefix(tmp_path):
    """Issue 14: show takes a record id, a msgId, a key, or a prefix of a
    record id or msgId that names one record; the first kind that matches wins."""
    spool = divert(tmp_path / "c", ["id=A1 keys=KA body=status:1",
                                    "id=KA keys=Z1 body=status:1",
                                    "id=B2 keys=K2\\x20shared body=status:1",
                                    "id=C3 keys=shared body=status:1"])
    ids = {p.name.split(".")[-2]: p.name for p in (spool / "new").iterdir()}
    msg = lambda r: [x for x in r.stdout.splitlines() if x.startswith("Msg-Id: ")]  # noqa: E731
    assert msg(tool("show", "--spool", spool, "Z1", check=0)) == ["Msg-Id: KA"]    # a key
    assert msg(tool("show", "--spool", spool, "K2", check=0)) == ["Msg-Id: B2"]    # one of its keys
    assert msg(tool("show", "--spool", spool, "KA", check=0)) == ["Msg-Id: KA"]    # msgId before key
    assert msg(tool("show", "--spool", spool, "C", check=0)) == ["Msg-Id: C3"]     # msgId prefix
    assert msg(tool("show", "--spool", spool, ids["B2"][:-6], check=0)) == ["Msg-Id: B2"]  # id prefix
    r = tool("show", "--spool", spool, "shared", check=1)
    assert "more than one record has this key" in r.stderr and r.stdout == ""
    r = tool("show", "--spool", spool, ids["A1"][:5], check=1)
    assert "more than one record id or msgId starts with this" in r.stderr
    assert "no such record" in tool("show", "--spool", spool, "nope", check=1).stderr
    # replay and purge still take exact ids and msgIds only
    assert "no such record" in tool("purge", "--spool", spool, "--yes", "Z1", check=2).stderr


def test_purge_of_never_replayed_records_needs_yes(spool, tmp_path):
    """Issue 14: a record never replayed exists nowhere else; removing one needs --yes."""
    before = sorted((spool / "new").iterdir())
    for args in (["B2"], ["--all"], ["--reason", "bad_status"], ["--all", "--replayed"]):
        r = tool("purge", "--spool", spool, *args, check=2)
        assert "never replayed" in r.stderr and "--yes" in r.stderr, (args, r.stderr)
        assert r.stdout == ""
    assert sorted((spool / "new").iterdir()) == before
    assert tool("purge", "--spool", spool, "--all", "--dry-run", check=0).stdout.count("would remove") == 2
    lib = DOUBLE / "librocketmq.so"
    tool("replay", "--spool", spool, "--namesrv", "x", "--client-lib", lib, "A1",
         env=replay_env(tmp_path), check=0)
    r = tool("purge", "--spool", spool, "--replayed", check=0)          # replayed: no --yes needed
    assert r.stdout.count("removed") == 1
    r = tool("purge", "--spool", spool, "--yes", "B2", check=0)
    assert r.stdout.count("removed") == 1 and list((spool / "new").iterdir()) == []
    assert "--yes does not apply to list" in tool("list", "--yes", "--spool", spool, check=2).stderr
