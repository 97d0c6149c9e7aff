"""The shared send schedule, on SQLite and on PostgreSQL."""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
from itertools import pairwise

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from bot.pacing import Pace
from storage import pacing
from storage.pacing import SendPacingRow

SLOW = Pace(rate=1, burst=1)  # one a second: reservations stay ahead of the clock in a test


def take(sessions: sessionmaker[Session], team: str, count: int) -> pacing.Reservation:
    with sessions.begin() as session:
        return pacing.reserve(session, team, SLOW, count, time.time())


def test_reservations_follow_one_another_per_workspace(sessions: sessionmaker[Session]) -> None:
    first = take(sessions, "T1", 5)
    second = take(sessions, "T1", 3)
    other = take(sessions, "T2", 1)
    assert first.start == pytest.approx(first.now)  # a new workspace starts at once
    assert second.start == pytest.approx(first.start + 5)
    assert other.start == pytest.approx(other.now)
    with sessions.begin() as session:
        rows = dict(session.execute(select(SendPacingRow.team_id, SendPacingRow.tat)).all())
    assert rows["T1"] == pytest.approx(first.start + 8)


def test_concurrent_reservations_never_share_a_slot(sessions: sessionmaker[Session]) -> None:
    take(sessions, "T1", 1)  # the row exists; what follows is contended UPDATEs only
    with ThreadPoolExecutor(max_workers=4) as pool:
        starts = sorted(r.start for r in pool.map(lambda _: take(sessions, "T1", 1), range(40)))
    gaps = [later - earlier for earlier, later in pairwise(starts)]
    assert gaps == pytest.approx([1.0] * 39)


def test_a_new_workspace_created_by_two_at_once_gets_one_row(
    sessions: sessionmaker[Session],
) -> None:
    with ThreadPoolExecutor(max_workers=2) as pool:
        taken = list(pool.map(lambda _: take(sessions, "TNEW", 2), range(2)))
    assert sorted(r.start for r in taken)[1] == pytest.approx(min(r.start for r in taken) + 2)
    with sessions.begin() as session:
        assert session.scalars(select(SendPacingRow.team_id)).all() == ["TNEW"]
