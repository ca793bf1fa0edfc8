"""RECONSUME_BACKOFF against the test double: the orderly gaps between a
poison's calls follow the schedule, broadcasting's in-process pauses follow
it, a rule's backoff= wins over the global one, and the schedule shows in
the record and the stats. Without the variable nothing changes.

The gaps are measured with the double's own clock around each call (t_us=
of its call lines with RMQ_DOUBLE_CLOCK=1, CLOCK_MONOTONIC). The double pauses 100 ms before an
orderly local retry here (RMQ_DOUBLE_ORDERLY_DELAY_MS), as client 1.2.3 was
measured to (tests/real/test_backoff_e2e.py): the shim's pause comes before
it, so a gap is the schedule's delay plus the client's own.
"""
N = 3
CLIENT_MS = 100  # the client's own orderly pause, emulated by the double
# A pause never ends early (nanosleep); late it may be, on a loaded machine:
# a gap is the schedule's delay, plus at most this much for the two
# processes' scheduling (2 cores shared by the whole suite).
LATE_MS = 400


def gaps_ms(r, msg_id):
    t = [int(e.fields["t_us"]) for e in r.calls(msg_id)]
    return [(b - a) / 1000 for a, b in zip(t, t[1:])]


def assert_gaps(gaps, want):
    assert len(gaps) == len(want), (gaps, want)
    for g, w in zip(gaps, want):
        assert w - 1 <= g <= w + LATE_MS, (gaps, want)


def run(shim_run, program, script, env, **kw):
    return shim_run(program, script, {"RMQ_DOUBLE_CLOCK": "1", **env}, **kw)


def orderly(shim_run, env, script=None):
    return run(shim_run, "c", script or ["id=P queue=0 offset=10 body=status:1",
                                    "id=G queue=0 offset=11 body=ok"],
                    {"RECONSUME_MAX_RETRIES": str(N), "RMQ_DOUBLE_ORDERLY_DELAY_MS": str(CLIENT_MS),
                     **env}, extra_args=["--orderly"])


def test_orderly_gaps_follow_the_schedule(shim_run):
    r = orderly(shim_run, {"RECONSUME_BACKOFF": "200ms,500ms,1s"})
    assert r.returncode == 0, r.stderr
    assert r.statuses("P") == [1] * N + [0]
    assert r.fates == {"P": "acked", "G": "acked"}
    assert_gaps(gaps_ms(r, "P"), [d + CLIENT_MS for d in (200, 500, 1000)])
    (rec,) = r.spool
    assert rec.h("Backoff") == "200ms,500ms,1s; last=1s"
    st = r.stats
    assert st['reconsume_backoff_info{rule="",schedule="200ms,500ms,1s"}'] == 1
    assert st["reconsume_backoff_pauses_total"] == N
    assert st["reconsume_backoff_pause_milliseconds_total"] == 200 + 500 + 1000


def test_orderly_exponential_and_the_last_delay_repeats(shim_run):
    r = orderly(shim_run, {"RECONSUME_BACKOFF": "exp:100ms*3,max=1s", "RECONSUME_MAX_RETRIES": "4"})
    assert r.returncode == 0, r.stderr
    assert_gaps(gaps_ms(r, "P"), [d + CLIENT_MS for d in (100, 300, 900, 1000)])
    assert r.spool[0].h("Backoff") == "exp:100ms*3,max=1s; last=1s"


def test_orderly_without_the_variable_is_unchanged(shim_run):
    r = orderly(shim_run, {})
    assert r.statuses("P") == [1] * N + [0]
    assert_gaps(gaps_ms(r, "P"), [CLIENT_MS] * N)  # the client's own pause alone
    (rec,) = r.spool
    assert rec.h("Backoff") is None
    assert r.stats['reconsume_backoff_info{rule="",schedule="off"}'] == 1
    assert r.stats["reconsume_backoff_pauses_total"] == 0


def test_a_rule_s_backoff_wins(shim_run):
    script = ["id=P queue=0 topic=Slow body=status:1", "id=Q queue=1 topic=Fast body=status:1"]
    r = orderly(shim_run, {"RECONSUME_BACKOFF": "800ms", "RECONSUME_MAX_RETRIES": "1",
                           "RECONSUME_RULES": "topic=Fast => backoff=off"}, script)
    assert r.returncode == 0, r.stderr
    assert_gaps(gaps_ms(r, "P"), [800 + CLIENT_MS])
    assert_gaps(gaps_ms(r, "Q"), [CLIENT_MS])
    recs = {rec.h("Msg-Id"): rec for rec in r.spool}
    assert recs["P"].h("Backoff") == "800ms; last=800ms"
    assert recs["Q"].h("Backoff") is None
    assert recs["Q"].h("Rule") == "rule 1: topic=Fast => backoff=off"
    assert r.stats['reconsume_backoff_info{rule="1",schedule="off"}'] == 1


def test_broadcasting_pauses_follow_the_schedule(shim_run):
    env = {"RECONSUME_MAX_RETRIES": str(N), "RECONSUME_BACKOFF": "100ms,300ms"}
    r = run(shim_run, "c", ["id=M1 body=status:1"], env, extra_args=["--broadcast"])
    assert r.returncode == 0, r.stderr
    assert r.rets("M1") == ["1"] * (N + 1)
    assert r.stats["reconsume_backoff_pauses_total"] == N
    assert r.stats["reconsume_backoff_pause_milliseconds_total"] == 100 + 300 + 300
    # the in-process calls are one call of the client's: its clock around it
    (call,) = r.calls("M1")
    (done,) = [e for e in r.events if e.kind == "deliver" and e.fields["id"] == "M1"]
    took = (int(done.fields["t_us"]) - int(call.fields["t_us"])) / 1000
    assert 700 - 1 <= took <= 700 + LATE_MS, took
    assert r.spool[0].h("Backoff") == "100ms,300ms; last=300ms"


def test_broadcasting_without_the_variable_keeps_its_pause(shim_run):
    env = {"RECONSUME_MAX_RETRIES": str(N), "RECONSUME_BROADCAST_BACKOFF_MS": "150"}
    r = run(shim_run, "c", ["id=M1 body=status:1"], env, extra_args=["--broadcast"])
    (call,) = r.calls("M1")
    (done,) = [e for e in r.events if e.kind == "deliver" and e.fields["id"] == "M1"]
    took = (int(done.fields["t_us"]) - int(call.fields["t_us"])) / 1000
    assert 3 * 150 - 1 <= took <= 3 * 150 + LATE_MS, took
    assert r.stats["reconsume_backoff_pauses_total"] == 0


def test_a_bad_value_is_reported_and_strict_mode_stops(shim_run):
    r = run(shim_run, "c", ["id=M1 body=ok"], {"RECONSUME_BACKOFF": "1s,,2s"})
    assert r.returncode == 0
    assert any("RECONSUME_BACKOFF='1s,,2s': delay 2 is empty; expected DELAY[,DELAY]..." in line
               for line in r.err), r.stderr
    r = run(shim_run, "c", ["id=M1 body=ok"], {"RECONSUME_BACKOFF": "5", "RECONSUME_STRICT": "1"})
    assert r.returncode == 78
    assert any("RECONSUME_BACKOFF='5': delay 1 has no unit" in line for line in r.err), r.stderr
