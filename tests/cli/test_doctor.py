"""`reconsume doctor`: programs classified from their ELF files, running
processes from /proc."""
from __future__ import annotations

import os
import shutil
import stat
import subprocess
import time
from pathlib import Path

import pytest

from conftest import (BUILD, CONSUMER_C, DOUBLE_DIR, RECONSUME, ROOT, SHIM, cc, clean_env, rc)

REAL = BUILD / "real"
needs_real = pytest.mark.skipif(
    not (REAL / "client-1.2.3" / "librocketmq.so").exists(),
    reason="build/real is absent: the real client is fetched by make e2e (tests/real/fetch-client.sh)")


def doctor(target, **env):
    return rc("doctor", target, env=clean_env(**env))


# ------------------------------------------------------------- programs ----

def test_dynamic_consumer_against_the_double():
    r = doctor(CONSUMER_C, LD_LIBRARY_PATH=str(DOUBLE_DIR))
    assert r.returncode == 0, r.stdout
    assert "dynamically linked" in r.stdout
    assert f"client: librocketmq.so -> {DOUBLE_DIR}/librocketmq.so (found through LD_LIBRARY_PATH)" in r.stdout
    assert "master" in r.stdout and "GetMessageBodyLength" in r.stdout
    assert "RegisterMessageCallback (the program)" in r.stdout
    assert "RegisterMessageCallbackOrderly (the program)" in r.stdout
    assert r.stdout.rstrip().endswith("verdict: dynamically linked client, wrappable (exit 0)")


def test_legacy_double_is_a_1_2_client():
    r = doctor(CONSUMER_C, LD_LIBRARY_PATH=str(DOUBLE_DIR / "legacy"))
    assert r.returncode == 0
    assert "client generation: 1.2.x" in r.stdout


def test_dynamic_consumer_whose_client_is_not_found_here():
    """Wrappable, but it would not start: exit 9, not 0 (issue 14)."""
    r = doctor(CONSUMER_C)
    assert r.returncode == 9, r.stdout
    assert "needs librocketmq.so: not found by the loader here" in r.stdout
    assert "will not start like this" in r.stdout and "(exit 9)" in r.stdout
    found = doctor(CONSUMER_C, LD_LIBRARY_PATH=str(DOUBLE_DIR))
    assert found.returncode == 0, found.stdout


def test_runpath_with_origin_is_followed(tmp_path):
    # A consumer linked with RUNPATH=$ORIGIN/lib and the double copied there.
    (tmp_path / "lib").mkdir()
    shutil.copy(DOUBLE_DIR / "librocketmq.so", tmp_path / "lib" / "librocketmq.so")
    exe = cc(tmp_path / "consumer", "-std=c11", "-pthread", f"-I{ROOT}",
             str(ROOT / "tests/programs/consumer.c"), f"-L{tmp_path / 'lib'}", "-lrocketmq",
             "-Wl,--enable-new-dtags,-rpath,$ORIGIN/lib")
    r = doctor(exe)
    assert r.returncode == 0, r.stdout
    assert "DT_RUNPATH: $ORIGIN/lib" in r.stdout
    assert f"-> {tmp_path}/lib/librocketmq.so (found through DT_RUNPATH)" in r.stdout


@needs_real
@pytest.mark.parametrize("client,generation", [("client-1.2.3", "1.2.x"),
                                               ("client-2.1.0", "2.x: exports ShowPushConsumerVersion")])
def test_dynamic_consumer_against_the_real_client(client, generation):
    libdir = REAL / client
    if not (libdir / "librocketmq.so").exists():
        pytest.skip(f"{libdir} absent")
    for prog in (CONSUMER_C, REAL / "smoke_consumer"):
        if not prog.exists():
            continue
        r = doctor(prog, LD_LIBRARY_PATH=str(libdir))
        assert r.returncode == 0, r.stdout
        assert f"-> {libdir}/librocketmq.so" in r.stdout
        assert f"client generation: {generation}" in r.stdout


@pytest.fixture(scope="module")
def static_consumer(tmp_path_factory):
    """tests/programs/consumer.c linked against a static archive of the double."""
    d = tmp_path_factory.mktemp("static")
    obj = d / "rocketmq_double.o"
    p = subprocess.run(["cc", "-std=c11", "-D_GNU_SOURCE", "-O1", "-pthread", "-fexceptions",
                        f"-I{ROOT}", "-c", str(ROOT / "tests/double/rocketmq_double.c"), "-o",
                        str(obj)], capture_output=True, text=True)
    assert p.returncode == 0, p.stderr
    archive = d / "librocketmq.a"
    subprocess.run(["ar", "rcs", str(archive), str(obj)], check=True)
    return cc(d / "consumer_static", "-std=c11", "-pthread", f"-I{ROOT}",
              str(ROOT / "tests/programs/consumer.c"), str(archive))


