#!/usr/bin/env python3
"""bench.py - run every part of the benchmark (issue 6) and print one table.

Run by `make bench` (which builds what it needs first). Every figure in the
table comes from this one run; the table is also written to
build/bench/results.md.

  per call   build/bench/percall under LD_PRELOAD of the shim (rows a..e0),
             build/bench/percall_static (the shim linked in: rows c and f),
             instructions per call under callgrind for each row's loop only
  threads    percall mtfail: the failure path (row d) from 1, 2 and 16 threads
             at once, whole-process throughput, not pinned (rows dN); the
             attempt table alone the same way (percall_static, rows tN)
  scale      percall scale: 1k / 100k / 1M distinct failing messages tracked
  check      percall check (no allocation, lock or system call per success)
  end to end build/bench/e2e_consumer (a plain consumer) with and without
             the shim, interleaved, against the real local broker
             (tests/real/stack.py's stack on free ports, client
             build/real/client-1.2.3): CPU us per message, mean and 95 %
             interval, with, without and paired difference; or,
             when that stack is missing, against the test double, labelled so
  batch      build/bench/batch_bench-VERSION (bench/batch_bench.cc) against
             each real client build in build/real/client-VERSION: a batch of
             32 messages, all succeeding, to the C++ API listener the consumer
             stored, unwrapped (no shim) and wrapped (LD_PRELOAD of the shim,
             default settings but RECONSUME_SPOOL_DIR), processes interleaved;
             ns per batch (median, spread) and callgrind instructions per
             batch, and their ratios. `--only batch` runs this part alone.
"""
import argparse
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import time

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))


def sh(cmd):
    try:
        return subprocess.run(cmd, shell=True, capture_output=True, text=True, cwd=ROOT).stdout.strip()
    except OSError:
        return ""


def log(msg):
    print("bench: " + msg, file=sys.stderr, flush=True)


