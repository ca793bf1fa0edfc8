"""The chart: one line per series of the .csv file (cumulative counts or
per-second rates), B dashed when two runs are drawn. A self-contained SVG
(no script, no external fonts or styles).
"""
from __future__ import annotations

import math
from xml.sax.saxutils import escape as xml_escape

from .series import SERIES, to_rates

COLORS = {
    "success": "#2ca02c", "reconsume": "#ff7f0e", "bad_status": "#9467bd",
    "exception": "#d62728", "signal": "#8c564b", "injected": "#1f77b4",
    "diverted": "#e377c2", "crash_loops": "#7f7f7f",
}


def nice_ticks(lo, hi, n=5):
    if hi <= lo:
        hi = lo + 1
    raw = (hi - lo) / n
    mag = 10 ** math.floor(math.log10(raw))
    step = next(m * mag for m in (1, 2, 2.5, 5, 10) if m * mag >= raw)
    first = math.floor(lo / step) * step
    ticks = []
    v = first
    while v <= hi + step * 1e-9:
        ticks.append(round(v, 10))
        v += step
    if ticks[-1] < hi:
        ticks.append(round(ticks[-1] + step, 10))
    return ticks


def fmt_tick(v):
    return f"{v:g}" if abs(v) < 1e6 else f"{v:.2g}"


def run_note(s, mode):
    """What the chart cannot show of a run that recorded deliveries: all its
    writes at one time (no line, no rate), or no change between its writes
    (all came before the first one: flat lines, rates of 0). Two lines of
    text (the totals, the reason), or None."""
    totals = ", ".join(f"{k} {s.values[k][-1]}" for k in SERIES if s.values[k][-1])
    if not totals:
        return None
    n = len(s.t)
    if len(set(s.t)) < 2:
        need = "a rate" if mode == "rate" else "a line over time"
        where = "in its one write" if n == 1 else f"in {n} writes at the same time"
        return totals, f"{where}: {need} needs at least two writes"
    if all(len(set(v)) == 1 for v in s.values.values()):
        then = "so every rate is 0" if mode == "rate" else "so the lines are flat"
        return totals, (f"all before its first write (no change over its {n} writes, "
                        f"{fmt_tick(s.t[-1])} s), {then}")
    return None


