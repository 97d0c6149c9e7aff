"""Three HTTP replicas on one PostgreSQL under mixed signed traffic, a SIGKILL, a database
restart and a misbehaving Slack: afterwards nothing is lost, doubled or stuck.

The replicas are real `coach-or-mentor run --http` processes (gunicorn) on loopback ports; the
database is a private PostgreSQL cluster of this test (see PrivatePostgres for why), and Slack is
the fake Web API. The check-in dispatcher runs inside the replicas on the real clock.
"""

from __future__ import annotations

import json
import random
import time
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, create_engine, func, insert, select, text, update

from bot.goals import GoalStatus, checkin_key
from handlers import ids
from handlers.app import SORRY
from handlers.fakeslack import FakeSlack
from storage import db
from storage.goals import CheckinKind, CheckinRow, CheckinStatus, GoalRow
from storage.mentoring import MentorRow, PairRow, RequestRow
from storage.people import PersonRow
from tests.goals_seed import reset_sequences
from tests.resilience.cluster import (
    Balancer,
    Outcome,
    PrivatePostgres,
    Replica,
    replica_env,
    start_replica,
    wait_healthy,
)
from tests.resilience.traffic import Op, Traffic, goal_values, json_arg

pytestmark = pytest.mark.slow

DUE = 240  # check-ins that fall due while the traffic runs
DUE_SPREAD_S = 30.0
FAULTS_AT, KILL_AT, FAULTS_END, RESTART_AT, TRAFFIC_END = 4.0, 9.0, 15.0, 20.0, 32.0
SETTLE_S = 90.0
LEASE_S = 30  # the smallest lease the settings allow


@pytest.fixture(scope="module")
def postgres() -> Iterator[PrivatePostgres]:
    cluster = PrivatePostgres.create()
    if isinstance(cluster, str):
        pytest.skip(f"resilience suite needs a PostgreSQL of its own to restart: {cluster}")
    try:
        yield cluster
    finally:
        cluster.remove()


@pytest.fixture
def database(postgres: PrivatePostgres) -> Iterator[Engine]:
    """A fresh, migrated database on the private cluster."""
    admin = create_engine(postgres.url(), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text('DROP DATABASE IF EXISTS "resilience" WITH (FORCE)'))
        conn.execute(text('CREATE DATABASE "resilience"'))
    admin.dispose()
    engine = db.make_engine(postgres.url("resilience"))
    db.upgrade(engine)
    yield engine
    engine.dispose()


def seed_due_checkins(engine: Engine, now: datetime) -> list[str]:
    """DUE weekly goals whose check-ins fall due one after another over DUE_SPREAD_S seconds."""
    today = now.date()
    goals, checkins = [], []
    for n in range(DUE):
        user = f"UDUE{n:05d}"
        goals.append(
            {
                "id": n + 1,
                "team_id": "T0FAKE",
                "user_id": user,
                "coach_id": None,
                "title": f"Seeded goal {n}",
                "success": "It shows",
                "end_date": today + timedelta(weeks=8),
                "cadence": "weekly",
                "weekday": today.weekday(),
                "local_time": now.time().replace(microsecond=0, second=0),
                "anchor": today,
                "tz_name": "UTC",
                "tz_checked_at": now,
                "status": GoalStatus.ACTIVE.value,
                "needs_attention": False,
                "created_at": now - timedelta(days=7),
                "updated_at": now - timedelta(days=7),
            }
        )
        checkins.append(
            {
                "goal_id": n + 1,
                "team_id": "T0FAKE",
                "user_id": user,
                "kind": CheckinKind.CHECKIN.value,
                "period": today,
                "status": CheckinStatus.PENDING.value,
                "due_at": now + timedelta(seconds=DUE_SPREAD_S * n / DUE),
                "attempts": 0,
            }
        )
    with engine.begin() as conn:
        conn.execute(insert(GoalRow), goals)
        conn.execute(insert(CheckinRow), checkins)
    reset_sequences(engine)
    return [checkin_key(n + 1, today) for n in range(DUE)]