class Bench:
    def __init__(self, a):
        self.a = a
        self.b = os.path.join(ROOT, a.build)
        self.bb = os.path.join(self.b, "bench")
        self.shim = os.path.join(self.b, "libreconsume.so")
        shutil.rmtree(os.path.join(self.bb, "spool"), ignore_errors=True)
        os.makedirs(os.path.join(self.bb, "spool"), exist_ok=True)
        self.pin = ["taskset", "-c", str(a.cpu)] if shutil.which("taskset") and a.cpu >= 0 else []

    def shim_env(self, preload=True, extra=None):
        e = dict(os.environ)
        for k in list(e):
            if k.startswith("RECONSUME_"):
                del e[k]
        e.update(RECONSUME_SPOOL_DIR=os.path.join(self.bb, "spool"),
                 RECONSUME_LOG=os.path.join(self.bb, "shim.log"),
                 RECONSUME_MAX_RETRIES="1000",
                 # the failing rows count the client's retries (the test
                 # double never delivers a retry copy): as before copies
                 RECONSUME_RETRY="batch")
        if preload:
            e["LD_PRELOAD"] = self.shim
        else:
            e.pop("LD_PRELOAD", None)
        if extra:
            e.update(extra)
        return e

    def run(self, argv, env, check=True):
        p = subprocess.run(argv, env=env, capture_output=True, text=True, cwd=ROOT)
        if check and p.returncode != 0:
            raise SystemExit("bench: %s failed (%d):\n%s%s" % (" ".join(argv), p.returncode, p.stdout, p.stderr))
        return p

    # ---- per call --------------------------------------------------------
    def per_call(self):
        a = self.a
        rows = {}
        log("per call: %d trials x %d calls, pinned to cpu %s" % (a.trials, a.calls, a.cpu))
        out = self.run(self.pin + [os.path.join(self.bb, "percall"), "time", "--trials", str(a.trials),
                                   "--calls", str(a.calls)], self.shim_env()).stdout
        for m in re.finditer(r"^row\t(\S+)\t(\d+)\t([\d.]+)\t([\d.]+)$", out, re.M):
            rows[m[1]] = {"calls": int(m[2]), "median": float(m[3]), "min": float(m[4])}
        if "shim_loaded\t1" not in out:
            raise SystemExit("bench: the shim was not loaded by the percall driver")
        log("per call: static build (rows c, f)")
        out = self.run(self.pin + [os.path.join(self.bb, "percall_static"), "time", "--trials", str(a.trials),
                                   "--calls", str(a.calls)], self.shim_env(preload=False)).stdout
        for m in re.finditer(r"^row\t(\S+)\t(\d+)\t([\d.]+)\t([\d.]+)$", out, re.M):
            if m[1] in ("a", "b", "c", "f"):
                rows["s" + m[1]] = {"calls": int(m[2]), "median": float(m[3]), "min": float(m[4])}
        log("per call: two threads (rows b2, c2), not pinned")
        out = self.run([os.path.join(self.bb, "percall"), "time", "--trials", str(a.trials), "--calls",
                        str(a.calls), "--threads"], self.shim_env()).stdout
        for m in re.finditer(r"^row\t(b2|c2)\t(\d+)\t([\d.]+)\t([\d.]+)$", out, re.M):
            rows[m[1]] = {"calls": int(m[2]), "median": float(m[3]), "min": float(m[4])}
        # instructions per call, each row's loop only
        for r in ("a", "b", "c", "ct", "d", "e"):
            rows[r]["ir"] = self.callgrind("percall", r, self.shim_env())
        for r in ("a", "b", "c", "f"):
            rows["s" + r]["ir"] = self.callgrind("percall_static", r, self.shim_env(preload=False))
        # row c again: with RECONSUME_STATS (the timed handler), and with catch=status (no exception guard)
        stats = os.path.join(self.bb, "callgrind-stats.prom")
        rows["c_stats"] = {"ir": self.callgrind("percall", "c", self.shim_env(extra={"RECONSUME_STATS": stats}),
                                                tag="stats")}
        rows["c_status"] = {"ir": self.callgrind("percall", "c", self.shim_env(extra={"RECONSUME_CATCH": "status"}),
                                                 tag="status")}
        return rows

    def callgrind(self, prog, row, env, tag=""):
        if not shutil.which("valgrind"):
            return None
        out = os.path.join(self.bb, "callgrind.%s.%s%s.out" % (prog, row, "." + tag if tag else ""))
        log("callgrind: %s row %s" % (prog, row))
        p = self.run(["valgrind", "--tool=callgrind", "--instr-atstart=no", "--callgrind-out-file=" + out,
                      os.path.join(self.bb, prog), "callgrind", row, "--calls", str(self.a.cg_calls)], env)
        n = int(re.search(r"^callgrind\t\S+\t(\d+)$", p.stdout, re.M)[1])
        with open(out) as f:
            tot = re.search(r"^totals:\s+(\d+)", f.read(), re.M)
        return int(tot[1]) / n if tot else None

    # ---- the C++ listener wrapper, per batch --------------------------------
    def batch_env(self, version, preload):
        e = dict(os.environ)
        for k in list(e):
            if k.startswith("RECONSUME_"):
                del e[k]
        e["LD_LIBRARY_PATH"] = os.path.join(self.b, "real", "client-" + version)
        e.pop("LD_PRELOAD", None)
        if preload:
            # the shim's defaults, but for where its spool is
            e["LD_PRELOAD"] = self.shim
            e["RECONSUME_SPOOL_DIR"] = os.path.join(self.bb, "spool")
        return e

    def batch_run(self, prog, version, preload, argv, wrap=None):
        p = self.run((wrap or []) + [prog] + argv, self.batch_env(version, preload))
        m = re.search(r"^listener\t(\S+)\tclient=\d\tsizeof=(\d+)", p.stdout, re.M)
        want = "wrapped" if preload else "self"
        if not m or m[1] != want:
            raise SystemExit("bench: %s %s: the stored listener is %s, expected %s:\n%s%s" % (
                prog, "with the shim" if preload else "without the shim", m[1] if m else "?", want, p.stdout,
                p.stderr))
        return p.stdout, int(m[2])

    def batch(self):
        a = self.a
        res = []
        for v in ("1.2.3", "2.1.0"):
            prog = os.path.join(self.bb, "batch_bench-" + v)
            if not (os.path.exists(prog) and os.path.exists(os.path.join(self.b, "real", "client-" + v,
                                                                           "librocketmq.so"))):
                log("batch: client %s not built (build/real/client-%s), skipped" % (v, v))
                continue
            log("batch: client %s, %d interleaved trials x %d batches of %d, pinned to cpu %s" % (
                v, a.batch_trials, a.batches, a.batch_size, a.cpu))
            ns = {False: [], True: []}
            size = None
            for t in range(a.batch_trials):
                for pre in ((False, True) if t % 2 == 0 else (True, False)):
                    out, size = self.batch_run(prog, v, pre, ["time", "--batches", str(a.batches), "--size",
                                                              str(a.batch_size)], self.pin)
                    ns[pre].append(float(re.search(r"^time\t\d+\t([\d.]+)$", out, re.M)[1]))
            ir = {}
            if shutil.which("valgrind"):
                for pre in (False, True):
                    # the client's own threads (1.2.3's log rotation) run
                    # during the loop: only the main thread's file is read
                    cg = os.path.join(self.bb, "callgrind.batch_bench-%s.%s.out" % (v, "wrapped" if pre else "self"))
                    log("callgrind: batch_bench-%s %s" % (v, "wrapped" if pre else "unwrapped"))
                    out, _ = self.batch_run(prog, v, pre, ["callgrind", "--batches", str(a.cg_batches), "--warmup",
                                                           "100", "--size", str(a.batch_size)],
                                            ["valgrind", "--tool=callgrind", "--instr-atstart=no",
                                             "--separate-threads=yes", "--callgrind-out-file=" + cg])
                    n = int(re.search(r"^callgrind\t(\d+)$", out, re.M)[1])
                    with open(cg + "-01") as f:
                        tot = re.search(r"^totals:\s+(\d+)", f.read(), re.M)
                    ir[pre] = int(tot[1]) / n if tot else None
            res.append({"client": v, "sizeof": size, "ns": ns, "ir": ir})
        return res

    # ---- the failure path from N threads -----------------------------------
    def threads(self):
        a = self.a
        res = {}
        log("threads: failure path from %s threads, %d trials x %d calls, not pinned" % (a.mt_threads, a.trials,
                                                                                      a.mt_calls))
        pat = r"^(mtspin|mtfail|mttable)\t(\d+)\t(\d+)\t([\d.]+)\t([\d.]+)\t([\d.]+)\t([\d.]+)$"
        for prog, env, kind in (("percall", self.shim_env(), "mtfail"),
                                ("percall_static", self.shim_env(preload=False), "mttable")):
            out = self.run([os.path.join(self.bb, prog), "mtfail", "--trials", str(a.trials), "--calls",
                            str(a.mt_calls), "--threads-list", a.mt_threads], env).stdout
            for m in re.finditer(pat, out, re.M):
                if m[1] == kind or (m[1] == "mtspin" and kind == "mtfail"):
                    res[(m[1], int(m[2]))] = {"calls": int(m[3]), "median": float(m[4]), "min": float(m[5]),
                                              "csw": float(m[6]), "cpu": float(m[7])}
        return res

    # ---- scale -----------------------------------------------------------
    def scale(self):
        res = []
        cases = [(m, None) for m in self.a.scale] + [(max(self.a.scale), "10000000")]
        for fill, track in cases:
            log("scale: %d failing messages, RECONSUME_TRACK_MAX=%s" % (fill, track or "default (65536)"))
            extra = {"RECONSUME_TRACK_MAX": track} if track else None
            out = self.run(self.pin + [os.path.join(self.bb, "percall"), "scale", "--fill", str(fill), "--calls",
                                       str(self.a.calls)], self.shim_env(extra=extra)).stdout
            m = re.search(r"^scale\t(\d+)\t([\d.]+)\t([\d.]+)\t([\d.]+)\t(\d+)\t(-?\d+)\t(-?\d+)$", out, re.M)
            res.append({"fill": fill, "track": int(track) if track else 65536, "fill_ns": float(m[2]),
                        "ok_ns": float(m[3]), "later_ns": float(m[4]), "heap": int(m[5]),
                        "rss0": int(m[6]), "rss1": int(m[7])})
        return res

    # ---- check -----------------------------------------------------------
    def check(self):
        log("check: counting allocations, locks, system calls")
        env = self.shim_env()
        env["LD_PRELOAD"] = os.path.join(self.bb, "libcount.so") + " " + self.shim
        p = self.run([os.path.join(self.bb, "percall"), "check", "--calls", "100000"], env, check=False)
        probes = [l.split("\t")[1:] for l in p.stdout.splitlines() if l.startswith("probe\t")]
        verdict = [l.split("\t", 2)[1:] for l in p.stdout.splitlines() if l.startswith("check\t")]
        return {"rc": p.returncode, "probes": probes, "verdict": verdict}

    # ---- end to end --------------------------------------------------------
    def e2e(self):
        mode = self.a.e2e
        real_ok = all(os.path.exists(os.path.join(ROOT, p)) for p in
                      ("tests/real/stack.py", "build/real/client-1.2.3/librocketmq.so", "build/real/producer")) \
            and shutil.which("java")
        if mode == "none":
            return None
        if mode == "auto":
            mode = "real" if real_ok else "double"
        if mode == "real" and not real_ok:
            raise SystemExit("bench: --e2e real: the real stack (tests/real, build/real) is not there")
        return self.e2e_real() if mode == "real" else self.e2e_double()

    def consume(self, argv, env, preload):
        env = dict(env)
        if preload:
            env["LD_PRELOAD"] = self.shim
        else:
            env.pop("LD_PRELOAD", None)
        p = subprocess.run(argv, env=env, capture_output=True, text=True, cwd=ROOT)
        m = re.search(r"^e2e\t(\d+)\t([\d.]+)\t([\d.]+)\t([\d.]+)\t(-?\d+)\t([\d.]+)$", p.stdout, re.M)
        if p.returncode != 0 or not m:
            raise SystemExit("bench: consumer failed (%d): %s %s" % (p.returncode, p.stdout, p.stderr))
        return {"n": int(m[1]), "span": float(m[3]), "rate": float(m[4]), "rss": int(m[5]), "cpu_us": float(m[6]) * 1e6 / int(m[1])}

    def interleave(self, runs, argv_for, env):
        res = {False: [], True: []}
        for i in range(runs):
            for pre in ((False, True) if i % 2 == 0 else (True, False)):
                res[pre].append(self.consume(argv_for(i, pre), env, pre))
                log("e2e run %d %s: %.0f msgs/s, peak RSS %d kB, %.2f CPU us/msg" %
                    (i + 1, "with shim" if pre else "without", res[pre][-1]["rate"], res[pre][-1]["rss"],
                     res[pre][-1]["cpu_us"]))
        return res

    def e2e_real(self):
        """The real stack of tests/real/stack.py (a 4.9.7 name server and
        broker on free loopback ports, in a temporary folder, always stopped
        at the end), one topic filled once, then the interleaved runs."""
        a = self.a
        sys.path.insert(0, os.path.join(ROOT, "tests", "real"))
        import stack as real  # tests/real/stack.py
        log("e2e: starting the real stack (tests/real/stack.py, broker line %s)" %
            os.environ.get("RECONSUME_BROKER_LINE", "4.9"))
        st = real.start_stack()
        try:
            topic = st.unique("BenchE2E")
            st.create_topic(topic, queues=4)
            body = "x" * a.e2e_body
            msgs = os.path.join(self.bb, "e2e_msgs.txt")
            with open(msgs, "w") as f:
                for i in range(a.e2e_messages):
                    f.write("TagA\tk%d\t%s\n" % (i, body))
            logs = os.path.join(self.bb, "client-logs")
            os.makedirs(logs, exist_ok=True)
            cenv = st.client_env(extra={k: v for k, v in self.shim_env(preload=False).items()
                                        if k.startswith("RECONSUME_")})
            log("e2e: producing %d messages of %d bytes to %s" % (a.e2e_messages, a.e2e_body, topic))
            self.run([os.path.join(ROOT, "build/real/producer"), "--namesrv", st.namesrv, "--topic", topic,
                      "--file", msgs, "--log-dir", logs], cenv)
            st.wait_count(topic, a.e2e_messages, timeout=120)

            def argv(i, pre):
                return [os.path.join(self.bb, "e2e_consumer"), "--namesrv", st.namesrv, "--topic", topic,
                        "--group", "bench_%s_%d_%s" % (topic, i, "on" if pre else "off"), "--count",
                        str(a.e2e_messages), "--log-dir", logs, "--timeout", "300"]
            res = self.interleave(a.e2e_runs, argv, cenv)
        finally:
            real.stop_stack(st)
        return {"kind": "real broker (RocketMQ %s, client %s)" % ("5.3.3" if st.line == "5" else "4.9.7",
                                                                 st.client_version),
                "res": res, "messages": a.e2e_messages}

    def e2e_double(self):
        a = self.a
        script = os.path.join(self.bb, "e2e_double.script")
        with open(script, "w") as f:
            f.write("id=M topic=BenchE2E tags=TagA keys=k body=%s\n" % ("x" * a.e2e_body))
        cenv = self.shim_env(preload=False, extra={"LD_LIBRARY_PATH": os.path.join(self.b, "double"),
                                                   "RMQ_DOUBLE_SCRIPT": script,
                                                   "RMQ_DOUBLE_REPEAT": str(a.e2e_messages)})

        def argv(i, pre):
            return [os.path.join(self.bb, "e2e_consumer"), "--namesrv", "double:0", "--topic", "BenchE2E",
                    "--group", "bench_double_%d" % i, "--count", str(a.e2e_messages), "--timeout", "300"]
        res = self.interleave(a.e2e_runs, argv, cenv)
        return {"kind": "TEST DOUBLE (build/double/librocketmq.so), NOT a broker", "res": res,
                "messages": a.e2e_messages}


