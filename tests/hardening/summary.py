#!/usr/bin/env python3
"""summary.py - print the figures the hardening harnesses left in
build/hardening/figures/*.json as the Markdown table of RESULTS.md (the
committed tests/hardening/RESULTS.md is this output from a full run, plus the
long local fuzzing figures)."""
import json
import sys
from pathlib import Path

d = Path(sys.argv[1] if len(sys.argv) > 1 else "build/hardening/figures")
figs = {p.stem: json.loads(p.read_text()) for p in sorted(d.glob("*.json"))}


def row(test, size, result):
    print(f"| {test} | {size} | {result} |")


print("| test | size | result |\n| --- | --- | --- |")
for t in ("config", "record", "safe_name"):
    f = figs.get(f"fuzz-{t}")
    if f:
        row(f"fuzz {t} (libFuzzer+ASan+UBSan)",
            f"{f['executions']:,} executions in {f['seconds']} s, corpus {f['corpus']}, cov {f['coverage']}",
            f"{f['crashes']} crashes")
f = figs.get("crash_consistency")
if f:
    row("SIGKILL during diversion",
        f"{f['kills']} kills, {f['messages_per_run']} x {f['body_bytes'] >> 20} MiB poison/run; "
        f"{f['killed_mid_script']} mid-script, {f['runs_with_tmp_leftover']} mid-write; "
        f"{f['records_checked']} records, {f['acked_checked']} acks checked",
        f"{f['violations']} torn records / acked-but-missing; {f['tmp_leftovers']} tmp/ leftovers (allowed)")
for k, name in (("enospc", "full tmpfs (ENOSPC)"), ("erofs", "read-only spool (EROFS)"),
                ("efbig", "RLIMIT_FSIZE (EFBIG)")):
    f = figs.get(f"full_disk_{k}")
    if f:
        row(name, f"{f['failed_attempts']} failed attempts, then space returns",
            f"{f['acked_while_failing']} acks while failing, {f['partial_files']} partial files, "
            f"1 line per failure, resumed")
f = figs.get("hostile_wire")
if f:
    row("hostile wire values", f"{f['messages']} messages x {f['fields_per_message']} fields, "
        f"{f['hostile_values']} values up to {f['max_value_bytes'] // 1024} KiB",
        f"{f['escaped']} escapes, {f['byte_identical']}/{f['records']} byte-identical")
f = figs.get("hostile_env")
if f:
    row("hostile environment", f"{f['cases']} cases (" + ", ".join(
        f"{k} {v}" for k, v in f.items() if k != "cases") + ")", "all refused with one line / ignored; no crash")
for k in ("tsan_c", "tsan_cxx"):
    f = figs.get(k)
    if f:
        row(f"ThreadSanitizer ({k[5:]})", f"{f['threads']} threads, {f['messages']} messages, "
            f"{f['deliveries']} deliveries, {f['diverted']} diverted", f"{f['reports']} reports")
f = figs.get("helgrind")
if f:
    row("helgrind", f"{f['threads']} threads, {f['messages']} messages, {f['deliveries']} deliveries, "
        f"{f['diverted']} diverted", f"{f['errors']} errors")
f = figs.get("fork")
if f:
    row("fork() during deliveries", f"{f['threads']} threads, {f['forks']} forks "
        f"({f['forks_from_callback']} from the callback), child consumes",
        f"{f['deadlocks']} deadlocks; {f['child_records']}/{f['forks']} child registrations wrapped")
