#!/usr/bin/env python3
"""make_seeds.py - (re)write the seed corpus in tests/hardening/corpus/ and the
libFuzzer dictionaries. Run once by hand when the formats change; the output
is kept in the repository (make hardening only reads it)."""
import hashlib
from pathlib import Path

HERE = Path(__file__).resolve().parent
VARS = ["RECONSUME_ENABLE", "RECONSUME_STRICT", "RECONSUME_MAX_RETRIES", "RECONSUME_SPOOL_DIR",
        "RECONSUME_CATCH", "RECONSUME_LOG", "RECONSUME_LOG_LEVEL", "RECONSUME_STATS",
        "RECONSUME_BROADCAST_BACKOFF_MS", "RECONSUME_TIMEOUT_MS", "RECONSUME_TRACK_MAX",
        "RECONSUME_SIGNAL_MAX", "XDG_STATE_HOME", "HOME"]
HEADERS = ["Reconsume-Record", "Outcome", "Status", "Exception-Type", "Exception-What", "Signal",
           "Attempts", "Max-Retries", "Group", "Mode", "Topic", "Tags", "Keys", "Msg-Id",
           "Queue-Id", "Queue-Offset", "Commit-Log-Offset", "Reconsume-Times", "Born-Timestamp",
           "Store-Timestamp", "Property-UNIQ_KEY", "Host", "Pid", "Diverted-At",
           "Diverted-At-Ms", "Body-Length"]


def write(target, data: bytes):
    d = HERE / "corpus" / target
    d.mkdir(parents=True, exist_ok=True)
    (d / hashlib.sha1(data).hexdigest()).write_bytes(data)


def enc(v: bytes) -> bytes:
    out = bytearray()
    for i, c in enumerate(v):
        if c == 0x25 or c < 0x20 or c >= 0x7f or (c == 0x20 and i in (0, len(v) - 1)):
            out += b"%%%02X" % c
        else:
            out.append(c)
    return bytes(out)


def record(fields, body=b"", crlf=False):
    nl = b"\r\n" if crlf else b"\n"
    out = b"Reconsume-Record: 1" + nl
    for k, v in fields:
        out += k.encode() + b": " + enc(v) + nl
    out += b"Body-Length: %d" % len(body) + nl + nl + body
    return out


full = [("Outcome", b"exception"), ("Status", b"1"), ("Exception-Type", b"std::runtime_error"),
        ("Exception-What", b"bad \x1b[31m input\n"), ("Attempts", b"17"), ("Max-Retries", b"16"),
        ("Group", b"G1"), ("Mode", b"clustering"), ("Topic", b"T/../x"), ("Tags", b"TA"),
        ("Keys", b"k1 k2"), ("Msg-Id", b"../../etc/passwd"), ("Queue-Id", b"3"),
        ("Queue-Offset", b"-1"), ("Commit-Log-Offset", b"9223372036854775807"),
        ("Reconsume-Times", b"16"), ("Born-Timestamp", b"1700000000000"),
        ("Store-Timestamp", b"1700000000001"), ("Property-UNIQ_KEY", b"AC11\xff\xfe"),
        ("Property-a%3Ab", b" x "), ("Host", b"h"), ("Pid", b"4242"),
        ("Diverted-At", b"2023-11-14T22:13:20.000Z"), ("Diverted-At-Ms", b"1700000000000")]
