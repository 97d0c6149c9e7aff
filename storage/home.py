"""What one person's App Home shows, read in one short transaction."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import String, and_, bindparam, func, or_, select
from sqlalchemy.orm import Session

from bot.goals import GoalStatus, PauseReason
from bot.mentoring.lifecycle import PairStatus, ProposalStatus, RequestStatus
from storage import goals as goals_repo
from storage import mentoring as mentoring_repo
from storage.goals import CheckinKind, GoalRow
from storage.mentoring import PairRow

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

    One first query counts what there is and, in the same round trip, reads the open goals with
    each one's latest answer; the lists behind a count of zero are not read, so a person with no
    mentoring costs one round trip instead of nine.
    """
    rows = session.execute(_HOME, {"team_id": team_id, "user_id": user_id}).all()
    probe = _Probe(*(int(x or 0) for x in rows[0][:7]))
    cards = tuple(
        GoalCard(
            id=goal.id,
            title=goal.spec.title,
            status=goal.status,
            pause_reason=goal.pause_reason,
            needs_attention=goal.needs_attention,
            end_date=goal.spec.end_date,
            tz_name=goal.tz_name,
            last_answer=str(row.last_answer or "") if row.last_answered_at is not None else None,
            last_answered_at=row.last_answered_at,
        )
        for row in rows
        if row.id is not None
        for goal in (goals_repo.to_goal(row),)
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
    mentor: int
    open_request: int
    mentees: int
    mentors: int
    asked_of_me: int


def _count(*where: Any) -> Any:
    return select(func.count()).where(*where).scalar_subquery()


def _either(column: Any, first: str, second: str) -> Any:
    """column is one of two values, as two plain parameters: an IN list is an expanding
    parameter, which SQLAlchemy renders anew on every execution."""
    return or_(column == first, column == second)


# The repositories' typed table handles.
_GOALS, _CHECKINS = goals_repo.GOAL_TABLE, goals_repo.CHECKIN_TABLE
_MENTORS, _REQUESTS = mentoring_repo.MENTOR_TABLE, mentoring_repo.REQUEST_TABLE
_PAIRS, _PROPOSALS = mentoring_repo.PAIR_TABLE, mentoring_repo.PROPOSAL_TABLE


def _home_statement() -> Any:
    """The home query, built once: seven counts for one (team, user) given as parameters, joined
    to the person's open goals (oldest first), each with its latest check-in answer.

    The counts come from a one-row derived table; the goals are joined to it with a left outer
    join, so a person without open goals gets the one row of counts with null goal columns.
    """
    team, user = bindparam("team_id", type_=String()), bindparam("user_id", type_=String())
    # Table columns, not the mapped classes' attributes: an ORM-enabled statement is run through
    # the ORM's execution and loading layer, which this one (plain rows) does not need.
    goals, checkins = _GOALS.c, _CHECKINS.c
    mentors, requests, pair, proposals = _MENTORS.c, _REQUESTS.c, _PAIRS.c, _PROPOSALS.c
    mine = (goals.team_id == team, goals.user_id == user)
    pairs = (pair.team_id == team, pair.status == PairStatus.ACTIVE.value)
    probe = select(
        _count(
            *mine, _either(goals.status, GoalStatus.ACTIVE.value, GoalStatus.PAUSED.value)
        ).label("open_goals"),
        _count(
            *mine, _either(goals.status, GoalStatus.FINISHED.value, GoalStatus.ABANDONED.value)
        ).label("ended_goals"),
        _count(mentors.team_id == team, mentors.user_id == user).label("mentor"),
        _count(
            requests.team_id == team,
            requests.mentee_id == user,
            requests.status == RequestStatus.OPEN.value,
        ).label("open_request"),
        _count(*pairs, pair.mentor_id == user).label("mentees"),
        _count(*pairs, pair.mentee_id == user).label("mentors"),
        _count(
            proposals.team_id == team,
            proposals.mentor_id == user,
            proposals.status == ProposalStatus.PENDING.value,
        ).label("asked_of_me"),
    ).subquery("probe")

    def latest(column: Any) -> Any:
        """The goal's latest answered check-in's column (ties: the latest row)."""
        return (
            select(column)
            .where(
                checkins.goal_id == goals.id,
                checkins.kind == CheckinKind.CHECKIN.value,
                checkins.answered_at.is_not(None),
            )
            .order_by(checkins.answered_at.desc(), checkins.id.desc())
            .limit(1)
            .scalar_subquery()
        )

    open_goals = and_(
        goals.team_id == team,
        goals.user_id == user,
        _either(goals.status, GoalStatus.ACTIVE.value, GoalStatus.PAUSED.value),
    )
    return (
        select(
            *probe.c,
            *(goals[name] for name in goals_repo.GoalValues._fields),
            latest(checkins.answer).label("last_answer"),
            latest(checkins.answered_at).label("last_answered_at"),
        )
        .select_from(probe.outerjoin(_GOALS, open_goals))
        .order_by(goals.id)
    )


# Built once: constructing this statement and computing its cache key on every call cost more
# CPU than running it.
_HOME = _home_statement()


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
