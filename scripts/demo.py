#!/usr/bin/env python3
"""make demo: an unmodified C++ consumer, with libreconsume.so preloaded,
against a real RocketMQ name server and broker on this machine.

It starts the broker (tests/real/stack.py: Maven Central jars, the C client
from PyPI), sends a mix of good and poison messages, runs
build/programs/consumer_cxx under the shim until it goes quiet, prints what
happened, and stops the broker. To use a cluster you already run instead:
    RECONSUME_DEMO_NAMESRV=host:9876 make demo
"""
import os
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
    for old in (work / "spool" / "new").glob("*.rec"):
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
    print(f"  {'message':<10} {'calls':>5}  outcome")
    for key in ["ok-0", "flaky", "garbage", "later", "throws", "crashes"]:
        rec = next((r for r in records if r.h("Keys") == key), None)
        fate = (f"diverted ({rec.h('Outcome')}"
                + (f": {rec.h('Exception-Type')}" if rec.h("Exception-Type") else "")
                + (f": {rec.h('Signal')}" if rec.h("Signal") else "") + ")") if rec else "acknowledged"
        print(f"  {key:<10} {per_key.get(key, 0):>5}  {fate}")
    print(f"  (and ok-1 .. ok-11: {sum(per_key.get(f'ok-{i}', 0) for i in range(1, 12))} calls, acknowledged)")
    print("  A good message called more than once was in a batch with a failing one: the client\n"
          "  (1.2.x and 2.1.0) hands the whole batch back when one message of it fails (README).")
    print("\nwhat the shim counted")
    print(f"  delivered  {sum(out(o) for o in ('success', 'reconsume', 'bad_status', 'exception', 'signal'))}")
    print(f"  succeeded  {out('success')}")
    print(f"  retried    reconsume {out('reconsume')}, bad_status {out('bad_status')}, "
          f"exception {out('exception')}, signal {out('signal')}")
    print(f"  diverted   {st.get('reconsume_diverted_total', 0)}  (%DLQ% of the group: "
          f"{s.dlq_count(group) if s.broker else 'n/a'})")
    print(f"\nspool records in {work / 'spool' / 'new'}:")
    for r in records:
        print(f"  {r.name}  {r.h('Outcome')} attempts={r.h('Attempts')} keys={r.h('Keys')}")
    if records:
        print(f"\n$ head -n 12 {records[0].path}")
        print("\n".join(records[0].raw.decode("utf-8", "replace").splitlines()[:12]))
    return rc


if __name__ == "__main__":
    main()