write("record", record(full, b"poison\x00body\xff"))
write("record", record(full, b"x" * 3000, crlf=True))
write("record", record([("Outcome", b"signal"), ("Signal", b"SIGSEGV")]))
write("record", record([], b""))
write("record", record([("X-Unknown", b"1"), ("Property-P", b"v")] * 10, b"ab"))
write("record", record(full)[:200])                       # torn header
write("record", record(full, b"0123456789")[:-3])         # torn body
write("record", record(full, b"ab") + b"trailing")
write("record", b"Reconsume-Record: 2\nBody-Length: 0\n\n")
write("record", b"Reconsume-Record: 1\nStatus: 99999999999999999999\nBody-Length: 0\n\n")
write("record", b"Reconsume-Record: 1\nTopic: %0\nBody-Length: 0\n\n")
write("record", b"Reconsume-Record: 1\nTopic: %00\nBody-Length: 0\n\n")
write("record", b"Reconsume-Record: 1\nTopic: a\nTopic: b\nBody-Length: 0\n\n")
write("record", b"reconsume-record:1\r\nbody-length:   1  \r\n\r\nZ")
# structured (mode 2) inputs: NUL-separated fields, the rest is the body
write("record", b"\x00".join([b"signal", b"\x01", b"", b"", b"SIGSEGV", b"\x11", b"\x10", b"G",
                              b"orderly", b"host", b"\xd2\x04", b"\x00\x10\xa5\xd4\xe8",
                              b"a/../b", b"\x1b]0;x\x07", b"\x01", b"%41", b"\x03", b"\xff",
                              b"\x80", b"", b"", b"", b"\x03", b"UNIQ_KEY", b"\x01", b" a:b ", b"%",
                              b"", b"v"]) + b"\x00body\x00with NUL")

cfg = [
    "RECONSUME_MAX_RETRIES=3\nRECONSUME_CATCH=status,exception,signal\nRECONSUME_LOG_LEVEL=debug\n",
    "RECONSUME_STRICT=yes\nRECONSUME_MAX_RETRIES=abc\n",
    "RECONSUME_ENABLE=off\n",
    "RECONSUME_CATCH=all\nRECONSUME_SIGNAL_MAX=1000000\nRECONSUME_TRACK_MAX=16\n",
    "RECONSUME_CATCH=Status,,abort\n",
    "RECONSUME_TIMEOUT_MS=86400001\n",
    "RECONSUME_BROADCAST_BACKOFF_MS=-0\n",
    "RECONSUME_MAX_RETRIES= 1\n",
    "RECONSUME_MAX_RETRIES=\x1b[2J\n",
    "RECONSUME_SPOOL_DIR=spool/rel\nRECONSUME_LOG=/tmp/x.log\nRECONSUME_STATS=/tmp/s.prom\n",
    "RECONSUME_SPOOL_DIR=/dev/null/x\n",
    "RECONSUME_LOG=/tmp\n",
    "RECONSUME_SPOOL_DIR=\n",
    "XDG_STATE_HOME=/" + "a" * 4090 + "\n",
    "HOME=/" + "h" * 4080 + "\nXDG_STATE_HOME=relative\n",
    "RECONSUME_SPOOL_DIR=/" + "d" * 5000 + "\n",
    "\x03RECONSUME_CATCH=nonsense\n",
]
for c in cfg:
    write("config", c.encode("latin-1"))

for s in [b"\x40AC110002000078308DB13A2DEB0000", b"\x00", b"\x10.", b"\x10..", b"\x10../../x",
          b"\x3e" + b"A" * 100, b"\xff", b"\x05\xff\xfe\x1b[0m", b"\x02", b"\x20.hidden/..\\"]:
    write("safe_name", s)

(HERE / "config.dict").write_text("".join(f'"{v}="\n' for v in VARS) + "".join(
    f'"{w}"\n' for w in ["status", "exception", "signal", "abort", "all", "none", "true", "false",
                         "yes", "no", "on", "off", "debug", "info", "warn", "error", ",", "\\x0a",
                         "/tmp/", "..", "-1", "1000", "1001", "9223372036854775808"]))
(HERE / "record.dict").write_text("".join(f'"{h}: "\n' for h in HEADERS) + "".join(
    f'"{w}"\n' for w in ["\\x0a\\x0a", "\\x0d\\x0a", "%00", "%25", "%0A", "%FF", "Property-",
                         "-9223372036854775808", "18446744073709551615"]))