def misbehave(fake: FakeSlack, rng: random.Random) -> None:
    """Answer 429, 500 or slowly, at random, on the methods the bot uses most."""

    def sometimes(p: float) -> Any:
        return lambda _args: rng.random() < p

    for method in ("chat.postMessage", "users.info", "views.open", "views.publish"):
        fake.fail(method, times=10_000, status=429, retry_after=1, when=sometimes(0.1))
        fake.fail(method, times=10_000, status=500, when=sometimes(0.1))
        fake.fail(method, times=10_000, delay=0.4, when=sometimes(0.15))
    fake.fail("conversations.history", times=10_000, status=500, when=sometimes(0.2))


def _at(start: float, second: float) -> None:
    time.sleep(max(0.0, start + second - time.monotonic()))


def test_three_replicas_survive_a_kill_a_database_restart_and_a_flaky_slack(
    postgres: PrivatePostgres, database: Engine, fake_slack: FakeSlack, tmp_path: Path
) -> None:
    keys = seed_due_checkins(database, datetime.now(UTC) + timedelta(seconds=5))
    env = replica_env(
        fake_slack,
        postgres.url("resilience"),
        GOALS_DISPATCH_INTERVAL_SECONDS="1",
        GOALS_LEASE_SECONDS=str(LEASE_S),
        GOALS_SENDS_PER_SECOND="20",
        GOALS_JITTER_SECONDS="0",
        MENTORING_MODE="instant",
    )
    replicas = [start_replica(env, tmp_path) for _ in range(3)]
    try:
        for replica in replicas:
            wait_healthy(replica)
        _run_and_check(postgres, database, fake_slack, replicas, keys)
    except BaseException:
        for replica in replicas:
            print(f"--- replica :{replica.port}\n{replica.log_tail()}")
        raise
    finally:
        for replica in replicas:
            replica.stop()


def _run_and_check(
    postgres: PrivatePostgres,
    engine: Engine,
    fake: FakeSlack,
    replicas: list[Replica],
    keys: list[str],
) -> None:
    lb = Balancer(replicas, fake)
    traffic = Traffic(lb, fake)
    start = time.monotonic()
    traffic.start()
    _at(start, FAULTS_AT)
    misbehave(fake, random.Random(11))
    _at(start, KILL_AT)
    replicas[2].kill()
    killed_at = time.monotonic()
    _at(start, FAULTS_END)
    fake.clear_faults()
    _at(start, RESTART_AT)
    restart_began = time.monotonic()
    postgres.restart()
    restart_ended = time.monotonic()
    assert postgres.ready()
    _at(start, TRAFFIC_END)
    traffic.stop()
    print(
        f"\n{len(traffic.ops)} actions, {len(traffic.outcomes())} requests in {TRAFFIC_END:.0f} s;"
        f" database down {restart_ended - restart_began:.1f} s"
    )

    _settle(engine, date.fromisoformat(keys[0].rsplit(":", 1)[1]))
    _check_replies(traffic, killed=2, killed_at=killed_at)
    _check_once_in_database(engine, traffic, fake)
    _check_checkins_sent_once(engine, fake, keys)
    _check_recovery(lb, engine, live=[0, 1])


def _settle(engine: Engine, period: date) -> None:
    """Wait until every seeded check-in is sent; back-offs of 5xx retries are cut short.

    A 5xx from Slack re-queues a check-in 30 s or more later; moving those due times to now
    stands in for waiting them out (the lease of the killed replica's rows is waited for).
    """
    deadline = time.monotonic() + SETTLE_S
    open_states = [CheckinStatus.PENDING.value, CheckinStatus.CLAIMED.value]
    left = DUE
    while time.monotonic() < deadline:
        now = datetime.now(UTC)
        with engine.begin() as conn:
            conn.execute(
                update(CheckinRow)
                .where(
                    CheckinRow.status == CheckinStatus.PENDING.value,
                    CheckinRow.attempts > 0,
                    CheckinRow.due_at > now,
                    CheckinRow.goal_id <= DUE,
                )
                .values(due_at=now)
            )
            left = conn.execute(
                select(func.count())
                .select_from(CheckinRow)
                .where(
                    CheckinRow.goal_id <= DUE,
                    CheckinRow.period == period,
                    CheckinRow.status.in_(open_states),
                )
            ).scalar_one()
        if left == 0:
            return
        time.sleep(0.5)
    raise AssertionError(f"{left} of {DUE} due check-ins still unsent after {SETTLE_S:.0f} s")


