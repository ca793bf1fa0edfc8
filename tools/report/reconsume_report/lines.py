"""One line of the Prometheus text exposition format, version 0.0.4:
https://prometheus.io/docs/instrumenting/exposition_formats/

Metric and label names, label values and their escapes, sample values and
timestamps, HELP text. A line that breaks a rule raises LineError with the
reason; exposition.py adds the file and line number.
"""
from __future__ import annotations

import math
import re

from .errors import show

NAME_RE = re.compile(r"[a-zA-Z_:][a-zA-Z0-9_:]*")
LABEL_RE = re.compile(r"[a-zA-Z_][a-zA-Z0-9_]*")
# re.ASCII: \d alone would take any Unicode digit, and float() reads them too.
FLOAT_RE = re.compile(r"[+-]?(?:(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?|inf|infinity|nan)\Z",
                      re.IGNORECASE | re.ASCII)
INF_RE = re.compile(r"[+-]?inf(?:inity)?\Z", re.IGNORECASE)
INT_RE = re.compile(r"[+-]?\d+\Z", re.ASCII)
TYPES = ("counter", "gauge", "histogram", "summary", "untyped")


class LineError(Exception):
    """One line breaks a rule of the format; the message is the reason."""


def parse_float(tok):
    if not FLOAT_RE.match(tok):
        return None
    return float(tok)


def out_of_range(tok, v):
    """A number too large for a 64-bit float ('1e400'): float() makes it
    infinite, Go's ParseFloat (Prometheus) rejects it."""
    return math.isinf(v) and not INF_RE.match(tok)


def not_a_count(v, tok=None):
    """Why v cannot be a count (a counter, a bucket, a _count), or None:
    counts are finite and never negative, not even -0 ('-0', '-1e-400')."""
    if math.isnan(v) or math.isinf(v):
        return fmt_value(v)
    if v < 0:
        return repr(v)
    if math.copysign(1.0, v) < 0:
        return f"negative ({show(tok)})" if tok is not None else "negative (-0)"
    return None


def fmt_value(v):
    """A sample value as the text format writes it."""
    if math.isnan(v):
        return "NaN"
    if math.isinf(v):
        return "+Inf" if v > 0 else "-Inf"
    return repr(v)


def fmt_labels(labels):
    if not labels:
        return ""
    def esc(v):
        return v.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
    return "{" + ",".join(f'{k}="{esc(v)}"' for k, v in labels.items()) + "}"


def parse_sample_line(line):
    """name{labels} value [timestamp] -> (name, labels, value, value as written).
    Raises LineError."""
    m = NAME_RE.match(line)
    tok = re.match(r"[^ \t{]*", line).group()
    if not m or m.end() != len(tok):
        raise LineError(f"invalid metric name {show(tok)} "
                        "(must match [a-zA-Z_:][a-zA-Z0-9_:]*)")
    name, i, n = m.group(), m.end(), len(line)
    labels = {}

    def blanks(i):
        while i < n and line[i] in " \t":
            i += 1
        return i

    i = blanks(i)
    if i < n and line[i] == "{":
        i += 1
        while True:
            i = blanks(i)
            if i < n and line[i] == "}":
                i += 1
                break
            lm = LABEL_RE.match(line, i)
            ltok = re.match(r"[^ \t=,}]*", line[i:]).group()
            if not lm or lm.end() - i != len(ltok):
                if i >= n:
                    raise LineError("unterminated label set (no '}')")
                raise LineError(f"invalid label name {show(ltok)} "
                                "(must match [a-zA-Z_][a-zA-Z0-9_]*)")
            lname = lm.group()
            if lname.startswith("__"):
                raise LineError(f"label name {lname!r} is reserved (names starting with '__' "
                                "are Prometheus's own)")
            if lname in labels:
                raise LineError(f"duplicate label name {lname!r}")
            i = blanks(lm.end())
            if i >= n or line[i] != "=":
                raise LineError(f"expected '=' after label name {lname!r}")
            i = blanks(i + 1)
            if i >= n or line[i] != '"':
                raise LineError(f"label {lname!r}: value must start with '\"'")
            i += 1
            val = []
            while True:
                if i >= n:
                    raise LineError(f"label {lname!r}: unterminated value (no closing '\"')")
                c = line[i]
                if c == "\\":
                    if i + 1 >= n:
                        raise LineError(f"label {lname!r}: value ends in a lone backslash")
                    e = line[i + 1]
                    if e == "\\":
                        val.append("\\")
                    elif e == '"':
                        val.append('"')
                    elif e == "n":
                        val.append("\n")
                    else:
                        raise LineError(f"label {lname!r}: invalid escape '\\{e}' in value "
                                        "(only \\\\, \\\" and \\n are allowed)")
                    i += 2
                    continue
                if c == '"':
                    i += 1
                    break
                val.append(c)
                i += 1
            labels[lname] = "".join(val)
            i = blanks(i)
            if i < n and line[i] == ",":
                i += 1
                continue
            if i < n and line[i] == "}":
                i += 1
                break
            if i >= n:
                raise LineError("unterminated label set (no '}')")
            raise LineError(f"expected ',' or '}}' after label {lname!r}, found {line[i]!r}")
    rest = line[i:].strip(" \t")
    toks = re.split(r"[ \t]+", rest) if rest else []
    if not toks:
        raise LineError(f"{name}: no value")
    if len(toks) > 2:
        raise LineError(f"{name}: unexpected text after the timestamp: {show(' '.join(toks[2:]))}")
    v = parse_float(toks[0])
    if v is None:
        raise LineError(f"{name}: invalid value {show(toks[0])}")
    if out_of_range(toks[0], v):
        raise LineError(f"{name}: value {show(toks[0])} is out of range (beyond the largest "
                        "64-bit float)")
    if len(toks) == 2 and not INT_RE.match(toks[1]):
        raise LineError(f"{name}: invalid timestamp {show(toks[1])} (an integer of milliseconds)")
    return name, labels, v, toks[0]


def unescape_help(text):
    out, i = [], 0
    while i < len(text):
        c = text[i]
        if c == "\\":
            if i + 1 >= len(text):
                raise LineError("HELP text ends in a lone backslash")
            e = text[i + 1]
            if e not in "\\n":
                raise LineError(f"invalid escape '\\{e}' in HELP text (only \\\\ and \\n)")
            out.append("\\" if e == "\\" else "\n")
            i += 2
        else:
            out.append(c)
            i += 1
    return "".join(out)


