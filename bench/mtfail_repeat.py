#!/usr/bin/env python3
"""mtfail_repeat.py - the failure path's thread rows (percall mtfail), repeated.

One run of `percall mtfail` gives, per row (sN share-nothing, dN the shim's
failure path), the median of its trials; on a shared 2-core machine that
figure moves from run to run with whatever else runs. This runs it R times,
alternating the shims named (e.g. a build of the commit before and this
one, so that both see the same load), and prints per run the ratios
d16/d1 (the target: >= 1.5 on 2 cores) and s16/s1 (what the machine gave
the process then), and per shim their median, minimum and maximum.

  bench/mtfail_repeat.py [--runs R] [--trials T] NAME=path/to/libreconsume.so ...

Not part of make check (a measurement, not a test).
"""
import argparse
import os
import re
import statistics
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PAT = re.compile(r"^(mtspin|mtfail)\t(\d+)\t\d+\t([\d.]+)\t([\d.]+)\t([\d.]+)\t([\d.]+)$", re.M)


def one(shim, trials, calls, build):
    bb = os.path.join(ROOT, build, "bench")
    env = {k: v for k, v in os.environ.items() if not k.startswith("RECONSUME_")}
    env.update(LD_PRELOAD=shim, RECONSUME_MAX_RETRIES="1000", RECONSUME_SPOOL_DIR=os.path.join(bb, "spool"),
               RECONSUME_LOG=os.path.join(bb, "shim.log"))
    out = subprocess.run([os.path.join(bb, "percall"), "mtfail", "--trials", str(trials), "--calls", str(calls),
                          "--threads-list", "1,16"], env=env, capture_output=True, text=True, check=True).stdout
    r = {(m[1], int(m[2])): (float(m[3]), float(m[6])) for m in PAT.finditer(out)}
    return {"d": r[("mtfail", 1)][0] / r[("mtfail", 16)][0], "s": r[("mtspin", 1)][0] / r[("mtspin", 16)][0],
            "cpu1": r[("mtfail", 1)][1], "cpu16": r[("mtfail", 16)][1]}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=9)
    ap.add_argument("--trials", type=int, default=7)
    ap.add_argument("--calls", type=int, default=921600)
    ap.add_argument("--build", default="build")
    ap.add_argument("shims", nargs="+", help="NAME=path of a libreconsume.so")
    a = ap.parse_args()
    shims = [s.split("=", 1) for s in a.shims]
    os.makedirs(os.path.join(ROOT, a.build, "bench", "spool"), exist_ok=True)
    res = {n: [] for n, _ in shims}
    print("| run | shim | load (1 min) | d16/d1 throughput | s16/s1 (share-nothing) | CPU ns/call d1 -> d16 |")
    print("|---:|---|---:|---:|---:|---|")
    for i in range(a.runs):
        for n, path in (shims if i % 2 == 0 else shims[::-1]):
            load = os.getloadavg()[0]
            x = one(path, a.trials, a.calls, a.build)
            res[n].append(x)
            print("| %d | %s | %.2f | %.2f | %.2f | %.1f -> %.1f |" % (i + 1, n, load, x["d"], x["s"], x["cpu1"],
                                                                   x["cpu16"]), flush=True)
    print()
    print("| shim | runs | d16/d1 median | min .. max | s16/s1 median | min .. max | "
          "(d16/d1)/(s16/s1) median | CPU per call d16/d1 median | min .. max |")
    print("|---|---:|---:|---|---:|---|---:|---:|---|")
    for n, _ in shims:
        d, s = [x["d"] for x in res[n]], [x["s"] for x in res[n]]
        e = [x["d"] / x["s"] for x in res[n]]
        c = [x["cpu16"] / x["cpu1"] for x in res[n]]
        print("| %s | %d | %.2f | %.2f .. %.2f | %.2f | %.2f .. %.2f | %.2f | %.2f | %.2f .. %.2f |" % (
            n, len(d), statistics.median(d), min(d), max(d), statistics.median(s), min(s), max(s),
            statistics.median(e), statistics.median(c), min(c), max(c)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
