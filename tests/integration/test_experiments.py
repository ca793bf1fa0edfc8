"""Staging experiments against the test double: fault injection, rules,
non-retryable failures, crash-loop detection across restarts, the config
file, and the detailed statistics."""
import re
import signal

import pytest

from conftest import killed_by


def by_id(r):
    """What the double was told, per message: {id: [status, ...]}."""
    out = {}
    for e in r.events:
        if e.kind == "deliver":
            out.setdefault(e.fields["id"], []).append(int(e.fields["status"]))
    return out


MANY = [f"id=M{i:03d} topic=T keys=k{i} body=ok" for i in range(200)]


# ---- injection -----------------------------------------------------------

def test_injection_is_seeded_and_repeatable(shim_run):
    env = {"RECONSUME_INJECT": "reconsume,p=0.3", "RECONSUME_INJECT_SEED": "7",
           "RECONSUME_MAX_RETRIES": "2"}
    a = shim_run("c", MANY, env)
    b = shim_run("c", MANY, env)
    c = shim_run("c", MANY, {**env, "RECONSUME_INJECT_SEED": "8"})
    assert by_id(a) == by_id(b)           # the same seed: the same deliveries fail
    assert by_id(a) != by_id(c)           # another seed: others
    failed_first = sum(1 for s in by_id(a).values() if s[0] == 1)
    assert 30 < failed_first < 90         # about 30 % of 200
    st = a.stats
    injected = st['reconsume_injected_deliveries_total{outcome="reconsume"}']
    assert injected == sum(s.count(1) for s in by_id(a).values()) + len(a.spool)
    assert st['reconsume_deliveries_total{outcome="reconsume"}'] == 0  # counted apart
    assert st['reconsume_injected_faults_total{action="reconsume"}'] == injected
    # an injected failure never reached the application
    assert len(a.delivered) == st['reconsume_deliveries_total{outcome="success"}']
    for rec in a.spool:                   # injected 3 times in a row: diverted, and said so
        assert rec.h("Injected") == "rule 1: reconsume,p=0.3"


def test_injected_throw_goes_through_the_exception_guard(shim_run):
    r = shim_run("c", ["id=A keys=K1 body=ok", "id=B keys=K2 body=ok"],
                 {"RECONSUME_INJECT": "throw:boom,key=K1", "RECONSUME_MAX_RETRIES": "1"})
    assert r.returncode == 0
    assert by_id(r) == {"A": [1, 0], "B": [0]}
    (rec,) = r.spool
    assert (rec.h("Outcome"), rec.h("Exception-Type"), rec.h("Exception-What")) == \
        ("exception", "std::runtime_error", "boom")
    assert rec.h("Injected") == "rule 1: throw:boom,key=K1"
    assert [d.id for d in r.delivered] == ["B"]  # A was never handed to the application


def test_injected_throw_without_catching_ends_the_process_like_a_real_one(shim_run):
    r = shim_run("c", ["id=A keys=K1 body=ok"],
                 {"RECONSUME_INJECT": "throw:boom", "RECONSUME_CATCH": "status"})
    assert killed_by(r, signal.SIGABRT)
    assert any("what():  boom" in l for l in r.err)


def test_first_k_lets_a_message_recover(shim_run):
    r = shim_run("c", ["id=A topic=Orders body=ok"],
                 {"RECONSUME_INJECT": "status:7,topic=Orders,first=2", "RECONSUME_MAX_RETRIES": "3"})
    assert by_id(r)["A"] == [1, 1, 0]     # 7 normalised to 1, twice; then the app ran
    assert r.spool == []
    assert [d.id for d in r.delivered] == ["A"]
    assert r.stats['reconsume_injected_deliveries_total{outcome="bad_status"}'] == 2


def test_injected_delay_runs_the_application_and_counts_timeouts(shim_run):
    r = shim_run("c", ["id=A body=ok", "id=B body=ok"],
                 {"RECONSUME_INJECT": "delay:60,body=ok", "RECONSUME_TIMEOUT_MS": "30"})
    assert by_id(r) == {"A": [0], "B": [0]}
    assert len(r.delivered) == 2
    assert r.stats["reconsume_timeouts_total"] == 2
    assert r.stats['reconsume_injected_faults_total{action="delay"}'] == 2


