"""What one person's App Home shows, read in one short transaction."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bot.goals import GoalStatus, PauseReason
from bot.mentoring.lifecycle import PairStatus, ProposalStatus
from storage import goals as goals_repo
from storage import mentoring as mentoring_repo
from storage.goals import CheckinKind, CheckinRow, GoalRow
from storage.mentoring import PairRow, ProposalRow

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
    """The person's goals and mentoring, bounded whatever the data."""
    goals = goals_repo.goals_of(session, team_id, user_id)
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
    request = mentoring_repo.get_open_request(session, team_id, user_id)
    mentees, mentee_count = _members(session, team_id, user_id, as_mentor=True)
    mentors, _ = _members(session, team_id, user_id, as_mentor=False)
    return HomeData(
        goals=cards,
        ended_goals=_ended(session, team_id, user_id),
        mentor=mentoring_repo.get_mentor(session, team_id, user_id),
        mentees=mentees,
        mentee_count=mentee_count,
        mentors=mentors,
        request=request,
        waiting_on_mentor=bool(request and mentoring_repo.pending_proposal(session, request.id)),
        asked_of_me=int(
            session.scalar(
                select(func.count()).where(
                    ProposalRow.team_id == team_id,
                    ProposalRow.mentor_id == user_id,
                    ProposalRow.status == ProposalStatus.PENDING.value,
                )
            )
            or 0
        ),
    )


def _last_answers(session: Session, goal_ids: list[int]) -> dict[int, tuple[str, datetime]]:
    """Each goal's latest check-in answer and when it came (two columns, no ORM rows)."""
    if not goal_ids:
        return {}
    rows = session.execute(
        select(CheckinRow.goal_id, CheckinRow.answer, CheckinRow.answered_at).where(
            CheckinRow.goal_id.in_(goal_ids),
            CheckinRow.kind == CheckinKind.CHECKIN.value,
            CheckinRow.answered_at.is_not(None),
        )
    )
    latest: dict[int, tuple[str, datetime]] = {}
    for goal_id, answer, answered_at in rows:
        seen = latest.get(goal_id)
        if seen is None or answered_at > seen[1]:
            latest[goal_id] = (str(answer or ""), answered_at)
    return latest


def _members(
    session: Session, team_id: str, user_id: str, *, as_mentor: bool
) -> tuple[tuple[str, ...], int]:
    """The other members of the person's active pairs (capped), and how many there are."""
    role, other = (
        (PairRow.mentor_id, PairRow.mentee_id)
        if as_mentor
        else (PairRow.mentee_id, PairRow.mentor_id)
    )
    where = (
        PairRow.team_id == team_id,
        role == user_id,
        PairRow.status == PairStatus.ACTIVE.value,
    )
    names = session.scalars(
        select(other).where(*where).order_by(PairRow.started_at, PairRow.id).limit(LIST_LIMIT)
    ).all()
    count = int(session.scalar(select(func.count()).where(*where)) or 0)
    return tuple(names), count


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