def test_statically_linked_client(static_consumer):
    r = doctor(static_consumer)
    assert r.returncode == 3, r.stdout
    assert "the RocketMQ client is linked in statically" in r.stdout
    assert "cannot wrap" in r.stdout and "link it against the shared client" in r.stdout
    assert "verdict: statically linked client, not wrappable (exit 3)" in r.stdout


def test_statically_linked_client_really_is_not_wrapped(static_consumer, tmp_path):
    """What doctor says is what happens: the shim never sees the callback."""
    script = tmp_path / "s"
    script.write_text("id=M1 topic=T body=status:1\n")
    r = rc("run", "--max-retries", "0", "--spool", tmp_path / "sp", "--", static_consumer,
           "--group", "g", "--topic", "T", "--idle-ms", "200", "--max-ms", "5000",
           env=clean_env(RMQ_DOUBLE_SCRIPT=str(script), RMQ_DOUBLE_MAX_RECONSUME="1",
                         RMQ_DOUBLE_LOG=str(tmp_path / "log")), timeout=60)
    assert r.returncode == 0, r.stderr
    assert not (tmp_path / "sp" / "new").exists()
    assert "fate id=M1 dlq" in (tmp_path / "log").read_text()


def test_fully_static_executable(tmp_path):
    src = tmp_path / "s.c"
    src.write_text("int main(void) { return 0; }\n")
    p = subprocess.run(["cc", "-static", "-o", str(tmp_path / "s"), str(src)], capture_output=True)
    if p.returncode != 0:
        pytest.skip("no static libc here")
    r = doctor(tmp_path / "s")
    assert r.returncode == 5 and "statically linked (no dynamic loader)" in r.stdout


@pytest.fixture(scope="module")
def dlopen_consumer(tmp_path_factory):
    d = tmp_path_factory.mktemp("dl")
    src = d / "dl.c"
    src.write_text(
        '#include <dlfcn.h>\n#include <stdio.h>\n'
        'int main(void) {\n'
        '    void *h = dlopen("librocketmq.so", RTLD_NOW);\n'
        '    if (!h) { puts(dlerror()); return 1; }\n'
        '    void *f = dlsym(h, "CreatePushConsumer");\n'
        '    printf("CreatePushConsumer=%s\\n", f ? "found" : "missing");\n'
        '    return 0;\n}\n')
    return cc(d / "dlopen_consumer", str(src), "-ldl")


def test_dlopen_consumer(dlopen_consumer):
    r = doctor(dlopen_consumer)
    assert r.returncode == 4, r.stdout
    assert "loads the client at run time with dlopen" in r.stdout
    # The build tree's shim exports dlsym (shim/dlsym.c) or it does not; say which.
    exports = "dlsym" in subprocess.run(["nm", "-D", "--defined-only", str(SHIM)],
                                        capture_output=True, text=True).stdout.split()
    if exports:
        assert f"{SHIM} exports dlsym: the interposition is present, so this works" in r.stdout
    else:
        assert "does not export dlsym" in r.stdout


def test_dlopen_consumer_with_a_shim_without_dlsym(dlopen_consumer, tmp_path):
    src = tmp_path / "noshim.c"
    src.write_text("int reconsume_placeholder(void) { return 0; }\n")
    lib = cc(tmp_path / "libreconsume.so", "-shared", "-fPIC", str(src))
    r = doctor(dlopen_consumer, RECONSUME_LIB=str(lib))
    assert r.returncode == 4
    assert f"{lib} does not export dlsym: the interposition is absent" in r.stdout
    assert "not wrappable with this shim" in r.stdout


def test_python_script_using_the_rocketmq_package(tmp_path):
    script = tmp_path / "consumer.py"
    script.write_text("#!/usr/bin/env python3\nfrom rocketmq.client import PushConsumer\n")
    r = doctor(script)
    assert r.returncode == 4, r.stdout
    assert "rocketmq package, which loads the client with ctypes" in r.stdout
    other = tmp_path / "other.py"
    other.write_text("#!/usr/bin/env python3\nprint('hi')\n")
    assert doctor(other).returncode == 7
    py = doctor("python3")
    assert py.returncode == 5 and "a Python interpreter" in py.stdout


