"""Programme-wide state: settings admins change at run time, and counts kept after forget-me."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Date, String, UniqueConstraint, delete, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Mapped, Session, mapped_column

from bot.programme import Amount, Metric
from storage.base import Base
from storage.types import UTCDateTime


class AppSettingRow(Base):
    """One setting an admin changed in Slack (it overrides the environment's value)."""

    __tablename__ = "app_settings"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[Any] = mapped_column(JSON)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_by: Mapped[str | None] = mapped_column(String(32))


class AggregateCounterRow(Base):
    """A weekly count kept for people who asked to be forgotten (their rows are gone)."""

    __tablename__ = "aggregate_counters"
    __table_args__ = (UniqueConstraint("team_id", "week", "metric"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    team_id: Mapped[str] = mapped_column(String(32))
    week: Mapped[date] = mapped_column(Date)
    metric: Mapped[str] = mapped_column(String(32))
    value: Mapped[int] = mapped_column(BigInteger)


# settings --------------------------------------------------------------------------------------
def all_settings(session: Session) -> dict[str, Any]:
    """Every stored override by key (a handful of rows)."""
    return {row.key: row.value for row in session.scalars(select(AppSettingRow))}


def put_setting(session: Session, key: str, value: Any, *, now: datetime, by: str) -> None:
    """Store (or replace) an override."""
    row = session.get(AppSettingRow, key)
    if row is None:
        session.add(AppSettingRow(key=key, value=value, updated_at=now, updated_by=by))
    else:
        row.value, row.updated_at, row.updated_by = value, now, by
    session.flush()


def drop_setting(session: Session, key: str) -> bool:
    """Remove an override (the environment's value applies again); True when one was stored."""
    gone = session.execute(
        delete(AppSettingRow).where(AppSettingRow.key == key).returning(AppSettingRow.key)
    )
    return gone.first() is not None


def forget_editor(session: Session, user_id: str) -> int:
    """Keep the settings a forgotten admin wrote, without their name."""
    result = session.execute(
        update(AppSettingRow).where(AppSettingRow.updated_by == user_id).values(updated_by=None)
    )
    return int(getattr(result, "rowcount", 0) or 0)


# counters --------------------------------------------------------------------------------------
def add_counts(session: Session, team_id: str, amounts: Iterable[Amount]) -> None:
    """Add weekly amounts to the stored counters (one upsert per (week, metric))."""
    summed: dict[tuple[date, str], int] = {}
    for metric, week, amount in amounts:
        if amount:
            summed[(week, metric.value)] = summed.get((week, metric.value), 0) + amount
    if not summed:
        return
    rows = [
        {"team_id": team_id, "week": week, "metric": metric, "value": value}
        for (week, metric), value in sorted(summed.items())
    ]
    dialect = session.get_bind().dialect.name
    insert = (postgresql.insert if dialect == "postgresql" else sqlite.insert)(AggregateCounterRow)
    session.execute(
        insert.on_conflict_do_update(
            index_elements=["team_id", "week", "metric"],
            set_={"value": AggregateCounterRow.value + insert.excluded.value},
        ),
        rows,
    )


def stored_counts(session: Session, team_id: str, since: date) -> list[Amount]:
    """Stored counters from the week `since` on."""
    rows = session.execute(
        select(
            AggregateCounterRow.metric, AggregateCounterRow.week, AggregateCounterRow.value
        ).where(AggregateCounterRow.team_id == team_id, AggregateCounterRow.week >= since)
    )
    return [(Metric(metric), week, int(value)) for metric, week, value in rows if metric in _KNOWN]


_KNOWN = frozenset(m.value for m in Metric)
