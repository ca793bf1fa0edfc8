"""The report's figures from a parsed stats file: outcomes (real and
injected), injected faults, the handling counters, the per group / topic
table, callback latency (mean and percentiles estimated from the histogram
buckets) and attempts per message. One dict per run, also what --json prints.
"""
from __future__ import annotations

import math

from .errors import InputError, show
from .lines import fmt_labels, fmt_value, not_a_count, parse_float

OUTCOMES = ["success", "reconsume", "bad_status", "exception", "signal"]
ACTIONS = ["reconsume", "status", "throw", "delay"]
# (JSON key, metric, label in the table)
COUNTERS = [
    ("diverted", "reconsume_diverted_total", "diverted"),
    ("divert_failures", "reconsume_divert_failures_total", "divert failures"),
    ("crash_loops", "reconsume_crash_loops_total", "crash loops"),
    ("timeouts", "reconsume_timeouts_total", "timeouts"),
    ("inprocess_retries", "reconsume_inprocess_retries_total", "in-process retries"),
    ("signal_recoveries", "reconsume_signal_recoveries_total", "signal recoveries"),
    ("would_divert", "reconsume_would_divert_total", "would divert (observe)"),
    ("registrations", "reconsume_registrations_total", "registrations"),
]
LATENCY = "reconsume_callback_duration_seconds"
ATTEMPTS = "reconsume_attempts"
QUANTILES = [("p50", 0.5), ("p90", 0.9), ("p99", 0.99)]
# The samples read as counts and as sums, whatever their TYPE: an untyped
# family may hold any value (and --check passes it), a report cannot.
COUNTS = {"reconsume_deliveries_total", "reconsume_injected_deliveries_total",
          "reconsume_injected_faults_total", "reconsume_topic_deliveries_total",
          *(m for _, m, _ in COUNTERS), *(h + s for h in (LATENCY, ATTEMPTS)
                                         for s in ("_bucket", "_count"))}
SUMS = {LATENCY + "_sum", ATTEMPTS + "_sum"}


def num(v):
    """A JSON-friendly number: int when integral, None when not finite."""
    if v is None or (isinstance(v, float) and not math.isfinite(v)):
        return None
    if float(v).is_integer():
        return int(v)
    return v


def check_values(expo):
    """Every sample the report reads is a finite, non-negative number, and
    every bucket it reads has a bound; InputError (one line) if not."""
    problems = []
    for s in expo.samples:
        where = f"{expo.path}:{s.line}: {s.name}{fmt_labels(s.labels)}"
        shown = fmt_value(s.value) if not math.isfinite(s.value) else f"{s.value:g}"
        if s.name in COUNTS and not_a_count(s.value):
            problems.append(f"{where}: {shown} is not a count "
                            "(the report needs finite, non-negative counts)")
        elif s.name in SUMS and not_a_count(s.value):
            problems.append(f"{where}: {shown} is not a sum of durations or attempts "
                            "(the report needs a finite, non-negative sum)")
        elif s.name.endswith("_bucket") and s.name in COUNTS and set(s.labels) == {"le"}:
            le = parse_float(s.labels["le"].strip())
            if le is None or math.isnan(le):
                problems.append(f"{where}: le={show(s.labels['le'])} is not a bucket bound")
    if problems:
        raise InputError.first_of(problems)


def histogram_buckets(expo, name):
    """[(le, cumulative count)] sorted, the last +Inf; None when absent."""
    bs = [(float(s.labels["le"]), s.value) for s in expo.series(name + "_bucket")
          if set(s.labels) == {"le"}]
    if not bs:
        return None
    return sorted(bs)


