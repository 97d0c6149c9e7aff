"""Send pacing per workspace, shared by every process through the database."""

from __future__ import annotations

import json
import threading
from collections import Counter
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import text

from bot.pacing import max_in_window, pace_for
from handlers.deps import Deps
from handlers.fakeslack import FakeSlack
from handlers.goals_dispatch import Dispatcher, TickStats, dispatch_client
from handlers.pacing import SharedPacer
from storage import db
from tests.conftest import make_settings
from tests.goals_seed import reset_sequences, seed_goals


class FakeTime:
    """One clock for monotonic and wall time; sleeping moves it on."""

    def __init__(self) -> None:
        self.now = 1_000_000.0

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += seconds


def pacer(url: str, clock: FakeTime, rate: float) -> SharedPacer:
    engine = db.make_engine(url)
    return SharedPacer(
        db.make_sessions(engine), rate, monotonic=clock, wall=clock, sleep=clock.sleep
    )


def test_one_process_bursts_then_keeps_the_pace(sqlite_url: str) -> None:
    clock = FakeTime()
    one = pacer(sqlite_url, clock, 4)
    sent = []
    for _ in range(12):
        one.acquire("T1")
        sent.append(clock.now - 1_000_000.0)
    assert sent[:4] == [0.0] * 4
    assert sent[4:] == pytest.approx([0.25 * n for n in range(1, 9)])
    assert one.drain_seconds(10_000) == 2_500


def test_two_processes_share_one_pace_and_workspaces_do_not(sqlite_url: str) -> None:
    clock = FakeTime()
    first, second = pacer(sqlite_url, clock, 4), pacer(sqlite_url, clock, 4)
    sent = []
    for n in range(12):
        (first if n % 2 else second).acquire("T1")
        sent.append(clock.now - 1_000_000.0)
    assert sent[:4] == [0.0] * 4  # one burst between them, not one each
    assert sent[-1] == pytest.approx(2.0)
    before = clock.now
    first.acquire("T2")
    assert clock.now == before  # another workspace has its own pace


def test_slots_left_unused_are_not_saved_up(sqlite_url: str) -> None:
    clock = FakeTime()
    one = SharedPacer(
        db.make_sessions(db.make_engine(sqlite_url)),
        4,
        batch=4,
        monotonic=clock,
        wall=clock,
        sleep=clock.sleep,
    )
    for _ in range(5):  # the burst, then a reservation of four slots of which one is used
        one.acquire("T1")
    clock.now += 10.0
    sent = []
    for _ in range(8):
        one.acquire("T1")
        sent.append(clock.now)
    # The three stale slots were dropped: what follows is a fresh burst of four, then the pace.
    assert sent[:4] == [sent[0]] * 4
    assert sent[4] > sent[0]


def test_pacing_off_never_waits(sqlite_url: str) -> None:
    clock = FakeTime()
    off = pacer(sqlite_url, clock, 0)
    for _ in range(100):
        off.acquire("T1")
    assert clock.now == 1_000_000.0
    assert off.drain_seconds(100) == 0.0


RATE = 20
DUE = 100
NOW = datetime(2026, 3, 9, 9, 0, tzinfo=UTC)


@pytest.mark.slow
def test_three_replicas_together_stay_under_the_workspace_pace(
    fake_slack: FakeSlack, postgres_url: str
) -> None:
    engine = db.make_engine(postgres_url)
    with engine.begin() as conn:
        conn.execute(
            text("TRUNCATE goal_checkins, goal_coach_digests, goals, send_pacing RESTART IDENTITY")
        )
    seed_goals(engine, total=DUE, due=DUE, now=NOW, team_id=fake_slack.team_id)
    reset_sequences(engine)
    engine.dispose()
    # Few send threads: the fake server's listen backlog is small, and a refused connection
    # would put a DM off by 30 s (the test's clock never gets there).
    settings = make_settings(
        fake_slack,
        postgres_url,
        GOALS_SENDS_PER_SECOND=str(RATE),
        GOALS_BATCH_SIZE="10",
        GOALS_SEND_THREADS="2",
    )
    totals: list[TickStats] = []
    errors: list[BaseException] = []

    def replica() -> None:
        # A replica of its own: its own engine (connection pool) and dispatcher.
        own = db.make_engine(postgres_url)
        deps = Deps(
            settings=settings, engine=own, sessions=db.make_sessions(own), clock=lambda: NOW
        )
        dispatcher = Dispatcher(deps, dispatch_client(settings))
        total = TickStats()
        try:
            while (stats := dispatcher.tick()).claimed:
                total.sent += stats.sent
            totals.append(total)
        except BaseException as exc:  # reported by the test thread below
            errors.append(exc)
        finally:
            own.dispose()

    threads = [threading.Thread(target=replica) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not errors, errors
    posts = fake_slack.ok_calls("chat.postMessage")
    keys = Counter(_metadata(c.args)["event_payload"]["key"] for c in posts)
    assert len(keys) == DUE, [c for c in fake_slack.calls("chat.postMessage") if c.status != 200]
    assert set(keys.values()) == {1}
    assert [t.sent > 0 for t in totals] == [True] * 3, [t.sent for t in totals]  # all took part
    times = sorted(c.at for c in posts)
    pace = pace_for(RATE)
    assert pace is not None
    for seconds in (0.5, 1.0, 2.0):
        busiest = max(
            sum(1 for t in times[i:] if t < start + seconds) for i, start in enumerate(times)
        )
        # Two sends of slack for the HTTP round trip and thread wake-up between a slot and its
        # receipt at the server (a busy machine delays some); without the shared schedule the
        # three bursts alone would put 60 sends into the first half second.
        assert busiest <= max_in_window(pace, seconds) + 2, (seconds, busiest)


def _metadata(args: dict[str, Any]) -> dict[str, Any]:
    metadata = args["metadata"]
    loaded = json.loads(metadata) if isinstance(metadata, str) else metadata
    assert isinstance(loaded, dict)
    return loaded
