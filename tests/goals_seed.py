"""Seed many goals with due check-ins fast (bulk inserts), for the load tests and the benchmark."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from sqlalchemy import Engine, insert

from bot.goals import GoalStatus
from storage.goals import CheckinKind, CheckinRow, CheckinStatus, GoalRow

CHUNK = 5_000


def seed_goals(
    engine: Engine, *, total: int, due: int, now: datetime, team_id: str = "T0FAKE"
) -> None:
    """`total` active weekly goals; the first `due` have a check-in due at `now`, the rest later."""
    today = now.date()
    for start in range(0, total, CHUNK):
        stop = min(total, start + CHUNK)
        goals = [_goal(n, today, now, team_id) for n in range(start, stop)]
        checkins = [_checkin(n, today, now, due, team_id) for n in range(start, stop)]
        with engine.begin() as conn:
            conn.execute(insert(GoalRow), goals)
            conn.execute(insert(CheckinRow), checkins)


def _goal(n: int, today: date, now: datetime, team_id: str) -> dict[str, object]:
    return {
        "id": n + 1,
        "team_id": team_id,
        "user_id": f"U{n:08d}",
        "coach_id": None,
        "title": f"Goal {n}",
        "success": "It shows",
        "end_date": today + timedelta(weeks=8),
        "cadence": "weekly",
        "weekday": today.weekday(),
        "local_time": time(now.hour, now.minute),
        "anchor": today,
        "tz_name": "UTC",
        "tz_checked_at": now,
        "status": GoalStatus.ACTIVE.value,
        "needs_attention": False,
        "created_at": now - timedelta(days=7),
        "updated_at": now - timedelta(days=7),
    }


def _checkin(n: int, today: date, now: datetime, due: int, team_id: str) -> dict[str, object]:
    is_due = n < due
    return {
        "goal_id": n + 1,
        "team_id": team_id,
        "user_id": f"U{n:08d}",
        "kind": CheckinKind.CHECKIN.value,
        "period": today if is_due else today + timedelta(days=7),
        "status": CheckinStatus.PENDING.value,
        "due_at": now if is_due else now + timedelta(days=1 + n % 6, seconds=n % 300),
        "attempts": 0,
    }


def reset_sequences(engine: Engine) -> None:
    """After explicit ids on PostgreSQL, move the id sequences past them."""
    if engine.dialect.name != "postgresql":
        return
    with engine.begin() as conn:
        for table in ("goals", "goal_checkins"):
            conn.exec_driver_sql(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'),"
                f" (SELECT COALESCE(MAX(id), 1) FROM {table}))"
            )