def histogram_quantile(q, buckets):
    """As Prometheus's histogram_quantile: (value, above) where above means the
    rank fell in the +Inf bucket and value is the highest finite bound."""
    if not buckets or buckets[-1][0] != math.inf or len(buckets) < 2:
        return None, False
    total = buckets[-1][1]
    if total == 0:
        return None, False
    rank = q * total
    b = next(i for i, (_, c) in enumerate(buckets) if c >= rank)
    if b == len(buckets) - 1:
        return buckets[-2][0], True
    if b == 0 and buckets[0][0] <= 0:
        return buckets[0][0], False
    start = 0.0 if b == 0 else buckets[b - 1][0]
    end = buckets[b][0]
    below = 0.0 if b == 0 else buckets[b - 1][1]
    inside = buckets[b][1] - below
    if inside == 0:
        return end, False
    return start + (end - start) * (rank - below) / inside, False


def attempt_ranges(buckets):
    """Bucket labels for integer attempts: '1', '2', '5-6', '>32'."""
    out, prev = [], 0
    for le, _ in buckets:
        if le == math.inf:
            out.append(f">{prev:g}")
        else:
            lo = math.floor(prev) + 1
            hi = math.floor(le)
            out.append(f"{hi}" if lo >= hi else f"{lo}-{hi}")
            prev = le
    return out


def figures(expo, label):
    if not expo.families.get("reconsume_deliveries_total"):
        raise InputError([f"{expo.path}: not a reconsume stats file "
                          "(no reconsume_deliveries_total)"])
    check_values(expo)
    f = {"label": label, "file": expo.path}
    real = {o: num(expo.value("reconsume_deliveries_total", 0, outcome=o)) for o in OUTCOMES}
    inj = {o: num(expo.value("reconsume_injected_deliveries_total", 0, outcome=o)) for o in OUTCOMES}
    f["deliveries"] = {"real": real, "injected": inj,
                       "total": {o: num(real[o] + inj[o]) for o in OUTCOMES}}
    f["injected_faults"] = {a: num(expo.value("reconsume_injected_faults_total", 0, action=a))
                            for a in ACTIONS}
    f["counters"] = {k: num(expo.value(m, 0)) for k, m, _ in COUNTERS}
    topics: dict[tuple, dict] = {}
    for s in expo.series("reconsume_topic_deliveries_total"):
        key = (s.labels.get("group", ""), s.labels.get("topic", ""),
               s.labels.get("injected", "false") == "true")
        row = topics.setdefault(key, {"group": key[0], "topic": key[1], "injected": key[2],
                                      "outcomes": {o: 0 for o in OUTCOMES}})
        o = s.labels.get("outcome", "?")
        row["outcomes"][o] = num(row["outcomes"].get(o, 0) + s.value)
    f["topics"] = [topics[k] for k in sorted(topics)]

    lat = histogram_buckets(expo, LATENCY)
    if lat:
        count = expo.value(LATENCY + "_count", 0)
        total = expo.value(LATENCY + "_sum", 0)
        qs = {}
        for key, q in QUANTILES:
            v, above = histogram_quantile(q, lat)
            qs[key] = None if v is None else {"seconds": v, "above_last_bound": above}
        f["latency"] = {"count": num(count), "sum_seconds": total,
                        "mean_seconds": total / count if count else None,
                        "buckets": [{"le": num(le) if le != math.inf else "+Inf", "count": num(c)}
                                    for le, c in lat],
                        "quantiles": qs, "quantiles_estimated_from": "histogram buckets"}
    else:
        f["latency"] = None
    att = histogram_buckets(expo, ATTEMPTS)
    if att:
        count = expo.value(ATTEMPTS + "_count", 0)
        total = expo.value(ATTEMPTS + "_sum", 0)
        dist, prev = [], 0
        for r, (le, c) in zip(attempt_ranges(att), att):
            dist.append({"attempts": r, "count": num(c - prev)})
            prev = c
        f["attempts"] = {"count": num(count), "sum": num(total),
                         "mean": total / count if count else None,
                         "buckets": [{"le": num(le) if le != math.inf else "+Inf", "count": num(c)}
                                     for le, c in att],
                         "distribution": dist}
    else:
        f["attempts"] = None
    return f
