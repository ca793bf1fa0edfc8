"""python_pkgs.py - the Python RocketMQ packages for the end-to-end tests,
installed from PyPI with pip into build/python/<name>-<version>/ (never
into site-packages; idempotent), and the README-shaped consumer they run.

    from python_pkgs import PACKAGES, install, consumer_script
    d = install(PACKAGES["rocketmq"])      # -> build/python/rocketmq-0.4.4
    env = {"PYTHONPATH": str(d)}

PACKAGES:
  rocketmq                 rocketmq==0.4.4 (messense/rocketmq-python): a
                           manylinux wheel bundling librocketmq.so (the 1.2.3-era
                           client tests/real uses, build/real/client-1.2.3)
  rocketmq-client-python   rocketmq-client-python==2.0.0 (apache): pure Python,
                           expects librocketmq (2.x API) installed separately; the
                           package prefers rocketmq/librocketmq.so beside itself,
                           so the 2.1.0 client (build/real/client-2.1.0, fetched
                           by fetch-client.sh) is copied there
"""
import os
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PYDIR = ROOT / "build" / "python"
REAL_DIR = Path(__file__).resolve().parent

PACKAGES = {
    "rocketmq": {"req": "rocketmq==0.4.4", "dir": "rocketmq-0.4.4", "client": None,
                 "statuses": False},
    "rocketmq-client-python": {"req": "rocketmq-client-python==2.0.0",
                               "dir": "rocketmq-client-python-2.0.0", "client": "2.1.0",
                               "statuses": True},
}


def install(pkg):
    """pip install --target build/python/<dir> <req>, once; returns the dir."""
    dest = PYDIR / pkg["dir"]
    done = dest / ".installed"
    if not done.exists():
        if dest.exists():
            shutil.rmtree(dest)
        subprocess.run([sys.executable, "-m", "pip", "install", "--target", str(dest), "--no-deps",
                        "--disable-pip-version-check", "--no-compile", "-q", pkg["req"]],
                       check=True, capture_output=True, text=True, timeout=600)
        if pkg["client"]:
            r = subprocess.run([str(REAL_DIR / "fetch-client.sh"), pkg["client"]], check=True,
                               capture_output=True, text=True, timeout=600)
            client = Path(r.stdout.strip().splitlines()[-1])
            shutil.copy2(client / "librocketmq.so", dest / "rocketmq" / "librocketmq.so")
        done.write_text(pkg["req"] + "\n")
    return dest


# A consumer written as the packages' READMEs show (PushConsumer, subscribe,
# start, sleep); only the callback's body and the arguments are ours. The
# callback prints one line per delivery, then: body "raise" raises; with
# statuses (rocketmq-client-python), "later" returns RECONSUME_LATER and
# everything else CONSUME_SUCCESS (rocketmq 0.4.4 ignores the return value).
CONSUMER = r'''
import sys
import threading
import time

from rocketmq.client import PushConsumer
try:
    from rocketmq.client import ConsumeStatus
except ImportError:  # rocketmq 0.4.4: the callback's return value is ignored
    ConsumeStatus = None

namesrv, topic, group = sys.argv[1:4]
out_lock = threading.Lock()


def callback(msg):
    body = msg.body.decode() if isinstance(msg.body, bytes) else msg.body
    keys = msg.keys.decode() if isinstance(msg.keys, bytes) else msg.keys
    line = "deliver id=%s keys=%s body=%s reconsume=%d\n" % (msg.id, keys, body, msg.reconsume_times)
    with out_lock:  # print() from several consume threads can interleave its pieces
        sys.stdout.write(line)
        sys.stdout.flush()
    if body == "raise":
        raise RuntimeError("poison " + keys)
    if ConsumeStatus is not None:
        return ConsumeStatus.RECONSUME_LATER if body == "later" else ConsumeStatus.CONSUME_SUCCESS


consumer = PushConsumer(group)
if hasattr(consumer, "set_name_server_address"):
    consumer.set_name_server_address(namesrv)
else:
    consumer.set_namesrv_addr(namesrv)
consumer.subscribe(topic, callback)
consumer.start()
print("started", flush=True)

while True:
    time.sleep(3600)

consumer.shutdown()
'''


def consumer_script(workdir: Path) -> Path:
    p = Path(workdir) / "consumer.py"
    p.write_text(CONSUMER)
    return p
