"""Symbol hygiene: the shim exports only client functions, and a host
defining names like the shim's internals is unaffected. The exported set is
the INTERPOSED rows of client/symbols.def, the one list of client symbols,
and shim/entry.c defines each of them with the signature the list gives."""
import os
import re
import subprocess

from conftest import ROOT, SHIM

SYMBOLS_DEF = ROOT / "client" / "symbols.def"
ENTRY_C = ROOT / "shim" / "entry.c"
DLSYM_C = ROOT / "shim" / "dlsym.c"
DEF_COLUMNS = ("name", "ret", "params", "shim", "topic", "pull", "route")


def _split_args(text):
    """The top-level comma-separated arguments of a macro call's text."""
    args, depth, cur = [], 0, ""
    for ch in text:
        if ch == "," and depth == 0:
            args.append(cur.strip())
            cur = ""
            continue
        depth += ch == "("
        depth -= ch == ")"
        cur += ch
    args.append(cur.strip())
    return args


def def_rows():
    """The RC_CLIENT_FN rows of client/symbols.def, as dicts, in order."""
    text = re.sub(r"/\*.*?\*/", "", SYMBOLS_DEF.read_text(), flags=re.S)
    text = "\n".join(l for l in text.splitlines() if not l.lstrip().startswith("#"))
    rows = []
    for m in re.finditer(r"\bRC_CLIENT_FN\s*\(", text):
        depth, i = 1, m.end()
        while depth:
            depth += {"(": 1, ")": -1}.get(text[i], 0)
            i += 1
        args = _split_args(text[m.end():i - 1])
        assert len(args) == len(DEF_COLUMNS), args
        rows.append(dict(zip(DEF_COLUMNS, args)))
    return rows


def interposed_names():
    return [r["name"] for r in def_rows() if r["shim"] == "INTERPOSED"]

CLIENT_FUNCTIONS = set(re.findall(
    r"\b([A-Z][A-Za-z]+)\s*\(",
    (ROOT / "tests" / "capi" / "rocketmq_c.h").read_text())) | {"GetMessageBodyLength"}
# dlsym and dlvsym hand the client functions out to programs that dlopen()
# the client (issue 8, shim/dlsym.c); tests/dlopen checks they change nothing else.
# The C++ API's registerMessageListener (mangled): the listener hook.
REGISTER_LISTENER = "_ZN8rocketmq21DefaultMQPushConsumer23registerMessageListenerEPNS_17MQMessageListenerE"
ALLOWED = CLIENT_FUNCTIONS | {"dlsym", "dlvsym", REGISTER_LISTENER}
REQUIRED = {"RegisterMessageCallback", "RegisterMessageCallbackOrderly", "UnregisterMessageCallback",
            "UnregisterMessageCallbackOrderly", "SetPushConsumerMessageModel", "CreatePushConsumer",
            "SetPushConsumerGroupID", "DestroyPushConsumer", REGISTER_LISTENER}


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


def test_symbols_def_is_well_formed():
    rows = def_rows()
    names = [r["name"] for r in rows]
    assert len(names) == len(set(names)), "a client symbol is listed twice"
    assert len(rows) > 40
    for r in rows:
        assert r["shim"] in ("INTERPOSED", "READ", "NO"), r
        assert r["topic"] in ("NEED", "OPT", "NO") and r["pull"] in ("NEED", "OPT", "NO"), r
        assert (r["route"] != "_") == (r["shim"] == "INTERPOSED"), r
        assert r["params"].startswith("(") and r["params"].endswith(")"), r


def test_exports_exactly_the_interposed_rows_of_symbols_def(shim_lib):
    syms = exported(shim_lib)
    assert set(syms) == set(interposed_names()) | {"dlsym", "dlvsym"}
    assert REQUIRED <= set(interposed_names())


def _entry_exports():
    text = re.sub(r"/\*.*?\*/", "", ENTRY_C.read_text(), flags=re.S)
    return re.findall(r"^RC_EXPORT\s[^;{()]*?\b([A-Za-z_]\w*)\s*\(", text, flags=re.M)


def test_entry_c_defines_an_exported_function_for_each_interposed_name():
    defined = _entry_exports()
    assert sorted(defined) == sorted(interposed_names())


def test_entry_c_definitions_have_the_signatures_of_symbols_def(tmp_path):
    # entry.c compiled after the prototypes the list gives: a definition
    # with another signature is a "conflicting types" error.
    src = tmp_path / "entry_vs_def.c"
    src.write_text(
        '#include "client/api.h"\n'
        "#define RC_CLIENT_FN(name, ret, params, shim, topic, pull, route) "
        "RC_IF_INTERPOSED_##shim(ret name params;)\n"
        '#include "client/symbols.def"\n'
        '#include "shim/entry.c"\n')
    cc = os.environ.get("CC", "cc")
    p = subprocess.run([cc, "-std=c11", "-D_GNU_SOURCE", "-Wall", "-Wextra", "-Werror",
                        "-fsyntax-only", "-I", str(ROOT), str(src)], capture_output=True, text=True)
    assert p.returncode == 0, p.stderr


def test_interposed_names_pass_the_dlsym_prefilter():
    # interposed_index() rejects a name by its first letter before comparing.
    text = DLSYM_C.read_text()
    body = text[text.index("interposed_index(const char *name)"):]
    body = body[:body.index("for (")]
    letters = set(re.findall(r"case '(.)':", body))
    assert letters
    for name in interposed_names():
        assert name[0] in letters, f"{name}: add '{name[0]}' to interposed_index() in shim/dlsym.c"
