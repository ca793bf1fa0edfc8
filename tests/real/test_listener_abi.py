"""The listener-level ABI facts of tests/real/LISTENER_NOTES.md, checked on
both real client builds (no broker needed): run with
    python3 -m pytest tests/real/test_listener_abi.py -q

- build/real/abi_probe (dlopen + dlsym + dladdr): sizeof(MQMessageExt) found
  at run time by client/msgext.c, the listener vtables' slots, which
  listener-level symbols each build exports;
- objdump/readelf: the C API registers its MessageListenerInner through the
  PLT, so a preloaded registerMessageListener sees C API listeners too.
"""
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
REAL = ROOT / "tests" / "real"
BUILD = ROOT / "build" / "real"

REGISTER = "_ZN8rocketmq21DefaultMQPushConsumer23registerMessageListenerEPNS_17MQMessageListenerE"
INNER_CONSUME = "_ZN20MessageListenerInner14consumeMessageERKSt6vectorIN8rocketmq12MQMessageExtESaIS2_EE"
SEND_BACK_1 = "_ZN8rocketmq21DefaultMQPushConsumer15sendMessageBackERNS_12MQMessageExtEi"
SEND_BACK_2 = ("_ZN8rocketmq25DefaultMQPushConsumerImpl15sendMessageBackERNS_12MQMessageExtEi"
               "RNSt7__cxx1112basic_stringIcSt11char_traitsIcESaIcEEE")
EXPECT = {
    "1.2.3": {"size": 200, "send_back": SEND_BACK_1, "no_send_back": SEND_BACK_2},
    "2.1.0": {"size": 320, "send_back": SEND_BACK_2, "no_send_back": SEND_BACK_1},
}
# slot -> the symbol the C API's concurrent listener has there, both builds
INNER_SLOTS = ["_ZN20MessageListenerInnerD1Ev", "_ZN20MessageListenerInnerD0Ev", INNER_CONSUME,
               "_ZN8rocketmq27MessageListenerConcurrently22getMessageListenerTypeEv"]
ORDERLY_SLOT3 = "_ZN8rocketmq22MessageListenerOrderly22getMessageListenerTypeEv"


@pytest.fixture(scope="module")
def probe():
    for v in EXPECT:
        subprocess.run([str(REAL / "fetch-client.sh"), v], check=True, capture_output=True,
                       timeout=600)
    r = subprocess.run(["make", "-s", "-C", str(REAL), str(BUILD / "abi_probe")],
                       capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stdout + r.stderr
    return BUILD / "abi_probe"


def lib(v):
    return BUILD / ("client-%s" % v) / "librocketmq.so"


def facts(probe, v):
    r = subprocess.run([str(probe), str(lib(v))], capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stderr
    return dict(line.split("=", 1) for line in r.stdout.splitlines() if "=" in line)


@pytest.mark.parametrize("v", sorted(EXPECT))
def test_probe_facts(probe, v):
    f = facts(probe, v)
    assert f.get("msgext.size") == str(EXPECT[v]["size"]), f.get("msgext.error")
    assert f["msgext.count"] == "3" and f["msgext.count_short"] == "-1"
    assert f["handle_of"] == "same"
    assert f["sym." + REGISTER] == "present"
    assert f["sym." + INNER_CONSUME] == "present"
    assert f["sym." + EXPECT[v]["send_back"]] == "present"
    assert f["sym." + EXPECT[v]["no_send_back"]] == "absent"
    for i, name in enumerate(INNER_SLOTS):
        assert f["vtable._ZTV20MessageListenerInner.%d" % i] == name
    assert f["vtable._ZTV27MessageListenerOrderlyInner.2"].startswith(
        "_ZN27MessageListenerOrderlyInner14consumeMessage")
    assert f["vtable._ZTV27MessageListenerOrderlyInner.3"] == ORDERLY_SLOT3
    if v == "1.2.3":  # only 1.2.x exports the base classes' vtables
        assert f["vtable._ZTVN8rocketmq27MessageListenerConcurrentlyE.2"] == "__cxa_pure_virtual"
    else:
        assert f["sym._ZTVN8rocketmq27MessageListenerConcurrentlyE"] == "absent"
        assert f["sym._ZN8rocketmq25DefaultMQPushConsumerImpl23registerMessageListener"
                 "EPNS_17MQMessageListenerE"] == "present"


def _disasm(path, func):
    nm = subprocess.run(["nm", "-D", "--defined-only", str(path)], capture_output=True, text=True,
                        check=True).stdout
    addr = next(int(line.split()[0], 16) for line in nm.splitlines()
                if line.split()[-1] == func)
    out = subprocess.run(["objdump", "-d", "--no-show-raw-insn", str(path),
                          "--start-address=0x%x" % addr, "--stop-address=0x%x" % (addr + 0x100)],
                         capture_output=True, text=True, check=True).stdout
    return out


@pytest.mark.skipif(not (shutil.which("objdump") and shutil.which("readelf") and shutil.which("nm")),
                    reason="binutils needed")
@pytest.mark.parametrize("v", sorted(EXPECT))
@pytest.mark.parametrize("func", ["RegisterMessageCallback", "RegisterMessageCallbackOrderly"])
def test_c_api_registers_through_the_plt(probe, v, func):
    asm = _disasm(lib(v), func)
    assert "<%s@plt>" % REGISTER in asm, asm
    relocs = subprocess.run(["readelf", "-rW", str(lib(v))], capture_output=True, text=True,
                            check=True).stdout
    assert any("R_X86_64_JUMP_SLOT" in line and REGISTER in line for line in relocs.splitlines())
    # the vtable slot of MessageListenerInner::consumeMessage is a symbolic
    # relocation too (what a preloaded definition of it would take over)
    assert any("R_X86_64_64" in line and INNER_CONSUME in line for line in relocs.splitlines())
