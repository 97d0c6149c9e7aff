"""A small programme built through the real repositories: mentors, requests, proposals, pairs,
goals with answered check-ins and notes. Used by the privacy, report and App Home tests."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from bot.goals import Cadence, CheckinAnswer, GoalLimits, GoalSpec, Outcome, Weekday
from bot.mentoring import MentorProfile, MentorRequest
from bot.mentoring.model import Offer, Proposal
from storage import goals as goals_repo
from storage import mentoring as mentoring_repo
from storage import people
from storage.goals import CheckinRow, CheckinStatus, DigestRow, GoalRow
from storage.models import Base

TEAM = "T0FAKE"
ALICE = "U0ALICE01"  # mentor of BOB (active) and of ERIN (ended); asked to take CAROL
BOB = "U0BOB0002"  # mentee of ALICE; two goals (coach DAN) with answers and notes
CAROL = "U0CAROL03"  # open request, proposal pending on ALICE
DAN = "U0DAN0004"  # mentor without mentees; coach of one of BOB's goals
ERIN = "U0ERIN005"  # former mentee of ALICE; a goal coached by BOB
FRANK = "U0FRANK06"  # mentor of ERIN now (active), unrelated to ALICE and BOB
LIMITS = GoalLimits()


@dataclass(frozen=True)
class World:
    """Ids the tests need."""

    bob_goals: tuple[int, ...]
    erin_goal: int
    carol_request: int
    alice_bob_pair: int
    frank_erin_pair: int


def _mentor(user: str, capacity: int = 3) -> MentorProfile:
    return MentorProfile(
        user_id=user,
        topics=frozenset({"leadership", "feedback"}),
        offers=frozenset({Offer.ADVICE, Offer.SUPPORT}),
        capacity=capacity,
        years=12,
        team="Platform",
        tz_name="Europe/London",
    )


def _request(user: str) -> MentorRequest:
    return MentorRequest(
        request_id="",
        mentee_id=user,
        topics=frozenset({"leadership"}),
        wants=frozenset({Offer.ADVICE}),
        years=2,
        goal=f"private hopes of {user}",
        team="Payments",
        tz_name="Europe/London",
    )


def _pair(session: Session, mentor: str, mentee: str, now: datetime) -> tuple[int, int]:
    """Request, proposal, accept: returns (request id, pair id)."""
    request = mentoring_repo.open_request(session, team_id=TEAM, request=_request(mentee), now=now)
    proposal = mentoring_repo.create_proposal(
        session,
        team_id=TEAM,
        proposal=Proposal(str(request.id), mentee, mentor, 0.8, ("You share leadership",)),
        now=now + timedelta(hours=5),
        expires_at=now + timedelta(days=3),
    )
    assert proposal is not None
    accepted = mentoring_repo.accept_proposal(
        session, proposal.id, mentor, now + timedelta(hours=10), checkin_every_days=30
    )
    assert accepted.pair is not None
    return request.id, accepted.pair.id


def _goal(session: Session, owner: str, coach: str | None, title: str, now: datetime) -> int:
    spec = GoalSpec(
        title=title,
        success=f"secret success words of {owner}",
        end_date=now.date() + timedelta(weeks=6),
        cadence=Cadence.WEEKLY,
        weekday=Weekday(now.weekday()),
        local_time=time(9, 0),
        coach_id=coach,
    )
    goal = goals_repo.create_goal(
        session,
        team_id=TEAM,
        user_id=owner,
        spec=spec,
        tz_name="Europe/London",
        now=now,
        limits=LIMITS,
    )
    return goal.id


def _answer(session: Session, goal_id: int, when: datetime, note: str | None) -> None:
    """Mark the goal's pending check-in sent, answer it, add a note."""
    row = session.scalars(
        select(CheckinRow).where(
            CheckinRow.goal_id == goal_id, CheckinRow.status == CheckinStatus.PENDING.value
        )
    ).first()
    assert row is not None
    session.execute(
        update(CheckinRow)
        .where(CheckinRow.id == row.id)
        .values(status=CheckinStatus.SENT.value, sent_at=when, ts="1.1", channel="D1")
    )
    owner = session.get(GoalRow, goal_id)
    assert owner is not None
    result = goals_repo.record_answer(session, row.id, owner.user_id, CheckinAnswer.BEHIND, when)
    assert result.checkin is not None
    if note:
        assert goals_repo.add_note(session, row.id, owner.user_id, note, when)


def seed(session: Session, now: datetime) -> World:
    """The whole world, two weeks before `now` onwards."""
    start = now - timedelta(days=14)
    for user in (ALICE, BOB, CAROL, DAN, ERIN, FRANK):
        people.upsert_person(
            session,
            team_id=TEAM,
            user_id=user,
            tz_name="Europe/London",
            is_bot=False,
            deleted=False,
            now=start,
        )
    for mentor in (ALICE, DAN, FRANK):
        mentoring_repo.save_mentor(session, team_id=TEAM, profile=_mentor(mentor), now=start)
    _, ended = _pair(session, ALICE, ERIN, start)
    mentoring_repo.end_pair(session, ended, ERIN, start + timedelta(days=2))
    _, alice_bob = _pair(session, ALICE, BOB, start + timedelta(days=3))
    _, frank_erin = _pair(session, FRANK, ERIN, start + timedelta(days=4))
    carol = mentoring_repo.open_request(
        session, team_id=TEAM, request=_request(CAROL), now=start + timedelta(days=5)
    )
    pending = mentoring_repo.create_proposal(
        session,
        team_id=TEAM,
        proposal=Proposal(str(carol.id), CAROL, ALICE, 0.7, ("You share leadership",)),
        now=start + timedelta(days=5),
        expires_at=now + timedelta(days=3),
    )
    assert pending is not None
    mentoring_repo.record_proposal_dm(session, pending.id, "DALICE", "111.222")
    mentoring_repo.schedule_due_checkins(session, now + timedelta(days=40), every_days=30)
    bob_goals = (
        _goal(session, BOB, DAN, "Speak up in planning", start),
        _goal(session, BOB, None, "Write shorter updates", start + timedelta(days=1)),
    )
    _answer(session, bob_goals[0], start + timedelta(days=7), "my private note")
    _answer(session, bob_goals[1], start + timedelta(days=8), None)
    erin_goal = _goal(session, ERIN, BOB, "Delegate more", start + timedelta(days=2))
    _answer(session, erin_goal, start + timedelta(days=9), "erin's note")
    goals_repo.record_outcome(
        session, bob_goals[1], BOB, Outcome.ACHIEVED, start + timedelta(days=10)
    )
    for coach in (BOB, DAN):
        session.add(
            DigestRow(
                team_id=TEAM,
                coach_id=coach,
                day=now.date(),
                status=CheckinStatus.PENDING.value,
                due_at=now + timedelta(hours=5),
                attempts=0,
            )
        )
    session.flush()
    return World(bob_goals, erin_goal, carol.id, alice_bob, frank_erin)


def dump(session: Session) -> dict[str, set[tuple[Any, ...]]]:
    """Every row of every table the models know, as tuples of column values."""
    return {
        table.name: {
            tuple(json.dumps(v, sort_keys=True) if isinstance(v, list | dict) else v for v in row)
            for row in session.execute(select(table)).all()
        }
        for table in Base.metadata.sorted_tables
    }


def mentions(row: tuple[Any, ...], user: str) -> bool:
    """Whether any column of the row holds the user id (also inside JSON or text)."""
    return any(user in str(value) for value in row)