# Two-sided 95 % quantiles of Student's t, by degrees of freedom (1..30).
T95 = [12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228, 2.201, 2.179, 2.160, 2.145,
       2.131, 2.120, 2.110, 2.101, 2.093, 2.086, 2.080, 2.074, 2.069, 2.064, 2.060, 2.056, 2.052, 2.048,
       2.045, 2.042]


def mean_ci95(v):
    """Mean and the half-width of its 95 % confidence interval (Student's t)."""
    n = len(v)
    m = statistics.mean(v)
    if n < 2:
        return m, float("nan")
    t = T95[n - 2] if n - 1 <= len(T95) else 1.96
    return m, t * statistics.stdev(v) / n ** 0.5


def machine(b):
    cpu = sh("grep -m1 'model name' /proc/cpuinfo | cut -d: -f2-").strip()
    return {
        "nproc": sh("nproc"), "cpu": cpu, "kernel": platform.release(),
        "gcc": sh("gcc --version | head -1"),
        "libffi": sh("dpkg-query -W -f='${Version}' libffi8 2>/dev/null") or sh("pkg-config --modversion libffi"),
        "valgrind": sh("valgrind --version"), "load": sh("cut -d' ' -f1-3 /proc/loadavg"),
        "commit": sh("git rev-parse --short HEAD") + (" (working tree modified)" if sh("git status --porcelain") else ""),
        "date": time.strftime("%Y-%m-%d %H:%M:%S %Z"),
    }