def _check_replies(traffic: Traffic, *, killed: int, killed_at: float) -> None:
    """Every request got 200, except those in flight to the replica at the moment it died."""
    outcomes = traffic.outcomes()
    server_errors = [o for o in outcomes if o.status is not None and o.status >= 500]
    assert not server_errors, f"5xx answers: {server_errors[:5]}"
    other = Counter(
        (op.kind, o.status, o.replica, round(o.took, 1), round(o.sent_at - traffic.started, 1))
        for op in traffic.ops
        for o in op.outcomes
        if o.status not in (None, 200)
    )
    assert not other, f"non-200 answers (kind, status, replica, took, at): {other}"
    cut = [o for o in outcomes if o.status is None]
    stray = [o for o in cut if o.replica != killed or o.sent_at > killed_at]
    assert not stray, f"connections lost other than to the killed replica: {stray[:5]}"
    print(
        f"requests cut by the SIGKILL: {len(cut)}; kinds: {Counter(op.kind for op in traffic.ops)}"
    )


def _body(outcome: Outcome) -> Any:
    return json.loads(outcome.body) if outcome.body else None


def _counts(engine: Engine, column: Any, *where: Any) -> Counter[str]:
    with engine.connect() as conn:
        rows = conn.execute(select(column, func.count()).where(*where).group_by(column)).all()
    return Counter({str(value): int(count) for value, count in rows})


def _verdict(op: Op, success: Any) -> str:
    """committed (a success reply), refused (only replies, none a success) or unknown (cut)."""
    if any(o.status == 200 and success(_body(o)) for o in op.outcomes):
        return "committed"
    return "unknown" if any(o.status is None for o in op.outcomes) else "refused"


def _check_once_in_database(engine: Engine, traffic: Traffic, fake: FakeSlack) -> None:
    """Each committed action is stored once; a refused one left nothing behind."""
    apologies = 0
    expectations: list[tuple[str, Counter[str], Any]] = [
        ("goal", _counts(engine, GoalRow.title), lambda body: body is None),
        (
            "signup",
            _counts(engine, MentorRow.user_id),
            lambda body: bool(body) and body.get("response_action") == "update",
        ),
        (
            "request",
            _counts(engine, RequestRow.mentee_id),
            lambda body: bool(body) and body.get("response_action") == "update",
        ),
    ]
    for kind, stored, success in expectations:
        verdicts: Counter[str] = Counter()
        for op in traffic.of(kind):
            verdict = _verdict(op, success)
            verdicts[verdict] += 1
            count = stored.get(op.key, 0)
            if verdict == "committed":
                assert count == 1, f"{kind} {op.key} acknowledged but stored {count} times"
            elif verdict == "refused":
                assert count == 0, f"{kind} {op.key} refused yet stored {count} times: {op}"
                for outcome in op.outcomes:
                    body = _body(outcome) or {}
                    assert body.get("response_action") == "errors", op
                    apologies += 1
            else:
                assert count <= 1, f"{kind} {op.key} stored {count} times"
        assert verdicts["committed"] > 0, f"no {kind} went through: {verdicts}"
        print(f"{kind}: {dict(verdicts)}")
    print(f"modal submissions kept open with an apology: {apologies}")

    responses = fake.responses()
    accepts = traffic.of("accept")
    assert accepts, "no proposal was ever clicked"
    pairs = _counts(engine, PairRow.proposal_id)
    for op in accepts:
        thanks = [
            r
            for r in responses
            if str(r["key"]).startswith(f"acc-{op.key}-")
            and "Thank you for saying yes" in str(r.get("text"))
        ]
        assert len(thanks) <= 1, f"proposal {op.key} accepted twice: {thanks}"
        assert pairs.get(op.key, 0) <= 1
        if thanks:
            assert pairs.get(op.key) == 1, f"proposal {op.key} thanked but not paired"
    intros = Counter(
        c.args["channel"]
        for c in fake.ok_calls("chat.postMessage")
        if str(c.args.get("channel")).startswith("G")
    )
    assert all(n == 1 for n in intros.values()), f"intros sent twice: {intros.most_common(3)}"

    answers = traffic.of("answer")
    assert answers, "no check-in was ever answered"
    with engine.connect() as conn:
        answered = {
            str(row.id): row.answer
            for row in conn.execute(select(CheckinRow.id, CheckinRow.answer)).all()
        }
    for op in answers:
        confirmed = [
            r
            for r in responses
            if str(r["key"]).startswith(f"ans-{op.key}-") and "You answered" in json.dumps(r)
        ]
        assert len(confirmed) <= 1, f"check-in {op.key} answered twice: {confirmed}"
        if confirmed:
            assert answered.get(op.key), f"check-in {op.key} confirmed but not stored"

    people = _counts(engine, PersonRow.user_id)
    published = Counter(
        json_arg(c.args.get("user_id")) or c.args.get("user_id")
        for c in fake.ok_calls("views.publish")
    )
    for op in traffic.of("home"):
        assert published.get(op.user, 0) <= 1, f"event {op.key} handled twice"
        assert people.get(op.user, 0) <= 1
    handled = sum(1 for op in traffic.of("home") if published.get(op.user))
    print(f"app_home_opened: {handled} of {len(traffic.of('home'))} handled (each once)")


