"""stack.py - the real RocketMQ stack for end-to-end tests (pytest fixtures).

Use from a test module (or a conftest.py) anywhere in the repo:

    import sys, pathlib
    sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[N] / "tests" / "real"))
    from stack import real_stack  # noqa: F401  (session fixture)

    def test_x(real_stack):
        topic, group = real_stack.unique("T"), real_stack.unique("G")
        real_stack.prepare(topic, group)          # topic + %RETRY%group, routes known at once
        real_stack.send(topic, [("TagA", "k1", "body")])
        c = real_stack.run_consumer([prog, ...], env={"LD_PRELOAD": lib})
        c.wait_for(lambda lines: ..., timeout=30)
        c.stop()
        assert real_stack.dlq_count(group) == 1

Environment:
  RECONSUME_BROKER_LINE    4.9 (default) or 5: which broker line to start
  RECONSUME_CLIENT_VERSION 1.2.3 (default) or 2.1.0: which librocketmq.so
                           programs run against (LD_LIBRARY_PATH)
  RECONSUME_REAL_KEEP      1: keep the broker's temporary folder after the run

The session fixture fetches what is missing (Maven Central, PyPI), builds
build/real/producer and build/real/smoke_consumer, starts a name server and a
broker on free loopback ports in a temporary folder, waits until they serve
(the broker registered, a topic's route served by the name server, a send
accepted: broker.sh wait), and always stops them at the end (also when a
test fails or is interrupted).

Nothing waits a fixed time: create_topic/prepare return once the name server
serves the new routes, and send retries a failed send until its deadline;
each says what it waited for when it gives up.
"""
import itertools
import os
import random
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import pytest

REAL_DIR = Path(__file__).resolve().parent
REPO_ROOT = REAL_DIR.parent.parent
BUILD_REAL = REPO_ROOT / "build" / "real"
sys.path.insert(0, str(REAL_DIR))
import rmq_remoting  # noqa: E402

DELIVERY_RE = re.compile(r"(\w+)=(\S*)")


def _port_free(port):
    """True when PORT can be bound on every address (the 4.9 broker binds 0.0.0.0)."""
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        s.bind(("0.0.0.0", port))
        return True
    except OSError:
        return False
    finally:
        s.close()


def pick_ports():
    """A name server port and a broker port P with P-2, P, P+1 free."""
    rnd = random.Random(os.getpid() ^ int(time.time()))
    for _ in range(200):
        ns = rnd.randrange(20000, 29000)
        br = rnd.randrange(30002, 39000)
        if all(_port_free(p) for p in (ns, br - 2, br, br + 1)):
            return ns, br
    raise RuntimeError("no free ports found")


def parse_delivery(line):
    """'deliver n=1 ms=.. msgid=..' (smoke_consumer) -> dict; None for other lines.
    body= may contain spaces: it runs up to ' reconsume='."""
    if not line.startswith("deliver "):
        return None
    m = re.match(r"deliver (.*) body=(.*) (reconsume=.*)$", line)
    if not m:
        return None
    d = dict(DELIVERY_RE.findall(m.group(1) + " " + m.group(3)))
    d["body"] = m.group(2)
    for k in ("n", "reconsume", "queue", "offset", "seen"):
        if k in d:
            d[k] = int(d[k])
    return d


