"""Per-workspace send pacing shared by every process: one row per workspace holding its GCRA
arrival time (see bot/pacing.py).

A reservation is one atomic `UPDATE ... RETURNING` (row-locked on PostgreSQL; on SQLite the
engine's BEGIN IMMEDIATE serialises writers), so processes never hand out the same slot. On
PostgreSQL the time is the database server's (`statement_timestamp()`), so replicas on hosts whose
clocks disagree still share one timeline; SQLite lives on one host, whose clock the caller
passes in as `now`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import Double, String, Table, cast, func, literal, update
from sqlalchemy.orm import Mapped, Session, mapped_column

from bot.pacing import Pace
from storage.base import Base
from storage.goals import dialect_insert


class SendPacingRow(Base):
    """A workspace's theoretical arrival time, in seconds since the epoch."""

    __tablename__ = "send_pacing"

    team_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    tat: Mapped[float] = mapped_column(Double)


@dataclass(frozen=True)
class Reservation:
    """Sends reserved from `start` (= max(tat, now)); `now` is the clock they were taken on."""

    start: float
    now: float
    count: int


def reserve(session: Session, team_id: str, pace: Pace, count: int, now: float) -> Reservation:
    """Reserve `count` consecutive send slots of the workspace (creating its row when new).

    `now` is this host's clock in epoch seconds; PostgreSQL uses its own clock instead.
    """
    found = _take(session, team_id, pace, count, now)
    if found is not None:
        return found
    insert = dialect_insert(session)(SendPacingRow.__table__)
    session.execute(insert.values(team_id=team_id, tat=0.0).on_conflict_do_nothing())
    found = _take(session, team_id, pace, count, now)
    assert found is not None  # the row exists now and is never deleted
    return found


def _take(session: Session, team_id: str, pace: Pace, count: int, now: float) -> Reservation | None:
    """The one UPDATE that moves the arrival time on; None when the workspace has no row yet."""
    table = SendPacingRow.__table__
    assert isinstance(table, Table)
    step = count * pace.interval
    if session.get_bind().dialect.name == "postgresql":
        # One value for the whole statement: clock_timestamp() would differ between SET and
        # RETURNING.
        clock: Any = cast(func.extract("epoch", func.statement_timestamp()), Double)
        latest = func.greatest(table.c.tat, clock)
    else:
        clock = literal(now, Double())
        latest = func.max(table.c.tat, clock)  # SQLite's two-argument max() is a scalar
    row = session.execute(
        update(table)
        .where(table.c.team_id == team_id)
        .values(tat=latest + step)
        .returning(table.c.tat, clock)
    ).first()
    if row is None:
        return None
    tat, at = float(row[0]), float(row[1])
    return Reservation(start=tat - step, now=at, count=count)
