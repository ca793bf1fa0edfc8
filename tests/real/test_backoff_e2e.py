"""RECONSUME_BACKOFF on the real stack (default broker 4.9.7 + client 1.2.3;
RECONSUME_BROKER_LINE / RECONSUME_CLIENT_VERSION select the others): an
orderly poison's calls are as far apart as the schedule says, and a
clustering poison's retry copies ask for the delay level at or above it.

The gaps are read from smoke_consumer's own clock (ms= of each delivery line,
taken as the callback starts). The shim waits the schedule's delay before it
hands the failure back, and the client then pauses on its own before the
local retry. That pause is measured, not assumed: a first consumer with the
shim and no schedule gives the client's own gaps (about 100 ms with client
1.2.3, 1000 ms with 2.1.0), and the second's gaps must be each delay plus that, within the
spread the first one showed plus scheduling slack.
"""
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tests" / "pylib"))
from records import parse_record, parse_stats  # noqa: E402

SHIM = ROOT / "build" / "libreconsume.so"
RESULTS = ROOT / "build" / "e2e-results.txt"
RETRIES = 4
SCHEDULE = "200ms,1s,2s,3s"
DELAYS = [200, 1000, 2000, 3000]


def note(text):
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    with open(RESULTS, "a") as f:
        f.write(text.rstrip() + "\n")
    print(text)


def run(s, tmp, topic, group, env):
    tmp.mkdir(parents=True, exist_ok=True)
    e = {"LD_PRELOAD": str(SHIM), "RECONSUME_SPOOL_DIR": str(tmp / "spool"),
         "RECONSUME_STATS": str(tmp / "stats.prom"), "RECONSUME_MAX_RETRIES": str(RETRIES),
         # rewritten often: with client 2.1.0 the program ends in _exit (no
         # final write); a pause is counted as it starts, seconds before that
         "RECONSUME_STATS_INTERVAL_MS": "100", **env}
    # the poison 1 + RETRIES times, then the message behind it
    c = s.smoke_consumer(topic, group, "--orderly", "--action", "later", "--poison", "poison",
                         "--count", str(RETRIES + 2), "--timeout", "240", env=e)
    assert c.wait(300) == 0, (c.lines[-10:], c.err_lines[-10:])
    got = c.deliveries()
    keys = [d["keys"] for d in got]
    assert keys == ["poison"] * (RETRIES + 1) + ["after"], keys
    t = [int(d["ms"]) for d in got if d["keys"] == "poison"]
    spool = sorted((tmp / "spool" / "new").iterdir())
    assert len(spool) == 1
    return [b - a for a, b in zip(t, t[1:])], parse_record(spool[0]), parse_stats(tmp / "stats.prom")


def test_orderly_gaps_follow_the_backoff_schedule(real_stack, tmp_path):
    s = real_stack
    topic = s.unique("bo_t")
    g_base, g_sched = s.unique("bo_base"), s.unique("bo_sched")
    for g in (g_base, g_sched):
        s.prepare(topic, g, queues=1)
    s.send(topic, [("T", "poison", "bad"), ("T", "after", "ok")], orderly=True, queue=0)

    base, rec, st = run(s, tmp_path / "base", topic, g_base, {})
    # today's behaviour: the client's own pause alone
    assert rec.h("Backoff") is None
    assert st["reconsume_backoff_pauses_total"] == 0
    own_lo, own_hi = min(base), max(base)

    gaps, rec, st = run(s, tmp_path / "sched", topic, g_sched, {"RECONSUME_BACKOFF": SCHEDULE})
    # each gap: the delay (a pause never ends early) plus the client's own
    # pause as measured, with 300 ms for scheduling on a loaded machine
    want = [d + own_lo for d in DELAYS]
    for g, d in zip(gaps, DELAYS):
        assert d + own_lo - 5 <= g <= d + own_hi + 300, (gaps, DELAYS, base)
    assert rec.h("Backoff") == SCHEDULE + "; last=3s"
    assert rec.int("Attempts") == RETRIES + 1
    assert st[f'reconsume_backoff_info{{rule="",schedule="{SCHEDULE}"}}'] == 1
    assert st["reconsume_backoff_pauses_total"] == RETRIES
    assert st["reconsume_backoff_pause_milliseconds_total"] == sum(DELAYS)
    note(f"e2e[{s.line}/{s.client_version}] orderly backoff: RECONSUME_BACKOFF={SCHEDULE} gaps "
         f"{gaps} ms (at least {want}); without it {base} ms (the client's own pause)")