def fmt(x, d=1):
    return "-" if x is None else ("%.*f" % (d, x))


def threads_table(L, mt, a):
    L.append("Failure path from N threads at once (rows dN: the shim, as row d, the same 1024 failing ids split "
             "between the threads; rows tN: the attempt table alone, `rc_attempts_bump`; not pinned; median of "
             "%d trials; ns per call = wall time of the whole process / all threads' calls; CPU ns = the "
             "threads' CPU time per call; rows sN: share-nothing work, the parallelism this machine gave the "
             "process in this run, the ceiling for the others):\n" % a.trials)
    L.append("| row | threads | calls/trial | median ns per call (process) | min ns | throughput x 1 thread | "
             "CPU ns per call | context switches per 1000 calls |")
    L.append("|---|---:|---:|---:|---:|---:|---:|---:|")
    for kind, tag in (("mtspin", "s"), ("mtfail", "d"), ("mttable", "t")):
        one = mt.get((kind, 1))
        for (k, n), x in sorted(mt.items()):
            if k != kind:
                continue
            L.append("| %s%d | %d | %d | %s | %s | %s | %s | %s |" % (
                tag, n, n, x["calls"], fmt(x["median"], 2), fmt(x["min"], 2),
                fmt(one["median"] / x["median"], 2) if one else "-", fmt(x["cpu"], 2), fmt(x["csw"], 2)))
    L.append("")


