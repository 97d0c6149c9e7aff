"""The check-in dispatcher against the fake Slack server, on SQLite and on PostgreSQL."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from bot.goals import (
    Cadence,
    CheckinAnswer,
    GoalSpec,
    GoalStatus,
    PauseReason,
    Weekday,
)
from handlers.deps import Deps
from handlers.fakeslack import FakeSlack
from handlers.goals_dispatch import Dispatcher, dispatch_client
from storage import db, people
from storage import goals as repo
from storage.goals import CheckinKind, CheckinRow, CheckinStatus, DigestRow
from tests.conftest import FakeClock, make_settings
from tests.goals_seed import reset_sequences, seed_goals

BERLIN = ZoneInfo("Europe/Berlin")
ROOT = Path(__file__).resolve().parents[2]


@dataclass
class World:
    """A database, the fake Slack and a clock, from which dispatchers are made."""

    url: str
    slack: FakeSlack
    clock: FakeClock
    env: dict[str, str]
    deps: Deps

    def dispatcher(self, owner: str | None = None) -> Dispatcher:
        """A fresh dispatcher (a new process would build exactly this)."""
        return Dispatcher(self.deps, dispatch_client(self.deps.settings), owner=owner)

    def restart(self) -> None:
        """Throw away the engine, as a restarted process would."""
        self.deps.engine.dispose()
        engine = db.make_engine(self.deps.settings.database_url)
        self.deps = Deps(
            settings=self.deps.settings,
            engine=engine,
            sessions=db.make_sessions(engine),
            clock=self.clock,
        )

    def goal(self, user: str = "U0ALICE", tz: str = "Europe/Berlin", **changes: Any) -> repo.Goal:
        values: dict[str, Any] = {
            "title": "Speak up in planning",
            "success": "I raise one point per meeting",
            "end_date": date(2026, 4, 13),
            "cadence": Cadence.WEEKLY,
            "weekday": Weekday.MONDAY,
            "local_time": time(9, 0),
            "coach_id": None,
        }
        values.update(changes)
        with self.deps.sessions.begin() as session:
            return repo.create_goal(
                session,
                team_id=self.slack.team_id,
                user_id=user,
                spec=GoalSpec(**values),
                tz_name=tz,
                now=self.clock(),
                limits=self.deps.settings.goals.limits,
            )

    def posts(self, channel_user: str | None = None) -> list[dict[str, Any]]:
        """Accepted chat.postMessage calls (optionally to one user)."""
        return [
            call.args
            for call in self.slack.ok_calls("chat.postMessage")
            if channel_user is None or call.args.get("channel") == channel_user
        ]

    def keys(self) -> Counter[str]:
        """How often each dispatched DM key was posted (counted at the fake Slack)."""
        found: Counter[str] = Counter()
        for args in self.posts():
            metadata = args.get("metadata")
            if isinstance(metadata, str):
                metadata = json.loads(metadata)
            if metadata:
                found[metadata["event_payload"]["key"]] += 1
        return found

    def rows(self, goal_id: int) -> list[repo.Checkin]:
        with self.deps.sessions.begin() as session:
            return repo.checkins_of(session, goal_id)

    def get(self, goal_id: int) -> repo.Goal:
        with self.deps.sessions.begin() as session:
            goal = repo.get_goal(session, goal_id)
        assert goal is not None
        return goal


@pytest.fixture
def world(fake_slack: FakeSlack, db_url: str) -> Iterator[World]:
    env = {"GOALS_SENDS_PER_SECOND": "0"}
    settings = make_settings(fake_slack, db_url, **env)
    engine = db.make_engine(settings.database_url)
    clock = FakeClock(datetime(2026, 3, 2, 7, 0, tzinfo=UTC))  # Monday 08:00 in Berlin
    deps = Deps(settings=settings, engine=engine, sessions=db.make_sessions(engine), clock=clock)
    fake_slack.add_user("U0ALICE", tz="Europe/Berlin")
    fake_slack.add_user("U0COACH", tz="Europe/Berlin")
    w = World(db_url, fake_slack, clock, env, deps)
    yield w
    w.deps.engine.dispose()


def walk(world: World, dispatcher: Dispatcher, until: datetime, step: timedelta) -> None:
    """Tick every `step` until `until`."""
    while world.clock() < until:
        world.clock.advance(seconds=step.total_seconds())
        dispatcher.tick()


def answer_latest(world: World, goal_id: int, answer: CheckinAnswer) -> None:
    sent = [r for r in world.rows(goal_id) if r.status is CheckinStatus.SENT]
    for row in sent:
        with world.deps.sessions.begin() as session:
            repo.record_answer(session, row.id, "U0ALICE", answer, world.clock())


def test_a_goal_walks_through_its_weeks_across_the_dst_change(world: World) -> None:
    goal = world.goal()
    dispatcher = world.dispatcher()
    end = datetime(2026, 4, 14, 12, 0, tzinfo=UTC)
    while world.clock() < end:
        world.clock.advance(hours=1)
        dispatcher.tick()
        answer_latest(world, goal.id, CheckinAnswer.ON_TRACK)
    periods = [date(2026, 3, 9), date(2026, 3, 16), date(2026, 3, 23), date(2026, 3, 30)]
    periods.append(date(2026, 4, 6))
    expected = {repo.checkin_key(goal.id, p): 1 for p in periods} | {repo.wrapup_key(goal.id): 1}
    assert dict(world.keys()) == expected
    # No nudges, no notices: every check-in was answered. Exactly six DMs went out.
    assert len(world.posts("U0ALICE")) == 6
    for row in world.rows(goal.id):
        assert row.sent_at is not None
        local = row.due_at.astimezone(BERLIN)
        assert time(9, 0) <= local.time() < time(9, 5), row  # 09:00 + jitter, summer or winter
        assert timedelta(0) <= row.sent_at - row.due_at <= timedelta(hours=1)
    # The first check-in after the clocks changed went out an hour earlier in UTC.
    utc_hours = {row.period: row.due_at.hour for row in world.rows(goal.id)}
    assert utc_hours[date(2026, 3, 23)] == 8 and utc_hours[date(2026, 3, 30)] == 7
    assert world.get(goal.id).status is GoalStatus.ACTIVE


def test_silence_nudges_then_tells_the_coach_then_pauses(world: World) -> None:
    goal = world.goal(coach_id="U0COACH")
    dispatcher = world.dispatcher()
    walk(world, dispatcher, datetime(2026, 3, 26, 12, 0, tzinfo=UTC), timedelta(hours=1))
    to_person = world.posts("U0ALICE")
    to_coach = world.posts("U0COACH")
    texts = [args["text"] for args in to_person]
    assert sum("Check-in" in t for t in texts) == 3
    assert sum("reminder" in t for t in texts) == 3
    assert sum("Paused" in t for t in texts) == 1
    assert len(to_person) == 7
    notices = [a for a in to_coach if "missed" in a["text"]]
    digests = [a for a in to_coach if "coachees" in a["text"]]
    assert len(notices) == 1 and len(digests) == 3
    paused = world.get(goal.id)
    assert (paused.status, paused.pause_reason) == (GoalStatus.PAUSED, PauseReason.MISSED_CHECKINS)
    # Paused: a whole further week brings nothing.
    before = len(world.posts())
    walk(world, dispatcher, datetime(2026, 4, 2, 12, 0, tzinfo=UTC), timedelta(hours=6))
    assert len(world.posts()) == before
    # One click resumes it; the week that fell due while paused is skipped, not caught up.
    with world.deps.sessions.begin() as session:
        assert repo.resume_goal(session, goal.id, world.clock(), world.deps.settings.goals.limits)
    walk(world, dispatcher, datetime(2026, 4, 6, 12, 0, tzinfo=UTC), timedelta(hours=1))
    assert world.keys()[repo.checkin_key(goal.id, date(2026, 3, 30))] == 0
    assert world.keys()[repo.checkin_key(goal.id, date(2026, 4, 6))] == 1


def test_each_coach_digest_is_timed_in_that_coach_zone_across_workspaces(world: World) -> None:
    # Two workspaces' check-ins go out in one batch; each coach's stored zone is looked up in
    # the coach's own workspace.
    other = "T0OTHER"
    goal = world.goal(coach_id="U0COACH")
    with world.deps.sessions.begin() as session:
        repo.create_goal(
            session,
            team_id=other,
            user_id="U0BOB",
            spec=replace(goal.spec, coach_id="U0TOKYO"),
            tz_name="Europe/Berlin",
            now=world.clock(),
            limits=world.deps.settings.goals.limits,
        )
        for team, coach, zone in (
            (world.slack.team_id, "U0COACH", "America/New_York"),
            (other, "U0TOKYO", "Asia/Tokyo"),
        ):
            people.upsert_person(
                session,
                team_id=team,
                user_id=coach,
                tz_name=zone,
                is_bot=False,
                deleted=False,
                now=world.clock(),
            )
    dispatcher = world.dispatcher()
    world.clock.advance(days=7, hours=1, minutes=10)  # both first check-ins are due
    assert dispatcher.tick().sent == 2
    with world.deps.sessions.begin() as session:
        due = dict(session.execute(select(DigestRow.coach_id, DigestRow.due_at)).all())
    # 17:00 in New York; 17:00 in Tokyo has passed, so two hours after the send.
    assert due["U0COACH"] == datetime(2026, 3, 9, 21, 0, tzinfo=UTC)
    assert due["U0TOKYO"] == world.clock() + timedelta(hours=2)


def test_a_restart_between_ticks_loses_nothing(world: World) -> None:
    goals = [world.goal(user=f"U{n}") for n in range(6)]
    world.dispatcher().tick()
    walk(world, world.dispatcher(), datetime(2026, 3, 9, 8, 30, tzinfo=UTC), timedelta(hours=12))
    first_week = sum(world.keys().values())
    world.restart()
    walk(world, world.dispatcher(), datetime(2026, 3, 16, 8, 30, tzinfo=UTC), timedelta(hours=12))
    assert first_week == 6
    keys = world.keys()
    assert all(count == 1 for count in keys.values())
    for goal in goals:
        assert keys[repo.checkin_key(goal.id, date(2026, 3, 9))] == 1
        assert keys[repo.checkin_key(goal.id, date(2026, 3, 16))] == 1


def test_one_tick_sends_batch_after_batch_each_claimed_with_the_last_write_back(
    world: World,
) -> None:
    goals = [world.goal(user=f"U{n}") for n in range(5)]
    world.clock.now = datetime(2026, 3, 9, 8, 30, tzinfo=UTC)
    settings = make_settings(world.slack, world.url, **world.env, GOALS_BATCH_SIZE="2")
    deps = replace(world.deps, settings=settings)
    stats = Dispatcher(deps, dispatch_client(settings)).tick()
    assert (stats.claimed, stats.sent) == (5, 5)  # batches of 2, 2 and 1
    keys = world.keys()
    assert [keys[repo.checkin_key(g.id, date(2026, 3, 9))] for g in goals] == [1] * 5
    for goal in goals:
        sent, following = world.rows(goal.id)
        assert sent.status is CheckinStatus.SENT and following.status is CheckinStatus.PENDING
    assert Dispatcher(deps, dispatch_client(settings)).tick().claimed == 0


def test_a_worker_killed_after_claiming_loses_nothing(world: World) -> None:
    goals = [world.goal(user=f"U{n}") for n in range(5)]
    world.clock.now = datetime(2026, 3, 9, 8, 30, tzinfo=UTC)
    doomed = world.dispatcher(owner="doomed")
    assert len(doomed.claim_checkins()) == 5  # ... and the process dies here, sending nothing
    survivor = world.dispatcher(owner="survivor")
    assert survivor.tick().claimed == 0  # the lease still holds
    world.clock.advance(seconds=world.deps.settings.goals.lease_s)
    stats = survivor.tick()
    assert (stats.claimed, stats.sent, stats.adopted) == (5, 5, 0)
    keys = world.keys()
    assert [keys[repo.checkin_key(g.id, date(2026, 3, 9))] for g in goals] == [1] * 5


def test_a_worker_killed_after_posting_is_adopted_not_repeated(world: World) -> None:
    goal = world.goal()
    world.clock.now = datetime(2026, 3, 9, 8, 30, tzinfo=UTC)
    doomed = world.dispatcher(owner="doomed")
    (claimed,) = doomed.claim_checkins()
    delivery = doomed._checkin_delivery(claimed)
    assert delivery is not None
    assert doomed.sender.deliver(delivery).kind == "sent"  # posted, then died before recording
    world.clock.advance(seconds=world.deps.settings.goals.lease_s)
    stats = world.dispatcher(owner="survivor").tick()
    assert (stats.sent, stats.adopted) == (0, 1)
    assert world.keys()[repo.checkin_key(goal.id, date(2026, 3, 9))] == 1
    history = world.slack.calls("conversations.history")
    assert history and history[0].args.get("include_all_metadata") in (True, "true", "1")
    (row, *_) = world.rows(goal.id)
    assert row.status is CheckinStatus.SENT and row.ts is not None


def test_429_is_honoured_for_that_send_only(world: World) -> None:
    goals = [world.goal(user=f"U{n}") for n in range(4)]
    world.clock.now = datetime(2026, 3, 9, 8, 30, tzinfo=UTC)
    world.slack.rate_limit("chat.postMessage", times=1, retry_after=30)
    dispatcher = world.dispatcher()
    stats = dispatcher.tick()
    assert (stats.sent, stats.retried) == (3, 1)
    (waiting,) = [
        r
        for g in goals
        for r in world.rows(g.id)
        if r.status is CheckinStatus.PENDING and r.period == date(2026, 3, 9)
    ]
    assert waiting.due_at == world.clock() + timedelta(seconds=30)
    world.clock.advance(seconds=29)
    assert dispatcher.tick().sent == 0
    world.clock.advance(seconds=1)
    assert dispatcher.tick().sent + dispatcher.tick().adopted == 1
    keys = world.keys()
    assert [keys[repo.checkin_key(g.id, date(2026, 3, 9))] for g in goals] == [1] * 4


def test_5xx_is_retried_with_back_off(world: World) -> None:
    goal = world.goal()
    world.clock.now = datetime(2026, 3, 9, 8, 30, tzinfo=UTC)
    world.slack.fail("chat.postMessage", status=500, times=2)
    dispatcher = world.dispatcher()
    assert dispatcher.tick().retried == 1
    world.clock.advance(seconds=30)
    assert dispatcher.tick().retried == 1  # second failure: the next wait doubles
    world.clock.advance(seconds=59)
    assert dispatcher.tick().claimed == 0
    world.clock.advance(seconds=1)
    assert dispatcher.tick().sent == 1
    assert world.keys()[repo.checkin_key(goal.id, date(2026, 3, 9))] == 1


@pytest.mark.parametrize("error", ["user_not_found", "account_inactive", "cannot_dm_bot"])
def test_a_gone_user_pauses_the_goal(world: World, error: str) -> None:
    goal = world.goal()
    world.clock.now = datetime(2026, 3, 9, 8, 30, tzinfo=UTC)
    world.slack.fail("chat.postMessage", error=error, times=5)
    dispatcher = world.dispatcher()
    assert dispatcher.tick().unreachable == 1
    stored = world.get(goal.id)
    assert (stored.status, stored.pause_reason) == (GoalStatus.PAUSED, PauseReason.USER_UNREACHABLE)
    walk(world, dispatcher, datetime(2026, 3, 30, tzinfo=UTC), timedelta(hours=12))
    assert len(world.slack.calls("chat.postMessage")) == 1  # tried once, never again


def test_a_changed_slack_zone_is_picked_up_before_the_next_checkin(world: World) -> None:
    goal = world.goal()
    dispatcher = world.dispatcher()
    world.slack.add_user("U0ALICE", tz="America/New_York")
    walk(world, dispatcher, datetime(2026, 3, 9, 16, 0, tzinfo=UTC), timedelta(hours=1))
    (sent, *_) = world.rows(goal.id)
    assert sent.due_at.astimezone(ZoneInfo("America/New_York")).time() >= time(9, 0)
    assert sent.due_at.hour == 13  # 09:00 in New York (EDT from 8 March)
    assert world.get(goal.id).tz_name == "America/New_York"


def test_jitter_spreads_a_zones_monday_morning(world: World) -> None:
    for n in range(50):
        world.goal(user=f"U{n}")
    with world.deps.sessions.begin() as session:
        dues = session.scalars(select(CheckinRow.due_at)).all()
    assert len(set(dues)) > 40
    assert min(dues) >= datetime(2026, 3, 9, 8, 0, tzinfo=UTC)
    assert max(dues) < datetime(2026, 3, 9, 8, 5, tzinfo=UTC)


@pytest.mark.slow
def test_three_processes_send_ten_thousand_checkins_exactly_once(
    fake_slack: FakeSlack, postgres_url: str
) -> None:
    engine = db.make_engine(postgres_url)
    with engine.begin() as conn:
        conn.exec_driver_sql("TRUNCATE goal_checkins, goal_coach_digests, goals RESTART IDENTITY")
    now = datetime(2026, 3, 9, 9, 0, tzinfo=UTC)
    seed_goals(engine, total=10_000, due=10_000, now=now)
    reset_sequences(engine)
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    command = [sys.executable, "-m", "tests.handlers.dispatch_worker"]
    workers = [
        subprocess.Popen(
            [*command, postgres_url, fake_slack.api_url, now.isoformat()],
            cwd=ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(3)
    ]
    reports = []
    for worker in workers:
        out, err = worker.communicate(timeout=120)
        assert worker.returncode == 0, err
        reports.append(json.loads(out.strip().splitlines()[-1]))
    posts = [c for c in fake_slack.ok_calls("chat.postMessage")]
    keys = Counter(
        json.loads(c.args["metadata"])["event_payload"]["key"]
        if isinstance(c.args["metadata"], str)
        else c.args["metadata"]["event_payload"]["key"]
        for c in posts
    )
    assert len(keys) == 10_000, reports
    assert set(keys.values()) == {1}
    assert sum(r["sent"] for r in reports) == 10_000
    assert all(r["sent"] > 0 for r in reports), reports  # all three took part
    with engine.begin() as conn:
        statuses = dict(
            conn.execute(
                select(CheckinRow.status, func.count())
                .where(
                    CheckinRow.kind == CheckinKind.CHECKIN.value, CheckinRow.period == now.date()
                )
                .group_by(CheckinRow.status)
            ).all()
        )
    assert statuses == {"sent": 10_000}
    engine.dispose()