def render_svg(runs: list, mode: str) -> str:
    W, H = 860, 480
    ml, mr, mt, mb = 80, 200, 50, 60
    pw, ph = W - ml - mr, H - mt - mb
    drawn = []  # (run index, run, series name, xs, ys)
    empty = []
    notes = []  # (run index, totals, reason)
    for ri, s in enumerate(runs):
        note = run_note(s, mode)
        if note:
            notes.append((ri, *note))
        if mode == "rate":
            xs, vals = to_rates(s)
        else:
            xs, vals = s.t, s.values
        for name in SERIES:
            ys = vals[name]
            if ys and any(v != 0 for v in ys):
                drawn.append((ri, s, name, xs, ys))
            else:
                empty.append((ri, name))
    all_x = [x for d in drawn for x in d[3]] or [0, 1]
    all_y = [y for d in drawn for y in d[4]] or [0, 1]
    xt = nice_ticks(0, max(max(all_x), 1e-3))
    yt = nice_ticks(0, max(max(all_y), 1))
    x0, x1, y0, y1 = xt[0], xt[-1], yt[0], yt[-1]

    def X(v):
        return ml + (v - x0) / (x1 - x0) * pw

    def Y(v):
        return mt + ph - (v - y0) / (y1 - y0) * ph

    ylabel = ("per second (over each interval between writes)" if mode == "rate"
              else "count since the run started (cumulative)")
    title = "reconsume outcomes over time: " + (
        " vs ".join(s.label for s in runs) if len(runs) > 1 else runs[0].label)
    title += " (per-second rates)" if mode == "rate" else " (cumulative counts)"
    o = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{W}" height="{H}" '
         f'viewBox="0 0 {W} {H}" font-family="sans-serif" font-size="12">',
         f"<title>{xml_escape(title)}</title>",
         f'<rect x="0" y="0" width="{W}" height="{H}" fill="white"/>',
         f'<text x="{W / 2 - (mr - ml) / 2:.1f}" y="24" text-anchor="middle" font-size="14" '
         f'font-weight="bold">{xml_escape(title)}</text>',
         '<g class="grid" stroke="#e0e0e0" stroke-width="1">']
    for v in xt:
        o.append(f'<line x1="{X(v):.1f}" y1="{mt}" x2="{X(v):.1f}" y2="{mt + ph}"/>')
    for v in yt:
        o.append(f'<line x1="{ml}" y1="{Y(v):.1f}" x2="{ml + pw}" y2="{Y(v):.1f}"/>')
    o.append("</g>")
    o.append(f'<g class="axes" stroke="black" stroke-width="1">'
             f'<line x1="{ml}" y1="{mt + ph}" x2="{ml + pw}" y2="{mt + ph}"/>'
             f'<line x1="{ml}" y1="{mt}" x2="{ml}" y2="{mt + ph}"/></g>')
    o.append('<g class="ticks" fill="black">')
    for v in xt:
        o.append(f'<text x="{X(v):.1f}" y="{mt + ph + 16}" text-anchor="middle">{fmt_tick(v)}</text>')
    for v in yt:
        o.append(f'<text x="{ml - 6}" y="{Y(v) + 4:.1f}" text-anchor="end">{fmt_tick(v)}</text>')
    o.append("</g>")
    o.append(f'<text class="xlabel" x="{ml + pw / 2:.1f}" y="{H - 16}" text-anchor="middle">'
             "seconds since the run's first write</text>")
    o.append(f'<text class="ylabel" x="18" y="{mt + ph / 2:.1f}" text-anchor="middle" '
             f'transform="rotate(-90 18 {mt + ph / 2:.1f})">{xml_escape(ylabel)}</text>')
    dashes = ["", "6,4", "2,3"]
    o.append('<g class="series" fill="none" stroke-width="2">')
    for ri, s, name, xs, ys in drawn:
        pts = " ".join(f"{X(x):.1f},{Y(y):.1f}" for x, y in zip(xs, ys))
        dash = f' stroke-dasharray="{dashes[ri % 3]}"' if dashes[ri % 3] else ""
        o.append(f'<polyline class="series-{name} run-{ri}" points="{pts}" '
                 f'stroke="{COLORS[name]}"{dash}>'
                 f"<title>{xml_escape(f'{name} ({s.label})')}</title></polyline>")
        if len(xs) < 3:  # too few points for a visible line: mark them
            for x, y in zip(xs, ys):
                o.append(f'<circle cx="{X(x):.1f}" cy="{Y(y):.1f}" r="3" fill="{COLORS[name]}"/>')
        if len(set(xs)) == 1:  # one moment: say its count beside the mark
            o.append(f'<text class="value" x="{X(xs[-1]) + 6:.1f}" y="{Y(ys[-1]) + 4:.1f}" '
                     f'font-size="10" fill="{COLORS[name]}">{fmt_tick(ys[-1])}</text>')
    o.append("</g>")
    # legend
    lx, ly = ml + pw + 20, mt + 4
    o.append('<g class="legend">')
    names = [n for n in SERIES if any(d[2] == n for d in drawn)]
    for i, name in enumerate(names):
        y = ly + i * 20
        o.append(f'<line x1="{lx}" y1="{y}" x2="{lx + 24}" y2="{y}" stroke="{COLORS[name]}" '
                 'stroke-width="2"/>')
        o.append(f'<text x="{lx + 30}" y="{y + 4}">{name}</text>')
    y = ly + len(names) * 20 + 10
    if len(runs) > 1:
        for ri, s in enumerate(runs):
            dash = f' stroke-dasharray="{dashes[ri % 3]}"' if dashes[ri % 3] else ""
            o.append(f'<line x1="{lx}" y1="{y}" x2="{lx + 24}" y2="{y}" stroke="black" '
                     f'stroke-width="2"{dash}/>')
            o.append(f'<text x="{lx + 30}" y="{y + 4}">{"AB"[ri]}: {xml_escape(s.label)}</text>')
            y += 20
    silent = sorted({n for _, n in empty} - set(names), key=SERIES.index)
    if silent:
        o.append(f'<text x="{lx}" y="{y + 10}" font-size="10" fill="#555">all zero: </text>')
        for j, n in enumerate(silent):
            o.append(f'<text x="{lx + 10}" y="{y + 24 + j * 13}" font-size="10" fill="#555">'
                     f"{n}</text>")
    o.append("</g>")
    if notes:  # in the middle when no line is drawn, else at the top left
        middle = all(len(set(d[3])) == 1 for d in drawn)
        x, anchor = (ml + pw / 2, "middle") if middle else (ml + 8, "start")
        y = mt + ph / 2 - 14 * len(notes) if middle else mt + 14
        o.append(f'<g class="notes" font-size="11" fill="#555" text-anchor="{anchor}">')
        for ri, totals, reason in notes:
            who = f"{'AB'[ri]}: " if len(runs) > 1 else ""
            o.append(f'<text x="{x:.1f}" y="{y:.1f}">{xml_escape(who + totals)}</text>')
            o.append(f'<text x="{x:.1f}" y="{y + 14:.1f}">{xml_escape(reason)}</text>')
            y += 32
        o.append("</g>")
    elif not drawn:
        o.append(f'<text x="{ml + pw / 2:.1f}" y="{mt + ph / 2:.1f}" text-anchor="middle" '
                 'fill="#555">no deliveries recorded</text>')
    o.append("</svg>")
    return "\n".join(o) + "\n"

