"""The text tables: one run (render_one), two runs side by side with the
differences B - A (render_two), and the same comparison for --json
(diff_json).
"""
from __future__ import annotations

from .figures import ACTIONS, COUNTERS, OUTCOMES, QUANTILES, num

# Under the latency figures: they are not measured percentiles.
ESTIMATE_NOTE = ("  " + ", ".join(k for k, _ in QUANTILES) +
                 ": estimated from the histogram buckets (as Prometheus's histogram_quantile)")


def shown(name):
    """A group or topic name for a table: backslash and control bytes escaped."""
    out = []
    for ch in name:
        if ch == "\\":
            out.append("\\\\")
        elif ch == "\n":
            out.append("\\n")
        elif ord(ch) < 0x20 or ord(ch) == 0x7f:
            out.append(f"\\x{ord(ch):02x}")
        else:
            out.append(ch)
    return "".join(out)


def fmt_count(v):
    if v is None:
        return "-"
    v = num(v)
    return f"{v:,}".replace(",", "") if isinstance(v, int) else f"{v:.6g}"


def fmt_seconds(s):
    if s is None:
        return "-"
    a = abs(s)
    if a == 0:
        return "0 ms"
    if a < 1e-4:
        return f"{s * 1e6:.1f} us"
    if a < 1e-3:
        return f"{s * 1e6:.0f} us"
    ms = s * 1e3
    if a < 0.01:
        return f"{ms:.2f} ms"
    if a < 0.1:
        return f"{ms:.1f} ms"
    if a < 1:
        return f"{ms:.0f} ms"
    return f"{s:.3g} s"


def fmt_quantile(qv):
    if qv is None:
        return "-"
    s = fmt_seconds(qv["seconds"])
    return f"> {s}" if qv["above_last_bound"] else s


def fmt_diff(a, b, fmt=fmt_count):
    if a is None or b is None:
        return "n/a"
    d = b - a
    if d == 0:
        return "0"
    sign = "+" if d > 0 else "-"
    mag = fmt(abs(d))
    if a == 0:
        return f"{sign}{mag} (new)"
    return f"{sign}{mag} ({sign}{abs(d) / abs(a) * 100:.1f}%)"


def table(rows, header=None, left=1, indent="  ", left_cols=()):
    """Plain-text columns: the first `left` columns (and left_cols) left-aligned,
    the others right-aligned."""
    all_rows = ([header] if header else []) + rows
    if not all_rows:
        return []
    widths = [max(len(r[i]) for r in all_rows) for i in range(len(all_rows[0]))]
    out = []
    for r in all_rows:
        cells = [c.ljust(w) if i < left or i in left_cols else c.rjust(w) for i, (c, w) in enumerate(zip(r, widths))]
        out.append((indent + "  ".join(cells)).rstrip())
    return out


def render_one(f):
    L = [f"reconsume report: {f['label']}", ""]
    d = f["deliveries"]
    rows = [[o, fmt_count(d["real"][o]), fmt_count(d["injected"][o]), fmt_count(d["total"][o])]
            for o in OUTCOMES]
    rows.append(["all", *(fmt_count(sum(d[k].values())) for k in ("real", "injected", "total"))])
    L += ["Outcomes (callback calls)"] + table(rows, ["outcome", "real", "injected", "total"]) + [""]
    rows = [[a, fmt_count(f["injected_faults"][a])] for a in ACTIONS]
    L += ["Injected faults"] + table(rows, ["action", "faults"]) + [""]
    rows = [[lbl, fmt_count(f["counters"][k])] for k, _, lbl in COUNTERS]
    L += ["Handling"] + table(rows) + [""]
    L.append("By group / topic (callback calls)")
    if f["topics"]:
        rows = [[shown(t["group"]), shown(t["topic"]), "injected" if t["injected"] else "real",
                 *(fmt_count(t["outcomes"].get(o, 0)) for o in OUTCOMES),
                 fmt_count(sum(t["outcomes"].values()))] for t in f["topics"]]
        L += table(rows, ["group", "topic", "kind", *OUTCOMES, "all"], left=3)
    else:
        L.append("  (none)")
    L.append("")
    lat = f["latency"]
    if lat:
        L.append(f"Callback latency: {fmt_count(lat['count'])} calls, "
                 f"mean {fmt_seconds(lat['mean_seconds'])}")
        L += table([[k, fmt_quantile(lat["quantiles"][k])] for k, _ in QUANTILES])
        L.append(ESTIMATE_NOTE)
    else:
        L.append("Callback latency: no calls")
    L.append("")
    att = f["attempts"]
    if att:
        mean = "-" if att["mean"] is None else f"{att['mean']:.2f}"
        L.append(f"Attempts per message: {fmt_count(att['count'])} messages, mean {mean}")
        total = att["count"] or 0
        rows = []
        for dd in att["distribution"]:
            frac = dd["count"] / total if total else 0
            rows.append([dd["attempts"], fmt_count(dd["count"]), f"{frac * 100:.1f}%",
                         "#" * round(frac * 30)])
        L += table(rows, ["attempts", "messages", "share", ""], left_cols=(3,))
    else:
        L.append("Attempts per message: no messages settled")
    return "\n".join(L).rstrip() + "\n"


