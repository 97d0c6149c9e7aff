"""Events API deliveries seen, so a retried event is handled once across replicas."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import Connection, String, bindparam, delete, select, text, update
from sqlalchemy.orm import Mapped, Session, mapped_column

from storage.base import Base
from storage.types import UTCDateTime


class SlackEventRow(Base):
    """One Events API envelope and when a replica last took it on."""

    __tablename__ = "slack_events"

    event_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    team_id: Mapped[str] = mapped_column(String(32))
    claimed_at: Mapped[datetime] = mapped_column(UTCDateTime())


# Written out: SQLAlchemy compiles its INSERT ... ON CONFLICT constructs anew on every execution
# (the dialects' Insert is not cacheable), which cost ~2 ms of CPU a request; this text is
# compiled once. The same SQL runs on PostgreSQL and SQLite.
_CLAIM = text(
    "INSERT INTO slack_events (event_id, team_id, claimed_at)"
    " VALUES (:event_id, :team_id, :claimed_at)"
    " ON CONFLICT (event_id) DO NOTHING RETURNING event_id"
).bindparams(bindparam("claimed_at", type_=UTCDateTime()))


def claim_event(
    session: Session | Connection,
    *,
    event_id: str,
    team_id: str,
    now: datetime,
    in_flight: timedelta,
) -> bool:
    """True when this delivery should be handled: the first arrival, or a later retry.

    A retry inside `in_flight` is a duplicate of a delivery still being handled. A retry after it
    means Slack never got our answer (the replica may have died before replying), so it is taken
    over, once. The cost: a delivery that was handled but whose answer was lost on the way back is
    handled again when Slack's next retry comes; we prefer that to losing the only copy.

    `session`: an ORM session or a plain connection, in the caller's transaction (a connection
    costs less when the claim is all the transaction does).
    """
    values = {"event_id": event_id, "team_id": team_id, "claimed_at": now}
    inserted = session.execute(_CLAIM, values).scalar_one_or_none()
    if inserted is not None:
        return True
    claimed_at = session.execute(
        select(SlackEventRow.claimed_at).where(SlackEventRow.event_id == event_id)
    ).scalar_one()
    if claimed_at > now - in_flight:
        return False
    taken = session.execute(
        update(SlackEventRow)
        .where(SlackEventRow.event_id == event_id, SlackEventRow.claimed_at == claimed_at)
        .values(claimed_at=now)
        .returning(SlackEventRow.event_id)
    ).scalar_one_or_none()
    return taken is not None


def forget_events_before(session: Session, cutoff: datetime) -> int:
    """Drop bookkeeping older than Slack's retry horizon; returns how many rows went."""
    gone = session.scalars(
        delete(SlackEventRow)
        .where(SlackEventRow.claimed_at < cutoff)
        .returning(SlackEventRow.event_id)
    ).all()
    return len(gone)
