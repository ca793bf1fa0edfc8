#!/usr/bin/env python3
"""make demo: an unmodified C++ consumer, with libreconsume.so preloaded,
against a real RocketMQ name server and broker on this machine.

It starts the broker (tests/real/stack.py: Maven Central jars, the C client
from PyPI), sends a mix of good and poison messages, runs
build/programs/consumer_cxx under the shim until it goes quiet, prints what
happened (calls against attempts, what was retried and what was diverted at
once, where the records are), then the next step a user takes once the bug is
fixed: `reconsume-spool list`, `reconsume-spool replay` through the same
broker, and the fixed consumer (build/programs/consumer_c with
CONSUMER_FIXED=1, in the same group, under the shim) receiving each replayed
message once; then it stops the broker. To use a cluster you already run:
    RECONSUME_DEMO_NAMESRV=host:9876 make demo
"""
import os
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests" / "real"))
sys.path.insert(0, str(ROOT / "tests" / "pylib"))
import stack  # noqa: E402
from records import _PROG_LINE, parse_record, parse_stats  # noqa: E402

MESSAGES = (
    [("order", f"ok-{i}", f"ok order {i}") for i in range(12)]
    + [("order", "flaky", "fail-until:2"),        # fails once, then succeeds: retried, not diverted
       ("order", "garbage", "status:7"),          # a "null"/garbage status
       ("order", "later", "status:1"),            # reconsume later, every time
       ("order", "throws", "throw:std"),          # a C++ exception (kills client 1.2.3 without the shim)
       ("order", "crashes", "segv")]              # a segfault (recovered: RECONSUME_CATCH=all)
)


def main():
    work = Path(os.environ.get("RECONSUME_DEMO_DIR") or ROOT / "build" / "demo")
    work.mkdir(parents=True, exist_ok=True)
    for old in [*(work / "spool" / "new").glob("*.rec"), *(work / "spool" / "replayed").glob("*.rec")]:
        old.unlink()
    namesrv = os.environ.get("RECONSUME_DEMO_NAMESRV")
    t0 = time.monotonic()
    if namesrv:
        s = stack.RealStack.for_existing(namesrv)
        print(f"using the name server at {namesrv}")
    else:
        print("starting a local RocketMQ name server and broker (4.9.7) ...", flush=True)
        s = stack.start_stack(line=os.environ.get("RECONSUME_BROKER_LINE", "4.9"))
        print(f"  ready at {s.namesrv} after {time.monotonic() - t0:.1f}s")
    try:
        run(s, work)
    finally:
        if not namesrv:
            stack.stop_stack(s)
            print("broker stopped.")


def run(s, work):
    topic, group = s.unique("DemoOrders"), s.unique("demo_consumer")
    if s.broker:
        s.prepare(topic, group)
    env = {
        "LD_PRELOAD": str(ROOT / "build" / "libreconsume.so"),
        "RECONSUME_MAX_RETRIES": "3",
        "RECONSUME_CATCH": "all",
        "RECONSUME_SPOOL_DIR": str(work / "spool"),
        "RECONSUME_STATS": str(work / "stats.prom"),
        "HOME": str(work / "home"),
    }
    argv = [ROOT / "build" / "programs" / "consumer_cxx", "--namesrv", s.namesrv, "--topic", topic,
            "--group", group, "--idle-ms", "8000", "--max-ms", "120000"]
    print(f"consumer: build/programs/consumer_cxx (unmodified), group {group}, with\n  "
          + " ".join(f"{k}={v}" for k, v in env.items() if k.startswith("RECONSUME") or k == "LD_PRELOAD"))
    c = s.run_consumer(argv, env)
    s.send(topic, MESSAGES)
    print(f"producer: sent {len(MESSAGES)} messages to {topic}; waiting until the consumer is idle ...",
          flush=True)
    rc = c.wait(240)

    calls = [m.groupdict() for m in map(_PROG_LINE.match, c.lines) if m]
    per_key = Counter(d["keys"] for d in calls)
    st = parse_stats(work / "stats.prom") or {}
    records = [parse_record(p) for p in sorted((work / "spool" / "new").glob("*.rec"))]
    out = lambda o: st.get(f'reconsume_deliveries_total{{outcome="{o}"}}', 0)

    print(f"\nconsumer exited with status {rc}\n")
    print("what the application's callback saw")
    print(f"  {'message':<10} {'calls':>5} {'attempts':>8}  outcome")
    fewer = []
    for key in ["ok-0", "flaky", "garbage", "later", "throws", "crashes"]:
        rec = next((r for r in records if r.h("Keys") == key), None)
        fate = (f"diverted ({rec.h('Outcome')}"
                + (f": {rec.h('Exception-Type')}" if rec.h("Exception-Type") else "")
                + (f": {rec.h('Signal')}" if rec.h("Signal") else "") + ")") if rec else "acknowledged"
        failed = sum(1 for d in calls if d["keys"] == key and d["ret"] != "0")
        if not rec and failed:
            fate += f" after {failed} failed call{'s' if failed > 1 else ''}"
        attempts = rec.h("Attempts") if rec else "-"
        if rec and rec.h("Attempts") and per_key.get(key, 0) < int(rec.h("Attempts")):
            fewer.append(key)
        print(f"  {key:<10} {per_key.get(key, 0):>5} {attempts:>8}  {fate}")
    others = sum(per_key.get(f'ok-{i}', 0) for i in range(1, 12))
    print(f"  (and ok-1 .. ok-11: {others} calls, acknowledged)")
    # What the figures say, worked out from them (they depend on how the
    # client batched the messages and on how the shim handles a batch).
    if fewer:
        print(f"  {', '.join(fewer)}: fewer calls than attempts. The client hands a batch back whole\n"
              "  when one message of it fails: the messages after the failing one are sent back\n"
              "  without being called, and the broker counts each send-back as an attempt\n"
              "  (README, \"What the clients do\").")
    elif records:
        print("  Every diverted message had as many calls as attempts.")
    good = [k for k in per_key if k.startswith("ok-") and per_key[k] > 1]
    if good:
        print(f"  {len(good)} good message(s) called more than once: each was in a batch with a failing\n"
              "  one, which the client handed back whole (at least once allows duplicates).")
    else:
        print("  Every good message was called once.")
    print("\nwhat the shim counted")
    print(f"  delivered  {sum(out(o) for o in ('success', 'reconsume', 'bad_status', 'exception', 'signal'))}")
    print(f"  succeeded  {out('success')}")
    print(f"  retried    reconsume {out('reconsume')}, bad_status {out('bad_status')}, "
          f"exception {out('exception')}")
    print(f"  at once    signal {out('signal')} (a fatal signal is diverted at its first occurrence)")
    print(f"  diverted   {st.get('reconsume_diverted_total', 0)}  (%DLQ% of the group: "
          f"{s.dlq_count(group) if s.broker else 'n/a'})")
    print(f"\nspool records in {rel(work / 'spool' / 'new')}:")
    for r in records:
        print(f"  {r.name}  {r.h('Outcome')} attempts={r.h('Attempts')} keys={r.h('Keys')}")
    if records:
        print(f"\n$ head -n 12 {rel(records[0].path)}")
        print("\n".join(records[0].raw.decode("utf-8", "replace").splitlines()[:12]))
    if records:
        next_step(s, work, topic, group, records)
    return rc


