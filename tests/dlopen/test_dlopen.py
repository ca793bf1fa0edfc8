"""Issue 8: the client dlopen()ed and looked up on its handle.

The shim interposes dlsym/dlvsym (shim/dlsym.c): a lookup of an interposed
client function on the client's handle returns the shim's; every other
lookup, and every RTLD_DEFAULT/RTLD_NEXT lookup (answered relative to the
caller), is exactly what it is without the shim. Callbacks registered that
way are wrapped like any other; one that is a ctypes closure and raises
(ctypes then sets no return value) is read as a bad status and reconsumed
(shim/foreign.c)."""
import pytest

from dlhelpers import DLB, DOUBLE, PYTHON, ROOT

CTYPES_CONSUMER = ROOT / "tests" / "dlopen" / "ctypes_consumer.py"
UNSET = 0x0BADCA11
INTERPOSED_LINES = {"client:CreatePushConsumer", "client:RegisterMessageCallback"}


def probe(dl_run, **kw):
    r = dl_run(["dlopen_probe", DOUBLE, DLB / "libprobe_local.so"], **kw)
    assert r.returncode == 0, r.stderr
    return dict(line.split(" ", 1) for line in r.stdout.splitlines())


def test_lookups_are_unchanged_but_the_interposed_ones(dl_run):
    plain, shim = probe(dl_run, shim=False), probe(dl_run)
    assert plain.keys() == shim.keys()
    for k in plain:
        if k in INTERPOSED_LINES:
            assert plain[k].startswith("librocketmq.so+"), plain[k]
            assert shim[k].startswith("libreconsume.so+"), shim[k]
        else:
            assert shim[k] == plain[k], k
    # the probe means something: caller-relative answers that a wrapper calling
    # dlsym itself would get wrong (relative to the shim: libprobe_a / NULL)
    assert plain["lib_a:next:probe_sym"].startswith("libprobe_b.so+")
    assert plain["lib_a:vnext:probe_sym"].startswith("libprobe_b.so+")
    assert plain["lib_local:default:probe_dep_sym"].startswith("libprobe_dep.so+")
    assert plain["next:probe_sym"].startswith("libprobe_a.so+")
    assert plain["client:NoSuchSymbol"].startswith("NULL ") and "NoSuchSymbol" in plain["client:NoSuchSymbol"]
    assert plain["dlerror-after-hit"] == "(none)"


def test_versioned_lookups_are_unchanged(dl_run):
    """dlvsym on a versioned client: the interposed names become the shim's,
    a wrong version still fails exactly as before."""
    plain = probe_v(dl_run, shim=False)
    shim = probe_v(dl_run)
    assert plain["client:CreatePushConsumer"].startswith("librocketmq.so+")
    assert shim["client:CreatePushConsumer"].startswith("libreconsume.so+")
    assert shim["client:CreatePushConsumer@V"] == plain["client:CreatePushConsumer@V"]


def probe_v(dl_run, **kw):
    r = dl_run(["dlopen_probe", DLB / "versioned" / "librocketmq.so", DLB / "libprobe_local.so"], **kw)
    assert r.returncode == 0, r.stderr
    return dict(line.split(" ", 1) for line in r.stdout.splitlines())


def test_disabled_shim_hands_out_the_library_functions(dl_run):
    plain, off = probe(dl_run, shim=False), probe(dl_run, env={"RECONSUME_ENABLE": "0"})
    assert off == plain


SCRIPT = ["id=M1 body=status:1", "id=M2 body=ok"]


VERSIONED = DLB / "versioned" / "librocketmq.so"  # every symbol at version "librocketmq.so"


@pytest.mark.parametrize("extra", [[], ["--orderly"], ["--global"],
                                   ["--dlvsym", "librocketmq.so", "--lib", VERSIONED]],
                         ids=["local", "orderly", "global", "dlvsym"])