def flat_rows(f):
    """[(section, row, value, formatter, sort key)] for the side-by-side view."""
    R = []
    for o in OUTCOMES:
        R.append(("Outcomes (callback calls)", f"{o} real", f["deliveries"]["real"][o], fmt_count))
        R.append(("Outcomes (callback calls)", f"{o} injected", f["deliveries"]["injected"][o],
                  fmt_count))
    R.append(("Outcomes (callback calls)", "all",
              sum(f["deliveries"]["total"].values()), fmt_count))
    for a in ACTIONS:
        R.append(("Injected faults", a, f["injected_faults"][a], fmt_count))
    for k, _, lbl in COUNTERS:
        R.append(("Handling", lbl, f["counters"][k], fmt_count))
    for t in f["topics"]:
        kind = "injected" if t["injected"] else "real"
        for o in OUTCOMES:
            R.append(("By group / topic (callback calls)",
                      f"{shown(t['group'])} / {shown(t['topic'])} {o} {kind}",
                      t["outcomes"].get(o, 0), fmt_count,
                      (t["group"], t["topic"], t["injected"], OUTCOMES.index(o))))
    lat = f["latency"] or {}
    R.append(("Callback latency", "calls", lat.get("count", 0), fmt_count))
    R.append(("Callback latency", "mean", lat.get("mean_seconds"), fmt_seconds))
    for k, _ in QUANTILES:
        R.append(("Callback latency", k, (lat.get("quantiles") or {}).get(k), "quantile"))
    att = f["attempts"] or {}
    R.append(("Attempts per message", "messages", att.get("count", 0), fmt_count))
    R.append(("Attempts per message", "mean", att.get("mean"),
              lambda v: "-" if v is None else f"{v:.2f}"))
    for dd in att.get("distribution") or []:
        R.append(("Attempts per message", f"attempts {dd['attempts']}", dd["count"], fmt_count))
    return [r if len(r) == 5 else (*r, (i,)) for i, r in enumerate(R)]


def compare(fa, fb):
    """[(section, row, a, b, diff text, abs diff, relative)] over the union of rows."""
    ra = {(s, r): (v, fm, k) for s, r, v, fm, k in flat_rows(fa)}
    rb = {(s, r): (v, fm, k) for s, r, v, fm, k in flat_rows(fb)}
    order = list(ra)
    for k in rb:
        if k not in ra:
            order.append(k)
    # keep sections together, in first-seen order; rows in their sort order
    sections = list(dict.fromkeys(s for s, _ in order))
    out = []
    for sec in sections:
        keys = sorted((k for k in order if k[0] == sec), key=lambda k: (ra.get(k) or rb.get(k))[2])
        for key in keys:
            fm = (ra.get(key) or rb.get(key))[1]
            is_topic = sec.startswith("By group")
            zero = 0 if is_topic or key[1].startswith("attempts ") else None  # absent = none
            va = ra[key][0] if key in ra else zero
            vb = rb[key][0] if key in rb else zero
            if is_topic and not va and not vb:
                continue
            if fm == "quantile":
                sa, sb = fmt_quantile(va), fmt_quantile(vb)
                if va and vb and not va["above_last_bound"] and not vb["above_last_bound"]:
                    a, b = va["seconds"], vb["seconds"]
                    dt = fmt_diff(a, b, fmt_seconds)
                else:
                    a = b = None
                    dt = "n/a"
                out.append((sec, key[1], sa, sb, dt, a, b))
            else:
                out.append((sec, key[1], fm(va), fm(vb), fmt_diff(va, vb, fm), va, vb))
    return out


def render_two(fa, fb):
    la, lb = fa["label"], fb["label"]
    L = [f"reconsume report: A = {la}, B = {lb}", ""]
    rows = compare(fa, fb)
    sec = None
    block = []

    def flush():
        if sec is not None:
            L.append(sec)
            L.extend(table(block, ["", "A", "B", "B - A"]))
            if sec == "Callback latency" and (fa["latency"] or fb["latency"]):
                L.append(ESTIMATE_NOTE)
            L.append("")

    for s, r, a, b, d, _, _ in rows:
        if s != sec:
            flush()
            sec, block = s, []
        block.append([r, a, b, d])
    flush()
    return "\n".join(L).rstrip() + "\n"


def diff_json(fa, fb):
    out = []
    for s, r, a, b, d, va, vb in compare(fa, fb):
        item = {"section": s, "row": r, "a": a, "b": b, "diff": d}
        if isinstance(va, (int, float)) and isinstance(vb, (int, float)):
            item["delta"] = num(vb - va)
            item["relative"] = (vb - va) / va if va else None
        out.append(item)
    return out
