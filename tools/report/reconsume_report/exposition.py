"""A whole file in the Prometheus text format, parsed strictly and checked:
the rules that span lines (one HELP and one TYPE per name, TYPE before the
first sample, a family's samples together, no duplicate series, histogram
samples and buckets, no negative counters, a final newline).

parse_exposition returns every problem, one "file:line: reason" each
(--check prints them all); load_exposition raises InputError with them.
"""
from __future__ import annotations

import math
import re
from dataclasses import dataclass, field

from .errors import InputError, read_bytes, show
from .lines import (NAME_RE, TYPES, LineError, fmt_labels, not_a_count, out_of_range, parse_float,
                    parse_sample_line, unescape_help)


@dataclass
class Sample:
    name: str
    labels: dict
    value: float
    line: int
    family: str = ""
    role: str = ""  # "", "bucket", "sum" or "count"


@dataclass
class Family:
    name: str
    type: str = "untyped"
    type_line: int = 0
    help: str | None = None
    help_line: int = 0
    samples: list = field(default_factory=list)


@dataclass
class Exposition:
    path: str
    families: dict  # name -> Family, in file order
    samples: list
    process: dict = field(default_factory=dict)  # the process's own labels (strip_process_labels)

    def value(self, name, default=None, **labels):
        for s in self.samples:
            if s.name == name and s.labels == labels:
                return s.value
        return default

    def series(self, name):
        return [s for s in self.samples if s.name == name]


def parse_exposition(data: bytes, path: str):
    """Parse and validate; returns (Exposition, [error lines])."""
    errors = []
    families: dict[str, Family] = {}
    samples: list[Sample] = []
    seen: dict[tuple, int] = {}
    sampled_at: dict[str, int] = {}   # family -> first sample line
    closed: set[str] = set()           # families whose run of samples has ended
    failed: set[str] = set()           # names on lines that were rejected
    current = None

    def err(lineno, msg):
        errors.append(f"{path}:{lineno}: {msg}" if lineno else f"{path}: {msg}")

    if data and not data.endswith(b"\n"):
        err(data.count(b"\n") + 1, "the last line does not end with a newline (truncated file?)")
    lines = data.split(b"\n")
    if lines and lines[-1] == b"":
        lines.pop()
    for lineno, raw in enumerate(lines, 1):
        try:
            line = raw.decode("utf-8")
        except UnicodeDecodeError as e:
            err(lineno, f"not valid UTF-8 ({e.reason} at byte {e.start})")
            continue
        stripped = line.lstrip(" \t")
        if not stripped:
            continue
        try:
            if "\r" in line:
                raise LineError("carriage return in line (lines must end with \\n only)")
            if stripped.startswith("#"):
                toks = stripped[1:].lstrip(" \t")
                kw = re.match(r"\S*", toks).group()
                if kw not in ("HELP", "TYPE"):
                    continue  # a comment
                after = toks[len(kw):]
                if after and after[0] not in " \t":
                    continue  # e.g. "# HELPER": a comment
                after = after.lstrip(" \t")
                nm = re.match(r"[^ \t]*", after).group()
                if not nm:
                    raise LineError(f"# {kw} without a metric name")
                if not NAME_RE.fullmatch(nm):
                    raise LineError(f"# {kw}: invalid metric name {show(nm)} "
                                    "(must match [a-zA-Z_:][a-zA-Z0-9_:]*)")
                rest = after[len(nm):]
                if rest and rest[0] not in " \t":
                    raise LineError(f"# {kw}: invalid metric name {show(nm + rest.split()[0])}")
                rest = rest[1:] if rest else ""
                fam = families.get(nm)
                if kw == "HELP":
                    text = unescape_help(rest)
                    if fam and fam.help is not None:
                        raise LineError(f"second HELP line for {nm} (first at line {fam.help_line})")
                    fam = families.setdefault(nm, Family(nm))
                    fam.help, fam.help_line = text, lineno
                else:
                    t = rest.strip(" \t")
                    if t not in TYPES:
                        raise LineError(f"# TYPE {nm}: unknown type {show(t)} "
                                        f"(expected one of {', '.join(TYPES)})")
                    if fam and fam.type_line:
                        raise LineError(f"second TYPE line for {nm} (first at line {fam.type_line})")
                    if nm in sampled_at:
                        raise LineError(f"TYPE line for {nm} after its first sample "
                                        f"(line {sampled_at[nm]})")
                    fam = families.setdefault(nm, Family(nm))
                    fam.type, fam.type_line = t, lineno
                continue

            name, labels, value, written = parse_sample_line(stripped)
            famname, role = name, ""
            for suffix in ("_bucket", "_sum", "_count"):
                base = name[: -len(suffix)]
                if name.endswith(suffix) and base in families and families[base].type_line \
                        and name not in families:
                    bt = families[base].type
                    if bt == "histogram" or (bt == "summary" and suffix != "_bucket"):
                        famname, role = base, suffix[1:]
                    else:
                        raise LineError(
                            f"{name}: {base} is declared '{bt}' (TYPE at line "
                            f"{families[base].type_line}); a {name} sample needs TYPE histogram")
                    break
            fam = families.setdefault(famname, Family(famname))
            if fam.type == "histogram" and not role:
                raise LineError(f"{name}: {famname} is a histogram (TYPE at line {fam.type_line}); "
                                f"its samples must be {famname}_bucket, _sum or _count")
            if fam.type == "histogram" and role == "bucket" and "le" not in labels:
                raise LineError(f"{name}: a histogram bucket needs an 'le' label")
            if fam.type == "histogram" and role != "bucket" and "le" in labels:
                raise LineError(f"{name}: only {famname}_bucket may have an 'le' label")
            if fam.type == "summary" and not role and "quantile" not in labels:
                raise LineError(f"{name}: a summary sample needs a 'quantile' label")
            what = "a counter" if fam.type == "counter" else \
                f"a {role}" if role in ("bucket", "count") else None
            why = what and not_a_count(value, written)
            if why:
                raise LineError(f"{name}: {what} cannot be {why}")
            key = (name, frozenset(labels.items()))
            if key in seen:
                raise LineError(f"duplicate series {name}{fmt_labels(labels)} "
                                f"(first at line {seen[key]})")
            if famname != current:
                if famname in closed:
                    raise LineError(f"samples of {famname} are not together (first at line "
                                    f"{sampled_at[famname]}; others came between)")
                if current is not None:
                    closed.add(current)
                current = famname
            seen[key] = lineno
            sampled_at.setdefault(famname, lineno)
            s = Sample(name, labels, value, lineno, famname, role)
            fam.samples.append(s)
            samples.append(s)
        except LineError as e:
            err(lineno, str(e))
            m = NAME_RE.match(stripped)
            if m:
                failed.add(m.group())
                failed.add(re.sub(r"_(bucket|sum|count)\Z", "", m.group()))

    for fam in families.values():
        if not fam.samples and fam.name not in failed:
            what = " and ".join(w for w, ok in (("HELP", fam.help is not None),
                                                 (f"TYPE {fam.type}", fam.type_line)) if ok)
            err(fam.type_line or fam.help_line,
                f"{what} for {fam.name} but no {fam.name} samples (misspelt?)")
        if fam.type == "histogram":
            _check_histogram(fam, err)
    return Exposition(path, families, samples), errors