def test_c_consumer_through_the_handle_is_capped_and_diverted(dl_run, extra):
    r = dl_run(["dlopen_consumer", "--lib", DOUBLE, *extra], SCRIPT, env={"RECONSUME_MAX_RETRIES": "2"})
    assert r.returncode == 0, r.stderr
    assert r.statuses("M1") == [1, 1, 0], r.events
    assert r.fates == {"M1": "acked", "M2": "acked"}
    (rec,) = r.records("M1")
    assert rec.h("Outcome") == "reconsume" and rec.int("Attempts") == 3
    assert rec.h("Mode") == ("orderly" if "--orderly" in extra else "clustering")
    assert rec.body == b"status:1"


def test_c_consumer_without_the_shim_goes_to_the_dlq(dl_run):
    r = dl_run(["dlopen_consumer", "--lib", DOUBLE], SCRIPT, shim=False)
    assert r.returncode == 0, r.stderr
    assert r.fates == {"M1": "dlq", "M2": "acked"}
    assert len(r.statuses("M1")) == 17 and not r.spool


@pytest.mark.parametrize("wrapper", ["messense", "apache"])
def test_raising_ctypes_callback_is_reconsumed_then_diverted(dl_run, wrapper):
    """The packages' wrappers re-raise in `finally`; ctypes prints the
    exception and writes no return value. The shim reads that as 0x0BADCA11,
    a bad status: reconsume later, capped, diverted. Never a silent ack."""
    script = ["id=M1 body=raise", "id=M2 body=ok"]
    r = dl_run([PYTHON, CTYPES_CONSUMER, "--wrapper", wrapper, "--lib", DOUBLE], script,
               env={"RECONSUME_MAX_RETRIES": "2"})
    assert r.returncode == 0, r.stderr
    assert "Exception ignored on calling ctypes callback function" in r.stderr
    assert r.statuses("M1") == [1, 1, 0], r.events
    assert r.fates == {"M1": "acked", "M2": "acked"}
    (rec,) = r.records("M1")
    assert rec.h("Outcome") == "bad_status" and rec.int("Status") == UNSET
    assert rec.int("Attempts") == 3 and rec.body == b"raise"


@pytest.mark.parametrize("wrapper", ["messense", "apache"])
def test_raising_ctypes_callback_without_the_shim_returns_garbage(dl_run, wrapper):
    """The evidence: what C reads from a raising ctypes callback is whatever
    was in libffi's return slot, never a deliberate E_RECONSUME_LATER."""
    r = dl_run([PYTHON, CTYPES_CONSUMER, "--wrapper", wrapper, "--lib", DOUBLE],
               ["id=M1 body=raise"], shim=False, env={"RMQ_DOUBLE_MAX_RECONSUME": "3"})
    assert r.returncode == 0, r.stderr
    seen = r.statuses("M1")
    print("statuses C saw for a raising callback:", seen)
    assert seen and any(s != 1 for s in seen)


def test_apache_wrapper_reconsume_later_is_capped(dl_run):
    r = dl_run([PYTHON, CTYPES_CONSUMER, "--wrapper", "apache", "--lib", DOUBLE],
               ["id=M1 body=status:1", "id=M2 body=status:0"], env={"RECONSUME_MAX_RETRIES": "2"})
    assert r.returncode == 0, r.stderr
    assert r.statuses("M1") == [1, 1, 0] and r.statuses("M2") == [0]
    (rec,) = r.records("M1")
    assert rec.h("Outcome") == "reconsume"


@pytest.mark.parametrize("extra", [[], ["--global"], ["--orderly"]], ids=["local", "global", "orderly"])
def test_plain_ctypes_callback_statuses(dl_run, extra):
    """A CFUNCTYPE callback with no package wrapper: statuses pass as they
    are; returning None (not an int: ctypes cannot convert it, sets nothing)
    is a bad status too."""
    script = ["id=S body=ok", "id=N body=none", "id=R body=raise"]
    r = dl_run([PYTHON, CTYPES_CONSUMER, "--wrapper", "plain", "--lib", DOUBLE, *extra], script,
               env={"RECONSUME_MAX_RETRIES": "1"})
    assert r.returncode == 0, r.stderr
    assert r.statuses("S") == [0]
    assert r.statuses("N") == [1, 0] and r.statuses("R") == [1, 0]
    assert {x.h("Msg-Id"): x.int("Status") for x in r.spool} == {"N": UNSET, "R": UNSET}
