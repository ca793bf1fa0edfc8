"""Symbol hygiene: the shim exports only client functions, and a host
defining names like the shim's internals is unaffected."""
import re
import subprocess

from conftest import ROOT, SHIM

CLIENT_FUNCTIONS = set(re.findall(
    r"\b([A-Z][A-Za-z]+)\s*\(",
    (ROOT / "tests" / "capi" / "rocketmq_c.h").read_text())) | {"GetMessageBodyLength"}
# dlsym and dlvsym hand the client functions out to programs that dlopen()
# the client (issue 8, shim/dlsym.c); tests/dlopen checks they change nothing else.
ALLOWED = CLIENT_FUNCTIONS | {"dlsym", "dlvsym"}
REQUIRED = {"RegisterMessageCallback", "RegisterMessageCallbackOrderly", "UnregisterMessageCallback",
            "UnregisterMessageCallbackOrderly", "SetPushConsumerMessageModel", "CreatePushConsumer",
            "SetPushConsumerGroupID", "DestroyPushConsumer"}


def exported(path):
    out = subprocess.run(["nm", "-D", "--defined-only", str(path)], capture_output=True, text=True,
                         check=True).stdout
    syms = {}
    for line in out.splitlines():
        parts = line.split()
        if len(parts) == 3 and parts[1] != "A":     # "A": version nodes
            syms[parts[2].split("@")[0]] = parts[1]
    return syms


def test_exports_only_client_functions(shim_lib):
    syms = exported(shim_lib)
    assert REQUIRED <= set(syms), REQUIRED - set(syms)
    assert set(syms) <= ALLOWED, sorted(set(syms) - ALLOWED)
    assert {t for t in syms.values()} == {"T"}


def test_no_rc_symbols_anywhere_dynamic(shim_lib):
    out = subprocess.run(["nm", "-D", str(shim_lib)], capture_output=True, text=True, check=True).stdout
    assert not re.search(r"\brc_", out)


def test_host_with_clashing_names_still_works(shim_run):
    r = shim_run("clash", ["id=M1 body=status:1", "id=M2 body=ok"], {"RECONSUME_MAX_RETRIES": "1"})
    assert r.returncode == 0, r.stderr
    assert r.out[0] == "app clash rc_config_load=4242 rc_client=7 rc_spool_write=42 rc_record_encode=100"
    assert r.out[1] == "app rc_log: hello"
    assert r.statuses("M1") == [1, 0]
    assert r.fates == {"M1": "acked", "M2": "acked"}
    (rec,) = r.spool
    assert rec.h("Msg-Id") == "M1" and rec.int("Attempts") == 2
    assert r.outcomes()["reconsume"] == 2


def test_clash_program_exports_the_names():
    # the test means something only if the program really exports them
    from conftest import PROGRAMS
    syms = exported(PROGRAMS["clash"])
    assert {"rc_config_load", "rc_log", "rc_client", "rc_spool_write", "rc_record_encode"} <= set(syms)