def test_tests_dlopen_program_if_built():
    prog = BUILD / "dlopen" / "dlopen_consumer"
    if not prog.exists():
        pytest.skip("build/dlopen/dlopen_consumer not built (make dlopen-build)")
    assert doctor(prog).returncode == 4


@pytest.mark.parametrize("prog", ["/bin/true", "true", "sh"])
def test_not_a_consumer(prog):
    r = doctor(prog)
    assert r.returncode == 5, r.stdout
    assert "verdict: not a RocketMQ consumer (exit 5)" in r.stdout


def test_producer_linked_to_the_client_is_not_a_consumer(tmp_path):
    src = tmp_path / "p.c"
    src.write_text("#include \"tests/capi/rocketmq_c.h\"\n"
                   "int main(void) { return CreateProducer(\"g\") == 0; }\n")
    exe = cc(tmp_path / "producer", f"-I{ROOT}", str(src), f"-L{DOUBLE_DIR}", "-lrocketmq")
    r = doctor(exe, LD_LIBRARY_PATH=str(DOUBLE_DIR))
    assert r.returncode == 5
    assert "registers no push consumer callback" in r.stdout


def test_cannot_tell_and_usage(tmp_path):
    r = doctor(ROOT / "tools" / "reconsume-report")
    assert r.returncode == 7 and "a script" in r.stdout
    junk = tmp_path / "junk"
    junk.write_bytes(b"\x7fELF" + b"\0" * 10)
    assert doctor(junk).returncode == 7
    assert doctor(tmp_path / "missing").returncode == 2
    assert rc("doctor").returncode == 2
    assert rc("doctor", "a", "b").returncode == 2
    assert rc("doctor", "--help").returncode == 0


