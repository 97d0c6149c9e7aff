"""Coaching goals: the goal rows, one check-in row per (goal, period), and coach digests.

A check-in row is the unit the dispatcher works on. Its life:
`pending` (due at `due_at`) → `claimed` (a worker holds a lease) → `sent` (Slack returned a ts)
→ `answered`; or `cancelled` (the goal paused or ended first) or `failed` (given up on).
The wrap-up at the end date is a row of kind `wrapup` with the end date as its period.
"""

from __future__ import annotations

import dataclasses
from collections import namedtuple
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from enum import StrEnum
from functools import lru_cache
from hashlib import blake2b
from typing import Any, cast

from sqlalchemy import (
    DDL,
    BigInteger,
    Boolean,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    Text,
    Time,
    UniqueConstraint,
    bindparam,
    case,
    delete,
    event,
    func,
    literal_column,
    or_,
    select,
    text,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import CursorResult
from sqlalchemy.orm import Mapped, Session, mapped_column

from bot.goals import (
    AnswerVerdict,
    Cadence,
    CheckinAnswer,
    CheckinRecord,
    CheckinSlot,
    GoalLimits,
    GoalSpec,
    GoalState,
    GoalStatus,
    Outcome,
    PauseReason,
    Weekday,
    checkin_key,
    first_checkin_date,
    jittered,
    judge_answer,
    local_date,
    reschedule,
    resolve_zone,
    resume_marker,
    wrapup_at,
    wrapup_key,
)
from storage import bulk
from storage.base import Base
from storage.types import UTCDateTime


class CheckinStatus(StrEnum):
    """Where one check-in (or wrap-up) DM is in its life."""

    PENDING = "pending"
    CLAIMED = "claimed"
    SENT = "sent"
    ANSWERED = "answered"
    CANCELLED = "cancelled"
    FAILED = "failed"


class CheckinKind(StrEnum):
    """A regular check-in or the end-date wrap-up."""

    CHECKIN = "checkin"
    WRAPUP = "wrapup"


GOALS_FILLFACTOR = 50
"""PostgreSQL fills goal pages to this percent (migration dispatch_0001), leaving room for every
goal on a page to get one new version in place. None of the columns a send changes (last period,
DM channel, review time) is indexed, so such an update is HOT and writes no index entry, but only
if the new version fits on the row's page. Goals created together sit on the same pages and
often fall due together (the benchmark's 10,000 at once are consecutive ids), so one batch
updates every goal of a page: at 85% only about one update in six stayed on the page. The price
is a goals table twice as large, one row per goal beside the check-in history's row per goal
and period."""


class GoalRow(Base):
    """One coaching goal of one person."""

    __tablename__ = "goals"
    __table_args__ = (
        Index("ix_goals_owner", "team_id", "user_id", "status"),
        Index("ix_goals_coach", "team_id", "coach_id"),
        Index("ix_goals_tz_checked_at", "tz_checked_at"),
        # Storage parameters: SQLAlchemy has no table option for them, so the DDL below sets
        # them on create, and a migration test compares them with the database.
        {"info": {"postgresql_storage": {"fillfactor": GOALS_FILLFACTOR}}},
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    team_id: Mapped[str] = mapped_column(String(32))
    user_id: Mapped[str] = mapped_column(String(32))
    coach_id: Mapped[str | None] = mapped_column(String(32))
    title: Mapped[str] = mapped_column(String(300))
    success: Mapped[str] = mapped_column(Text)
    end_date: Mapped[date] = mapped_column(Date)
    cadence: Mapped[str] = mapped_column(String(16))
    weekday: Mapped[int] = mapped_column(Integer)
    local_time: Mapped[time] = mapped_column(Time)
    anchor: Mapped[date] = mapped_column(Date)
    tz_name: Mapped[str] = mapped_column(String(64))
    tz_checked_at: Mapped[datetime] = mapped_column(UTCDateTime())
    dm_channel: Mapped[str | None] = mapped_column(String(32))
    status: Mapped[str] = mapped_column(String(16))
    pause_reason: Mapped[str | None] = mapped_column(String(32))
    needs_attention: Mapped[bool] = mapped_column(Boolean, default=False)
    counting_since: Mapped[datetime | None] = mapped_column(UTCDateTime())
    last_sent_period: Mapped[date | None] = mapped_column(Date)
    # Not indexed: every send sets it, and an index on it made those updates write every goal
    # index. The review pass reads it with a scan of the goals (storage.goals_queue.due_reviews).
    review_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    outcome: Mapped[str | None] = mapped_column(String(16))
    what_helped: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


def _set_storage_parameters(model: type[Base]) -> None:
    """Set the model's declared PostgreSQL storage parameters when its table is created."""
    table = model.__table__
    assert isinstance(table, Table)
    options = table.info.get("postgresql_storage") or {}
    if options:
        settings = ", ".join(f"{name} = {value}" for name, value in options.items())
        ddl = DDL(f"ALTER TABLE {table.name} SET ({settings})")  # type: ignore[no-untyped-call]
        event.listen(table, "after_create", ddl.execute_if(dialect="postgresql"))


_set_storage_parameters(GoalRow)


class CheckinRow(Base):
    """One check-in DM (or the wrap-up) of a goal, for one period; the dispatcher's work item."""

    __tablename__ = "goal_checkins"
    __table_args__ = (
        UniqueConstraint("goal_id", "kind", "period"),
        # Partial: a row sits in the due index only while pending and in the lease index only
        # while claimed, so a claim or completion writes one index entry fewer, and the
        # indexes stay the size of the work in hand rather than of all history. Queries must
        # spell the status as a literal (`status_is`) for the planner to use them.
        Index(
            "ix_goal_checkins_due",
            "due_at",
            postgresql_where=text("status = 'pending'"),
            sqlite_where=text("status = 'pending'"),
        ),
        Index(
            "ix_goal_checkins_lease",
            "lease_expires_at",
            postgresql_where=text("status = 'claimed'"),
            sqlite_where=text("status = 'claimed'"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # No index of its own: the unique (goal_id, kind, period) serves lookups by goal, and one
    # index fewer is one write fewer on every claim and completion.
    goal_id: Mapped[int] = mapped_column(ForeignKey("goals.id", ondelete="CASCADE"))
    team_id: Mapped[str] = mapped_column(String(32))
    user_id: Mapped[str] = mapped_column(String(32))
    kind: Mapped[str] = mapped_column(String(8))
    period: Mapped[date] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(16))
    due_at: Mapped[datetime] = mapped_column(UTCDateTime())
    lease_owner: Mapped[str | None] = mapped_column(String(64))
    lease_expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    first_claimed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(String(64))
    channel: Mapped[str | None] = mapped_column(String(32))
    ts: Mapped[str | None] = mapped_column(String(32))
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    answer: Mapped[str | None] = mapped_column(String(16))
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    nudged_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    note: Mapped[str | None] = mapped_column(Text)


class DigestRow(Base):
    """One coach's digest for one day: at most one DM per coach per cadence day."""

    __tablename__ = "goal_coach_digests"
    __table_args__ = (
        UniqueConstraint("team_id", "coach_id", "day"),
        Index("ix_goal_coach_digests_due", "status", "due_at"),
        Index("ix_goal_coach_digests_lease", "status", "lease_expires_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    team_id: Mapped[str] = mapped_column(String(32))
    coach_id: Mapped[str] = mapped_column(String(32))
    day: Mapped[date] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(16))
    due_at: Mapped[datetime] = mapped_column(UTCDateTime())
    lease_owner: Mapped[str | None] = mapped_column(String(64))
    lease_expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    first_claimed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(String(64))
    channel: Mapped[str | None] = mapped_column(String(32))
    ts: Mapped[str | None] = mapped_column(String(32))
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


def status_is(column: Any, status: CheckinStatus) -> Any:
    """`column = '<status>'` with the value written into the SQL, as a partial index needs."""
    return column == literal_column(f"'{status.value}'")


# domain views ----------------------------------------------------------------------------------
@dataclass(frozen=True)
class Goal:
    """A stored goal, as the rest of the code sees it."""

    id: int
    team_id: str
    user_id: str
    spec: GoalSpec
    anchor: date
    tz_name: str
    tz_checked_at: datetime
    dm_channel: str | None
    status: GoalStatus
    pause_reason: PauseReason | None
    needs_attention: bool
    counting_since: datetime | None
    last_sent_period: date | None
    outcome: Outcome | None
    what_helped: str | None
    created_at: datetime

    @property
    def state(self) -> GoalState:
        """What the accountability rules need."""
        return GoalState(
            status=self.status,
            needs_attention=self.needs_attention,
            has_coach=self.spec.coach_id is not None,
            counting_since=self.counting_since,
        )


@dataclass(frozen=True)
class Checkin:
    """A stored check-in (or wrap-up) row."""

    id: int
    goal_id: int
    team_id: str
    user_id: str
    kind: CheckinKind
    period: date
    status: CheckinStatus
    due_at: datetime
    attempts: int
    channel: str | None
    ts: str | None
    sent_at: datetime | None
    answer: str | None
    answered_at: datetime | None
    nudged_at: datetime | None
    note: str | None

    @property
    def key(self) -> str:
        """The stable key used for jitter and message metadata."""
        if self.kind is CheckinKind.WRAPUP:
            return wrapup_key(self.goal_id)
        return checkin_key(self.goal_id, self.period)


@dataclass(frozen=True)
class AnswerResult:
    """What happened to a clicked answer: the verdict and the goal (None: unknown check-in)."""

    verdict: AnswerVerdict
    goal: Goal | None
    checkin: Checkin | None


GoalValues = namedtuple(
    "GoalValues",
    [
        "id",
        "team_id",
        "user_id",
        "title",
        "success",
        "end_date",
        "cadence",
        "weekday",
        "local_time",
        "coach_id",
        "anchor",
        "tz_name",
        "tz_checked_at",
        "dm_channel",
        "status",
        "pause_reason",
        "needs_attention",
        "counting_since",
        "last_sent_period",
        "outcome",
        "what_helped",
        "created_at",
    ],
)
"""The goal columns a `Goal` is made of, in the order the dispatcher selects them."""


# Enum members by stored value: a dict lookup costs a fraction of calling the enum class, and
# the dispatcher maps thousands of goals a second.
_CADENCES = {member.value: member for member in Cadence}
_WEEKDAYS = {member.value: member for member in Weekday}
_STATUSES = {member.value: member for member in GoalStatus}


def to_goal(row: GoalRow | Any) -> Goal:
    """Map a goal row (an ORM row, or a Core row with the same column names) to its view."""
    return Goal(
        id=row.id,
        team_id=row.team_id,
        user_id=row.user_id,
        spec=GoalSpec(
            title=row.title,
            success=row.success,
            end_date=row.end_date,
            cadence=_CADENCES[row.cadence],
            weekday=_WEEKDAYS[row.weekday],
            local_time=row.local_time,
            coach_id=row.coach_id,
        ),
        anchor=row.anchor,
        tz_name=row.tz_name,
        tz_checked_at=row.tz_checked_at,
        dm_channel=row.dm_channel,
        status=_STATUSES[row.status],
        pause_reason=PauseReason(row.pause_reason) if row.pause_reason else None,
        needs_attention=row.needs_attention,
        counting_since=row.counting_since,
        last_sent_period=row.last_sent_period,
        outcome=Outcome(row.outcome) if row.outcome else None,
        what_helped=row.what_helped,
        created_at=row.created_at,
    )


def to_checkin(row: CheckinRow | Any) -> Checkin:
    """Map a check-in row (an ORM row, or a Core row with the same column names) to its view."""
    return Checkin(
        id=row.id,
        goal_id=row.goal_id,
        team_id=row.team_id,
        user_id=row.user_id,
        kind=CheckinKind(row.kind),
        period=row.period,
        status=CheckinStatus(row.status),
        due_at=row.due_at,
        attempts=row.attempts,
        channel=row.channel,
        ts=row.ts,
        sent_at=row.sent_at,
        answer=row.answer,
        answered_at=row.answered_at,
        nudged_at=row.nudged_at,
        note=row.note,
    )


# goals -----------------------------------------------------------------------------------------
# tz_checked_at of a goal whose zone Slack has not confirmed yet: stale at once, so the
# dispatcher's zone refresh asks Slack again before the first check-in is due.
ZONE_UNCONFIRMED = datetime(1970, 1, 1, tzinfo=UTC)


def create_goal(
    session: Session,
    *,
    team_id: str,
    user_id: str,
    spec: GoalSpec,
    tz_name: str | None,
    now: datetime,
    limits: GoalLimits,
    zone_confirmed: bool = True,
) -> Goal:
    """Store a new active goal and schedule its first check-in.

    `zone_confirmed=False`: the zone is a stand-in until Slack is asked (see confirm_zone).
    """
    zone = resolve_zone(tz_name, limits.fallback_tz)
    values = {
        "team_id": team_id,
        "user_id": user_id,
        "coach_id": spec.coach_id,
        "title": spec.title,
        "success": spec.success,
        "end_date": spec.end_date,
        "cadence": spec.cadence.value,
        "weekday": int(spec.weekday),
        "local_time": spec.local_time,
        "anchor": first_checkin_date(spec.weekday, local_date(now, zone.zone)),
        "tz_name": zone.zone.key,
        "tz_checked_at": now if zone_confirmed else ZONE_UNCONFIRMED,
        "dm_channel": None,
        "status": GoalStatus.ACTIVE.value,
        "pause_reason": None,
        "needs_attention": False,
        "counting_since": None,
        "last_sent_period": None,
        "outcome": None,
        "what_helped": None,
        "created_at": now,
    }
    goal_id = session.execute(_INSERT_GOAL, {**values, "updated_at": now}).scalar_one()
    goal = to_goal(GoalValues(id=goal_id, **values))
    pending = next_row_values(goal, now, limits)
    if pending is not None:
        insert_pending(session, [pending])
    return goal


def get_goal(session: Session, goal_id: int) -> Goal | None:
    """The goal, or None."""
    row = session.get(GoalRow, goal_id)
    return to_goal(row) if row else None


# The statements of the request paths below are built once: building one and computing its cache
# key cost 0.17-0.29 ms of CPU on every execution, about as much as running it. Those that need
# no ORM object are written on the tables' columns: a statement on the mapped classes' attributes
# is ORM-enabled and run through the ORM's execution and loading layer even when it returns plain
# values.
GOAL_TABLE = cast(Table, GoalRow.__table__)
CHECKIN_TABLE = cast(Table, CheckinRow.__table__)
_GOALS = GOAL_TABLE.c
# create_goal's INSERT (the ORM's unit of work for one new object cost more than the statement)
_INSERT_GOAL = GOAL_TABLE.insert().returning(_GOALS.id)
_GOALS_OF = (
    select(*(_GOALS[name] for name in GoalValues._fields))
    .where(
        _GOALS.team_id == bindparam("team_id"),
        _GOALS.user_id == bindparam("user_id"),
        # two plain parameters: an IN list is an expanding parameter, rendered on every execution
        or_(_GOALS.status == GoalStatus.ACTIVE.value, _GOALS.status == GoalStatus.PAUSED.value),
    )
    .order_by(_GOALS.id)
)


def goals_of(session: Session, team_id: str, user_id: str) -> list[Goal]:
    """The person's goals that are still open (active or paused), oldest first."""
    rows = session.execute(_GOALS_OF, {"team_id": team_id, "user_id": user_id})
    return [to_goal(row) for row in rows]


def lock_person(session: Session, team_id: str, user_id: str) -> None:
    """Serialise changes to one person's goals until the transaction ends.

    A count-then-create (the active-goal limit) is otherwise a race between two submissions on
    PostgreSQL; this takes a transaction-scoped advisory lock on the person. SQLite needs none:
    its transactions begin IMMEDIATE, one writer at a time.
    """
    if session.get_bind().dialect.name != "postgresql":
        return
    digest = blake2b(f"goals:{team_id}:{user_id}".encode(), digest_size=8).digest()
    session.execute(_LOCK_PERSON, {"key": int.from_bytes(digest, "big", signed=True)})


_LOCK_PERSON = select(func.pg_advisory_xact_lock(bindparam("key", type_=BigInteger())))
_COUNT_ACTIVE = select(func.count()).where(
    _GOALS.team_id == bindparam("team_id"),
    _GOALS.user_id == bindparam("user_id"),
    _GOALS.status == GoalStatus.ACTIVE.value,
)
_COUNT_ACTIVE_BUT_ONE = _COUNT_ACTIVE.where(_GOALS.id != bindparam("goal_id"))


def count_active_goals(
    session: Session, team_id: str, user_id: str, *, exclude_goal_id: int | None = None
) -> int:
    """How many active goals the person has (leaving out one being edited)."""
    params = {"team_id": team_id, "user_id": user_id}
    if exclude_goal_id is None:
        return int(session.scalar(_COUNT_ACTIVE, params) or 0)
    return int(session.scalar(_COUNT_ACTIVE_BUT_ONE, {**params, "goal_id": exclude_goal_id}) or 0)


def edit_goal(
    session: Session, goal_id: int, spec: GoalSpec, now: datetime, limits: GoalLimits
) -> Goal | None:
    """Change an open goal's words and schedule; None when it has ended (or is unknown)."""
    row = session.get(GoalRow, goal_id, with_for_update=True)
    if row is None or not GoalStatus(row.status).is_open:
        return None
    if int(spec.weekday) != row.weekday:
        row.anchor = first_checkin_date(spec.weekday, local_date(now, row.tz_name))
    row.title, row.success, row.coach_id = spec.title, spec.success, spec.coach_id
    row.end_date, row.cadence = spec.end_date, spec.cadence.value
    row.weekday, row.local_time = int(spec.weekday), spec.local_time
    row.updated_at = now
    session.flush()
    goal = to_goal(row)
    if goal.status is GoalStatus.ACTIVE:
        resync(session, goal, now, limits)
    return goal


def change_zone(
    session: Session, goal_id: int, tz_name: str | None, now: datetime, limits: GoalLimits
) -> bool:
    """Store the zone Slack reports now; re-time the pending check-in when it changed."""
    row = session.get(GoalRow, goal_id, with_for_update=True)
    if row is None:
        return False
    zone = resolve_zone(tz_name, limits.fallback_tz)
    row.tz_checked_at = now
    # A zone Slack stopped reporting keeps the last good one rather than dropping to UTC.
    if zone.fell_back or zone.zone.key == row.tz_name:
        return False
    row.tz_name = zone.zone.key
    row.updated_at = now
    session.flush()
    if row.status == GoalStatus.ACTIVE.value:
        resync(session, to_goal(row), now, limits)
    return True


def confirm_zone(
    session: Session,
    goal_id: int,
    tz_name: str | None,
    *,
    created_at: datetime,
    now: datetime,
    limits: GoalLimits,
) -> Goal | None:
    """The zone Slack reports for a goal stored with a stand-in zone moments ago.

    While nothing has been sent, the goal is set up as if the zone had been known when it was
    created (its anchor is the first chosen weekday after that day in this zone); after a send it
    is an ordinary change of zone. None when the goal is gone.

    In Core (the goal modal runs this after every new goal): the locked row is read as columns
    and written with UPDATE statements, not loaded into the session and flushed.
    """
    row = session.execute(_GOAL_FOR_UPDATE, {"goal_id": goal_id}).one_or_none()
    if row is None:
        return None
    if row.last_sent_period is not None:
        change_zone(session, goal_id, tz_name, now, limits)
        return get_goal(session, goal_id)
    values = row._asdict()
    values["tz_checked_at"] = now
    zone = resolve_zone(tz_name, limits.fallback_tz)
    if zone.fell_back or zone.zone.key == row.tz_name:
        session.execute(_ZONE_CHECKED, {"goal_id": goal_id, "now": now})
        return to_goal(GoalValues(**values))
    values["tz_name"] = zone.zone.key
    values["anchor"] = first_checkin_date(_WEEKDAYS[row.weekday], local_date(created_at, zone.zone))
    session.execute(
        _ZONE_CONFIRMED,
        {"goal_id": goal_id, "now": now, "tz_name": values["tz_name"], "anchor": values["anchor"]},
    )
    goal = to_goal(GoalValues(**values))
    if goal.status is GoalStatus.ACTIVE:
        resync(session, goal, created_at, limits)
    return goal


_GOAL_FOR_UPDATE = (
    select(*(_GOALS[name] for name in GoalValues._fields))
    .where(_GOALS.id == bindparam("goal_id"))
    .with_for_update()
)
_ZONE_CHECKED = (
    GOAL_TABLE.update()
    .where(_GOALS.id == bindparam("goal_id"))
    .values(tz_checked_at=bindparam("now"))
)
_ZONE_CONFIRMED = (
    GOAL_TABLE.update()
    .where(_GOALS.id == bindparam("goal_id"))
    .values(
        tz_name=bindparam("tz_name"),
        anchor=bindparam("anchor"),
        tz_checked_at=bindparam("now"),
        updated_at=bindparam("now"),
    )
)
# resync's DELETE, built once (no ORM-enabled statement: none of resync's callers holds check-in
# objects in its session).
_DROP_PENDING = (
    CHECKIN_TABLE.delete()
    .where(CHECKIN_TABLE.c.goal_id == bindparam("goal_id"))
    .where(CHECKIN_TABLE.c.status == CheckinStatus.PENDING.value)
)


def remember_dm_channel(session: Session, goal_id: int, channel: str) -> None:
    """Store the goal's DM channel unless one is stored already (one UPDATE)."""
    session.execute(_REMEMBER_DM_CHANNEL, {"goal_id": goal_id, "channel": channel})


_REMEMBER_DM_CHANNEL = (
    GOAL_TABLE.update()
    .where(
        _GOALS.id == bindparam("goal_id"),
        or_(_GOALS.dm_channel.is_(None), _GOALS.dm_channel == ""),
    )
    .values(dm_channel=bindparam("channel"))
)


def pause_goal(session: Session, goal_id: int, reason: PauseReason, now: datetime) -> bool:
    """Pause an active goal (compare-and-set); its pending DMs are cancelled."""
    changed = _set_status(
        session,
        goal_id,
        frm=(GoalStatus.ACTIVE,),
        to=GoalStatus.PAUSED,
        now=now,
        pause_reason=reason.value,
        review_at=None,
    )
    if changed:
        _cancel_pending(session, goal_id)
    return changed


def resume_goal(session: Session, goal_id: int, now: datetime, limits: GoalLimits) -> bool:
    """Resume a paused goal: what fell due while paused is skipped, misses are forgiven."""
    row = session.get(GoalRow, goal_id, with_for_update=True)
    if row is None or row.status != GoalStatus.PAUSED.value:
        return False
    spec = to_goal(row).spec
    marker = resume_marker(spec, row.tz_name, row.anchor, now)
    if marker is not None and (row.last_sent_period is None or marker > row.last_sent_period):
        row.last_sent_period = marker
    row.status = GoalStatus.ACTIVE.value
    row.pause_reason = None
    row.needs_attention = False
    row.counting_since = now
    row.updated_at = now
    session.flush()
    resync(session, to_goal(row), now, limits)
    return True


def finish_goal(session: Session, goal_id: int, now: datetime) -> bool:
    """Mark an open goal finished (compare-and-set); nothing more is sent for it."""
    return _end(session, goal_id, GoalStatus.FINISHED, now)


def abandon_goal(session: Session, goal_id: int, now: datetime) -> bool:
    """Mark an open goal abandoned (compare-and-set); nothing more is sent for it."""
    return _end(session, goal_id, GoalStatus.ABANDONED, now)


def record_outcome(
    session: Session, goal_id: int, user_id: str, outcome: Outcome, now: datetime
) -> AnswerVerdict:
    """Record the wrap-up verdict once; the goal is finished by it."""
    row = session.get(GoalRow, goal_id)
    if row is None or row.user_id != user_id or row.status == GoalStatus.ABANDONED.value:
        return AnswerVerdict.GOAL_CLOSED
    result = _rowcount(
        session.execute(
            update(GoalRow)
            .where(
                GoalRow.id == goal_id,
                GoalRow.outcome.is_(None),
                GoalRow.status != GoalStatus.ABANDONED.value,
            )
            .values(
                outcome=outcome.value,
                status=GoalStatus.FINISHED.value,
                ended_at=func.coalesce(GoalRow.ended_at, now),
                updated_at=now,
                review_at=None,
            )
        )
    )
    if result == 0:
        return AnswerVerdict.ALREADY_ANSWERED
    _cancel_pending(session, goal_id)
    session.execute(
        update(CheckinRow)
        .where(
            CheckinRow.goal_id == goal_id,
            CheckinRow.kind == CheckinKind.WRAPUP.value,
            CheckinRow.answered_at.is_(None),
        )
        .values(answer=outcome.value, answered_at=now, status=CheckinStatus.ANSWERED.value)
    )
    return AnswerVerdict.RECORD


def record_what_helped(session: Session, goal_id: int, user_id: str, text: str) -> bool:
    """Store what helped, for a goal the person owns."""
    result = session.execute(
        update(GoalRow)
        .where(GoalRow.id == goal_id, GoalRow.user_id == user_id)
        .values(what_helped=text)
    )
    return _rowcount(result) == 1


def _end(session: Session, goal_id: int, to: GoalStatus, now: datetime) -> bool:
    """Close an open goal and cancel what was still to be sent."""
    changed = _set_status(
        session,
        goal_id,
        frm=(GoalStatus.ACTIVE, GoalStatus.PAUSED),
        to=to,
        now=now,
        ended_at=now,
        review_at=None,
        needs_attention=False,
    )
    if changed:
        _cancel_pending(session, goal_id)
    return changed


def _set_status(
    session: Session,
    goal_id: int,
    *,
    frm: Sequence[GoalStatus],
    to: GoalStatus,
    now: datetime,
    **values: Any,
) -> bool:
    """Compare-and-set a goal's status; True when this call changed it."""
    result = session.execute(
        update(GoalRow)
        .where(GoalRow.id == goal_id, GoalRow.status.in_([s.value for s in frm]))
        .values(status=to.value, updated_at=now, **values)
    )
    return _rowcount(result) == 1


def _cancel_pending(session: Session, goal_id: int) -> None:
    """Cancel what is still to be sent; a claimed row is cancelled by its worker at send time."""
    session.execute(
        update(CheckinRow)
        .where(CheckinRow.goal_id == goal_id, CheckinRow.status == CheckinStatus.PENDING.value)
        .values(status=CheckinStatus.CANCELLED.value)
    )


# scheduling ------------------------------------------------------------------------------------
def resync(session: Session, goal: Goal, now: datetime, limits: GoalLimits) -> None:
    """Drop the goal's pending DMs and schedule afresh from its current spec and zone: its next
    check-in, else its wrap-up."""
    session.execute(_DROP_PENDING, {"goal_id": goal.id})
    pending = next_row_values(goal, now, limits)
    if pending is not None:
        insert_pending(session, [pending])


def next_row_values(
    goal: Goal,
    now: datetime,
    limits: GoalLimits,
    *,
    last_sent_period: date | None = None,
) -> dict[str, Any] | None:
    """The goal's next pending row as column values: its next check-in, else its wrap-up.

    `last_sent_period` stands in for the goal's own when a send just moved it on.
    """
    spec = goal.spec
    last = last_sent_period or goal.last_sent_period
    slot = _reschedule(
        spec.cadence,
        spec.weekday,
        spec.local_time,
        spec.end_date,
        goal.tz_name,
        goal.anchor,
        last,
        now,
    )
    if slot is not None:
        kind, period = CheckinKind.CHECKIN, slot.period
        due = jittered(slot.at, checkin_key(goal.id, period), limits.jitter_spread_s)
    else:
        kind, period = CheckinKind.WRAPUP, spec.end_date
        due = jittered(wrapup_at(spec, goal.tz_name), wrapup_key(goal.id), limits.jitter_spread_s)
        due = max(due, now)
    return {
        "goal_id": goal.id,
        "team_id": goal.team_id,
        "user_id": goal.user_id,
        "kind": kind.value,
        "period": period,
        "status": CheckinStatus.PENDING.value,
        "due_at": due,
        "attempts": 0,
    }


@lru_cache(maxsize=4096)
def _reschedule(  # noqa: PLR0917
    cadence: Cadence,
    weekday: Weekday,
    local_time: time,
    end_date: date,
    tz_name: str,
    anchor: date,
    last_sent_period: date | None,
    now: datetime,
) -> CheckinSlot | None:
    """`reschedule` from the schedule alone: goals with the same schedule that were sent
    together (same zone, weekday, time and rhythm) get the same slot, so a dispatcher batch
    works it out once per schedule rather than once per goal (~20 us each)."""
    spec = GoalSpec("", "", end_date, cadence, weekday, local_time)
    return reschedule(spec, tz_name, anchor, last_sent_period, now)


_PENDING_COLUMNS = (
    "goal_id",
    "team_id",
    "user_id",
    "kind",
    "period",
    "status",
    "due_at",
    "attempts",
)


def insert_pending(session: Session, rows: Sequence[dict[str, Any]]) -> None:
    """Insert pending rows; a (goal, kind, period) that already exists is left as it is.

    On PostgreSQL a batch is one `INSERT ... SELECT` from a JSON parameter (see
    `rows_source`); on SQLite, executemany (`bulk.executemany`).
    """
    if not rows:
        return
    if len(rows) == 1:  # a goal created, edited or re-timed: the statement compiled once
        session.execute(_INSERT_ONE_PENDING, dict(rows[0]))
        return
    table = CheckinRow.__table__
    assert isinstance(table, Table)
    insert = dialect_insert(session)(table)
    conflict = {"index_elements": ["goal_id", "kind", "period"]}
    if session.get_bind().dialect.name != "postgresql":
        values = {
            name: bindparam(f"b_{name}", type_=table.c[name].type) for name in _PENDING_COLUMNS
        }
        bulk.executemany(
            session,
            insert.values(values).on_conflict_do_nothing(**conflict),
            [f"b_{name}" for name in _PENDING_COLUMNS],
            [tuple(row[name] for name in _PENDING_COLUMNS) for row in rows],
        )
        return
    from storage.goals_queue import rows_source  # the queue module builds on this one

    columns = [(name, table.c[name].type) for name in _PENDING_COLUMNS]
    values = rows_source(columns, rows)
    source = select(*[values.c[name] for name in _PENDING_COLUMNS])
    session.execute(
        insert.from_select(list(_PENDING_COLUMNS), source).on_conflict_do_nothing(**conflict)
    )


# One pending row, written out: SQLAlchemy compiles its INSERT ... ON CONFLICT constructs anew on
# every execution (~2 ms of CPU here); this text is compiled once. Same SQL on both databases.
_INSERT_ONE_PENDING = text(
    "INSERT INTO goal_checkins (goal_id, team_id, user_id, kind, period, status, due_at, attempts)"
    " VALUES (:goal_id, :team_id, :user_id, :kind, :period, :status, :due_at, :attempts)"
    " ON CONFLICT (goal_id, kind, period) DO NOTHING"
).bindparams(bindparam("period", type_=Date()), bindparam("due_at", type_=UTCDateTime()))


def dialect_insert(session: Session) -> Any:
    """The INSERT construct with ON CONFLICT for the session's database."""
    name = session.get_bind().dialect.name
    return postgresql.insert if name == "postgresql" else sqlite.insert


# answers ---------------------------------------------------------------------------------------
def get_checkin(session: Session, checkin_id: int) -> Checkin | None:
    """The check-in row, or None."""
    row = session.get(CheckinRow, checkin_id)
    return to_checkin(row) if row else None


def _answered_status() -> Any:
    """`answered`, except for a row a dispatcher still holds: it stays `claimed` (with its answer)
    so that the dispatcher's write-back, or another worker after the lease, still records the
    post and schedules the next check-in; the write-back then marks it answered."""
    claimed = CheckinRow.status == CheckinStatus.CLAIMED.value
    return case((claimed, CheckinRow.status), else_=CheckinStatus.ANSWERED.value)


# Built once (see _GOALS_OF): the check-in with its goal, and the compare-and-set on answered_at.
# The check-in and its goal are read as columns (the goal's prefixed `g_`), not loaded as ORM
# objects into the session: to_checkin and to_goal read them by name.
_CHECKIN_FIELDS = tuple(field.name for field in dataclasses.fields(Checkin))
_ANSWER_TARGET = (
    select(
        *(CHECKIN_TABLE.c[name] for name in _CHECKIN_FIELDS),
        *(_GOALS[name].label(f"g_{name}") for name in GoalValues._fields),
    )
    .join_from(CHECKIN_TABLE, GOAL_TABLE, _GOALS.id == CHECKIN_TABLE.c.goal_id)
    .where(CHECKIN_TABLE.c.id == bindparam("checkin_id"))
)
_ATTENDED = (
    GOAL_TABLE.update()
    .where(_GOALS.id == bindparam("goal_id"))
    .values(needs_attention=False, updated_at=bindparam("now"))
)
# A Core UPDATE on the table, returning its columns: the ORM-enabled form (returning the entity,
# populate_existing) ran SQLAlchemy's bulk-update machinery and cost ~2.7 ms of CPU of a 3.4 ms
# record_answer (in-process, PostgreSQL); to_checkin reads a Core row by the same names.
_RECORD_ANSWER = (
    update(CHECKIN_TABLE)
    .where(CHECKIN_TABLE.c.id == bindparam("checkin_id"), CHECKIN_TABLE.c.answered_at.is_(None))
    .values(
        answer=bindparam("new_answer"),
        answered_at=bindparam("new_answered_at"),
        status=_answered_status(),
    )
    .returning(*CHECKIN_TABLE.c)
)


def record_answer(
    session: Session, checkin_id: int, user_id: str, answer: CheckinAnswer, now: datetime
) -> AnswerResult:
    """Record the person's answer to a check-in exactly once (compare-and-set on answered_at).

    Two statements when it is recorded: the check-in with its goal, then the compare-and-set
    update returning the row as stored (a third when the goal's "needs attention" is cleared).
    """
    checkin = session.execute(_ANSWER_TARGET, {"checkin_id": checkin_id}).one_or_none()
    if checkin is None or checkin.user_id != user_id:
        return AnswerResult(AnswerVerdict.GOAL_CLOSED, None, None)
    goal = GoalValues(*checkin[len(_CHECKIN_FIELDS) :])
    verdict = judge_answer(_STATUSES[goal.status], checkin.answered_at is not None)
    if verdict is not AnswerVerdict.RECORD:
        return AnswerResult(verdict, to_goal(goal), to_checkin(checkin))
    stored = session.execute(
        _RECORD_ANSWER,
        {"checkin_id": checkin_id, "new_answer": answer.value, "new_answered_at": now},
    ).one_or_none()
    if stored is None:
        return AnswerResult(AnswerVerdict.ALREADY_ANSWERED, to_goal(goal), to_checkin(checkin))
    if goal.needs_attention:
        session.execute(_ATTENDED, {"goal_id": goal.id, "now": now})
        goal = goal._replace(needs_attention=False)
    return AnswerResult(AnswerVerdict.RECORD, to_goal(goal), to_checkin(stored))


def add_note(session: Session, checkin_id: int, user_id: str, note: str, now: datetime) -> bool:
    """Attach (or replace) the person's note on a check-in of an open goal."""
    checkin = session.get(CheckinRow, checkin_id)
    goal = session.get(GoalRow, checkin.goal_id) if checkin else None
    if checkin is None or goal is None or checkin.user_id != user_id:
        return False
    if not GoalStatus(goal.status).is_open:
        return False
    checkin.note = note
    goal.updated_at = now
    session.flush()
    return True


def last_answers(session: Session, goal_ids: Iterable[int]) -> dict[int, CheckinRow]:
    """Each goal's most recently answered check-in."""
    ids = list(goal_ids)
    if not ids:
        return {}
    rows = session.scalars(
        select(CheckinRow).where(
            CheckinRow.goal_id.in_(ids),
            CheckinRow.kind == CheckinKind.CHECKIN.value,
            CheckinRow.answered_at.is_not(None),
        )
    )
    latest: dict[int, CheckinRow] = {}
    for row in rows:
        seen = latest.get(row.goal_id)
        if seen is None or (row.answered_at or row.due_at) > (seen.answered_at or seen.due_at):
            latest[row.goal_id] = row
    return latest


def history(session: Session, goal_id: int) -> list[CheckinRecord]:
    """The goal's sent check-ins, for the accountability rules."""
    rows = session.scalars(
        select(CheckinRow).where(
            CheckinRow.goal_id == goal_id,
            CheckinRow.kind == CheckinKind.CHECKIN.value,
            CheckinRow.sent_at.is_not(None),
        )
    )
    return [
        CheckinRecord(
            period=row.period,
            sent_at=row.sent_at,
            answered_at=row.answered_at,
            nudged_at=row.nudged_at,
        )
        for row in rows
        if row.sent_at is not None
    ]


def checkins_of(session: Session, goal_id: int) -> list[Checkin]:
    """Every row of a goal, oldest period first."""
    rows = session.scalars(_CHECKINS_OF, {"goal_id": goal_id})
    return [to_checkin(row) for row in rows]


_CHECKINS_OF = (
    select(CheckinRow)
    .where(CheckinRow.goal_id == bindparam("goal_id"))
    .order_by(CheckinRow.period, CheckinRow.id)
)


def next_due(session: Session, goal_id: int) -> datetime | None:
    """When the goal's next DM (a pending or claimed check-in) is due; None when none is.

    One aggregate over the goal's rows rather than every check-in loaded as an object.
    """
    due: datetime | None = session.execute(_NEXT_DUE, {"goal_id": goal_id}).scalar()
    return due


_NEXT_DUE = select(func.min(CHECKIN_TABLE.c.due_at)).where(
    CHECKIN_TABLE.c.goal_id == bindparam("goal_id"),
    or_(
        status_is(CHECKIN_TABLE.c.status, CheckinStatus.PENDING),
        status_is(CHECKIN_TABLE.c.status, CheckinStatus.CLAIMED),
    ),
)


def _rowcount(result: Any) -> int:
    """The number of rows an UPDATE or DELETE touched."""
    assert isinstance(result, CursorResult)
    return int(result.rowcount)


# forgetting a person ---------------------------------------------------------------------------
@dataclass(frozen=True)
class GoalsForgotten:
    """What forgetting a person removed from coaching goals."""

    coached: tuple[tuple[str, int], ...]
    """(owner, goal id) of open goals the person was coach of: they lose their coach."""
    deleted: dict[str, int]


def forget_person(session: Session, team_id: str, user_id: str) -> GoalsForgotten:
    """Delete the person's goals, check-ins (with notes) and coach digests; goals they coached
    keep going without a coach."""
    goal_ids = select(GoalRow.id).where(GoalRow.team_id == team_id, GoalRow.user_id == user_id)
    checkins = _rowcount(
        session.execute(delete(CheckinRow).where(CheckinRow.goal_id.in_(goal_ids)))
    )
    goals = _rowcount(
        session.execute(
            delete(GoalRow).where(GoalRow.team_id == team_id, GoalRow.user_id == user_id)
        )
    )
    digests = _rowcount(
        session.execute(
            delete(DigestRow).where(DigestRow.team_id == team_id, DigestRow.coach_id == user_id)
        )
    )
    coached = session.execute(
        select(GoalRow.user_id, GoalRow.id).where(
            GoalRow.team_id == team_id,
            GoalRow.coach_id == user_id,
            GoalRow.status.in_([GoalStatus.ACTIVE.value, GoalStatus.PAUSED.value]),
        )
    ).all()
    uncoached = _rowcount(
        session.execute(
            update(GoalRow)
            .where(GoalRow.team_id == team_id, GoalRow.coach_id == user_id)
            .values(coach_id=None)
        )
    )
    return GoalsForgotten(
        coached=tuple((str(owner), int(goal_id)) for owner, goal_id in coached),
        deleted={
            "goal_checkins": checkins,
            "goals": goals,
            "goal_coach_digests": digests,
            "goals_coach_cleared": uncoached,
        },
    )


def clear_old_notes(session: Session, cutoff: datetime) -> int:
    """Blank the check-in notes and "what helped" of goals that ended before `cutoff`."""
    ended = select(GoalRow.id).where(
        GoalRow.status.in_([GoalStatus.FINISHED.value, GoalStatus.ABANDONED.value]),
        GoalRow.ended_at < cutoff,
    )
    notes = _rowcount(
        session.execute(
            update(CheckinRow)
            .where(CheckinRow.goal_id.in_(ended), CheckinRow.note.is_not(None))
            .values(note=None)
        )
    )
    helped = _rowcount(
        session.execute(
            update(GoalRow)
            .where(GoalRow.id.in_(ended), GoalRow.what_helped.is_not(None))
            .values(what_helped=None)
        )
    )
    return notes + helped