def cpu_ci_lines(off, on, L):
    """The CPU us per message with and without the shim, mean and 95 % interval,
    and the paired difference (run i with against run i without)."""
    co, cw = [r["cpu_us"] for r in off], [r["cpu_us"] for r in on]
    ci = {"off": mean_ci95(co), "on": mean_ci95(cw), "diff": mean_ci95([w - o for o, w in zip(co, cw)])}
    L.append("CPU per message (user + system of the consumer process / messages), mean and 95 % confidence "
             "interval (Student's t over the runs):\n")
    L.append("| | runs | mean CPU us/msg | 95 % interval | runs (us/msg) |")
    L.append("|---|---:|---:|---|---|")
    for name, v, key in (("without shim", co, "off"), ("with shim", cw, "on")):
        m, h = ci[key]
        L.append("| %s | %d | %.3f | %.3f .. %.3f (+- %.3f) | %s |" % (name, len(v), m, m - h, m + h, h,
                                                                       " ".join("%.2f" % x for x in v)))
    m, h = ci["diff"]
    L.append("| with - without (paired) | %d | %+.3f | %+.3f .. %+.3f (+- %.3f) | |" % (len(co), m, m - h, m + h, h))
    L.append("")
    return ci


def machine_lines(L, mc):
    L.append("## Machine\n")
    L.append("nproc %s; CPU %s; kernel %s; %s; libffi %s; %s; load average at start %s; "
             "source %s; %s.\n" % (mc["nproc"], mc["cpu"], mc["kernel"], mc["gcc"], mc["libffi"], mc["valgrind"],
                                   mc["load"], mc["commit"], mc["date"]))


def batch_table(L, batch, a):
    L.append("## 5. C++ API listener, a batch of %d all succeeding: wrapped vs unwrapped\n" % a.batch_size)
    if not batch:
        L.append("(skipped: no real client build in build/real)\n")
        return
    L.append("bench/batch_bench.cc against the real client library, no broker: the consumer's stored listener "
             "(the application's own without the shim, the shim's wrapper under LD_PRELOAD) called with one "
             "std::vector<MQMessageExt> of %d made by the client's constructors; the listener reads each id "
             "(C++ getter) and returns CONSUME_SUCCESS. %d trials per side, processes interleaved (order "
             "alternating), %d batches per trial after a warm-up, pinned to cpu %d; ns = median of the "
             "trials (min .. max); instructions per batch under callgrind (the loop only, %d batches).\n" % (
                 a.batch_size, a.batch_trials, a.batches, a.cpu, a.cg_batches))
    L.append("| client | sizeof(MQMessageExt) | unwrapped ns/batch | wrapped ns/batch | ratio (medians) | "
             "pair ratios median (min .. max) | unwrapped instr/batch | wrapped instr/batch | instr ratio | "
             "wrapper instr per message |")
    L.append("|---|---:|---|---|---:|---|---:|---:|---:|---:|")
    med = statistics.median
    for r in batch:
        off, on = r["ns"][False], r["ns"][True]
        pairs = [n / o for o, n in zip(off, on)]
        io, iw = r["ir"].get(False), r["ir"].get(True)
        L.append("| %s | %d | %.1f (%.1f .. %.1f) | %.1f (%.1f .. %.1f) | %.2f | %.2f (%.2f .. %.2f) | %s | %s | "
                 "%s | %s |" % (r["client"], r["sizeof"], med(off), min(off), max(off), med(on), min(on), max(on),
                                med(on) / med(off), med(pairs), min(pairs), max(pairs), fmt(io, 1), fmt(iw, 1),
                                fmt(iw / io, 2) if io and iw else "-",
                                fmt((iw - io) / a.batch_size, 1) if io and iw else "-"))
    L.append("")


