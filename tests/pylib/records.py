"""records.py - reading what the shim and the consumer programs leave behind:
spool records (new/*.rec), the stats file, and the programs' delivery lines.
Shared by the integration tests (tests/integration) and the end-to-end tests
(tests/real)."""
from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path


def unescape_program(s: str) -> bytes:
    """Undo the programs' escaping (\\xNN and \\\\)."""
    out = bytearray()
    i = 0
    while i < len(s):
        if s[i] == "\\" and s[i + 1:i + 2] == "\\":
            out += b"\\"
            i += 2
        elif s[i] == "\\" and s[i + 1:i + 2] == "x":
            out.append(int(s[i + 2:i + 4], 16))
            i += 4
        else:
            out += s[i].encode()
            i += 1
    return bytes(out)


def percent_decode(v: bytes) -> bytes:
    out = bytearray()
    i = 0
    while i < len(v):
        if v[i:i + 1] == b"%":
            h = v[i + 1:i + 3]
            assert re.fullmatch(rb"[0-9A-Fa-f]{2}", h), f"bad percent escape in {v!r}"
            out.append(int(h, 16))
            i += 3
        else:
            c = v[i]
            assert 0x20 <= c < 0x7F, f"raw byte {c:#x} in header value {v!r}"
            out.append(c)
            i += 1
    return bytes(out)


_PROG_LINE = re.compile(
    r"^deliver id=(?P<id>.*?) topic=(?P<topic>.*?) tags=(?P<tags>.*?) keys=(?P<keys>.*?) "
    r"reconsume=(?P<reconsume>-?\d+) body=(?P<body>.*) ret=(?P<ret>\S+)$")


@dataclass
class Delivered:
    """One line the program printed in its callback."""
    id: str
    topic: str
    tags: str
    keys: bytes
    reconsume: int
    body: bytes
    ret: str


@dataclass
class Record:
    """One spool record (new/*.rec), headers percent-decoded."""
    name: str
    path: Path
    raw: bytes
    order: list            # header names in file order
    headers: dict          # name -> decoded bytes
    body: bytes

    def h(self, name: str) -> str | None:
        v = self.headers.get(name)
        return None if v is None else v.decode("utf-8", "surrogateescape")

    def int(self, name: str) -> int:
        return int(self.h(name))


def parse_record(path: Path) -> Record:
    raw = path.read_bytes()
    sep = raw.index(b"\n\n")
    head, body = raw[:sep], raw[sep + 2:]
    order, headers = [], {}
    for line in head.split(b"\n"):
        name, colon, value = line.partition(b": ")
        assert colon, f"{path.name}: header line without ': ': {line!r}"
        n = name.decode("ascii")
        assert n not in headers, f"{path.name}: duplicate header {n}"
        order.append(n)
        headers[n] = percent_decode(value)
    assert order[0] == "Reconsume-Record" and headers["Reconsume-Record"] == b"1", order
    assert int(headers["Body-Length"]) == len(body), \
        f"{path.name}: Body-Length {headers['Body-Length']!r} but {len(body)} body bytes"
    return Record(path.name, path, raw, order, headers, body)


_LABEL_RE = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"')


def parse_stats(path: Path, keep_process_labels: bool = False) -> dict | None:
    """name{labels} -> value. The process's own labels (those of
    reconsume_build_info but version: its groups, RECONSUME_STATS_LABELS)
    are taken off every key (reconsume_topic_deliveries_total keeps its
    group), unless keep_process_labels."""
    if not path.exists():
        return None
    raw = []
    for line in path.read_text().splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        key, value = line.rsplit(" ", 1)
        raw.append((key, float(value) if "." in value else int(value)))
    common = set()
    for key, _ in raw:
        if key.startswith("reconsume_build_info{") and not keep_process_labels:
            common = {p for p in _LABEL_RE.findall(key) if p[0] != "version"}
    stats = {}
    for key, value in raw:
        if common and "{" in key:
            name, rest = key[:-1].split("{", 1)
            pairs = [p for p in _LABEL_RE.findall(rest)
                     if p not in common or (p[0] == "group" and name == "reconsume_topic_deliveries_total")]
            key = name + ("{" + ",".join(f'{k}="{v}"' for k, v in pairs) + "}" if pairs else "")
        assert key not in stats, f"duplicate stats line {key}"
        stats[key] = value
    return stats
