"""What one person's App Home shows, read in one short transaction."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import String, bindparam, func, select
from sqlalchemy.orm import Session

from bot.goals import GoalStatus, PauseReason
from bot.mentoring.lifecycle import PairStatus, ProposalStatus, RequestStatus
from storage import goals as goals_repo
from storage import mentoring as mentoring_repo
from storage.goals import CheckinKind, CheckinRow, GoalRow
from storage.mentoring import MentorRow, PairRow, ProposalRow, RequestRow

# At most this many names are loaded per list; the rest is a count.
LIST_LIMIT = 20


@dataclass(frozen=True)
class GoalCard:
    """An open goal as the home tab shows it (to its owner only)."""

    id: int
    title: str
    status: GoalStatus
    pause_reason: PauseReason | None
    needs_attention: bool
    end_date: date
    tz_name: str
    last_answer: str | None
    last_answered_at: datetime | None


@dataclass(frozen=True)
class HomeData:
    """Everything one person's home tab shows about them."""

    goals: tuple[GoalCard, ...]
    ended_goals: dict[str, int]
    """Ended goals by outcome (achieved / partly / not_yet), "dropped", or "finished"."""
    mentor: mentoring_repo.MentorRecord | None
    mentees: tuple[str, ...]
    mentee_count: int
    mentors: tuple[str, ...]
    request: mentoring_repo.RequestRecord | None
    waiting_on_mentor: bool
    asked_of_me: int


def load_home(session: Session, team_id: str, user_id: str) -> HomeData:
    """The person's goals and mentoring, bounded whatever the data.

    One first query counts what there is; the lists behind a count of zero are not read, so a
    person with no goals and no mentoring costs one round trip instead of nine.
    """
    probe = _probe(session, team_id, user_id)
    goals = goals_repo.goals_of(session, team_id, user_id) if probe.open_goals else []
    last = _last_answers(session, [g.id for g in goals])
    cards = tuple(
        GoalCard(
            id=g.id,
            title=g.spec.title,
            status=g.status,
            pause_reason=g.pause_reason,
            needs_attention=g.needs_attention,
            end_date=g.spec.end_date,
            tz_name=g.tz_name,
            last_answer=last[g.id][0] if g.id in last else None,
            last_answered_at=last[g.id][1] if g.id in last else None,
        )
        for g in goals
    )
    request = (
        mentoring_repo.get_open_request(session, team_id, user_id) if probe.open_request else None
    )
    mentees = _members(session, team_id, user_id, as_mentor=True) if probe.mentees else ()
    mentors = _members(session, team_id, user_id, as_mentor=False) if probe.mentors else ()
    return HomeData(
        goals=cards,
        ended_goals=_ended(session, team_id, user_id) if probe.ended_goals else {},
        mentor=mentoring_repo.get_mentor(session, team_id, user_id) if probe.mentor else None,
        mentees=mentees,
        mentee_count=probe.mentees,
        mentors=mentors,
        request=request,
        waiting_on_mentor=bool(request and mentoring_repo.pending_proposal(session, request.id)),
        asked_of_me=probe.asked_of_me,
    )


@dataclass(frozen=True)
class _Probe:
    open_goals: int
    ended_goals: int
    mentor: bool
    open_request: bool
    mentees: int
    mentors: int
    asked_of_me: int


def _count(*where: Any) -> Any:
    return select(func.count()).where(*where).scalar_subquery()


def _probe_statement() -> Any:
    """The probe, built once: seven counts for one (team, user) given as parameters."""
    team, user = bindparam("team_id", type_=String()), bindparam("user_id", type_=String())
    mine = (GoalRow.team_id == team, GoalRow.user_id == user)
    pairs = (PairRow.team_id == team, PairRow.status == PairStatus.ACTIVE.value)
    return select(
        _count(*mine, GoalRow.status.in_([GoalStatus.ACTIVE.value, GoalStatus.PAUSED.value])),
        _count(*mine, GoalRow.status.in_([GoalStatus.FINISHED.value, GoalStatus.ABANDONED.value])),
        _count(MentorRow.team_id == team, MentorRow.user_id == user),
        _count(
            RequestRow.team_id == team,
            RequestRow.mentee_id == user,
            RequestRow.status == RequestStatus.OPEN.value,
        ),
        _count(*pairs, PairRow.mentor_id == user),
        _count(*pairs, PairRow.mentee_id == user),
        _count(
            ProposalRow.team_id == team,
            ProposalRow.mentor_id == user,
            ProposalRow.status == ProposalStatus.PENDING.value,
        ),
    )


# Built once: constructing this statement and computing its cache key on every call cost more
# CPU than running it (it was a sixth of a busy worker's time).
_PROBE = _probe_statement()


def _probe(session: Session, team_id: str, user_id: str) -> _Probe:
    """How many of each thing the home tab lists the person has, in one query."""
    row = session.execute(_PROBE, {"team_id": team_id, "user_id": user_id}).one()
    goals_open, goals_ended, mentor, request, mentees, mentors, asked = (int(x or 0) for x in row)
    return _Probe(goals_open, goals_ended, mentor > 0, request > 0, mentees, mentors, asked)


# Built once, like _PROBE (the goal ids are one expanding parameter).
_LAST_ANSWERS = select(CheckinRow.goal_id, CheckinRow.answer, CheckinRow.answered_at).where(
    CheckinRow.goal_id.in_(bindparam("goal_ids", expanding=True)),
    CheckinRow.kind == CheckinKind.CHECKIN.value,
    CheckinRow.answered_at.is_not(None),
)


def _last_answers(session: Session, goal_ids: list[int]) -> dict[int, tuple[str, datetime]]:
    """Each goal's latest check-in answer and when it came (two columns, no ORM rows)."""
    if not goal_ids:
        return {}
    rows = session.execute(_LAST_ANSWERS, {"goal_ids": goal_ids})
    latest: dict[int, tuple[str, datetime]] = {}
    for goal_id, answer, answered_at in rows:
        seen = latest.get(goal_id)
        if seen is None or answered_at > seen[1]:
            latest[goal_id] = (str(answer or ""), answered_at)
    return latest


def _members(session: Session, team_id: str, user_id: str, *, as_mentor: bool) -> tuple[str, ...]:
    """The other members of the person's active pairs (capped)."""
    role, other = (
        (PairRow.mentor_id, PairRow.mentee_id)
        if as_mentor
        else (PairRow.mentee_id, PairRow.mentor_id)
    )
    names = session.scalars(
        select(other)
        .where(
            PairRow.team_id == team_id, role == user_id, PairRow.status == PairStatus.ACTIVE.value
        )
        .order_by(PairRow.started_at, PairRow.id)
        .limit(LIST_LIMIT)
    ).all()
    return tuple(names)


def _ended(session: Session, team_id: str, user_id: str) -> dict[str, int]:
    """How the person's ended goals went, as counts."""
    rows = session.execute(
        select(GoalRow.status, GoalRow.outcome, func.count())
        .where(
            GoalRow.team_id == team_id,
            GoalRow.user_id == user_id,
            GoalRow.status.in_([GoalStatus.FINISHED.value, GoalStatus.ABANDONED.value]),
        )
        .group_by(GoalRow.status, GoalRow.outcome)
    )
    ended: dict[str, int] = {}
    for status, outcome, count in rows:
        key = "dropped" if status == GoalStatus.ABANDONED.value else (outcome or "finished")
        ended[key] = ended.get(key, 0) + int(count)
    return ended