def test_truncated_and_garbage_elf_files_do_not_crash(tmp_path):
    data = CONSUMER_C.read_bytes()
    for n in (64, 200, 1000, len(data) // 2, len(data) - 1):
        f = tmp_path / f"cut{n}"
        f.write_bytes(data[:n])
        r = doctor(f)
        assert r.returncode in (0, 5, 7), (n, r.returncode, r.stderr)
    import random
    rnd = random.Random(9)
    for k in range(20):
        b = bytearray(data)
        for _ in range(200):
            b[rnd.randrange(64, len(b))] = rnd.randrange(256)
        f = tmp_path / f"fuzz{k}"
        f.write_bytes(bytes(b))
        r = doctor(f)
        assert r.returncode in (0, 3, 4, 5, 7, 9), (k, r.returncode, r.stderr)


# ------------------------------------------------------------ processes ----

def wait_mapped(pid: int, name: str, timeout: float = 10) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if name in Path(f"/proc/{pid}/maps").read_text():
                return
        except OSError:
            pass
        time.sleep(0.02)
    raise AssertionError(f"{name} never mapped in {pid}")


def start_consumer(tmp_path, wrapped: bool, *opts: str) -> subprocess.Popen:
    env = clean_env(LD_LIBRARY_PATH=str(DOUBLE_DIR), RMQ_DOUBLE_LOG=str(tmp_path / "log"))
    args = [str(CONSUMER_C), "--group", "g", "--topic", "T", "--max-ms", "20000"]
    if wrapped:
        args = [str(RECONSUME), "run", *opts, "--", *args]
    p = subprocess.Popen(args, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    wait_mapped(p.pid, "librocketmq.so")
    return p


def test_running_pid_with_the_shim(tmp_path):
    p = start_consumer(tmp_path, True, "--max-retries", "3", "--catch", "all", "--spool",
                       str(tmp_path / "sp"))
    try:
        r = rc("doctor", p.pid)
    finally:
        p.kill()
        p.wait()
    assert r.returncode == 0, r.stdout
    assert f"shim: loaded, {SHIM}" in r.stdout
    assert f"client: {DOUBLE_DIR}/librocketmq.so" in r.stdout
    assert "    RECONSUME_MAX_RETRIES=3\n" in r.stdout
    assert "max retries 3, catch status,exception,signal,abort" in r.stdout
    assert "verdict: shim loaded and active (exit 0)" in r.stdout


def test_running_pid_without_the_shim(tmp_path):
    p = start_consumer(tmp_path, False)
    try:
        r = rc("doctor", p.pid)
    finally:
        p.kill()
        p.wait()
    assert r.returncode == 6, r.stdout
    assert "shim: not loaded" in r.stdout


def test_running_pid_with_a_bad_setting_passes_through(tmp_path):
    env = clean_env(LD_PRELOAD=str(SHIM), RECONSUME_MAX_RETRIES="lots")
    p = subprocess.Popen(["sleep", "20"], env=env, stderr=subprocess.DEVNULL)
    try:
        wait_mapped(p.pid, "libreconsume.so")
        r = rc("doctor", p.pid)
    finally:
        p.kill()
        p.wait()
    assert r.returncode == 8, r.stdout
    assert "configuration: invalid: RECONSUME_MAX_RETRIES='lots'" in r.stdout
    assert "librocketmq is not loaded" in r.stdout
    # no registration, so no state published: judged from the environment, and said so
    assert "state: none published" in r.stdout
    assert "verdict: shim loaded but passing through: config-invalid, judged from its environment (exit 8)" in r.stdout


def test_running_pid_disabled(tmp_path):
    p = start_consumer(tmp_path, True, "--disable")
    try:
        r = rc("doctor", p.pid)
    finally:
        p.kill()
        p.wait()
    assert r.returncode == 8 and "disabled" in r.stdout, r.stdout


# ------------------------------------------- the state the shim publishes ----

def state_file(run_dir: Path, pid: int) -> Path:
    return run_dir / "reconsume" / f"{pid}.state"


def wait_state(path: Path, state: str, timeout: float = 20) -> str:
    """Poll the shim's state file until it says state; its text."""
    deadline = time.monotonic() + timeout
    text = ""
    while time.monotonic() < deadline:
        try:
            text = path.read_text()
        except OSError:
            text = ""
        if f"state={state}\n" in text:
            return text
        time.sleep(0.02)
    raise AssertionError(f"{path} never said state={state}: {text!r}")


def start_preloaded(tmp_path, max_ms: int = 20000, **env) -> subprocess.Popen:
    """consumer_c with the shim preloaded directly (not through `reconsume
    run`, whose pre-check is not what is tested here), its runtime directory
    under tmp_path."""
    env = clean_env(LD_LIBRARY_PATH=str(DOUBLE_DIR), RMQ_DOUBLE_LOG=str(tmp_path / "log"),
                    LD_PRELOAD=str(SHIM), XDG_RUNTIME_DIR=str(tmp_path / "run"), **env)
    (tmp_path / "run").mkdir(mode=0o700, exist_ok=True)
    return subprocess.Popen([str(CONSUMER_C), "--group", "g", "--topic", "T", "--max-ms", str(max_ms)],
                            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def test_running_pid_whose_shim_refused_a_0777_spool(tmp_path):
    # The environment is valid (doctor's own parse of it finds nothing wrong);
    # only the shim, at the first registration, refuses the directory and
    # passes through. Doctor must say what the shim says.
    spool = tmp_path / "open"
    spool.mkdir()
    spool.chmod(0o777)
    p = start_preloaded(tmp_path, RECONSUME_SPOOL_DIR=str(spool))
    try:
        text = wait_state(state_file(tmp_path / "run", p.pid), "pass-through")
        r = rc("doctor", p.pid)
    finally:
        p.kill()
        p.wait()
    assert "reason=spool-refused\n" in text
    assert r.returncode == 8, r.stdout
    assert "state (published by the shim" in r.stdout
    assert "pass-through, reason spool-refused: RECONSUME_SPOOL_DIR=" in r.stdout
    assert "mode 0777" in r.stdout
    assert "verdict: shim loaded but passing through: spool-refused (exit 8)" in r.stdout


def test_running_pid_active_as_published_and_removed_at_exit(tmp_path):
    p = start_preloaded(tmp_path, RECONSUME_SPOOL_DIR=str(tmp_path / "sp"))
    path = state_file(tmp_path / "run", p.pid)
    try:
        text = wait_state(path, "active")
        r = rc("doctor", p.pid)
        assert r.returncode == 0, r.stdout
        assert f"state (published by the shim, {path}): active" in r.stdout
        assert "verdict: shim loaded and active (exit 0)" in r.stdout
        assert "reason=none\n" in text and f"pid={p.pid}\n" in text
        assert stat.S_IMODE((tmp_path / "run" / "reconsume").stat().st_mode) == 0o700
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
    finally:
        p.kill()
        p.wait()
    # a normal exit removes it (consumer_c ends at --max-ms)
    p = start_preloaded(tmp_path, max_ms=2000, RECONSUME_SPOOL_DIR=str(tmp_path / "sp"))
    path = state_file(tmp_path / "run", p.pid)
    wait_state(path, "active")
    assert p.wait(timeout=30) == 0
    assert not path.exists()


def test_state_file_of_an_earlier_process_with_the_same_pid_is_ignored(tmp_path):
    # A process killed before it could remove its file leaves it; a later one
    # with the same pid that has not registered must not be judged by it.
    env = clean_env(LD_PRELOAD=str(SHIM), XDG_RUNTIME_DIR=str(tmp_path / "run"))
    p = subprocess.Popen(["sleep", "20"], env=env, stderr=subprocess.DEVNULL)
    try:
        wait_mapped(p.pid, "libreconsume.so")
        path = state_file(tmp_path / "run", p.pid)
        path.parent.mkdir(parents=True, mode=0o700)
        path.write_text(f"state=pass-through\nreason=disabled\ndetail=\npid={p.pid}\nstart=1\n")
        r = rc("doctor", p.pid)
    finally:
        p.kill()
        p.wait()
    assert "is an earlier process's (started at 1" in r.stdout, r.stdout
    assert r.returncode == 0 and "published no state yet" in r.stdout


def test_no_such_pid():
    r = rc("doctor", "999999999")
    assert r.returncode == 2 and "no such process" in r.stderr


# ------------------------------------------------- C++ API and 5.x client ----

def test_cxx_api_consumer_is_recognised(tmp_path):
    # A program importing the mangled DefaultMQPushConsumer::registerMessageListener
    # (and no C API registration): a C++ API consumer, wrappable.
    lib = tmp_path / "lib"
    lib.mkdir()
    (tmp_path / "client.c").write_text(
        "void _ZN8rocketmq21DefaultMQPushConsumer23registerMessageListenerEPNS_17MQMessageListenerE"
        "(void *c, void *l) { (void)c; (void)l; }\n"
        "void *CreatePushConsumer(const char *g) { (void)g; return 0; }\n"
        "int RegisterMessageCallback(void *c, void *f) { (void)c; (void)f; return 0; }\n")
    cc(lib / "librocketmq.so", "-shared", "-fPIC", str(tmp_path / "client.c"))
    (tmp_path / "app.c").write_text(
        "void _ZN8rocketmq21DefaultMQPushConsumer23registerMessageListenerEPNS_17MQMessageListenerE"
        "(void *, void *);\n"
        "int main(void) { _ZN8rocketmq21DefaultMQPushConsumer23registerMessageListenerEPNS_17"
        "MQMessageListenerE(0, 0); return 0; }\n")
    exe = cc(tmp_path / "cxx_consumer", str(tmp_path / "app.c"), f"-L{lib}", "-lrocketmq")
    r = doctor(exe, LD_LIBRARY_PATH=str(lib))
    assert r.returncode == 0, r.stdout
    assert "DefaultMQPushConsumer::registerMessageListener, a C++ API consumer (the program)" in r.stdout
    assert r.stdout.rstrip().endswith("verdict: dynamically linked client, wrappable (exit 0)")


@pytest.mark.parametrize("grpc", [True, False])
def test_5x_grpc_client_is_named_and_not_supported(tmp_path, grpc):
    # A librocketmq.so with rocketmq:: C++ names and no C API: with gRPC's
    # names it is the 5.x client; without, it is not called one.
    lib = tmp_path / "lib"
    lib.mkdir()
    fns = ["_ZN8rocketmq12PushConsumer5startEv"] + (["_ZN4grpc13CreateChannelEv"] if grpc else [])
    (tmp_path / "client.c").write_text("".join("void %s(void) {}\n" % f for f in fns))
    cc(lib / "librocketmq.so", "-shared", "-fPIC", str(tmp_path / "client.c"))
    (tmp_path / "app.c").write_text(
        "void _ZN8rocketmq12PushConsumer5startEv(void);\n"
        "int main(void) { _ZN8rocketmq12PushConsumer5startEv(); return 0; }\n")
    exe = cc(tmp_path / "consumer5", str(tmp_path / "app.c"), f"-L{lib}", "-lrocketmq")
    r = doctor(exe, LD_LIBRARY_PATH=str(lib))
    assert r.returncode == 5, r.stdout
    if grpc:
        assert "is the 5.x gRPC client (apache/rocketmq-clients)" in r.stdout
        assert r.stdout.rstrip().endswith("verdict: 5.x gRPC client, not supported (exit 5)")
    else:
        assert "5.x" not in r.stdout
        assert "verdict: not a RocketMQ consumer (exit 5)" in r.stdout
