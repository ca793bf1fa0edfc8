"""Issue 14 section 4, "redrive like SQS": reconsume-spool replay's --rate,
progress line, summary line, --dry-run without a name server, copies of
one message replayed once, --to-group, and the client's logs kept out of
$HOME/logs. Against the test double, whose log has every send."""
import json
import os
import pty
import select
import shutil
import subprocess
import time

import pytest

from test_spool_tool import DOUBLE, ROOT, TOOL, built, divert, replay_env, sent, tool  # noqa: F401

LIB = DOUBLE / "librocketmq.so"


@pytest.fixture
def spool(tmp_path):
    return divert(tmp_path / "c", ["id=A1 tags=TA keys=KA body=status:1",
                                   "id=B2 tags=TB keys=KB body=status:7"])


def copy_record(spool, msg_id, n):
    """n more records of msg_id's record, as a kill between record and ack
    leaves them (same message, another file name)."""
    (src,) = [p for p in (spool / "new").iterdir() if p.name.endswith(f".{msg_id}.rec")]
    stamp, rest = src.name.split(".", 1)
    for i in range(n):
        shutil.copyfile(src, src.with_name(f"{int(stamp) + 1 + i}.{rest}"))


def replay(spool, tmp, *args, env=None, check=0):
    return tool("replay", "--spool", spool, "--namesrv", "127.0.0.1:1", "--client-lib", LIB,
                *args, env=replay_env(tmp, **(env or {})), check=check)


def test_rate_paces_the_sends(tmp_path):
    spool = divert(tmp_path / "c", [f"id=M{i} body=status:1" for i in range(6)])
    p = subprocess.Popen([str(TOOL), "replay", "--spool", str(spool), "--namesrv", "x",
                          "--client-lib", str(LIB), "--rate", "5/s"],
                         env=dict(os.environ, **replay_env(tmp_path)), stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, text=True)
    at = []
    for line in p.stdout:          # one line per confirmed send, as it happens
        assert line.startswith("replayed ")
        at.append(time.monotonic())
    assert p.wait(timeout=60) == 0
    assert len(at) == 6 and len(sent(tmp_path)[0]) == 6
    # Send k goes at k/5 s after the first: the sixth a second after it.
    assert at[-1] - at[0] >= 0.9, at
    err = p.stderr.read()
    assert "replay: sent 6 of 6 in " in err and "\r" not in err and "ETA" not in err  # a pipe


def test_progress_line_on_a_terminal_only(spool, tmp_path):
    master, slave = pty.openpty()
    p = subprocess.Popen([str(TOOL), "replay", "--spool", str(spool), "--namesrv", "x",
                          "--client-lib", str(LIB)], env=dict(os.environ, **replay_env(tmp_path)),
                         stdout=subprocess.DEVNULL, stderr=slave)
    os.close(slave)
    out = b""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        r, _, _ = select.select([master], [], [], 1)
        if not r:
            if p.poll() is not None:
                break
            continue
        try:
            chunk = os.read(master, 4096)
        except OSError:            # EIO: the tool exited, the terminal closed
            break
        if not chunk:
            break
        out += chunk
    os.close(master)
    assert p.wait(timeout=60) == 0
    text = out.decode()
    assert "replay: 1/2 sent, " in text and "ETA" in text and "2/2 sent" in text, text
    assert "replay: sent 2 of 2" in text
    # In a pipe: the summary only.
    r = replay(spool, tmp_path)
    assert r.stderr == "reconsume-spool: replay: nothing left to send\n"


def test_summary_line_always(spool, tmp_path):
    r = replay(spool, tmp_path, "--limit", "1")
    assert r.stderr.splitlines()[-1].startswith("reconsume-spool: replay: sent 1 of 1 in ")
    assert "1 left by --limit" in r.stderr
    r = replay(spool, tmp_path)
    assert r.stderr.splitlines()[-1].startswith("reconsume-spool: replay: sent 1 of 1 in ")
    r = replay(spool, tmp_path)
    assert r.stderr == "reconsume-spool: replay: nothing left to send\n" and r.stdout == ""
    assert len(sent(tmp_path)[0]) == 2


def test_dry_run_needs_no_name_server_and_no_client(spool, tmp_path):
    r = tool("replay", "--spool", spool, "--dry-run", "--client-lib", tmp_path / "none.so",
             env=replay_env(tmp_path), check=0)
    assert [x.split()[-1] for x in r.stdout.splitlines()] == ["Orders", "Orders"], r.stdout
    assert r.stdout.count("would replay ") == 2
    assert "dry run: would send 2 messages; nothing was sent" in r.stderr
    assert "cannot load" not in r.stderr and sent(tmp_path)[0] == []
    assert len(list((spool / "new").iterdir())) == 2
    r = tool("replay", "--spool", spool, "--dry-run", "--to-group", "G2", "--json",
             env=replay_env(tmp_path), check=0)
    assert {x["topic"] for x in json.loads(r.stdout)} == {"%RETRY%G2"}