@pytest.mark.parametrize("value,msg", [
    ("explode", "RECONSUME_INJECT='explode': rule 1 'explode': unknown action 'explode'"),
    ("reconsume,p=2", "RECONSUME_INJECT='reconsume,p=2': rule 1"),
])
def test_bad_injection_named(shim_run, value, msg):
    r = shim_run("c", ["id=A body=ok"], {"RECONSUME_INJECT": value})
    assert len(r.err) == 1 and r.err[0].startswith(f"reconsume[{r.pid}]: error: {msg}"), r.err
    assert r.err[0].endswith("; shim disabled (pass-through)")


# ---- rules ---------------------------------------------------------------

def test_rules_per_topic_first_match_wins(shim_run):
    rules = "topic=Orders => max_retries=1 name=orders; * => max_retries=4"
    r = shim_run("c", ["id=O topic=Orders body=status:1", "id=X topic=Other body=status:1"],
                 {"RECONSUME_RULES": rules, "RECONSUME_LOG_LEVEL": "debug"})
    assert by_id(r) == {"O": [1, 0], "X": [1, 1, 1, 1, 0]}
    recs = {rec.h("Msg-Id"): rec for rec in r.spool}
    assert recs["O"].h("Rule") == "rule 1 (orders): topic=Orders => max_retries=1"
    assert recs["O"].int("Max-Retries") == 1
    assert recs["X"].h("Rule").startswith("rule 2: ")
    assert any("rule 1 (orders)" in l for l in r.err)  # the rule in force, in the debug log


def test_rule_can_switch_on_signal_recovery_for_one_topic(shim_run):
    rules = "topic=Crashy => catch=status,exception,signal"
    ok = shim_run("c", ["id=S topic=Crashy body=segv", "id=N topic=Crashy body=ok"],
                  {"RECONSUME_RULES": rules})
    assert ok.returncode == 0 and by_id(ok) == {"S": [0], "N": [0]}
    (rec,) = ok.spool
    assert rec.h("Signal") == "SIGSEGV"
    dies = shim_run("c", ["id=S topic=Plain body=segv"], {"RECONSUME_RULES": rules})
    assert killed_by(dies, signal.SIGSEGV)


def test_config_file_settings_and_rules(shim_run, tmp_path):
    conf = tmp_path / "reconsume.conf"
    conf.write_text("# staging\nRECONSUME_MAX_RETRIES=5\nRECONSUME_LOG_LEVEL=warn\n"
                    "rule topic=Orders => max_retries=0\n")
    r = shim_run("c", ["id=O topic=Orders body=status:1", "id=X topic=Other body=status:1"],
                 {"RECONSUME_CONFIG": str(conf), "RECONSUME_MAX_RETRIES": "2"})  # env wins
    assert by_id(r) == {"O": [0], "X": [1, 1, 0]}
    rec = {x.h("Msg-Id"): x for x in r.spool}["O"]
    assert rec.h("Rule") == f"rule 1: topic=Orders => max_retries=0"
    bad = tmp_path / "bad.conf"
    bad.write_text("RECONSUME_MAX_RETRIES=3\nMAX_RETRIES=3\n")
    r = shim_run("c", ["id=A body=ok"], {"RECONSUME_CONFIG": str(bad)})
    assert len(r.err) == 1 and f"{bad}:2: unknown line 'MAX_RETRIES=3'" in r.err[0], r.err


# ---- non-retryable ---------------------------------------------------------

def test_non_retryable_failures_divert_on_the_first(shim_run):
    env = {"RECONSUME_NON_RETRYABLE": "std::runtime_error,status:7", "RECONSUME_MAX_RETRIES": "3"}
    r = shim_run("cxx", ["id=E body=throw:std", "id=S body=status:7", "id=N body=status:-1",
                         "id=I body=throw:int"], env)
    assert by_id(r) == {"E": [0], "S": [0], "N": [1, 1, 1, 0], "I": [1, 1, 1, 0]}
    recs = {rec.h("Msg-Id"): rec for rec in r.spool}
    assert recs["E"].h("Diverted-Because") == "non_retryable" and recs["E"].int("Attempts") == 1
    assert recs["S"].h("Diverted-Because") == "non_retryable"
    assert recs["N"].h("Diverted-Because") == "cap"
    assert recs["I"].h("Diverted-Because") == "cap"