class ConsumerProcess:
    """A consumer program run in the background; stdout lines are collected."""

    def __init__(self, argv, env, cwd=None):
        self.argv = argv
        self.proc = subprocess.Popen(argv, env=env, cwd=cwd, stdout=subprocess.PIPE,
                                     stderr=subprocess.PIPE, text=True, errors="replace",
                                     start_new_session=True)
        self.lines = []
        self.err_lines = []
        self._cv = threading.Condition()
        self._threads = [threading.Thread(target=self._pump, args=(self.proc.stdout, self.lines), daemon=True),
                         threading.Thread(target=self._pump, args=(self.proc.stderr, self.err_lines), daemon=True)]
        for t in self._threads:
            t.start()

    def _pump(self, stream, sink):
        for line in stream:
            with self._cv:
                sink.append(line.rstrip("\n"))
                self._cv.notify_all()
        with self._cv:
            self._cv.notify_all()

    def wait_for(self, pred, timeout=30.0):
        """Waits until pred(lines) is true; returns the lines. Raises on timeout
        or when the process has exited without pred becoming true."""
        deadline = time.monotonic() + timeout
        with self._cv:
            while True:
                if pred(list(self.lines)):
                    return list(self.lines)
                if self.proc.poll() is not None and not any(t.is_alive() for t in self._threads):
                    raise AssertionError("consumer exited (%s) before the condition; stdout:\n%s\nstderr:\n%s"
                                         % (self.proc.returncode, "\n".join(self.lines[-30:]),
                                            "\n".join(self.err_lines[-30:])))
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError("timeout after %.0fs; stdout:\n%s\nstderr:\n%s"
                                         % (timeout, "\n".join(self.lines[-30:]),
                                            "\n".join(self.err_lines[-30:])))
                self._cv.wait(min(left, 0.2))

    def deliveries(self):
        return [d for d in (parse_delivery(x) for x in list(self.lines)) if d]

    def wait(self, timeout=60.0):
        """Waits for the process to exit; returns its exit status."""
        try:
            rc = self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.stop()
            raise AssertionError("consumer did not exit within %.0fs" % timeout)
        for t in self._threads:
            t.join(5)
        return rc

    def stop(self, grace=5.0):
        """SIGTERM, then SIGKILL after GRACE seconds. Returns the exit status."""
        if self.proc.poll() is None:
            try:
                os.killpg(self.proc.pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
            try:
                self.proc.wait(grace)
            except subprocess.TimeoutExpired:
                try:
                    os.killpg(self.proc.pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
                self.proc.wait(5)
        for t in self._threads:
            t.join(5)
        return self.proc.returncode


class RealStack:
    """A running name server + broker, and helpers to drive them."""

    def __init__(self, line, client_version, basedir, ns_port, br_port):
        self.line = line
        self.client_version = client_version
        self.basedir = Path(basedir)
        self.namesrv = "127.0.0.1:%d" % ns_port
        self.broker = "127.0.0.1:%d" % br_port
        self.client_dir = BUILD_REAL / ("client-" + client_version)
        self.producer_bin = BUILD_REAL / "producer"
        self.smoke_consumer_bin = BUILD_REAL / "smoke_consumer"
        self.home = self.basedir / "clienthome"   # HOME of client programs (their logs)
        self.home.mkdir(parents=True, exist_ok=True)
        self._seq = itertools.count(1)
        self._consumers = []

    @classmethod
    def for_existing(cls, namesrv, client_version=None):
        """A stack for a name server that is already running elsewhere (the
        demo's RECONSUME_DEMO_NAMESRV): the client is fetched and the
        programs built, nothing is started; broker-side helpers are off."""
        client_version = client_version or os.environ.get("RECONSUME_CLIENT_VERSION", "1.2.3")
        _run([REAL_DIR / "fetch-client.sh", "1.2.3"], timeout=600)
        if client_version != "1.2.3":
            _run([REAL_DIR / "fetch-client.sh", client_version], timeout=600)
        _run(["make", "-s", "-C", REAL_DIR], timeout=600)
        st = cls("existing", client_version, tempfile.mkdtemp(prefix="reconsume-client-"), 0, 0)
        st.namesrv = namesrv
        st.broker = None
        return st

    # -- names -------------------------------------------------------------
    def unique(self, prefix="t"):
        """A topic/group name unique to this run: [A-Za-z0-9_] only.

        It always starts with "r": client 2.1.0 passes the topic name
        "%RETRY%<group>" to printf as a format in its rebalance log, so a group
        named "s..." or "n..." makes it read "%s" or "%n" and crash (seen here,
        without the shim too). "%r" is printed as it is."""
        return "r%s_%d_%d_%04x" % (re.sub(r"[^A-Za-z0-9_]", "_", prefix), os.getpid(),
                                   next(self._seq), random.getrandbits(16))

    # -- broker side ---------------------------------------------------------
    def create_topic(self, topic, queues=4, timeout=30.0):
        """Creates TOPIC on the broker and returns once the name server serves
        its route (what a client asks first); AssertionError after TIMEOUT s."""
        rmq_remoting.create_topic(self.broker, topic, queues)
        self.wait_route(topic, timeout)

    def wait_route(self, topic, timeout=30.0):
        poll_until(lambda: rmq_remoting.route_served(self.namesrv, topic, self.broker),
                   "the name server %s to route %s to the broker %s" % (self.namesrv, topic, self.broker),
                   timeout)

    def prepare(self, topic, group, queues=4):
        """Creates TOPIC and %RETRY%GROUP so that a consumer started next knows
        both routes at once (else the client finds them only at its next route
        refresh, up to 30 s later)."""
        self.create_topic(topic, queues)
        self.create_topic("%RETRY%" + group, 1)

    def count(self, topic):
        """Messages in TOPIC (sum of max-min offsets over its queues), 0 if absent."""
        return rmq_remoting.topic_count(self.broker, topic)

    def dlq_count(self, group):
        return self.count("%DLQ%" + group)

    def retry_count(self, group):
        return self.count("%RETRY%" + group)

    def wait_count(self, topic, expected, timeout=15.0):
        deadline = time.monotonic() + timeout
        while True:
            n = self.count(topic)
            if n >= expected or time.monotonic() > deadline:
                return n
            time.sleep(0.2)

    def mqadmin(self, *args, check=True, timeout=120):
        """Runs the admin tool (tests/real/mqadmin.sh) against this name server."""
        env = dict(os.environ, RECONSUME_NAMESRV=self.namesrv,
                   RECONSUME_MQADMIN_HOME=str(self.basedir / "mqadmin"))
        r = subprocess.run([str(REAL_DIR / "mqadmin.sh"), self.line] + list(args), env=env,
                           capture_output=True, text=True, timeout=timeout)
        if check and r.returncode != 0:
            raise AssertionError("mqadmin %s failed (%d):\n%s%s" % (args, r.returncode, r.stdout, r.stderr))
        return r.stdout

    def mqadmin_topic_count(self, topic):
        """Message count of TOPIC from `mqadmin topicStatus` (a JVM: ~3 s)."""
        out = self.mqadmin("topicStatus", "-t", topic, check=False)
        total = 0
        for line in out.splitlines():
            f = line.split()
            if len(f) >= 4 and f[1].isdigit() and f[2].isdigit() and f[3].isdigit():
                total += int(f[3]) - int(f[2])
        return total

    # -- client side ---------------------------------------------------------
    def client_env(self, extra=None):
        """Environment for a program linked with -lrocketmq: the real library
        first in LD_LIBRARY_PATH, HOME (1.2.3 logs) and ROCKETMQ_CLIENT_LOG_DIR
        (2.1.0 logs) inside the run's folder."""
        env = dict(os.environ)
        env["LD_LIBRARY_PATH"] = str(self.client_dir) + (
            ":" + env["LD_LIBRARY_PATH"] if env.get("LD_LIBRARY_PATH") else "")
        env["HOME"] = str(self.home)
        env["ROCKETMQ_CLIENT_LOG_DIR"] = str(self.home / "logs" / "rocketmq-client")
        env.pop("LD_PRELOAD", None)
        if extra:
            env.update(extra)
        return env

    def send(self, topic, messages, orderly=False, queue=0, group=None, deadline=30.0):
        """Sends MESSAGES (tuples (tags, keys, body) or plain bodies) with
        build/real/producer, in order, each tried again on a failed send until
        DEADLINE s after its first attempt. Returns [(msgId, keys)] in order;
        AssertionError (with the producer's and the client's last lines) when
        one could not be sent."""
        lines = []
        for m in messages:
            if isinstance(m, str):
                m = ("", "", m)
            tags, keys, body = m
            for part in (tags, keys, body):
                if "\t" in part or "\n" in part:
                    raise ValueError("tab or newline in message field: %r" % (part,))
            lines.append("%s\t%s\t%s\n" % (tags, keys, body))
        argv = [str(self.producer_bin), "--namesrv", self.namesrv, "--topic", topic,
                "--group", group or self.unique("P"), "--deadline-ms", str(int(deadline * 1000))]
        if orderly:
            argv += ["--orderly", "--queue", str(queue)]
        r = subprocess.run(argv, input="".join(lines), env=self.client_env(), capture_output=True,
                           text=True, timeout=60 + deadline + len(messages))
        if r.returncode != 0:
            raise AssertionError("producer failed (%d):\n%s%s%s" % (r.returncode, r.stdout, r.stderr,
                                                                   self._client_log_tail(r.stderr)))
        out = []
        for line in r.stdout.splitlines():
            f = line.split("\t")
            if f[0] == "sent":
                out.append((f[1], f[2]))
        assert len(out) == len(messages), r.stdout + r.stderr
        return out

    def _client_log_tail(self, producer_err, n=15):
        """The last lines of the client's own log of the producer named in
        PRODUCER_ERR ("pid N"), which say why a send failed."""
        m = re.search(r"pid (\d+)\)", producer_err)
        if not m:
            return ""
        out = []
        for p in sorted((self.home / "logs").rglob(m.group(1) + "_*")):
            tail = p.read_text(errors="replace").splitlines()[-n:]
            out.append("--- %s (last %d lines)\n%s\n" % (p, len(tail), "\n".join(tail)))
        return "".join(out)

    def run_consumer(self, argv, env=None, cwd=None):
        """Starts a consumer program with client_env() plus ENV; returns a
        ConsumerProcess (stopped at the end of the session at the latest)."""
        c = ConsumerProcess([str(a) for a in argv], self.client_env(env), cwd)
        self._consumers.append(c)
        return c

    def smoke_consumer(self, topic, group, *args, env=None):
        """Starts build/real/smoke_consumer (see tests/real/smoke_consumer.c)."""
        argv = [self.smoke_consumer_bin, "--namesrv", self.namesrv, "--topic", topic,
                "--group", group] + list(args)
        if self.client_version == "2.1.0" and "--no-shutdown" not in args:
            argv.append("--no-shutdown")  # 2.1.0 crashes in ShutdownPushConsumer
        return self.run_consumer(argv, env)

    def stop_consumers(self):
        for c in self._consumers:
            c.stop()


def poll_until(pred, what, timeout):
    """Polls PRED (every 0.1-0.5 s) until it is true; AssertionError naming
    WHAT and the last error PRED raised once TIMEOUT s have passed."""
    deadline = time.monotonic() + timeout
    pause, last = 0.1, None
    while True:
        try:
            if pred():
                return
            last = None
        except (OSError, rmq_remoting.RemotingError) as e:
            last = e
        left = deadline - time.monotonic()
        if left <= 0:
            raise AssertionError("timed out after %.1f s waiting for %s%s"
                                 % (timeout, what, " (last error: %s)" % last if last else ""))
        time.sleep(min(pause, left))
        pause = min(pause * 2, 0.5)


def _run(argv, **kw):
    r = subprocess.run([str(a) for a in argv], capture_output=True, text=True, **kw)
    if r.returncode != 0:
        raise RuntimeError("%s failed (%d):\n%s%s" % (" ".join(map(str, argv)), r.returncode,
                                                       r.stdout, r.stderr))
    return r


def start_stack(line=None, client_version=None):
    """Fetches, builds and starts a stack; returns a RealStack. Stop it with
    stop_stack(). (The fixture below does both.)"""
    line = line or os.environ.get("RECONSUME_BROKER_LINE", "4.9")
    line = {"4.9.x": "4.9", "4": "4.9", "5.x": "5"}.get(line, line)
    client_version = client_version or os.environ.get("RECONSUME_CLIENT_VERSION", "1.2.3")
    for tool in ("java", "mvn", "make", "cc", "c++"):
        if not shutil.which(tool):
            raise RuntimeError("%s is needed for the real stack" % tool)
    _run([REAL_DIR / "fetch-broker.sh", line], timeout=900)
    _run([REAL_DIR / "fetch-client.sh", "1.2.3"], timeout=600)  # programs link against it
    if client_version != "1.2.3":
        _run([REAL_DIR / "fetch-client.sh", client_version], timeout=600)
    _run(["make", "-s", "-C", REAL_DIR], timeout=600)
    basedir = tempfile.mkdtemp(prefix="reconsume-real-%s-" % line)
    ns_port, br_port = pick_ports()
    stack = RealStack(line, client_version, basedir, ns_port, br_port)
    env = dict(os.environ, RECONSUME_NAMESRV_PORT=str(ns_port), RECONSUME_BROKER_PORT=str(br_port))
    try:
        _run([REAL_DIR / "broker.sh", "start", line, basedir], env=env, timeout=900)
        t0 = time.monotonic()
        _run([REAL_DIR / "broker.sh", "wait", line, basedir], env=env, timeout=200)
        stack.ready_seconds = time.monotonic() - t0
    except BaseException:
        stop_stack(stack)
        raise
    return stack


def stop_stack(stack):
    try:
        stack.stop_consumers()
    finally:
        subprocess.run([str(REAL_DIR / "broker.sh"), "stop", stack.line, str(stack.basedir)],
                       capture_output=True, timeout=60)
        if os.environ.get("RECONSUME_REAL_KEEP") != "1":
            shutil.rmtree(stack.basedir, ignore_errors=True)


@pytest.fixture(scope="session")
def real_stack():
    stack = start_stack()
    try:
        yield stack
    finally:
        stop_stack(stack)