def _check_checkins_sent_once(engine: Engine, fake: FakeSlack, keys: list[str]) -> None:
    """Each due check-in reached Slack exactly once and its ts is recorded."""
    sent = Counter(
        (json_arg(c.args.get("metadata")) or {}).get("event_payload", {}).get("key")
        for c in fake.ok_calls("chat.postMessage")
    )
    twice = {k: sent[k] for k in keys if sent[k] > 1}
    never = [k for k in keys if sent[k] == 0]
    assert not twice, f"check-ins sent more than once: {twice}"
    assert not never, f"check-ins never sent: {never[:10]} ({len(never)})"
    done = [CheckinStatus.SENT.value, CheckinStatus.ANSWERED.value]
    with engine.connect() as conn:
        rows = conn.execute(
            select(
                CheckinRow.id,
                CheckinRow.status,
                CheckinRow.ts,
                CheckinRow.attempts,
                CheckinRow.last_error,
                CheckinRow.channel,
            ).where(CheckinRow.goal_id <= DUE, CheckinRow.status.in_(done))
        ).all()
    assert len(rows) == DUE, f"{len(rows)} of {DUE} due check-ins recorded as sent"
    missing = [r for r in rows if not r.ts]
    assert not missing, f"sent check-ins without a ts recorded: {missing[:5]} ({len(missing)})"
    retried = sum(1 for r in rows if r.attempts > 1)
    print(f"due check-ins: {DUE} sent once each ({retried} needed more than one attempt)")


def _check_recovery(lb: Balancer, engine: Engine, *, live: list[int]) -> None:
    """The surviving replicas serve again without a restart: health, commands, modals."""
    for index in live:
        client = lb.client(index)
        deadline = time.monotonic() + 15
        while client.get("/healthz").status != 200:
            assert time.monotonic() < deadline, f"replica {index} unhealthy after the restart"
            time.sleep(0.2)
        reply = client.command(f"UAFTER{index}", "I want to get better at giving feedback")
        assert reply.status == 200
        assert reply.json()["response_type"] == "ephemeral"
        assert reply.json().get("text") != SORRY
        title = f"After the storm {index}"
        reply = client.view_submission(f"UAFTER{index}", ids.GOAL_MODAL_VIEW, goal_values(title))
        assert reply.status == 200 and not reply.body, reply.body
        assert _counts(engine, GoalRow.title).get(title) == 1
