"""Mentoring programme storage: mentor profiles, requests, proposals, pairs and check-ins.

Repositories take a session and never commit. State changes that two clicks or two workers
may race on are compare-and-set UPDATEs (`... WHERE status = 'pending'`), and unique indexes
back them up: one open request per person, one pending proposal per request, one pair per
proposal, one check-in per person and month.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import (
    JSON,
    Boolean,
    CursorResult,
    Float,
    ForeignKey,
    Index,
    Integer,
    Row,
    String,
    Table,
    Text,
    UniqueConstraint,
    bindparam,
    delete,
    func,
    select,
    text,
    union,
    update,
)
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, Session, mapped_column

from bot.mentoring.lifecycle import (
    AcceptOutcome,
    CheckinAnswer,
    PairEnd,
    PairStatus,
    ProposalStatus,
    RequestStatus,
    next_checkin,
    outcome_for,
)
from bot.mentoring.model import MentorProfile, MentorRequest, Offer, Proposal
from storage.base import Base
from storage.people import PersonRow
from storage.types import UTCDateTime

_OPEN = text("status = 'open'")
_PENDING = text("status = 'pending'")


class MentorRow(Base):
    """A volunteer mentor's profile (one per person; leaving keeps the row)."""

    __tablename__ = "mentor_profiles"
    __table_args__ = (UniqueConstraint("team_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    team_id: Mapped[str] = mapped_column(String(32))
    user_id: Mapped[str] = mapped_column(String(32))
    name: Mapped[str] = mapped_column(String(80), default="")
    topics: Mapped[list[str]] = mapped_column(JSON)
    offers: Mapped[list[str]] = mapped_column(JSON)
    capacity: Mapped[int] = mapped_column(Integer)
    years: Mapped[int] = mapped_column(Integer)
    team: Mapped[str] = mapped_column(String(80), default="")
    bio: Mapped[str] = mapped_column(Text, default="")
    tz_name: Mapped[str] = mapped_column(String(64), default="")
    paused: Mapped[bool] = mapped_column(Boolean, default=False)
    left_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())


class RequestRow(Base):
    """A person's request for a mentor; at most one is open per person."""

    __tablename__ = "mentee_requests"
    __table_args__ = (
        Index(
            "uq_mentee_requests_one_open",
            "team_id",
            "mentee_id",
            unique=True,
            sqlite_where=_OPEN,
            postgresql_where=_OPEN,
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    team_id: Mapped[str] = mapped_column(String(32))
    mentee_id: Mapped[str] = mapped_column(String(32))
    name: Mapped[str] = mapped_column(String(80), default="")
    topics: Mapped[list[str]] = mapped_column(JSON)
    wants: Mapped[list[str]] = mapped_column(JSON)
    goal: Mapped[str] = mapped_column(Text, default="")
    years: Mapped[int] = mapped_column(Integer)
    team: Mapped[str] = mapped_column(String(80), default="")
    tz_name: Mapped[str] = mapped_column(String(64), default="")
    prefers_close_tz: Mapped[bool] = mapped_column(Boolean, default=False)
    outside_my_team: Mapped[bool] = mapped_column(Boolean, default=False)
    status: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class ProposalRow(Base):
    """A mentor asked to take a request; the decline reason is for admins, never the mentee."""

    __tablename__ = "mentoring_proposals"
    __table_args__ = (
        UniqueConstraint("request_id", "mentor_id"),
        Index(
            "uq_mentoring_proposals_one_pending",
            "request_id",
            unique=True,
            sqlite_where=_PENDING,
            postgresql_where=_PENDING,
        ),
        Index("ix_mentoring_proposals_status_expires", "status", "expires_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    team_id: Mapped[str] = mapped_column(String(32))
    request_id: Mapped[int] = mapped_column(ForeignKey("mentee_requests.id"))
    mentee_id: Mapped[str] = mapped_column(String(32))
    mentor_id: Mapped[str] = mapped_column(String(32))
    status: Mapped[str] = mapped_column(String(16))
    score: Mapped[float] = mapped_column(Float)
    reasons: Mapped[list[str]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    decline_reason: Mapped[str | None] = mapped_column(Text)
    dm_channel: Mapped[str | None] = mapped_column(String(32))
    dm_ts: Mapped[str | None] = mapped_column(String(32))


class PairRow(Base):
    """A mentor and mentee working together, from consent to the end."""

    __tablename__ = "mentoring_pairs"
    __table_args__ = (
        UniqueConstraint("proposal_id"),
        Index("ix_mentoring_pairs_status_next_checkin", "status", "next_checkin_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    team_id: Mapped[str] = mapped_column(String(32))
    request_id: Mapped[int] = mapped_column(ForeignKey("mentee_requests.id"))
    proposal_id: Mapped[int] = mapped_column(ForeignKey("mentoring_proposals.id"))
    mentor_id: Mapped[str] = mapped_column(String(32))
    mentee_id: Mapped[str] = mapped_column(String(32))
    status: Mapped[str] = mapped_column(String(16))
    started_at: Mapped[datetime] = mapped_column(UTCDateTime())
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    ended_by: Mapped[str | None] = mapped_column(String(32))
    end_reason: Mapped[str | None] = mapped_column(String(16))
    intro_channel: Mapped[str | None] = mapped_column(String(32))
    next_checkin_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    checkins_sent: Mapped[int] = mapped_column(Integer, default=0)


class CheckinRow(Base):
    """One "how is it going?" to one member of a pair, and the answer."""

    __tablename__ = "mentoring_checkins"
    __table_args__ = (UniqueConstraint("pair_id", "user_id", "seq"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    pair_id: Mapped[int] = mapped_column(ForeignKey("mentoring_pairs.id"))
    user_id: Mapped[str] = mapped_column(String(32))
    seq: Mapped[int] = mapped_column(Integer)
    due_at: Mapped[datetime] = mapped_column(UTCDateTime())
    claimed_until: Mapped[datetime | None] = mapped_column(UTCDateTime())
    delivered_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    delivery_error: Mapped[str | None] = mapped_column(String(64))
    answer: Mapped[str | None] = mapped_column(String(16))
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


# Records crossing the boundary ---------------------------------------------------------------
@dataclass(frozen=True)
class MentorRecord:
    """A stored mentor: the profile the matcher sees, their name and whether they left."""

    profile: MentorProfile
    name: str
    left: bool


@dataclass(frozen=True)
class RequestRecord:
    """A stored request and where it stands."""

    request: MentorRequest
    team_id: str
    name: str
    status: RequestStatus
    created_at: datetime

    @property
    def id(self) -> int:
        """The database id (the request's `request_id` as a number)."""
        return int(self.request.request_id)


@dataclass(frozen=True)
class ProposalRecord:
    """A stored proposal (without the decline reason, which no flow may show)."""

    id: int
    team_id: str
    request_id: int
    mentee_id: str
    mentor_id: str
    status: ProposalStatus
    score: float
    reasons: tuple[str, ...]
    created_at: datetime
    expires_at: datetime
    dm_channel: str | None = None
    dm_ts: str | None = None


@dataclass(frozen=True)
class PairRecord:
    """A stored pair."""

    id: int
    team_id: str
    request_id: int
    mentor_id: str
    mentee_id: str
    status: PairStatus
    started_at: datetime
    ended_at: datetime | None
    end_reason: PairEnd | None
    intro_channel: str | None

    def has_member(self, user_id: str) -> bool:
        """Whether the user is the mentor or the mentee."""
        return user_id in (self.mentor_id, self.mentee_id)

    def other(self, user_id: str) -> str:
        """The other member of the pair."""
        return self.mentee_id if user_id == self.mentor_id else self.mentor_id


@dataclass(frozen=True)
class CheckinRecord:
    """One check-in to one person."""

    id: int
    pair_id: int
    user_id: str
    seq: int
    answer: CheckinAnswer | None


@dataclass(frozen=True)
class MatchingInputs:
    """Everything a matching round needs for one workspace."""

    requests: tuple[MentorRequest, ...]
    mentors: tuple[MentorProfile, ...]
    excluded: frozenset[tuple[str, str]]
    load: dict[str, int]
    names: dict[str, str]


@dataclass(frozen=True)
class AcceptResult:
    """The outcome of an Accept click, with the new pair when it won."""

    outcome: AcceptOutcome
    proposal: ProposalRecord | None
    pair: PairRecord | None = None


@dataclass(frozen=True)
class MentorExit:
    """What leaving the programme undid: pairs ended and proposals withdrawn."""

    ended_pairs: tuple[PairRecord, ...]
    withdrawn: tuple[ProposalRecord, ...]


@dataclass(frozen=True)
class Withdrawal:
    """A withdrawn request and the proposal it cancelled, if one was pending."""

    request: RequestRecord
    proposal: ProposalRecord | None


class RequestAlreadyOpenError(Exception):
    """The person already has an open request."""


# Mapping ------------------------------------------------------------------------------------
def _offers(values: Iterable[str]) -> frozenset[Offer]:
    return frozenset(Offer(v) for v in values)


def _sorted_offers(offers: Iterable[Offer]) -> list[str]:
    return sorted(o.value for o in offers)


def _to_profile(row: MentorRow | Row[Any]) -> MentorProfile:
    return MentorProfile(
        user_id=row.user_id,
        topics=frozenset(row.topics),
        offers=_offers(row.offers),
        capacity=row.capacity,
        years=row.years,
        team=row.team,
        tz_name=row.tz_name,
        bio=row.bio,
        paused=row.paused,
    )


def _to_request(row: RequestRow | Row[Any]) -> MentorRequest:
    return MentorRequest(
        request_id=str(row.id),
        mentee_id=row.mentee_id,
        topics=frozenset(row.topics),
        wants=_offers(row.wants),
        years=row.years,
        goal=row.goal,
        prefers_close_tz=row.prefers_close_tz,
        outside_my_team=row.outside_my_team,
        team=row.team,
        tz_name=row.tz_name,
    )


def _to_request_record(row: RequestRow | Row[Any]) -> RequestRecord:
    return RequestRecord(
        request=_to_request(row),
        team_id=row.team_id,
        name=row.name,
        status=RequestStatus(row.status),
        created_at=row.created_at,
    )


def _to_proposal(row: ProposalRow | Row[Any]) -> ProposalRecord:
    return ProposalRecord(
        id=row.id,
        team_id=row.team_id,
        request_id=row.request_id,
        mentee_id=row.mentee_id,
        mentor_id=row.mentor_id,
        status=ProposalStatus(row.status),
        score=row.score,
        reasons=tuple(row.reasons),
        created_at=row.created_at,
        expires_at=row.expires_at,
        dm_channel=row.dm_channel,
        dm_ts=row.dm_ts,
    )


def _to_pair(row: PairRow) -> PairRecord:
    return PairRecord(
        id=row.id,
        team_id=row.team_id,
        request_id=row.request_id,
        mentor_id=row.mentor_id,
        mentee_id=row.mentee_id,
        status=PairStatus(row.status),
        started_at=row.started_at,
        ended_at=row.ended_at,
        end_reason=PairEnd(row.end_reason) if row.end_reason else None,
        intro_channel=row.intro_channel,
    )


def _to_checkin(row: CheckinRow) -> CheckinRecord:
    return CheckinRecord(
        id=row.id,
        pair_id=row.pair_id,
        user_id=row.user_id,
        seq=row.seq,
        answer=CheckinAnswer(row.answer) if row.answer else None,
    )


def _rowcount(result: Any) -> int:
    """Rows an UPDATE touched (the compare-and-set verdict)."""
    return int(cast(CursorResult[Any], result).rowcount)


# Mentors --------------------------------------------------------------------------------------
def _mentor_row(session: Session, team_id: str, user_id: str) -> MentorRow | None:
    return session.scalars(_MENTOR_ROW, {"team_id": team_id, "user_id": user_id}).one_or_none()


# Built once, like _OPEN_ROW (get_mentor reads the same row as columns: _MENTOR).
_MENTOR_ROW = select(MentorRow).where(
    MentorRow.team_id == bindparam("team_id"), MentorRow.user_id == bindparam("user_id")
)


def save_mentor(
    session: Session,
    *,
    team_id: str,
    profile: MentorProfile,
    now: datetime,
    name: str | None = None,
) -> bool:
    """Create or update a mentor's profile (re-joining after leaving); True when new."""
    row = _mentor_row(session, team_id, profile.user_id)
    if row is None:
        row = MentorRow(team_id=team_id, user_id=profile.user_id, created_at=now, name="")
        _fill_mentor(row, profile, now, name)
        try:
            with session.begin_nested():
                session.add(row)
                session.flush()
            return True
        except IntegrityError:
            # The same sign-up submitted twice at once: the other one created the row.
            row = _mentor_row(session, team_id, profile.user_id)
            assert row is not None
    _fill_mentor(row, profile, now, name)
    session.flush()
    return False


def _fill_mentor(row: MentorRow, profile: MentorProfile, now: datetime, name: str | None) -> None:
    row.topics = sorted(profile.topics)
    row.offers = _sorted_offers(profile.offers)
    row.capacity = profile.capacity
    row.years = profile.years
    row.team = profile.team
    row.bio = profile.bio
    row.tz_name = profile.tz_name
    row.paused = profile.paused
    row.left_at = None
    row.updated_at = now
    if name is not None:
        row.name = name


@dataclass(frozen=True)
class ImportCounts:
    """What an import did."""

    new: int
    updated: int
    already_paired: int = 0


def import_mentors(
    session: Session,
    *,
    team_id: str,
    mentors: Sequence[tuple[MentorProfile, str]],
    now: datetime,
) -> ImportCounts:
    """Upsert imported (profile, name) rows, keeping bio and pause; returns (new, updated)."""
    ids = [p.user_id for p, _ in mentors]
    existing = {
        row.user_id: row
        for row in session.scalars(
            select(MentorRow).where(MentorRow.team_id == team_id, MentorRow.user_id.in_(ids))
        )
    }
    new = 0
    for profile, name in mentors:
        row = existing.get(profile.user_id)
        if row is None:
            new += 1
            row = MentorRow(team_id=team_id, user_id=profile.user_id, created_at=now)
            session.add(row)
            kept = profile
        else:
            kept = MentorProfile(
                **{**_profile_fields(profile), "bio": row.bio, "paused": row.paused}
            )
        _fill_mentor(row, kept, now, name)
    session.flush()
    return ImportCounts(new, len(mentors) - new)


def _profile_fields(profile: MentorProfile) -> dict[str, Any]:
    return {
        "user_id": profile.user_id,
        "topics": profile.topics,
        "offers": profile.offers,
        "capacity": profile.capacity,
        "years": profile.years,
        "team": profile.team,
        "tz_name": profile.tz_name,
        "utc_offset_minutes": profile.utc_offset_minutes,
        "bio": profile.bio,
        "paused": profile.paused,
    }


def get_mentor(session: Session, team_id: str, user_id: str) -> MentorRecord | None:
    """The stored mentor (also one who left), or None."""
    row = session.execute(_MENTOR, {"team_id": team_id, "user_id": user_id}).one_or_none()
    if row is None:
        return None
    return MentorRecord(profile=_to_profile(row), name=row.name, left=row.left_at is not None)


def set_mentor_paused(
    session: Session, team_id: str, user_id: str, *, paused: bool, now: datetime
) -> bool:
    """Pause or resume a mentor in the programme; False when they are not one."""
    result = session.execute(
        update(MentorRow)
        .where(
            MentorRow.team_id == team_id,
            MentorRow.user_id == user_id,
            MentorRow.left_at.is_(None),
        )
        .values(paused=paused, updated_at=now)
    )
    return _rowcount(result) == 1


def leave_programme(
    session: Session, team_id: str, user_id: str, now: datetime
) -> MentorExit | None:
    """Take a mentor out: end their pairs, withdraw what they were asked; None if not a mentor."""
    result = session.execute(
        update(MentorRow)
        .where(
            MentorRow.team_id == team_id,
            MentorRow.user_id == user_id,
            MentorRow.left_at.is_(None),
        )
        .values(left_at=now, updated_at=now)
    )
    if _rowcount(result) != 1:
        return None
    pairs = session.scalars(
        select(PairRow).where(
            PairRow.team_id == team_id,
            PairRow.mentor_id == user_id,
            PairRow.status == PairStatus.ACTIVE.value,
        )
    ).all()
    ended = [p for row in pairs if (p := end_pair(session, row.id, None, now, PairEnd.MENTOR_LEFT))]
    return MentorExit(
        tuple(ended), tuple(withdraw_pending_for_mentor(session, team_id, user_id, now))
    )


def withdraw_pending_for_mentor(
    session: Session, team_id: str, mentor_id: str, now: datetime
) -> list[ProposalRecord]:
    """Withdraw every proposal waiting on this mentor (they left or cannot be reached)."""
    rows = session.scalars(
        select(ProposalRow).where(
            ProposalRow.team_id == team_id,
            ProposalRow.mentor_id == mentor_id,
            ProposalRow.status == ProposalStatus.PENDING.value,
        )
    ).all()
    won = [row.id for row in rows if _move_proposal(session, row.id, ProposalStatus.WITHDRAWN, now)]
    return [_to_proposal(r) for r in _proposals_by_id(session, won)]


def programme_mentors(session: Session, team_id: str) -> list[MentorProfile]:
    """Every mentor still in the programme (paused ones too: matching sees their capacity 0)."""
    rows = session.execute(_PROGRAMME_MENTORS, {"team_id": team_id})
    return [_to_profile(r) for r in rows]


# The read-only paths of the request modal, the instant match, `/coach-or-mentor mentor` and the
# home tab read rows as columns with prebuilt Core statements instead of loading ORM objects into
# the session (their callers have nothing unflushed to see: each is the first read of its
# transaction or follows a flush).
MENTOR_TABLE = cast(Table, MentorRow.__table__)
REQUEST_TABLE = cast(Table, RequestRow.__table__)
PROPOSAL_TABLE = cast(Table, ProposalRow.__table__)
PAIR_TABLE = cast(Table, PairRow.__table__)
_MENTORS = MENTOR_TABLE.c
_REQUESTS = REQUEST_TABLE.c
_PROPOSALS = PROPOSAL_TABLE.c
_PROGRAMME_MENTORS = (
    select(MENTOR_TABLE)
    .where(_MENTORS.team_id == bindparam("team_id"), _MENTORS.left_at.is_(None))
    .order_by(_MENTORS.user_id)
)
# A person's open request, and a request's proposal waiting on a mentor: read as columns here,
# as ORM rows (to change them) by _OPEN_ROW and _PENDING_ROW.
_IS_OPEN_REQUEST = (
    _REQUESTS.team_id == bindparam("team_id"),
    _REQUESTS.mentee_id == bindparam("mentee_id"),
    _REQUESTS.status == RequestStatus.OPEN.value,
)
_IS_PENDING_PROPOSAL = (
    _PROPOSALS.request_id == bindparam("request_id"),
    _PROPOSALS.status == ProposalStatus.PENDING.value,
)
_OPEN_REQUEST = select(REQUEST_TABLE).where(*_IS_OPEN_REQUEST)
_REQUEST_BY_ID = select(REQUEST_TABLE).where(_REQUESTS.id == bindparam("request_id"))
_MENTOR = select(MENTOR_TABLE).where(
    _MENTORS.team_id == bindparam("team_id"), _MENTORS.user_id == bindparam("user_id")
)
_PENDING_PROPOSAL = select(PROPOSAL_TABLE).where(*_IS_PENDING_PROPOSAL)


# Requests -------------------------------------------------------------------------------------
def _open_row(session: Session, team_id: str, mentee_id: str) -> RequestRow | None:
    return session.scalars(_OPEN_ROW, {"team_id": team_id, "mentee_id": mentee_id}).one_or_none()


# The statements of the request paths are built once (building one and its cache key on every
# execution cost about as much CPU as running it; see storage/goals.py).
_OPEN_ROW = select(RequestRow).where(*_IS_OPEN_REQUEST)


def _fill_request(row: RequestRow, request: MentorRequest, now: datetime) -> None:
    for column, value in _request_values(request, now).items():
        setattr(row, column, value)


def open_request(
    session: Session, *, team_id: str, request: MentorRequest, now: datetime, name: str = ""
) -> RequestRecord:
    """Store a new open request; raise RequestAlreadyOpenError when the person has one."""
    if _open_row(session, team_id, request.mentee_id) is not None:
        raise RequestAlreadyOpenError(request.mentee_id)
    row = RequestRow(
        team_id=team_id,
        mentee_id=request.mentee_id,
        name=name,
        status=RequestStatus.OPEN.value,
        created_at=now,
    )
    _fill_request(row, request, now)
    try:
        with session.begin_nested():
            session.add(row)
            session.flush()
    except IntegrityError:
        # Another submission won the race for the one open request.
        raise RequestAlreadyOpenError(request.mentee_id) from None
    return _to_request_record(row)


def save_open_request(
    session: Session, *, team_id: str, request: MentorRequest, now: datetime
) -> tuple[RequestRecord, bool]:
    """Store the person's one open request: a new one, or their open one edited in place.
    Returns it and whether it is new.

    In Core, one statement for a new request: an INSERT that does nothing when the person has an
    open request (the one-open-request index), then the UPDATE of that one. A request another
    transaction inserts at the same moment is waited for (PostgreSQL; SQLite has one writer) and
    then updated.
    """
    values = _request_values(request, now)
    row = session.execute(
        _INSERT_OPEN_REQUEST,
        {
            **values,
            "team_id": team_id,
            "mentee_id": request.mentee_id,
            "name": "",
            "status": RequestStatus.OPEN.value,
            "created_at": now,
        },
    ).one_or_none()
    if row is not None:
        return _to_request_record(row), True
    params = {f"new_{key}": value for key, value in values.items()}
    row = session.execute(
        _UPDATE_OPEN_REQUEST, {**params, "who_team": team_id, "who_mentee": request.mentee_id}
    ).one()
    return _to_request_record(row), False


# The columns a request form sets (and its time of change).
_FORM_COLUMNS = (
    "topics",
    "wants",
    "goal",
    "years",
    "team",
    "tz_name",
    "prefers_close_tz",
    "outside_my_team",
    "updated_at",
)


def _request_values(request: MentorRequest, now: datetime) -> dict[str, Any]:
    """The values of a request form's columns (_FORM_COLUMNS, in that order)."""
    return {
        "topics": sorted(request.topics),
        "wants": _sorted_offers(request.wants),
        "goal": request.goal,
        "years": request.years,
        "team": request.team,
        "tz_name": request.tz_name,
        "prefers_close_tz": request.prefers_close_tz,
        "outside_my_team": request.outside_my_team,
        "updated_at": now,
    }


# Written out, like storage/people.py's upsert: SQLAlchemy compiles its INSERT ... ON CONFLICT
# constructs anew on every execution; this text is compiled once and runs on PostgreSQL and
# SQLite. The conflict target is the one-open-request index, named by its columns and predicate.
_NEW_REQUEST_COLUMNS = [c.name for c in REQUEST_TABLE.c if c.name not in {"id", "closed_at"}]
_INSERT_OPEN_REQUEST = (
    text(
        # names from the table's definition, never user input: nothing to inject
        f"INSERT INTO {REQUEST_TABLE.name} ({', '.join(_NEW_REQUEST_COLUMNS)})"  # noqa: S608
        f" VALUES ({', '.join(':' + name for name in _NEW_REQUEST_COLUMNS)})"
        " ON CONFLICT (team_id, mentee_id) WHERE status = 'open' DO NOTHING"
        f" RETURNING {', '.join(c.name for c in REQUEST_TABLE.c)}"
    )
    .bindparams(
        *(
            bindparam(name, type_=_REQUESTS[name].type)
            for name in (
                "topics",
                "wants",
                "prefers_close_tz",
                "outside_my_team",
                "created_at",
                "updated_at",
            )
        )
    )
    .columns(*REQUEST_TABLE.c)  # RETURNING lists every column, in the table's order
)
# No parameter is named as a column (an UPDATE takes such parameters for its SET clause): the SET
# values are new_<column>, the person who_team / who_mentee.
_UPDATE_OPEN_REQUEST = (
    REQUEST_TABLE.update()
    .where(
        _REQUESTS.team_id == bindparam("who_team"),
        _REQUESTS.mentee_id == bindparam("who_mentee"),
        _REQUESTS.status == RequestStatus.OPEN.value,
    )
    .values({name: bindparam(f"new_{name}") for name in _FORM_COLUMNS})
    .returning(*REQUEST_TABLE.c)
)


def import_requests(
    session: Session,
    *,
    team_id: str,
    requests: Sequence[tuple[MentorRequest, str]],
    now: datetime,
) -> ImportCounts:
    """Open or refresh one request per imported (request, name); someone already in an active
    pair is left alone, so importing the same sheet twice changes nothing."""
    ids = [r.mentee_id for r, _ in requests]
    existing = {
        row.mentee_id: row
        for row in session.scalars(
            select(RequestRow).where(
                RequestRow.team_id == team_id,
                RequestRow.mentee_id.in_(ids),
                RequestRow.status == RequestStatus.OPEN.value,
            )
        )
    }
    paired = set(
        session.scalars(
            select(PairRow.mentee_id).where(
                PairRow.team_id == team_id,
                PairRow.mentee_id.in_(ids),
                PairRow.status == PairStatus.ACTIVE.value,
            )
        )
    )
    new = updated = 0
    for request, name in requests:
        row = existing.get(request.mentee_id)
        if row is None and request.mentee_id in paired:
            continue
        if row is None:
            new += 1
            row = RequestRow(
                team_id=team_id,
                mentee_id=request.mentee_id,
                status=RequestStatus.OPEN.value,
                created_at=now,
                goal=request.goal,
            )
            session.add(row)
        else:
            updated += 1
        goal = request.goal or row.goal or ""
        _fill_request(row, request, now)
        row.goal = goal
        row.name = name
    session.flush()
    return ImportCounts(new, updated, len(requests) - new - updated)


def get_open_request(session: Session, team_id: str, mentee_id: str) -> RequestRecord | None:
    """The person's open request, or None."""
    row = session.execute(_OPEN_REQUEST, {"team_id": team_id, "mentee_id": mentee_id}).one_or_none()
    return _to_request_record(row) if row else None


def latest_request(session: Session, team_id: str, mentee_id: str) -> RequestRecord | None:
    """The person's most recent request in any state (to prefill a new one)."""
    row = session.scalars(
        select(RequestRow)
        .where(RequestRow.team_id == team_id, RequestRow.mentee_id == mentee_id)
        .order_by(RequestRow.created_at.desc(), RequestRow.id.desc())
        .limit(1)
    ).one_or_none()
    return _to_request_record(row) if row else None


def get_request(session: Session, request_id: int) -> RequestRecord | None:
    """A request by id, or None."""
    row = session.execute(_REQUEST_BY_ID, {"request_id": request_id}).one_or_none()
    return _to_request_record(row) if row else None


def withdraw_request(
    session: Session, team_id: str, mentee_id: str, now: datetime
) -> Withdrawal | None:
    """Withdraw the person's open request and any pending proposal; None when none is open."""
    row = _open_row(session, team_id, mentee_id)
    if row is None or not _move_request(session, row.id, RequestStatus.WITHDRAWN, now):
        return None
    pending = _pending_row(session, row.id)
    proposal = None
    if pending and _move_proposal(session, pending.id, ProposalStatus.WITHDRAWN, now):
        proposal = _to_proposal(pending)
    session.refresh(row)
    return Withdrawal(_to_request_record(row), proposal)


def close_request(session: Session, request_id: int, now: datetime) -> bool:
    """Close an open request that can no longer be served (the person is gone)."""
    if not _move_request(session, request_id, RequestStatus.CLOSED, now):
        return False
    pending = _pending_row(session, request_id)
    if pending:
        _move_proposal(session, pending.id, ProposalStatus.WITHDRAWN, now)
    return True


def _move_request(session: Session, request_id: int, to: RequestStatus, now: datetime) -> bool:
    """Compare-and-set an open request to a final state."""
    result = session.execute(
        update(RequestRow)
        .where(RequestRow.id == request_id, RequestRow.status == RequestStatus.OPEN.value)
        .values(status=to.value, updated_at=now, closed_at=now)
        .execution_options(synchronize_session=False)
    )
    return _rowcount(result) == 1


# Matching inputs ------------------------------------------------------------------------------
def requests_to_match(session: Session, team_id: str) -> list[MentorRequest]:
    """Open requests with no proposal waiting on a mentor."""
    pending = select(ProposalRow.request_id).where(
        ProposalRow.status == ProposalStatus.PENDING.value
    )
    rows = session.scalars(
        select(RequestRow)
        .where(
            RequestRow.team_id == team_id,
            RequestRow.status == RequestStatus.OPEN.value,
            RequestRow.id.not_in(pending),
        )
        .order_by(RequestRow.mentee_id)
    )
    return [_to_request(r) for r in rows]


def excluded_pairs(
    session: Session, team_id: str, *, include_asked: bool = True
) -> frozenset[tuple[str, str]]:
    """(mentor, mentee) pairs never to propose again: paired before, or (with `include_asked`)
    asked before and not withdrawn (pending, declined, expired)."""
    paired = select(PairRow.mentor_id, PairRow.mentee_id).where(PairRow.team_id == team_id)
    asked = select(ProposalRow.mentor_id, ProposalRow.mentee_id).where(
        ProposalRow.team_id == team_id,
        ProposalRow.status != ProposalStatus.WITHDRAWN.value,
    )
    rows = session.execute(union(paired, asked) if include_asked else paired)
    return frozenset((str(m), str(e)) for m, e in rows)


def mentor_load(session: Session, team_id: str) -> dict[str, int]:
    """Per mentor: active mentees plus proposals waiting on them."""
    load: Counter[str] = Counter()
    pairs = session.execute(
        select(PairRow.mentor_id, func.count())
        .where(PairRow.team_id == team_id, PairRow.status == PairStatus.ACTIVE.value)
        .group_by(PairRow.mentor_id)
    )
    pending = session.execute(
        select(ProposalRow.mentor_id, func.count())
        .where(
            ProposalRow.team_id == team_id,
            ProposalRow.status == ProposalStatus.PENDING.value,
        )
        .group_by(ProposalRow.mentor_id)
    )
    for mentor_id, count in (*pairs, *pending):
        load[str(mentor_id)] += int(count)
    return dict(load)


def asked_mentors(session: Session, request_id: int) -> frozenset[str]:
    """Every mentor already asked for this request."""
    rows = session.scalars(
        select(ProposalRow.mentor_id).where(ProposalRow.request_id == request_id)
    )
    return frozenset(rows)


def matching_inputs(session: Session, team_id: str) -> MatchingInputs:
    """Open requests, mentors, exclusions, load and names for one workspace."""
    names = {
        str(u): str(n)
        for u, n in session.execute(
            select(MentorRow.user_id, MentorRow.name).where(MentorRow.team_id == team_id)
        )
        if n
    }
    names.update(
        (str(u), str(n))
        for u, n in session.execute(
            select(RequestRow.mentee_id, RequestRow.name).where(
                RequestRow.team_id == team_id, RequestRow.status == RequestStatus.OPEN.value
            )
        )
        if n
    )
    return MatchingInputs(
        requests=tuple(requests_to_match(session, team_id)),
        mentors=tuple(programme_mentors(session, team_id)),
        excluded=excluded_pairs(session, team_id),
        load=mentor_load(session, team_id),
        names=names,
    )


def teams_with_open_requests(session: Session) -> list[str]:
    """Workspaces that have requests waiting for a mentor."""
    rows = session.scalars(
        select(RequestRow.team_id)
        .where(RequestRow.status == RequestStatus.OPEN.value)
        .distinct()
        .order_by(RequestRow.team_id)
    )
    return list(rows)


def known_teams(session: Session) -> list[str]:
    """Every workspace the database has heard of."""
    query = union(select(PersonRow.team_id), select(MentorRow.team_id), select(RequestRow.team_id))
    return sorted({str(t) for t in session.scalars(query) if t})


# Proposals ------------------------------------------------------------------------------------
def _pending_row(session: Session, request_id: int) -> ProposalRow | None:
    return session.scalars(_PENDING_ROW, {"request_id": request_id}).one_or_none()


_PENDING_ROW = select(ProposalRow).where(*_IS_PENDING_PROPOSAL)


def _proposals_by_id(session: Session, ids: Sequence[int]) -> list[ProposalRow]:
    if not ids:
        return []
    query = select(ProposalRow).where(ProposalRow.id.in_(ids)).order_by(ProposalRow.id)
    return list(session.scalars(query.execution_options(populate_existing=True)))


def create_proposal(
    session: Session, *, team_id: str, proposal: Proposal, now: datetime, expires_at: datetime
) -> ProposalRecord | None:
    """Store a pending proposal; None when the request is not open, or already has one waiting,
    or this mentor was asked for it before."""
    request_id = int(proposal.request_id)
    row_request = session.get(RequestRow, request_id, populate_existing=True)
    if row_request is None or row_request.status != RequestStatus.OPEN.value:
        return None
    row = ProposalRow(
        team_id=team_id,
        request_id=request_id,
        mentee_id=proposal.mentee_id,
        mentor_id=proposal.mentor_id,
        status=ProposalStatus.PENDING.value,
        score=proposal.score,
        reasons=list(proposal.reasons),
        created_at=now,
        expires_at=expires_at,
    )
    try:
        with session.begin_nested():
            session.add(row)
            session.flush()
    except IntegrityError:
        return None
    return _to_proposal(row)


def record_proposal_dm(session: Session, proposal_id: int, channel: str, ts: str) -> None:
    """Remember where the mentor's DM about a proposal went."""
    session.execute(
        update(ProposalRow)
        .where(ProposalRow.id == proposal_id)
        .values(dm_channel=channel, dm_ts=ts)
    )


def get_proposal(session: Session, proposal_id: int) -> ProposalRecord | None:
    """A proposal by id, or None."""
    row = session.get(ProposalRow, proposal_id, populate_existing=True)
    return _to_proposal(row) if row else None


def pending_proposal(session: Session, request_id: int) -> ProposalRecord | None:
    """The proposal waiting on a mentor for this request, or None."""
    row = session.execute(_PENDING_PROPOSAL, {"request_id": request_id}).one_or_none()
    return _to_proposal(row) if row else None


def _move_proposal(
    session: Session,
    proposal_id: int,
    to: ProposalStatus,
    now: datetime,
    *,
    mentor_id: str | None = None,
    not_expired: bool = False,
    reason: str | None = None,
) -> bool:
    """Compare-and-set a pending proposal to `to`; True for the one caller that wins."""
    query = update(ProposalRow).where(
        ProposalRow.id == proposal_id, ProposalRow.status == ProposalStatus.PENDING.value
    )
    if mentor_id is not None:
        query = query.where(ProposalRow.mentor_id == mentor_id)
    if not_expired:
        query = query.where(ProposalRow.expires_at > now)
    values: dict[str, Any] = {"status": to.value, "decided_at": now}
    if reason is not None:
        values["decline_reason"] = reason
    result = session.execute(query.values(**values).execution_options(synchronize_session=False))
    return _rowcount(result) == 1


def withdraw_proposal(session: Session, proposal_id: int, now: datetime) -> bool:
    """Withdraw a pending proposal (the mentor could not be asked); True when it was pending."""
    return _move_proposal(session, proposal_id, ProposalStatus.WITHDRAWN, now)


def _lost(session: Session, proposal_id: int, user_id: str, now: datetime) -> AcceptResult:
    """Explain why a decision on a proposal did not take."""
    row = session.get(ProposalRow, proposal_id, populate_existing=True)
    if row is None:
        return AcceptResult(AcceptOutcome.NOT_FOUND, None)
    record = _to_proposal(row)
    if row.mentor_id != user_id:
        return AcceptResult(AcceptOutcome.NOT_YOURS, record)
    return AcceptResult(outcome_for(record.status, expired=record.expires_at <= now), record)


def accept_proposal(
    session: Session, proposal_id: int, mentor_id: str, now: datetime, *, checkin_every_days: int
) -> AcceptResult:
    """The mentor says yes: only the first, in-time click creates the pair."""
    if not _move_proposal(
        session, proposal_id, ProposalStatus.ACCEPTED, now, mentor_id=mentor_id, not_expired=True
    ):
        return _lost(session, proposal_id, mentor_id, now)
    row = session.get(ProposalRow, proposal_id, populate_existing=True)
    assert row is not None
    _move_request(session, row.request_id, RequestStatus.MATCHED, now)
    pair = PairRow(
        team_id=row.team_id,
        request_id=row.request_id,
        proposal_id=row.id,
        mentor_id=row.mentor_id,
        mentee_id=row.mentee_id,
        status=PairStatus.ACTIVE.value,
        started_at=now,
        next_checkin_at=next_checkin(now, checkin_every_days),
        checkins_sent=0,
    )
    session.add(pair)
    session.flush()
    return AcceptResult(AcceptOutcome.ACCEPTED, _to_proposal(row), _to_pair(pair))


def decline_proposal(
    session: Session, proposal_id: int, mentor_id: str, now: datetime, *, reason: str = ""
) -> AcceptResult:
    """The mentor says no (the reason stays with admins); outcome DECLINED when it took."""
    if not _move_proposal(
        session,
        proposal_id,
        ProposalStatus.DECLINED,
        now,
        mentor_id=mentor_id,
        reason=reason.strip() or None,
    ):
        return _lost(session, proposal_id, mentor_id, now)
    row = session.get(ProposalRow, proposal_id, populate_existing=True)
    assert row is not None
    return AcceptResult(AcceptOutcome.DECLINED, _to_proposal(row))


def expire_due_proposals(
    session: Session, now: datetime, *, limit: int = 200
) -> list[ProposalRecord]:
    """Expire proposals whose time ran out; each is returned to exactly one worker."""
    due = session.scalars(
        select(ProposalRow.id)
        .where(
            ProposalRow.status == ProposalStatus.PENDING.value,
            ProposalRow.expires_at <= now,
        )
        .order_by(ProposalRow.expires_at, ProposalRow.id)
        .limit(limit)
    ).all()
    won = [pid for pid in due if _move_proposal(session, pid, ProposalStatus.EXPIRED, now)]
    return [_to_proposal(r) for r in _proposals_by_id(session, won)]


# Pairs ----------------------------------------------------------------------------------------
def get_pair(session: Session, pair_id: int) -> PairRecord | None:
    """A pair by id, or None."""
    row = session.get(PairRow, pair_id, populate_existing=True)
    return _to_pair(row) if row else None


def set_intro_channel(session: Session, pair_id: int, channel: str) -> None:
    """Remember the group DM that introduced the pair."""
    session.execute(update(PairRow).where(PairRow.id == pair_id).values(intro_channel=channel))


def end_pair(
    session: Session,
    pair_id: int,
    by_user: str | None,
    now: datetime,
    reason: PairEnd = PairEnd.BY_MEMBER,
) -> PairRecord | None:
    """End an active pair; None when it was not active (or `by_user` is not in it)."""
    query = update(PairRow).where(PairRow.id == pair_id, PairRow.status == PairStatus.ACTIVE.value)
    if by_user is not None:
        query = query.where((PairRow.mentor_id == by_user) | (PairRow.mentee_id == by_user))
    result = session.execute(
        query.values(
            status=PairStatus.ENDED.value,
            ended_at=now,
            ended_by=by_user,
            end_reason=reason.value,
            next_checkin_at=None,
        ).execution_options(synchronize_session=False)
    )
    if _rowcount(result) != 1:
        return None
    row = session.get(PairRow, pair_id, populate_existing=True)
    assert row is not None
    return _to_pair(row)


def pairs_of(
    session: Session, team_id: str, user_id: str, *, active_only: bool = True
) -> list[PairRecord]:
    """The person's pairs, as mentor or mentee, oldest first."""
    query = select(PairRow).where(
        PairRow.team_id == team_id,
        (PairRow.mentor_id == user_id) | (PairRow.mentee_id == user_id),
    )
    if active_only:
        query = query.where(PairRow.status == PairStatus.ACTIVE.value)
    return [_to_pair(r) for r in session.scalars(query.order_by(PairRow.started_at, PairRow.id))]


# Check-ins ------------------------------------------------------------------------------------
def schedule_due_checkins(
    session: Session, now: datetime, *, every_days: int, limit: int = 200
) -> int:
    """Create the month's check-in rows for active pairs that are due; returns how many pairs."""
    due = session.execute(
        select(PairRow.id, PairRow.next_checkin_at, PairRow.mentor_id, PairRow.mentee_id)
        .where(PairRow.status == PairStatus.ACTIVE.value, PairRow.next_checkin_at <= now)
        .order_by(PairRow.next_checkin_at, PairRow.id)
        .limit(limit)
    ).all()
    scheduled = 0
    for pair_id, due_at, mentor_id, mentee_id in due:
        result = session.execute(
            update(PairRow)
            .where(
                PairRow.id == pair_id,
                PairRow.status == PairStatus.ACTIVE.value,
                PairRow.next_checkin_at == due_at,
            )
            .values(
                next_checkin_at=_next_after(due_at, now, every_days),
                checkins_sent=PairRow.checkins_sent + 1,
            )
            .returning(PairRow.checkins_sent)
            .execution_options(synchronize_session=False)
        )
        seq = result.scalar_one_or_none()
        if seq is None:
            continue
        for user_id in (mentor_id, mentee_id):
            session.add(CheckinRow(pair_id=pair_id, user_id=user_id, seq=seq, due_at=now))
        scheduled += 1
    session.flush()
    return scheduled


def _next_after(due_at: datetime, now: datetime, every_days: int) -> datetime:
    """The next due time after `now` on the pair's own rhythm (skips months missed while down)."""
    following = next_checkin(due_at, every_days)
    while following <= now:
        following = next_checkin(following, every_days)
    return following


def claim_checkins(
    session: Session, now: datetime, *, lease: timedelta, limit: int = 200
) -> list[CheckinRecord]:
    """Claim undelivered check-ins (new ones, or a crashed worker's after its lease)."""
    free = (CheckinRow.claimed_until.is_(None)) | (CheckinRow.claimed_until <= now)
    ids = session.scalars(
        select(CheckinRow.id)
        .where(CheckinRow.delivered_at.is_(None), free)
        .order_by(CheckinRow.id)
        .limit(limit)
    ).all()
    won: list[int] = []
    for checkin_id in ids:
        result = session.execute(
            update(CheckinRow)
            .where(CheckinRow.id == checkin_id, CheckinRow.delivered_at.is_(None), free)
            .values(claimed_until=now + lease)
            .execution_options(synchronize_session=False)
        )
        if _rowcount(result) == 1:
            won.append(checkin_id)
    if not won:
        return []
    rows = session.scalars(select(CheckinRow).where(CheckinRow.id.in_(won)).order_by(CheckinRow.id))
    return [_to_checkin(r) for r in rows]


def mark_checkin_delivered(
    session: Session, checkin_id: int, now: datetime, *, error: str | None = None
) -> None:
    """The DM went out (or can never go out: `error` says why)."""
    session.execute(
        update(CheckinRow)
        .where(CheckinRow.id == checkin_id)
        .values(delivered_at=now, delivery_error=error, claimed_until=None)
    )


def record_checkin_answer(
    session: Session, checkin_id: int, user_id: str, answer: CheckinAnswer, now: datetime
) -> CheckinRecord | None:
    """Store (or change) a person's answer to their own check-in; None when it is not theirs."""
    result = session.execute(
        update(CheckinRow)
        .where(CheckinRow.id == checkin_id, CheckinRow.user_id == user_id)
        .values(answer=answer.value, answered_at=now)
        .execution_options(synchronize_session=False)
    )
    if _rowcount(result) != 1:
        return None
    row = session.get(CheckinRow, checkin_id, populate_existing=True)
    assert row is not None
    return _to_checkin(row)


def checkin_answers(session: Session, pair_id: int) -> list[CheckinRecord]:
    """Every check-in of a pair, in order."""
    rows = session.scalars(
        select(CheckinRow)
        .where(CheckinRow.pair_id == pair_id)
        .order_by(CheckinRow.seq, CheckinRow.user_id)
    )
    return [_to_checkin(r) for r in rows]


# Forgetting a person --------------------------------------------------------------------------
@dataclass(frozen=True)
class MentoringForgotten:
    """What forgetting a person removed from mentoring, and who must hear about it."""

    partners: tuple[tuple[str, bool], ...]
    """(other member, True when the forgotten person was their mentor) of each active pair."""
    tidy: tuple[ProposalRecord, ...]
    """Pending proposals about the forgotten mentee: the mentors' DMs lose their buttons."""
    reopened: tuple[int, ...]
    """Open requests whose pending proposal to the forgotten mentor went: ask someone else."""
    deleted: dict[str, int]


def forget_person(session: Session, team_id: str, user_id: str) -> MentoringForgotten:
    """Delete the person's profile, requests, proposals, pairs and check-ins (theirs and the
    other member's for those pairs); pairs still active are reported so the other side is told."""
    mine = (PairRow.mentor_id == user_id) | (PairRow.mentee_id == user_id)
    pairs = session.scalars(select(PairRow).where(PairRow.team_id == team_id, mine)).all()
    partners = tuple(
        (row.mentee_id if row.mentor_id == user_id else row.mentor_id, row.mentor_id == user_id)
        for row in pairs
        if row.status == PairStatus.ACTIVE.value
    )
    asked = (ProposalRow.mentor_id == user_id) | (ProposalRow.mentee_id == user_id)
    proposals = session.scalars(select(ProposalRow).where(ProposalRow.team_id == team_id, asked))
    pending = [p for p in proposals if p.status == ProposalStatus.PENDING.value]
    tidy = tuple(_to_proposal(p) for p in pending if p.mentee_id == user_id)
    reopened = tuple(p.request_id for p in pending if p.mentor_id == user_id)
    pair_ids = [row.id for row in pairs]
    deleted = {
        "mentoring_checkins": _delete(session, CheckinRow, CheckinRow.pair_id.in_(pair_ids)),
        "mentoring_pairs": _delete(session, PairRow, PairRow.id.in_(pair_ids)),
        "mentoring_proposals": _delete(
            session, ProposalRow, (ProposalRow.team_id == team_id) & asked
        ),
        "mentee_requests": _delete(
            session,
            RequestRow,
            (RequestRow.team_id == team_id) & (RequestRow.mentee_id == user_id),
        ),
        "mentor_profiles": _delete(
            session, MentorRow, (MentorRow.team_id == team_id) & (MentorRow.user_id == user_id)
        ),
    }
    return MentoringForgotten(partners, tidy, reopened, deleted)


def _delete(session: Session, model: type[Base], where: Any) -> int:
    """Delete the rows that match; returns how many went."""
    result = session.execute(
        delete(model).where(where).execution_options(synchronize_session=False)
    )
    return _rowcount(result)