def table(mc, rows, scale, chk, e2e, a, mt=None, batch=None):
    L = []
    machine_lines(L, mc)
    A, B = rows["a"], rows["b"]
    L.append("## 1. Per call (median of %d trials; single thread pinned to cpu %d)\n" % (a.trials, a.cpu))
    L.append("| row | path | calls/trial | median ns | min ns | ns over (a) | x (a) | x (b) | instr/call (callgrind) | instr x (b) |")
    L.append("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|")
    names = {
        "a": "direct call of the callback",
        "b": "bare libffi closure calling it (floor)",
        "c": "shim, success path",
        "ct": "shim, success path while another message is tracked",
        "d": "shim, reconsume later below the cap",
        "e": "shim, C++ exception caught (catch=status,exception)",
        "e0": "no shim: the same throw caught by try/catch at the call",
    }
    for r in ("a", "b", "c", "ct", "d", "e", "e0"):
        x = rows.get(r)
        if not x:
            continue
        ir = x.get("ir")
        L.append("| %s | %s | %d | %s | %s | %s | %s | %s | %s | %s |" % (
            r, names[r], x["calls"], fmt(x["median"], 2), fmt(x["min"], 2), fmt(x["median"] - A["median"], 2),
            fmt(x["median"] / A["median"], 2), fmt(x["median"] / B["median"], 2), fmt(ir, 1),
            fmt(ir / B["ir"], 3) if ir and B.get("ir") else "-"))
    L.append("")
    sa, sb, sc, sf = rows["sa"], rows["sb"], rows["sc"], rows["sf"]
    L.append("Side by side, in one process with the shim linked in (build/bench/percall_static):\n")
    L.append("| row | path | median ns | ns over (a) | instr/call |")
    L.append("|---|---|---:|---:|---:|")
    for r, x, n in (("a", sa, "direct call"), ("b", sb, "bare libffi closure"),
                    ("c", sc, "shim via its libffi closure (as shipped)"),
                    ("f", sf, "shim's handler via a static C thunk (no libffi)")):
        L.append("| %s | %s | %s | %s | %s |" % (r, n, fmt(x["median"], 2), fmt(x["median"] - sa["median"], 2),
                                              fmt(x.get("ir"), 1)))
    L.append("")
    if "b2" in rows:
        L.append("Two threads delivering at once (not pinned; ns per call per thread, median of %d): "
                 "bare closure (b2) %s ns, shim success (c2) %s ns.\n" %
                 (a.trials, fmt(rows["b2"]["median"], 2), fmt(rows["c2"]["median"], 2)))
    if mt:
        threads_table(L, mt, a)
    L.append("## 2. End to end\n")
    pairs, cn, co, e2e_ci = [], 1.0, 1.0, {}
    if e2e:
        off, on = e2e["res"][False], e2e["res"][True]
        med = statistics.median
        mo, mn = med([r["rate"] for r in off]), med([r["rate"] for r in on])
        ro, rn = med([r["rss"] for r in off]), med([r["rss"] for r in on])
        co, cn = med([r["cpu_us"] for r in off]), med([r["cpu_us"] for r in on])
        pairs = [n["rate"] / o["rate"] for o, n in zip(off, on)]
        spread = (max(r["rate"] for r in off) - min(r["rate"] for r in off)) / mo
        L.append("Against: **%s**. %d messages per run, %d interleaved runs each (order alternating), every run "
                 "a new consumer group reading the same topic from its start; throughput from the first delivery "
                 "to the last; CPU = user+system time of the whole consumer process (start-up included) per "
                 "message; peak RSS = the consumer's VmHWM.\n" % (e2e["kind"], e2e["messages"], len(off)))
        L.append("| | median msgs/s | runs (msgs/s) | median CPU us/msg | median peak RSS kB | runs (kB) |")
        L.append("|---|---:|---|---:|---:|---|")
        L.append("| without shim | %.0f | %s | %.2f | %d | %s |" % (
            mo, " ".join("%.0f" % r["rate"] for r in off), co, ro, " ".join(str(r["rss"]) for r in off)))
        L.append("| with shim | %.0f | %s | %.2f | %d | %s |" % (
            mn, " ".join("%.0f" % r["rate"] for r in on), cn, rn, " ".join(str(r["rss"]) for r in on)))
        L.append("| ratio with/without | %.3f | pairs: %s | %.3f | %.3f | |" % (
            mn / mo, " ".join("%.2f" % x for x in pairs), cn / co, rn / ro))
        L.append("")
        L.append("Run-to-run spread of throughput without the shim alone: %.0f%% of its median; "
                 "median of the per-pair ratios: %.3f." % (100 * spread, med(pairs)))
        L.append("")
        e2e_ci.update(cpu_ci_lines(off, on, L))
    else:
        L.append("(skipped)\n")
    L.append("## 3. Scale: distinct failing messages tracked\n")
    L.append("| failing msgs | TRACK_MAX | tracked | fill ns/msg | success ns (untracked msg, table not empty) | "
             "reconsume ns (tracked msg) | heap growth bytes | bytes/tracked | RSS kB before -> after |")
    L.append("|---:|---:|---:|---:|---:|---:|---:|---:|---|")
    for s in scale:
        tracked = min(s["fill"], s["track"])
        L.append("| %d | %d | %d | %.0f | %.2f | %.2f | %d | %.0f | %d -> %d |" % (
            s["fill"], s["track"], tracked, s["fill_ns"], s["ok_ns"], s["later_ns"], s["heap"],
            s["heap"] / tracked if tracked else 0, s["rss0"], s["rss1"]))
    L.append("")
    L.append("## 4. Allocation / lock / system-call check (bench-check)\n")
    L.append("| probe | calls | allocations | frees | locks | system calls | accessor calls |")
    L.append("|---|---:|---:|---:|---:|---:|---:|")
    for p in chk["probes"]:
        L.append("| %s | %s | %s | %s | %s | %s | %s |" % tuple(p[:7]))
    L.append("")
    L.append("Verdict: " + "; ".join(" ".join(v) for v in chk["verdict"]) + "\n")
    spooled = len(os.listdir(os.path.join(ROOT, a.build, "bench", "spool", "new"))) \
        if os.path.isdir(os.path.join(ROOT, a.build, "bench", "spool", "new")) else 0
    L.append("Messages diverted to the spool during the whole run: %d (expected 0: every failure row stays "
             "below RECONSUME_MAX_RETRIES=1000).\n" % spooled)
    batch_table(L, batch, a)
    L.append("## Targets\n")
    over = rows["c"]["median"] - A["median"]
    irr = rows["c"]["ir"] / B["ir"] if rows["c"].get("ir") and B.get("ir") else None
    L.append("- success path <= 20 ns over direct: %.2f ns -> %s" % (over, "met" if over <= 20 else "NOT met"))
    L.append("- instructions per call <= 1.05 x bare libffi closure (issue 16): %s x (%s vs %s) -> %s" % (
        fmt(irr, 3), fmt(rows["c"].get("ir"), 1), fmt(B.get("ir"), 1),
        "met" if irr and irr <= 1.05 else "NOT met"))
    cst, cs = rows.get("c_status", {}).get("ir"), rows.get("c_stats", {}).get("ir")
    if cst and B.get("ir"):
        L.append("- the same with RECONSUME_CATCH=status (no exception guard): %.1f instructions, %.3f x bare -> %s" % (
            cst, cst / B["ir"], "met" if cst / B["ir"] <= 1.05 else "NOT met"))
    if cs and rows["c"].get("ir"):
        L.append("- success with RECONSUME_STATS <= 1.5 x the default success path: %.1f instructions, %.3f x -> %s"
                 % (cs, cs / rows["c"]["ir"], "met" if cs / rows["c"]["ir"] <= 1.5 else "NOT met"))
    L.append("- no allocation, lock or system call on the success path: %s" %
             ("met" if chk["rc"] == 0 else "NOT met"))
    if e2e:
        q = statistics.quantiles(pairs, n=4) if len(pairs) >= 2 else [pairs[0]] * 3
        iqr = q[2] - q[0]
        if iqr > 0.02:
            verdict = ("cannot be judged from this run: the pair ratios' interquartile range is %.2f, "
                       "far wider than the 0.01 to resolve" % iqr)
        else:
            verdict = "met" if mn / mo >= 0.99 else "NOT met"
        L.append("- end-to-end CPU per message (%s), mean and 95 %% interval: without %.2f +- %.2f us, with "
                 "%.2f +- %.2f us, with - without %+.3f +- %.3f us (paired) -> the shim's share is %s" % (
                     "real broker" if "real" in e2e["kind"] else "TEST DOUBLE, not a broker figure",
                     e2e_ci["off"][0], e2e_ci["off"][1], e2e_ci["on"][0], e2e_ci["on"][1], e2e_ci["diff"][0],
                     e2e_ci["diff"][1], "resolved" if abs(e2e_ci["diff"][0]) > e2e_ci["diff"][1]
                     else "within the noise (the interval contains 0)"))
        L.append("- end-to-end throughput with the shim >= 0.99 of without (%s): ratio of medians %.3f, "
                 "median pair ratio %.3f, CPU per message ratio %.3f -> %s" % (
                     "real broker" if "real" in e2e["kind"] else "TEST DOUBLE, not a broker figure", mn / mo,
                     statistics.median(pairs), cn / co, verdict))
    ct, c = rows.get("ct", {}), rows["c"]
    if ct.get("ir") and c.get("ir"):
        L.append("- success while another message is tracked <= 2 x the untracked success path: %.2f x instructions "
                 "(%s vs %s), %.2f x ns -> %s" % (ct["ir"] / c["ir"], fmt(ct["ir"], 1), fmt(c["ir"], 1),
                                                  ct["median"] / c["median"],
                                                  "met" if ct["ir"] / c["ir"] <= 2 else "NOT met"))
    if mt and ("mtfail", 1) in mt and ("mtfail", 16) in mt:
        x = mt[("mtfail", 1)]["median"] / mt[("mtfail", 16)]["median"]
        sp = mt[("mtspin", 1)]["median"] / mt[("mtspin", 16)]["median"] if ("mtspin", 16) in mt else None
        L.append("- failure path: throughput with 16 threads >= 1.5 x one thread's (%s cores): %.2f x -> %s "
                 "(share-nothing work got %s x in the same run%s)" % (
                     mc["nproc"], x, "met" if x >= 1.5 else "NOT met", fmt(sp, 2),
                     "" if sp is None or sp >= 1.5 else ": the machine did not give the process the cores to "
                     "judge the target; compare %.2f x with that ceiling" % x))
    L.append("- shim tables bounded by configuration: see section 3 (heap growth stops at TRACK_MAX entries)")
    return "\n".join(L) + "\n"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", default="build")
    ap.add_argument("--trials", type=int, default=15)
    ap.add_argument("--calls", type=int, default=1000000)
    ap.add_argument("--cg-calls", type=int, default=100000)
    ap.add_argument("--cpu", type=int, default=1, help="cpu to pin the single-thread runs to (-1: none)")
    ap.add_argument("--scale", default="1000,100000,1000000")
    ap.add_argument("--mt-threads", default="1,2,16", help="thread counts of the failure-path rows dN, tN")
    ap.add_argument("--mt-calls", type=int, default=921600,
                    help="calls per trial of rows dN, tN, all threads together (at most 921600: below the cap)")
    ap.add_argument("--e2e", choices=("auto", "real", "double", "none"), default="auto")
    ap.add_argument("--e2e-messages", type=int, default=50000)
    ap.add_argument("--e2e-runs", type=int, default=7)
    ap.add_argument("--e2e-body", type=int, default=100)
    ap.add_argument("--batch-trials", type=int, default=31, help="C++ listener bench: trials per side")
    ap.add_argument("--batches", type=int, default=200000, help="C++ listener bench: batches per trial")
    ap.add_argument("--cg-batches", type=int, default=2000, help="C++ listener bench: batches under callgrind")
    ap.add_argument("--batch-size", type=int, default=32, help="C++ listener bench: messages per batch")
    ap.add_argument("--only", choices=("batch",), help="run only this part (batch: the C++ listener bench)")
    a = ap.parse_args()
    a.scale = [int(x) for x in a.scale.split(",")]
    if a.cpu >= 0 and a.cpu >= (os.cpu_count() or 1):
        a.cpu = -1
    bn = Bench(a)
    mc = machine(bn.b)
    if a.only == "batch":
        L = []
        machine_lines(L, mc)
        batch_table(L, bn.batch(), a)
        text = "# reconsume: the C++ listener wrapper per batch (make bench BENCH_ARGS=\"--only batch\")\n\n" + \
            "\n".join(L) + "\n"
        with open(os.path.join(bn.bb, "results-batch.md"), "w") as f:
            f.write(text)
        print(text)
        return 0
    rows = bn.per_call()
    mt = bn.threads()
    scale = bn.scale()
    chk = bn.check()
    e2e = bn.e2e()
    batch = bn.batch()
    text = "# reconsume: the cost of the shim (make bench)\n\n" + table(mc, rows, scale, chk, e2e, a, mt, batch)
    with open(os.path.join(bn.bb, "results.md"), "w") as f:
        f.write(text)
    print(text)
    return 0 if chk["rc"] == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