def rel(p):
    """P relative to the checkout (make demo runs there), else as it is."""
    try:
        return str(Path(p).relative_to(ROOT))
    except ValueError:
        return str(p)


def shell(argv):
    return " ".join(a if a and all(ch.isalnum() or ch in "-_./=:%" for ch in a) else f"'{a}'"
                    for a in argv)


def tool(s, *args):
    """Runs build/reconsume-spool as a user would (printed, then run, its
    output shown as it came); returns the CompletedProcess."""
    argv = ["build/reconsume-spool", *args]
    print(f"$ {shell(argv)}", flush=True)
    r = subprocess.run(argv, cwd=ROOT, capture_output=True, text=True, timeout=300)
    for line in (r.stdout + r.stderr).splitlines():
        print(line)
    if r.returncode != 0:
        print(f"(exit status {r.returncode})")
    return r


def next_step(s, work, topic, group, records):
    """After the bug is fixed: list what was diverted, replay it to its
    topic through the demo's broker, and run the fixed consumer (the same
    group, under the shim) until it has every replayed message."""
    spool = rel(work / "spool")
    lib = rel(s.client_dir / "librocketmq.so")
    print("\nnext: fix the consumer's bug, then send the diverted messages back")
    tool(s, "list", "--spool", spool)
    r = tool(s, "replay", "--spool", spool, "--namesrv", s.namesrv, "--client-lib", lib)
    if r.returncode != 0:
        return
    keys = {rec.h("Keys") for rec in records}
    env = {"LD_PRELOAD": str(ROOT / "build" / "libreconsume.so"), "CONSUMER_FIXED": "1",
           "RECONSUME_SPOOL_DIR": str(work / "spool"), "HOME": str(work / "home")}
    argv = [ROOT / "build" / "programs" / "consumer_c", "--namesrv", s.namesrv, "--topic", topic,
            "--group", group, "--idle-ms", "5000", "--max-ms", "120000"]
    print(f"\nthe fixed consumer (build/programs/consumer_c with CONSUMER_FIXED=1: every callback "
          f"succeeds),\nin the same group, under the shim:")
    c = s.run_consumer(argv, env)
    seen = lambda lines: {m.group("keys") for m in map(_PROG_LINE.match, lines) if m}
    try:
        c.wait_for(lambda lines: keys <= seen(lines), 180)
    except AssertionError as e:
        print(f"  the replayed messages did not all arrive: {e}")
    c.wait(60)
    got = Counter(m.group("keys") for m in map(_PROG_LINE.match, c.lines) if m)
    for k in sorted(keys):
        print(f"  {k:<10} {got.get(k, 0)} call(s), acknowledged")
    left = sorted((work / "spool" / "new").glob("*.rec"))
    print(f"  diverted again: {len(left)}; replayed records are in {spool}/replayed/")
    tool(s, "list", "--spool", spool, "--replayed")


if __name__ == "__main__":
    main()