# ---- crash loops ------------------------------------------------------------

def test_crash_loop_stops_after_max_crashes(shim_run, tmp_path):
    """A consumer that aborts on one message, restarted by a loop: the
    journal counts a crash per death, and at RECONSUME_MAX_CRASHES the
    message is diverted without being handed to the application."""
    journal = tmp_path / "journal"
    spool = tmp_path / "spool"
    env = {"RECONSUME_JOURNAL": str(journal), "RECONSUME_MAX_CRASHES": "2",
           "RECONSUME_SPOOL_DIR": str(spool)}
    script = ["id=OK1 body=ok", "id=BOOM body=abort", "id=OK2 body=ok"]
    runs = []
    for _ in range(5):
        r = shim_run("c", script, env)
        runs.append(r)
        if r.returncode == 0:
            break
    assert [killed_by(x, signal.SIGABRT) for x in runs] == [True, True, False]
    last = runs[-1]
    assert by_id(last) == {"OK1": [0], "BOOM": [0], "OK2": [0]}
    assert "BOOM" not in [d.id for d in last.delivered]  # not handed over again
    assert any("journal: 1 message was in flight when an earlier process died" in l for l in last.err)
    (rec,) = [p for p in (spool / "new").iterdir()]
    from records import parse_record
    rec = parse_record(rec)
    assert (rec.h("Outcome"), rec.h("Diverted-Because"), rec.h("Msg-Id")) == ("crash_loop", "crash_loop", "BOOM")
    assert last.stats["reconsume_crash_loops_total"] == 1
    # the crashes file forgot it once it was diverted
    again = shim_run("c", ["id=BOOM body=ok"], env)
    assert by_id(again) == {"BOOM": [0]} and [d.id for d in again.delivered] == ["BOOM"]


# ---- numbers ----------------------------------------------------------------

def test_detailed_stats(shim_run):
    script = ["id=A topic=Orders body=ok", "id=B topic=Orders body=status:1",
              "id=C topic=Audit body=sleep:20", "id=D topic=Audit body=fail-until:2"]
    r = shim_run("c", script, {"RECONSUME_MAX_RETRIES": "1", "RECONSUME_INJECT": "reconsume,key=inj",
                               "RECONSUME_STATS_INTERVAL_MS": "100"})
    st = r.stats
    t = lambda topic, outcome, inj="false": st.get(
        f'reconsume_topic_deliveries_total{{group="G1",topic="{topic}",outcome="{outcome}",injected="{inj}"}}', 0)
    assert t("Orders", "success") == 1 and t("Orders", "reconsume") == 2
    assert t("Audit", "success") == 2 and t("Audit", "reconsume") == 1
    assert st["reconsume_callback_duration_seconds_count"] == 6
    assert st['reconsume_callback_duration_seconds_bucket{le="+Inf"}'] == 6
    assert st['reconsume_callback_duration_seconds_bucket{le="0.01"}'] == 5  # all but the 20 ms sleep
    assert st["reconsume_callback_duration_seconds_sum"] >= 0.02
    # attempts at resolution: A 1, C 1, D 2 (acked), B 2 (diverted)
    assert st['reconsume_attempts_bucket{le="1"}'] == 2
    assert st['reconsume_attempts_bucket{le="2"}'] == 4
    assert st["reconsume_attempts_count"] == 4


def test_stats_rewritten_while_running(shim_run):
    r = shim_run("c", ["id=A body=sleep:700"], {"RECONSUME_STATS_INTERVAL_MS": "100"})
    rows = (r.dir / "stats.prom.csv").read_text().splitlines()
    assert len(rows) >= 1 + 4  # header, several periodic writes, destroy, exit
    stamps = [int(x.split(",")[0]) for x in rows[1:]]
    assert stamps == sorted(stamps)
