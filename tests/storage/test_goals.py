"""Goal storage and the dispatch queue, on SQLite and on PostgreSQL."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from bot.goals import (
    AnswerVerdict,
    Cadence,
    CheckinAnswer,
    GoalLimits,
    GoalSpec,
    GoalStatus,
    Outcome,
    PauseReason,
    Weekday,
)
from storage import goals as repo
from storage import goals_queue as queue
from storage.goals import CheckinKind, CheckinRow, CheckinStatus, DigestRow

NOW = datetime(2026, 1, 5, 8, 0, tzinfo=UTC)  # Monday
LIMITS = GoalLimits(jitter_spread_s=0)
LEASE = timedelta(seconds=120)


def spec(**changes: object) -> GoalSpec:
    values: dict[str, object] = {
        "title": "Give clearer feedback",
        "success": "My team says so",
        "end_date": date(2026, 2, 2),
        "cadence": Cadence.WEEKLY,
        "weekday": Weekday.WEDNESDAY,
        "local_time": time(9, 0),
        "coach_id": None,
    }
    values.update(changes)
    return GoalSpec(**values)  # type: ignore[arg-type]


def make_goal(sessions: sessionmaker[Session], user: str = "U1", **changes: object) -> repo.Goal:
    with sessions.begin() as session:
        return repo.create_goal(
            session,
            team_id="T1",
            user_id=user,
            spec=spec(**changes),
            tz_name="Europe/Berlin",
            now=NOW,
            limits=LIMITS,
        )


def rows(sessions: sessionmaker[Session], goal_id: int) -> list[repo.Checkin]:
    with sessions.begin() as session:
        return repo.checkins_of(session, goal_id)


def claim(
    sessions: sessionmaker[Session], owner: str, now: datetime, limit: int = 100
) -> list[int]:
    with sessions.begin() as session:
        return queue.claim_due(session, CheckinRow, owner=owner, now=now, lease=LEASE, limit=limit)


def test_a_new_goal_has_one_pending_checkin_at_local_time(sessions: sessionmaker[Session]) -> None:
    goal = make_goal(sessions)
    assert goal.anchor == date(2026, 1, 7)
    (pending,) = rows(sessions, goal.id)
    assert (pending.kind, pending.status, pending.period) == (
        CheckinKind.CHECKIN,
        CheckinStatus.PENDING,
        date(2026, 1, 7),
    )
    assert pending.due_at == datetime(2026, 1, 7, 8, 0, tzinfo=UTC)  # 09:00 in Berlin


def test_unknown_zone_falls_back_to_utc(sessions: sessionmaker[Session]) -> None:
    with sessions.begin() as session:
        goal = repo.create_goal(
            session,
            team_id="T1",
            user_id="U1",
            spec=spec(),
            tz_name="Mars/Olympus",
            now=NOW,
            limits=LIMITS,
        )
    assert goal.tz_name == "UTC"
    assert rows(sessions, goal.id)[0].due_at == datetime(2026, 1, 7, 9, 0, tzinfo=UTC)


def test_count_active_goals_ignores_paused_and_the_edited_one(
    sessions: sessionmaker[Session],
) -> None:
    first = make_goal(sessions)
    second = make_goal(sessions)
    make_goal(sessions, user="U2")
    with sessions.begin() as session:
        repo.pause_goal(session, second.id, PauseReason.BY_USER, NOW)
    with sessions.begin() as session:
        assert repo.count_active_goals(session, "T1", "U1") == 1
        assert repo.count_active_goals(session, "T1", "U1", exclude_goal_id=first.id) == 0


def test_pause_cancels_pending_and_resume_skips_what_fell_due(
    sessions: sessionmaker[Session],
) -> None:
    goal = make_goal(sessions)
    with sessions.begin() as session:
        assert repo.pause_goal(session, goal.id, PauseReason.BY_USER, NOW)
        assert not repo.pause_goal(session, goal.id, PauseReason.BY_USER, NOW)
    assert [r.status for r in rows(sessions, goal.id)] == [CheckinStatus.CANCELLED]
    later = datetime(2026, 1, 15, 12, 0, tzinfo=UTC)  # after the 7 and 14 January check-ins
    with sessions.begin() as session:
        assert repo.resume_goal(session, goal.id, later, LIMITS)
        resumed = repo.get_goal(session, goal.id)
    assert resumed is not None
    assert resumed.status is GoalStatus.ACTIVE
    assert resumed.counting_since == later
    pending = [r for r in rows(sessions, goal.id) if r.status is CheckinStatus.PENDING]
    assert [r.period for r in pending] == [date(2026, 1, 21)]


def test_finish_and_abandon_are_compare_and_set(sessions: sessionmaker[Session]) -> None:
    goal = make_goal(sessions)
    with sessions.begin() as session:
        assert repo.finish_goal(session, goal.id, NOW)
        assert not repo.abandon_goal(session, goal.id, NOW)
        assert not repo.resume_goal(session, goal.id, NOW, LIMITS)
        ended = repo.get_goal(session, goal.id)
    assert ended is not None and ended.status is GoalStatus.FINISHED
    assert [r.status for r in rows(sessions, goal.id)] == [CheckinStatus.CANCELLED]


def test_edit_moves_the_pending_checkin(sessions: sessionmaker[Session]) -> None:
    goal = make_goal(sessions)
    with sessions.begin() as session:
        edited = repo.edit_goal(
            session, goal.id, spec(weekday=Weekday.FRIDAY, local_time=time(14, 30)), NOW, LIMITS
        )
    assert edited is not None and edited.anchor == date(2026, 1, 9)
    (pending,) = rows(sessions, goal.id)
    assert pending.due_at == datetime(2026, 1, 9, 13, 30, tzinfo=UTC)


def test_a_changed_zone_retimes_the_pending_checkin(sessions: sessionmaker[Session]) -> None:
    goal = make_goal(sessions)
    with sessions.begin() as session:
        assert repo.change_zone(session, goal.id, "America/New_York", NOW, LIMITS)
        assert not repo.change_zone(session, goal.id, "America/New_York", NOW, LIMITS)
        assert not repo.change_zone(session, goal.id, None, NOW, LIMITS)
    (pending,) = rows(sessions, goal.id)
    assert pending.due_at == datetime(2026, 1, 7, 14, 0, tzinfo=UTC)


def _send(sessions: sessionmaker[Session], now: datetime, owner: str = "w1") -> list[int]:
    """Claim what is due and record it as sent (the dispatcher's bookkeeping, without Slack)."""
    ids = claim(sessions, owner, now)
    with sessions.begin() as session:
        claimed = queue.load_claimed(session, ids)
        outcomes = [
            queue.Outcome(c.id, CheckinStatus.SENT.value, c.due_at, "D1", f"{c.id}.0")
            for c in claimed
        ]
        queue.write_back(
            session,
            outcomes,
            list(zip(claimed, outcomes, strict=True)),
            owner=owner,
            now=now,
            limits=LIMITS,
            coach_zones={},
        )
    return ids


def test_the_postgresql_claim_reads_goal_columns_in_goal_values_order() -> None:
    sql = queue._CLAIM_CHECKINS_PG
    listed = sql[sql.index("SELECT id, team_id") : sql.index("FROM goals")]
    names = [name.strip() for name in listed.removeprefix("SELECT").split(",")]
    assert names == list(repo.GoalValues._fields)


def test_answer_is_recorded_exactly_once(sessions: sessionmaker[Session]) -> None:
    goal = make_goal(sessions)
    (checkin_id,) = _send(sessions, datetime(2026, 1, 7, 8, 0, tzinfo=UTC))
    at = datetime(2026, 1, 7, 9, 0, tzinfo=UTC)
    with sessions.begin() as session:
        first = repo.record_answer(session, checkin_id, "U1", CheckinAnswer.ON_TRACK, at)
    with sessions.begin() as session:
        second = repo.record_answer(session, checkin_id, "U1", CheckinAnswer.BLOCKED, at)
        stranger = repo.record_answer(session, checkin_id, "U9", CheckinAnswer.BLOCKED, at)
    assert first.verdict is AnswerVerdict.RECORD
    assert second.verdict is AnswerVerdict.ALREADY_ANSWERED
    assert stranger.verdict is AnswerVerdict.GOAL_CLOSED and stranger.goal is None
    answered = rows(sessions, goal.id)[0]
    assert (answered.answer, answered.answered_at, answered.status) == (
        "on_track",
        at,
        CheckinStatus.ANSWERED,
    )


def test_an_answer_to_an_ended_goal_is_refused(sessions: sessionmaker[Session]) -> None:
    goal = make_goal(sessions)
    (checkin_id,) = _send(sessions, datetime(2026, 1, 7, 8, 0, tzinfo=UTC))
    with sessions.begin() as session:
        repo.abandon_goal(session, goal.id, NOW)
    with sessions.begin() as session:
        result = repo.record_answer(session, checkin_id, "U1", CheckinAnswer.DONE, NOW)
    assert result.verdict is AnswerVerdict.GOAL_CLOSED
    assert rows(sessions, goal.id)[0].answered_at is None


def test_sending_schedules_the_next_period_and_then_the_wrapup(
    sessions: sessionmaker[Session],
) -> None:
    goal = make_goal(sessions, end_date=date(2026, 1, 20))
    for day in (7, 14):
        assert len(_send(sessions, datetime(2026, 1, day, 8, 0, tzinfo=UTC))) == 1
    assert _send(sessions, datetime(2026, 1, 19, 8, 0, tzinfo=UTC)) == []
    assert len(_send(sessions, datetime(2026, 1, 20, 8, 0, tzinfo=UTC))) == 1
    assert _send(sessions, datetime(2026, 3, 1, tzinfo=UTC)) == []
    kinds = [(r.kind, r.period, r.status) for r in rows(sessions, goal.id)]
    assert kinds == [
        (CheckinKind.CHECKIN, date(2026, 1, 7), CheckinStatus.SENT),
        (CheckinKind.CHECKIN, date(2026, 1, 14), CheckinStatus.SENT),
        (CheckinKind.WRAPUP, date(2026, 1, 20), CheckinStatus.SENT),
    ]


def test_claims_do_not_overlap_and_expired_leases_come_back(
    sessions: sessionmaker[Session],
) -> None:
    for n in range(5):
        make_goal(sessions, user=f"U{n}")
    due = datetime(2026, 1, 7, 8, 0, tzinfo=UTC)
    first = claim(sessions, "w1", due, limit=3)
    second = claim(sessions, "w2", due, limit=10)
    assert len(first) == 3 and len(second) == 2 and not set(first) & set(second)
    assert claim(sessions, "w3", due + LEASE - timedelta(seconds=1)) == []
    taken_over = claim(sessions, "w3", due + LEASE)
    assert sorted(taken_over) == sorted(first + second)
    with sessions.begin() as session:
        attempts = session.scalars(select(CheckinRow.attempts)).all()
    assert set(attempts) == {2}


def test_next_due_is_the_earliest_pending_or_claimed_checkin(
    sessions: sessionmaker[Session],
) -> None:
    goal = make_goal(sessions)
    due = datetime(2026, 1, 7, 8, 0, tzinfo=UTC)

    def next_due(goal_id: int = goal.id) -> datetime | None:
        with sessions.begin() as session:
            return repo.next_due(session, goal_id)

    assert next_due() == due
    assert next_due(goal.id + 1000) is None
    claim(sessions, "w1", due)
    assert next_due() == due  # claimed: still on its way
    assert len(_send(sessions, due + LEASE)) == 1  # taken over, sent, the next one scheduled
    assert next_due() == due + timedelta(days=7)
    with sessions.begin() as session:
        assert repo.pause_goal(session, goal.id, PauseReason.BY_USER, NOW)
    assert next_due() is None


def test_completion_by_a_worker_that_lost_its_lease_is_ignored(
    sessions: sessionmaker[Session],
) -> None:
    make_goal(sessions)
    due = datetime(2026, 1, 7, 8, 0, tzinfo=UTC)
    (row_id,) = claim(sessions, "w1", due)
    assert claim(sessions, "w2", due + LEASE) == [row_id]
    with sessions.begin() as session:
        late = queue.Outcome(row_id, CheckinStatus.SENT.value, due, "D1", "1.0")
        queue.complete(session, CheckinRow, [late], owner="w1", now=due + LEASE)
    with sessions.begin() as session:
        row = session.get(CheckinRow, row_id)
        assert row is not None
        assert (row.status, row.lease_owner, row.ts) == ("claimed", "w2", None)


def test_an_answer_before_the_write_back_keeps_the_answer_and_records_the_post(
    sessions: sessionmaker[Session],
) -> None:
    make_goal(sessions)
    due = datetime(2026, 1, 7, 8, 0, tzinfo=UTC)
    (row_id,) = claim(sessions, "w1", due)
    with sessions.begin() as session:
        answered = repo.record_answer(session, row_id, "U1", CheckinAnswer.ON_TRACK, due)
    assert answered.verdict is AnswerVerdict.RECORD
    with sessions.begin() as session:
        sent = queue.Outcome(row_id, CheckinStatus.SENT.value, due, "D1", "1.0")
        queue.complete(session, CheckinRow, [sent], owner="w1", now=due)
    with sessions.begin() as session:
        row = session.get(CheckinRow, row_id)
        assert row is not None
        assert (row.status, row.answer, row.ts, row.channel, row.lease_owner) == (
            "answered",
            "on_track",
            "1.0",
            "D1",
            None,
        )


def test_an_answered_row_whose_write_back_failed_is_taken_over_after_its_lease(
    sessions: sessionmaker[Session],
) -> None:
    make_goal(sessions)
    due = datetime(2026, 1, 7, 8, 0, tzinfo=UTC)
    (row_id,) = claim(sessions, "w1", due)
    with sessions.begin() as session:
        repo.record_answer(session, row_id, "U1", CheckinAnswer.BEHIND, due)
    # w1 dies before writing back: the row must not be stranded by the answer.
    assert claim(sessions, "w2", due + LEASE) == [row_id]
    with sessions.begin() as session:
        adopted = queue.Outcome(row_id, CheckinStatus.SENT.value, due, "D1", "1.0")
        queue.complete(session, CheckinRow, [adopted], owner="w2", now=due + LEASE)
        row = session.get(CheckinRow, row_id)
        assert row is not None
        assert (row.status, row.answer, row.ts) == ("answered", "behind", "1.0")
    with sessions.begin() as session:
        again = repo.record_answer(session, row_id, "U1", CheckinAnswer.DONE, due)
    assert again.verdict is AnswerVerdict.ALREADY_ANSWERED


def test_a_released_row_does_not_count_as_an_attempt(sessions: sessionmaker[Session]) -> None:
    make_goal(sessions)
    due = datetime(2026, 1, 7, 8, 0, tzinfo=UTC)
    (row_id,) = claim(sessions, "w1", due)
    with sessions.begin() as session:
        released = queue.Outcome(row_id, "pending", due, attempted=False)
        queue.complete(session, CheckinRow, [released], owner="w1", now=due)
        row = session.get(CheckinRow, row_id)
        assert row is not None and (row.status, row.attempts) == ("pending", 0)


def test_one_digest_row_per_coach_and_day(sessions: sessionmaker[Session]) -> None:
    make_goal(sessions, user="U1", coach_id="UCOACH")
    make_goal(sessions, user="U2", coach_id="UCOACH")
    make_goal(sessions, user="U3", coach_id="UOTHER")
    _send(sessions, datetime(2026, 1, 7, 8, 5, tzinfo=UTC))
    with sessions.begin() as session:
        digests = session.execute(select(DigestRow.coach_id, DigestRow.day, DigestRow.due_at)).all()
    assert sorted(digests) == [
        ("UCOACH", date(2026, 1, 7), datetime(2026, 1, 7, 16, 0, tzinfo=UTC)),
        ("UOTHER", date(2026, 1, 7), datetime(2026, 1, 7, 16, 0, tzinfo=UTC)),
    ]
    with sessions.begin() as session:
        (digest_id, *_) = queue.claim_due(
            session,
            DigestRow,
            owner="w",
            now=datetime(2026, 1, 7, 16, 0, tzinfo=UTC),
            lease=LEASE,
            limit=1,
        )
        (digest,) = queue.load_digests(session, [digest_id])
        lines = queue.digest_lines(session, digest)
    assert len(lines) == (2 if digest.coach_id == "UCOACH" else 1)


def test_wrapup_outcome_is_recorded_once_and_finishes_the_goal(
    sessions: sessionmaker[Session],
) -> None:
    goal = make_goal(sessions)
    with sessions.begin() as session:
        assert (
            repo.record_outcome(session, goal.id, "U1", Outcome.ACHIEVED, NOW)
            is AnswerVerdict.RECORD
        )
    with sessions.begin() as session:
        again = repo.record_outcome(session, goal.id, "U1", Outcome.NOT_YET, NOW)
        stored = repo.get_goal(session, goal.id)
    assert again is AnswerVerdict.ALREADY_ANSWERED
    assert stored is not None
    assert (stored.status, stored.outcome) == (GoalStatus.FINISHED, Outcome.ACHIEVED)


def test_nudge_is_marked_once(sessions: sessionmaker[Session]) -> None:
    make_goal(sessions)
    (checkin_id,) = _send(sessions, datetime(2026, 1, 7, 8, 0, tzinfo=UTC))
    with sessions.begin() as session:
        assert queue.mark_nudged(session, checkin_id, NOW)
        assert not queue.mark_nudged(session, checkin_id, NOW)


@pytest.mark.parametrize("count", [1, 3], ids=["one", "three"])
def test_reviews_pick_goals_whose_time_has_come(
    sessions: sessionmaker[Session], count: int
) -> None:
    for n in range(count):
        make_goal(sessions, user=f"U{n}")
    sent_at = datetime(2026, 1, 7, 8, 0, tzinfo=UTC)
    _send(sessions, sent_at)
    with sessions.begin() as session:
        assert queue.due_reviews(session, sent_at + timedelta(hours=23), 100) == []
        reviews = queue.due_reviews(session, sent_at + timedelta(hours=24), 100)
        total = session.scalar(select(func.count()).select_from(CheckinRow))
    assert len(reviews) == count
    assert all(len(review.history) == 1 for review in reviews)
    assert total == 2 * count


def test_claimed_checkins_come_with_their_goal_and_last_answer(
    sessions: sessionmaker[Session],
) -> None:
    answering = make_goal(sessions, user="U1")
    silent = make_goal(sessions, user="U2")
    first = datetime(2026, 1, 7, 8, 0, tzinfo=UTC)
    sent = dict(zip((answering.id, silent.id), sorted(_send(sessions, first)), strict=True))
    with sessions.begin() as session:
        repo.record_answer(session, sent[answering.id], "U1", CheckinAnswer.ON_TRACK, first)
    second = datetime(2026, 1, 14, 8, 0, tzinfo=UTC)
    with sessions.begin() as session:
        claimed = queue.claim_checkins(session, owner="w1", now=second, lease=LEASE, limit=10)
        goals = {goal_id: repo.get_goal(session, goal_id) for goal_id in sent}
    by_goal = {c.goal.id: c for c in claimed}
    assert sorted(by_goal) == sorted(sent)
    for goal_id, item in by_goal.items():
        assert item.goal == goals[goal_id]
        assert (item.kind, item.period, item.attempts) == (
            CheckinKind.CHECKIN,
            date(2026, 1, 14),
            1,
        )
        assert (item.lease_expires_at, item.first_claimed_at) == (second + LEASE, second)
    answered = by_goal[answering.id]
    assert answered.last_answer is not None
    assert (answered.last_answer.period, answered.last_answer.answer) == (
        date(2026, 1, 7),
        "on_track",
    )
    assert not answered.unanswered_before
    assert by_goal[silent.id].last_answer is None and by_goal[silent.id].unanswered_before


def _unconfirmed_goal(sessions: sessionmaker[Session]) -> repo.Goal:
    """A goal stored with the stand-in zone (UTC), as the goal modal stores one before Slack."""
    with sessions.begin() as session:
        return repo.create_goal(
            session,
            team_id="T1",
            user_id="U1",
            spec=spec(),
            tz_name=None,
            now=NOW,
            limits=LIMITS,
            zone_confirmed=False,
        )


def _confirm(
    sessions: sessionmaker[Session], goal: repo.Goal, zone: str, now: datetime
) -> repo.Goal:
    """confirm_zone in a transaction of its own; what it returned, checked against the store."""
    with sessions.begin() as session:
        confirmed = repo.confirm_zone(
            session, goal.id, zone, created_at=NOW, now=now, limits=LIMITS
        )
    with sessions.begin() as session:
        stored = repo.get_goal(session, goal.id)
    assert confirmed == stored
    assert stored is not None
    return stored


def test_confirm_zone_re_times_an_unsent_goal_as_if_known_at_creation(
    sessions: sessionmaker[Session],
) -> None:
    goal = _unconfirmed_goal(sessions)
    later = NOW + timedelta(seconds=3)
    stored = _confirm(sessions, goal, "America/New_York", later)
    assert (stored.tz_name, stored.tz_checked_at, stored.anchor) == (
        "America/New_York",
        later,
        date(2026, 1, 7),
    )
    (pending,) = rows(sessions, goal.id)
    # Wednesday 7 January 09:00 in New York is 14:00 UTC.
    assert (pending.status, pending.due_at) == (
        CheckinStatus.PENDING,
        datetime(2026, 1, 7, 14, 0, tzinfo=UTC),
    )


@pytest.mark.parametrize("reported", ["UTC", None, "Not/AZone"])
def test_confirm_zone_of_the_same_or_no_zone_only_marks_it_checked(
    sessions: sessionmaker[Session], reported: str | None
) -> None:
    goal = _unconfirmed_goal(sessions)
    before = rows(sessions, goal.id)
    later = NOW + timedelta(seconds=3)
    stored = _confirm(sessions, goal, reported, later)
    assert (stored.tz_name, stored.tz_checked_at, stored.anchor) == ("UTC", later, goal.anchor)
    assert rows(sessions, goal.id) == before


def test_confirm_zone_of_a_goal_already_sent_is_a_change_of_zone(
    sessions: sessionmaker[Session],
) -> None:
    goal = _unconfirmed_goal(sessions)
    with sessions.begin() as session:
        session.execute(
            repo.update(repo.GoalRow)
            .where(repo.GoalRow.id == goal.id)
            .values(last_sent_period=date(2026, 1, 7))
        )
    later = NOW + timedelta(days=3)
    stored = _confirm(sessions, goal, "America/New_York", later)
    assert (stored.tz_name, stored.anchor) == ("America/New_York", goal.anchor)


def test_confirm_zone_of_a_goal_gone_is_none(sessions: sessionmaker[Session]) -> None:
    with sessions.begin() as session:
        assert (
            repo.confirm_zone(session, 999, "UTC", created_at=NOW, now=NOW, limits=LIMITS) is None
        )
