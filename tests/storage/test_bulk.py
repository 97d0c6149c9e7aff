"""bulk.executemany sends SQLite exactly what SQLAlchemy's own executemany sends."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Date, Engine, Integer, String, bindparam, event, literal, update
from sqlalchemy.orm import Session

from storage import bulk
from storage.goals import CheckinRow
from storage.types import UTCDateTime

NOW = datetime(2026, 1, 5, 8, 0, 0, 123456, tzinfo=UTC)


def _statement() -> Any:
    table = CheckinRow.__table__
    return (
        update(table)
        .where(table.c.id == bindparam("b_id", type_=Integer()), table.c.lease_owner == "w1")
        .values(
            due_at=bindparam("b_due", type_=UTCDateTime()),
            period=bindparam("b_period", type_=Date()),
            ts=bindparam("b_ts", type_=String()),
            sent_at=literal(NOW, UTCDateTime()),
        )
    )


def test_executemany_sends_what_sqlalchemy_sends(sqlite_url: str) -> None:
    from storage import db

    engine: Engine = db.make_engine(sqlite_url)
    sent: list[tuple[str, Any]] = []

    @event.listens_for(engine, "before_cursor_execute")
    def _record(_conn: Any, _cursor: Any, statement: str, params: Any, *_: Any) -> None:
        sent.append((statement, [tuple(row) for row in params]))

    later = NOW + timedelta(days=1, hours=3)
    rows = [
        (1, NOW, date(2026, 1, 7), "1.1"),
        (2, later, date(2026, 1, 14), None),
        (3, NOW.astimezone(ZoneInfo("Europe/Berlin")), date(2026, 1, 7), "1.3"),
        (4, None, None, "1.4"),
    ]
    names = ["b_id", "b_due", "b_period", "b_ts"]
    try:
        with Session(engine) as session, session.begin():
            session.connection().execute(
                _statement(), [dict(zip(names, row, strict=True)) for row in rows]
            )
        with Session(engine) as session, session.begin():
            bulk.executemany(session, _statement(), names, rows)
    finally:
        engine.dispose()
    updates = [(statement, params) for statement, params in sent if "UPDATE" in statement]
    assert len(updates) == 2
    assert updates[0] == updates[1]
    first, _, third, fourth = updates[1][1]
    assert {"2026-01-05 08:00:00.123456", "2026-01-07", "1.1", 1, "w1"} <= set(first)
    assert "2026-01-05 08:00:00.123456" in third  # stored as naive UTC text
    assert fourth.count(None) == 2
