"""
Hostile wire values through the double: topics, tags, keys, msgIds and the
kept properties with '/', '..', control characters, terminal escapes,
invalid UTF-8, percent signs, header-injection attempts and 64 KiB lengths
(NUL only in the body: the C API hands strings over as C strings).

Every message is poison (RECONSUME_MAX_RETRIES=0), so each becomes a record.
Checked: every file the run created is below spool/new (nothing escaped,
nothing in tmp/), every name is <ms>.<pid>_<seq>.<[A-Za-z0-9._-]{1,64}>.rec,
each record reads back byte-identical (the test's parser and the product's
own, rc_record_parse), and its header block holds only printable ASCII and
newlines (no terminal escape reaches a terminal that `cat`s or `head`s it).
"""
from __future__ import annotations

import os
import re

import pytest

from conftest import RECORD_NAME_RE, c_check, c_dump, figure, parse_record, script_escape

BIG = 64 << 10
HOSTILE = [
    b"/", b"..", b".", b"../../../../tmp/reconsume-escape", b"/etc/passwd", b"a/b/../../c",
    b"\x1b[31mRED\x1b[0m\x1b]0;title\x07", b"\r\n\t\x0b\x0c\x7f", b"\xff\xfe\xc0\x80\xed\xa0\x80",
    b"%", b"%00%2F%25", b"Msg-Id: forged\nBody-Length: 0\n\n", b" lead and trail ",
    b"\xe2\x80\xae\xe2\x80\x8b", b"CON", b"x" * 255 + b"/" + b"y" * 10,
    b"A/.." * (BIG // 4), b"\x01" * BIG, b"\x80" * BIG, b"..." + b"/.." * 100,
]
PROPS = ["UNIQ_KEY", "REAL_TOPIC", "ORIGIN_MESSAGE_ID", "SHARDING_KEY"]


def _messages():
    msgs = []
    for i, v in enumerate(HOSTILE):
        # rotate the hostile values over the fields, so that each field gets each value
        vals = [HOSTILE[(i + k) % len(HOSTILE)] for k in range(4 + len(PROPS))]
        body = b"status:1\x00" + v + b"\x00\xff" + bytes(range(256))
        msgs.append(dict(offset=1000 + i, id=vals[0], topic=vals[1], tags=vals[2], keys=vals[3],
                         props=dict(zip(PROPS, vals[4:])), body=body))
    return msgs


def _line(m) -> str:
    parts = [f"id={script_escape(m['id'])}", f"topic={script_escape(m['topic'])}",
             f"tags={script_escape(m['tags'])}", f"keys={script_escape(m['keys'])}",
             f"queue={m['offset'] % 4}", f"offset={m['offset']}"]
    parts += [f"prop.{k}={script_escape(v)}" for k, v in m["props"].items()]
    parts.append(f"body={script_escape(m['body'])}")
    return " ".join(parts)


def test_hostile_values_stay_inside_and_read_back(run):
    msgs = _messages()
    r = run("c", [_line(m) for m in msgs],
            env={"RECONSUME_MAX_RETRIES": "0", "RMQ_DOUBLE_MAX_RECONSUME": "0"},
            extra_args=["--threads", "4"], timeout=120)
    assert r.returncode == 0, r.stderr[-3000:]

    # Nothing outside spool/new (the run directory holds only what the harness put there).
    expected_top = {"script.txt", "double.log", "spool", "stats.prom"}
    created = set()
    for dirpath, dirnames, filenames in os.walk(r.dir):
        for n in dirnames + filenames:
            created.add(os.path.relpath(os.path.join(dirpath, n), r.dir))
    outside = {p for p in created
               if (p.split(os.sep)[0] not in expected_top and not p.startswith("stats.prom"))
               or (p.startswith("spool") and p not in ("spool", "spool/new", "spool/tmp")
                   and not re.fullmatch(r"spool/new/[^/]+", p))}
    assert not outside, f"files outside spool/new: {sorted(outside)[:10]}"
    assert not os.path.exists("/tmp/reconsume-escape")
    assert list((r.spool_dir / "tmp").iterdir()) == []

    files = sorted((r.spool_dir / "new").iterdir())
    assert len(files) == len(msgs), (len(files), r.stderr[-2000:])
    assert all(RECORD_NAME_RE.match(f.name) for f in files), [f.name for f in files]
    assert c_check(files) == []

    by_offset = {m["offset"]: m for m in msgs}
    header_bytes = 0
    for f in files:
        rec = parse_record(f)
        m = by_offset[int(rec.h("Delivered-Queue-Offset"))]
        head = rec.raw[:len(rec.raw) - len(rec.body)]
        header_bytes += len(head)
        bad = [c for c in head if not (c == 0x0A or 0x20 <= c < 0x7F)]
        assert not bad, f"{f.name}: raw bytes {bad[:5]} in the header block"
        # the test's parser
        assert rec.headers["Msg-Id"] == m["id"]
        assert rec.headers["Topic"] == m["topic"]
        assert rec.headers["Tags"] == m["tags"]
        assert rec.headers["Keys"] == m["keys"]
        for k, v in m["props"].items():
            assert rec.headers[f"Property-{k}"] == v
        assert rec.body == m["body"]
        # the product's parser
        d = c_dump(f)
        assert (d["msg_id"], d["topic"], d["tags"], d["keys"]) == \
            (m["id"], m["topic"], m["tags"], m["keys"])
        assert d["props"] == {k.encode(): v for k, v in m["props"].items()}
        assert d["body"] == m["body"]
    figure("hostile_wire", messages=len(msgs), hostile_values=len(HOSTILE),
           fields_per_message=4 + len(PROPS), max_value_bytes=max(map(len, HOSTILE)),
           records=len(files), escaped=0, byte_identical=len(files), header_bytes=header_bytes)


def test_log_lines_carry_no_raw_control_bytes(run):
    m = dict(offset=1, id=b"\x1b[2J\x1b]0;pwned\x07id\nforged line", topic=b"T\x1b[31m",
             tags=b"", keys=b"", props={}, body=b"status:1")
    r = run("c", [_line(m)], env={"RECONSUME_MAX_RETRIES": "0"})
    assert r.returncode == 0
    shim_lines = [l for l in r.stderr.split("\n") if "reconsume[" in l]
    raw = r.stderr.encode("utf-8", "surrogateescape")
    assert b"\x1b" not in raw and b"\x07" not in raw, shim_lines
    assert not any(l.startswith("forged line") for l in r.stderr.split("\n"))