def test_clustering_copies_ask_for_the_schedules_delay_level(real_stack, tmp_path):
    """Each retry copy asks for the delay level at or above the schedule's
    delay (the broker's default table: 1s -> level 1, 5s -> level 2); the
    test broker's table makes level 1 one second and level 2 two (broker.sh),
    so the gaps between the poison's calls show which level each copy got.
    Without a schedule a copy asks for the broker's own send-back level
    (3 + retries), one second each on the test broker."""
    s = real_stack
    topic = s.unique("boc_t")
    g_base, g_sched = s.unique("boc_base"), s.unique("boc_sched")
    for g in (g_base, g_sched):
        s.prepare(topic, g, queues=1)
    s.send(topic, [("T", "poison", "bad")])

    def gaps(tmp, group, env):
        tmp.mkdir(parents=True, exist_ok=True)
        e = {"LD_PRELOAD": str(SHIM), "RECONSUME_SPOOL_DIR": str(tmp / "spool"),
             "RECONSUME_MAX_RETRIES": "2", "RECONSUME_LOG_LEVEL": "debug", **env}
        c = s.smoke_consumer(topic, group, "--action", "later", "--poison", "poison",
                             "--count", "3", "--timeout", "120", env=e)
        assert c.wait(180) == 0, (c.lines[-10:], c.err_lines[-10:])
        t = [int(d["ms"]) for d in c.deliveries() if d["keys"] == "poison"]
        assert len(t) == 3, c.lines
        asked = [x.split("(", 1)[1].rstrip(")") for x in c.err_lines if ": retry copy " in x]
        (rec,) = [parse_record(p) for p in (tmp / "spool" / "new").iterdir()]
        assert rec.int("Attempts") == 3
        return [b - a for a, b in zip(t, t[1:])], asked, rec

    base, asked, _ = gaps(tmp_path / "base", g_base, {})
    assert asked == ["DELAY=3", "DELAY=4"], asked
    got, asked, rec = gaps(tmp_path / "sched", g_sched, {"RECONSUME_BACKOFF": "1s,5s"})
    assert asked == ["DELAY=1", "DELAY=2"], asked
    assert rec.h("Backoff") == "1s,5s; last=5s"
    # level 1 = 1 s, level 2 = 2 s on the test broker: never early, and the
    # second gap at least the 2 s of its level (the broker's scheduler ticks
    # about every 100 ms; a loaded machine adds a second or so)
    assert 1000 - 100 <= got[0] <= 1000 + 2500, (got, base)
    assert 2000 - 100 <= got[1] <= 2000 + 2500, (got, base)
    assert got[1] - got[0] >= 400, (got, base)
    note(f"e2e[{s.line}/{s.client_version}] clustering backoff: RECONSUME_BACKOFF=1s,5s copies asked "
         f"for levels 1, 2 (test broker: 1 s, 2 s), gaps {got} ms; without it levels 3, 4 (1 s each), gaps {base} ms")


def test_clustering_copies_as_exact_timers_on_broker_5(real_stack, tmp_path):
    """RECONSUME_BACKOFF_TIMER=1 on broker 5.x: each copy carries its delay as
    TIMER_DELAY_MS and no level, so the gaps are the schedule's, exact to the
    broker's 1 s timer precision (3 s then 1 s: the reverse of any level
    order on the test broker)."""
    s = real_stack
    if s.line != "5":
        import pytest
        pytest.skip("timer messages are a 5.x broker's")
    topic, group = s.unique("bot_t"), s.unique("bot_g")
    s.prepare(topic, group, queues=1)
    s.send(topic, [("T", "poison", "bad")])
    e = {"LD_PRELOAD": str(SHIM), "RECONSUME_SPOOL_DIR": str(tmp_path / "spool"),
         "RECONSUME_MAX_RETRIES": "2", "RECONSUME_LOG_LEVEL": "debug",
         "RECONSUME_BACKOFF": "3s,1s", "RECONSUME_BACKOFF_TIMER": "1"}
    c = s.smoke_consumer(topic, group, "--action", "later", "--poison", "poison",
                         "--count", "3", "--timeout", "120", env=e)
    assert c.wait(180) == 0, (c.lines[-10:], c.err_lines[-10:])
    t = [int(d["ms"]) for d in c.deliveries() if d["keys"] == "poison"]
    asked = [x.split("(", 1)[1].rstrip(")") for x in c.err_lines if ": retry copy " in x]
    assert asked == ["TIMER_DELAY_MS=3000", "TIMER_DELAY_MS=1000"], asked
    got = [b - a for a, b in zip(t, t[1:])]
    # rounded down to the 1 s precision, never more than a second early; a
    # loaded machine adds a second or so
    assert 2000 <= got[0] <= 3000 + 2500 and 0 <= got[1] <= 1000 + 2500, got
    assert got[0] - got[1] >= 1000, got
    note(f"e2e[{s.line}/{s.client_version}] clustering backoff as 5.x timers: RECONSUME_BACKOFF=3s,1s "
         f"with RECONSUME_BACKOFF_TIMER=1, gaps {got} ms")
