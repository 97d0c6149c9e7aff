"""Programme health read from the feature tables: counts only, never goal text or notes.

Weekly counts are grouped by UTC day in the database (a few rows per metric), then into weeks.
The same queries, narrowed to one person, give the counts kept when that person is forgotten,
so the trend does not drop when their rows go.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime
from typing import Any

from sqlalchemy import ColumnElement, Select, func, or_, select
from sqlalchemy.orm import Session

from bot.goals import GoalStatus, Outcome
from bot.mentoring.lifecycle import PairStatus, ProposalStatus, RequestStatus
from bot.programme import Amount, MatchRow, Metric, Report, Snapshot, build_trend, week_of, window
from storage import mentoring as mentoring_repo
from storage import programme
from storage.goals import CheckinKind, CheckinRow, GoalRow
from storage.mentoring import MentorRow, PairRow, ProposalRow, RequestRow

_OUTCOME_METRIC = {
    Outcome.ACHIEVED.value: Metric.GOALS_ACHIEVED,
    Outcome.PARTLY.value: Metric.GOALS_PARTLY,
    Outcome.NOT_YET.value: Metric.GOALS_NOT_YET,
}
_DECISION_METRIC = {
    ProposalStatus.ACCEPTED.value: Metric.PROPOSALS_ACCEPTED,
    ProposalStatus.DECLINED.value: Metric.PROPOSALS_DECLINED,
    ProposalStatus.EXPIRED.value: Metric.PROPOSALS_EXPIRED,
}


# snapshot --------------------------------------------------------------------------------------
def snapshot(session: Session, team_id: str) -> Snapshot:
    """How the programme stands now."""
    mentors = session.execute(
        select(MentorRow.user_id, MentorRow.capacity, MentorRow.paused).where(
            MentorRow.team_id == team_id, MentorRow.left_at.is_(None)
        )
    ).all()
    load = mentoring_repo.mentor_load(session, team_id)
    open_capacity = sum(
        max(int(capacity) - load.get(str(user), 0), 0)
        for user, capacity, paused in mentors
        if not paused
    )
    goals: dict[str, int] = {
        str(status): int(count)
        for status, count in session.execute(
            select(GoalRow.status, func.count())
            .where(GoalRow.team_id == team_id)
            .group_by(GoalRow.status)
        )
    }
    return Snapshot(
        mentors=len(mentors),
        mentors_paused=sum(1 for _, _, paused in mentors if paused),
        open_capacity=open_capacity,
        open_requests=_count(
            session,
            select(func.count()).where(
                RequestRow.team_id == team_id, RequestRow.status == RequestStatus.OPEN.value
            ),
        ),
        proposals_pending=_count(
            session,
            select(func.count()).where(
                ProposalRow.team_id == team_id,
                ProposalRow.status == ProposalStatus.PENDING.value,
            ),
        ),
        active_pairs=_count(
            session,
            select(func.count()).where(
                PairRow.team_id == team_id, PairRow.status == PairStatus.ACTIVE.value
            ),
        ),
        active_goals=int(goals.get(GoalStatus.ACTIVE.value, 0)),
        paused_goals=int(goals.get(GoalStatus.PAUSED.value, 0)),
        goals_needing_attention=_count(
            session,
            select(func.count()).where(
                GoalRow.team_id == team_id,
                GoalRow.status == GoalStatus.ACTIVE.value,
                GoalRow.needs_attention.is_(True),
            ),
        ),
    )


def _count(session: Session, query: Select[Any]) -> int:
    return int(session.scalar(query) or 0)


# weekly counts ---------------------------------------------------------------------------------
def _day(session: Session, column: Any) -> Any:
    """The UTC calendar day of a timestamp column, computed by the database."""
    if session.get_bind().dialect.name == "postgresql":
        return func.date(func.timezone("UTC", column))
    return func.substr(column, 1, 10)  # SQLite keeps UTC as 'YYYY-MM-DD HH:MM:SS'


def _as_date(value: Any) -> date:
    return value if isinstance(value, date) else date.fromisoformat(str(value))


def _per_day(
    session: Session,
    metric: Metric,
    column: Any,
    conditions: list[ColumnElement[bool]],
    since: datetime | None,
) -> Iterator[Amount]:
    """(metric, week, count) from one timestamp column, grouped by day in the database."""
    day = _day(session, column)
    where = [column.is_not(None), *conditions]
    if since is not None:
        where.append(column >= since)
    rows = session.execute(select(day, func.count()).where(*where).group_by(day))
    for value, count in rows:
        yield metric, week_of(_as_date(value)), int(count)


def weekly_amounts(
    session: Session, team_id: str, *, since: datetime | None, user_id: str | None = None
) -> list[Amount]:
    """Weekly counts from the live rows (only the rows about `user_id` when given)."""
    out: list[Amount] = []
    out += _mentoring_amounts(session, team_id, since, user_id)
    out += _goal_amounts(session, team_id, since, user_id)
    return out


def _mentoring_amounts(
    session: Session, team_id: str, since: datetime | None, user_id: str | None
) -> list[Amount]:
    mentor = [MentorRow.team_id == team_id]
    request = [RequestRow.team_id == team_id]
    proposal = [ProposalRow.team_id == team_id]
    pair = [PairRow.team_id == team_id]
    if user_id is not None:
        mentor.append(MentorRow.user_id == user_id)
        request.append(RequestRow.mentee_id == user_id)
        proposal.append(or_(ProposalRow.mentor_id == user_id, ProposalRow.mentee_id == user_id))
        pair.append(or_(PairRow.mentor_id == user_id, PairRow.mentee_id == user_id))
    out = [
        *_per_day(session, Metric.MENTORS_JOINED, MentorRow.created_at, mentor, since),
        *_per_day(session, Metric.REQUESTS_OPENED, RequestRow.created_at, request, since),
        *_per_day(session, Metric.PROPOSALS_MADE, ProposalRow.created_at, proposal, since),
        *_per_day(session, Metric.PAIRS_STARTED, PairRow.started_at, pair, since),
    ]
    for status, metric in _DECISION_METRIC.items():
        out += _per_day(
            session,
            metric,
            ProposalRow.decided_at,
            [*proposal, ProposalRow.status == status],
            since,
        )
    started = session.execute(
        select(PairRow.started_at, RequestRow.created_at)
        .join(RequestRow, RequestRow.id == PairRow.request_id)
        .where(*pair, *([PairRow.started_at >= since] if since is not None else []))
    )
    for started_at, requested_at in started:
        minutes = max(int((started_at - requested_at).total_seconds() // 60), 0)
        out.append((Metric.MATCH_MINUTES, week_of(started_at), minutes))
    return out


def _goal_amounts(
    session: Session, team_id: str, since: datetime | None, user_id: str | None
) -> list[Amount]:
    goal = [GoalRow.team_id == team_id]
    checkin = [CheckinRow.team_id == team_id, CheckinRow.kind == CheckinKind.CHECKIN.value]
    if user_id is not None:
        goal.append(GoalRow.user_id == user_id)
        checkin.append(CheckinRow.user_id == user_id)
    out = [
        *_per_day(session, Metric.GOALS_CREATED, GoalRow.created_at, goal, since),
        *_per_day(session, Metric.CHECKINS_SENT, CheckinRow.sent_at, checkin, since),
        *_per_day(session, Metric.CHECKINS_ANSWERED, CheckinRow.answered_at, checkin, since),
    ]
    for outcome, metric in _OUTCOME_METRIC.items():
        out += _per_day(
            session, metric, GoalRow.ended_at, [*goal, GoalRow.outcome == outcome], since
        )
    return out


# the report ------------------------------------------------------------------------------------
def load_report(session: Session, team_id: str, now: datetime) -> Report:
    """Snapshot and 12-week trend (live rows plus the counts kept for forgotten people)."""
    first_week = window(now)[0]
    since = datetime.combine(first_week, datetime.min.time(), tzinfo=now.tzinfo)
    amounts = weekly_amounts(session, team_id, since=since)
    amounts += programme.stored_counts(session, team_id, first_week)
    return Report(
        team_id=team_id,
        generated_at=now,
        snapshot=snapshot(session, team_id),
        trend=build_trend(amounts, now),
    )


def match_rows(session: Session, team_id: str) -> list[MatchRow]:
    """Every pair of the workspace with the names the programme knows, oldest first."""
    mentor_names: dict[str, str] = {
        str(user): str(name)
        for user, name in session.execute(
            select(MentorRow.user_id, MentorRow.name).where(MentorRow.team_id == team_id)
        )
    }
    rows = session.execute(
        select(PairRow, RequestRow.created_at, RequestRow.name, RequestRow.topics)
        .join(RequestRow, RequestRow.id == PairRow.request_id)
        .where(PairRow.team_id == team_id)
        .order_by(PairRow.started_at, PairRow.id)
    )
    return [
        MatchRow(
            pair_id=pair.id,
            mentor_id=pair.mentor_id,
            mentor_name=str(mentor_names.get(pair.mentor_id) or ""),
            mentee_id=pair.mentee_id,
            mentee_name=str(mentee_name or ""),
            topics=tuple(topics or ()),
            status=pair.status,
            requested_at=requested_at,
            started_at=pair.started_at,
            ended_at=pair.ended_at,
            end_reason=pair.end_reason,
        )
        for pair, requested_at, mentee_name, topics in rows
    ]


def workspaces(session: Session) -> list[str]:
    """Every workspace with any programme data."""
    teams = set(mentoring_repo.known_teams(session))
    teams.update(str(t) for t in session.scalars(select(GoalRow.team_id).distinct()) if t)
    return sorted(teams)