def _check_histogram(fam, err):
    groups: dict[frozenset, dict] = {}
    for s in fam.samples:
        rest = frozenset((k, v) for k, v in s.labels.items() if k != "le")
        g = groups.setdefault(rest, {"buckets": [], "sum": None, "count": None, "line": s.line})
        if s.role == "bucket":
            le = parse_float(s.labels["le"].strip())
            if le is None or math.isnan(le) or out_of_range(s.labels["le"].strip(), le):
                err(s.line, f"{s.name}: invalid le value {show(s.labels['le'])}")
                continue
            g["buckets"].append((le, s))
        else:
            g[s.role] = s
    for rest, g in groups.items():
        where = f"{fam.name}{fmt_labels(dict(sorted(rest)))}"
        line = g["line"]
        bs = sorted(g["buckets"], key=lambda b: b[0])
        for (le0, s0), (le1, s1) in zip(bs, bs[1:]):
            if le0 == le1:
                err(max(s0.line, s1.line), f"{where}: two buckets with le={le1:g} "
                    f"(lines {min(s0.line, s1.line)} and {max(s0.line, s1.line)})")
            elif s1.value < s0.value:
                err(s1.line, f"{where}: bucket le=\"{s1.labels['le']}\" has {s1.value:g}, fewer than "
                    f"bucket le=\"{s0.labels['le']}\" (line {s0.line}) with {s0.value:g}; "
                    "cumulative buckets must not decrease")
        inf = [s for le, s in bs if le == math.inf]
        if not bs:
            err(line, f"{where}: histogram without buckets")
        elif not inf:
            err(bs[-1][1].line, f"{where}: no le=\"+Inf\" bucket")
        if g["count"] is None:
            err(line, f"{where}: no {fam.name}_count")
        elif inf and inf[0].value != g["count"].value:
            err(g["count"].line, f"{where}: {fam.name}_count is {g['count'].value:g} but the "
                f"le=\"+Inf\" bucket (line {inf[0].line}) is {inf[0].value:g}; they must be equal")
        if g["sum"] is None:
            err(line, f"{where}: no {fam.name}_sum")


# The series that keeps a group label of its own (the process's groups are
# joined on the others).
OWN_GROUP = "reconsume_topic_deliveries_total"


def process_labels(expo) -> dict:
    """The labels that tell this process apart (its groups, RECONSUME_STATS_LABELS):
    those of reconsume_build_info but its version; {} for an older file."""
    for s in expo.samples:
        if s.name == "reconsume_build_info":
            return {k: v for k, v in s.labels.items() if k != "version"}
    return {}


def strip_process_labels(expo) -> dict:
    """Take the process's own labels off every sample (one file is one
    process), so that the figures read the series as they did without
    them; returns those labels."""
    common = process_labels(expo)
    for s in expo.samples:
        for k, v in common.items():
            if s.labels.get(k) == v and not (k == "group" and s.name == OWN_GROUP):
                del s.labels[k]
    return common


def load_exposition(path):
    data = read_bytes(path)
    expo, errors = parse_exposition(data, "<stdin>" if path == "-" else path)
    if errors:   # all of them are for --check; a report needs one line
        raise InputError.first_of(errors, "problems; --check lists them all")
    expo.process = strip_process_labels(expo)
    return expo

