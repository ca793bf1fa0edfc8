"""The .csv series written beside the .prom file (one line of cumulative
counters per write), and per-second rates between writes.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from .errors import InputError, read_bytes, show

CSV_HEADER = ["unix_ms", "success", "reconsume", "bad_status", "exception", "signal",
              "injected", "diverted", "crash_loops"]
SERIES = CSV_HEADER[1:]


@dataclass
class Series:
    path: str
    label: str
    t: list        # seconds since the first row
    values: dict   # series name -> [cumulative counts]


def load_csv(path, label):
    data = read_bytes(path)
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as e:
        raise InputError([f"{path}: not valid UTF-8 ({e.reason} at byte {e.start})"])
    errors, rows = [], []
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    if not lines:
        raise InputError([f"{path}: empty (no header, no rows)"])
    for lineno, line in enumerate(lines, 1):
        cells = line.split(",")
        if cells == CSV_HEADER:
            continue  # the header (again, if runs were appended to one file)
        if lineno == 1:
            raise InputError([f"{path}:1: expected the header {','.join(CSV_HEADER)}"])
        if len(cells) != len(CSV_HEADER) or not all(re.fullmatch(r"\d+", c) for c in cells):
            errors.append(f"{path}:{lineno}: expected {len(CSV_HEADER)} unsigned integers, "
                          f"got {show(line)}")
            continue
        rows.append([int(c) for c in cells])
    if errors:
        raise InputError.first_of(errors, "bad rows")
    if not rows:
        raise InputError([f"{path}: no data rows"])
    t0 = min(r[0] for r in rows)
    return Series(path, label, [(r[0] - t0) / 1000 for r in rows],
                  {name: [r[i + 1] for r in rows] for i, name in enumerate(SERIES)})


def to_rates(s: Series):
    """Per-second rates over each interval between writes, plotted at its end.
    A write much closer to the previous one than the usual interval (the writes
    at destroy and exit) is merged into it, so it does not make a spike."""
    t = s.t
    if len(t) < 2:
        return [], {k: [] for k in s.values}
    gaps = sorted(b - a for a, b in zip(t, t[1:]) if b > a)
    median = gaps[len(gaps) // 2] if gaps else 0
    keep = [0]
    for i in range(1, len(t)):
        if t[i] - t[keep[-1]] >= max(median / 4, 1e-9):
            keep.append(i)
        elif i == len(t) - 1 and len(keep) > 1:
            keep[-1] = i
    tt, out = [], {k: [] for k in s.values}
    for a, b in zip(keep, keep[1:]):
        dt = t[b] - t[a]
        tt.append(t[b])
        for k, v in s.values.items():
            d = v[b] - v[a]
            if d < 0:  # a counter reset: another process appended to the file
                d = v[b]
            out[k].append(d / dt)
    return tt, out