def test_copies_of_one_message_are_listed_once_and_replayed_once(spool, tmp_path):
    copy_record(spool, "A1", 2)
    assert len(list((spool / "new").iterdir())) == 4
    lines = tool("list", "--spool", spool, check=0).stdout.splitlines()[1:]
    assert [x.split()[3] for x in lines] == ["A1", "B2"]
    assert lines[0].endswith("(3 copies)") and "copies" not in lines[1]
    j = json.loads(tool("list", "--spool", spool, "--json", check=0).stdout)
    assert [(x["msg_id"], x["copies"]) for x in j] == [("A1", 3), ("B2", 1)]
    r = replay(spool, tmp_path)
    assert [x.split()[3] for x in sent(tmp_path)[0]] == ["keys=KA", "keys=KB"]
    assert r.stdout.count("replayed ") == 2 and r.stdout.count("marked ") == 2
    assert "2 duplicate records marked with them" in r.stderr
    assert list((spool / "new").iterdir()) == [] and len(list((spool / "replayed").iterdir())) == 4
    r = replay(spool, tmp_path)
    assert len(sent(tmp_path)[0]) == 2 and "nothing left to send" in r.stderr


def test_a_msgid_with_copies_names_the_message(spool, tmp_path):
    copy_record(spool, "A1", 2)
    assert "Msg-Id: A1" in tool("show", "--spool", spool, "A1", check=0).stdout
    r = replay(spool, tmp_path, "A1")
    assert [x.split()[3] for x in sent(tmp_path)[0]] == ["keys=KA"]
    assert r.stdout.count("marked ") == 2
    assert [p.name.split(".")[-2] for p in (spool / "new").iterdir()] == ["B2"]


def test_a_copy_of_a_message_replayed_already_is_marked_not_sent(spool, tmp_path):
    """A run killed after sending a message and before marking its copies."""
    copy_record(spool, "A1", 1)
    (first,) = [p for p in sorted((spool / "new").iterdir()) if p.name.endswith(".A1.rec")][:1]
    (spool / "replayed").mkdir(exist_ok=True)
    first.rename(spool / "replayed" / first.name)
    r = tool("replay", "--spool", spool, "--dry-run", env=replay_env(tmp_path), check=0)
    assert "would mark " in r.stdout and r.stdout.count("would replay ") == 1
    replay(spool, tmp_path)
    assert [x.split()[3] for x in sent(tmp_path)[0]] == ["keys=KB"]
    assert list((spool / "new").iterdir()) == [] and len(list((spool / "replayed").iterdir())) == 3


def test_to_group_sends_to_its_retry_topic(spool, tmp_path):
    r = replay(spool, tmp_path, "--to-group", "G2", "A1")
    sends, props = sent(tmp_path)
    assert sends == ["send topic=%RETRY%G2 tags=TA keys=KA queue=-1 body=status:1"]
    assert "send-prop name=RETRY_TOPIC value=Orders" in props
    assert "replayed " in r.stdout and "-> %RETRY%G2" in r.stdout
    assert "--to and --to-group" in replay(spool, tmp_path, "--to", "T", "--to-group", "G2",
                                           check=2).stderr


@pytest.fixture(scope="module")
def logpath_lib(tmp_path_factory):
    out = tmp_path_factory.mktemp("logpath") / "librocketmq-logpath.so"
    subprocess.run(["cc", "-std=c11", "-Wall", "-Wextra", "-Werror", "-shared", "-fPIC", "-o",
                    str(out), str(ROOT / "tests" / "tools" / "logpath_client.c"),
                    "-L" + str(DOUBLE), "-Wl,--no-as-needed", "-lrocketmq", "-Wl,-rpath," + str(DOUBLE), "-ldl"],
                   check=True)
    return out


@pytest.mark.parametrize("xdg", [False, True])
def test_client_logs_go_to_the_tools_own_directory(spool, tmp_path, logpath_lib, xdg):
    home = tmp_path / "home"
    home.mkdir()
    want = (tmp_path / "xdg" / "reconsume" if xdg else home / ".local" / "state" / "reconsume") \
        / "client-logs"
    env = {k: v for k, v in os.environ.items() if k not in ("XDG_STATE_HOME", "ROCKETMQ_CLIENT_LOG_DIR")}
    env.update(replay_env(tmp_path), HOME=str(home), LOGPATH_LOG=str(tmp_path / "seen"))
    if xdg:
        env["XDG_STATE_HOME"] = str(tmp_path / "xdg")
    r = subprocess.run([str(TOOL), "replay", "--spool", str(spool), "--namesrv", "x",
                        "--client-lib", str(logpath_lib)], env=env, capture_output=True, text=True,
                       timeout=60)
    assert r.returncode == 0, r.stderr
    seen = dict(x.split(" ", 1) for x in (tmp_path / "seen").read_text().splitlines())
    assert seen == {"home": str(want), "client_log_dir": str(want), "log_path": str(want)}, seen
    assert want.is_dir() and (want.stat().st_mode & 0o777) == 0o700
    assert not (home / "logs").exists() and len(sent(tmp_path)[0]) == 2
