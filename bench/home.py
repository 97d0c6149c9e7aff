"""App Home and the admin report at scale: how long building them takes, and how big they are.

Seeds N goals (each with 12 weekly check-ins sent over the last 12 weeks, 70% answered) and
P mentoring pairs, then times: the home tab of a heavy user (many goals, many mentees), the
admin report (12-week trend and snapshot), and forget-me of that heavy user.

Run: python bench/home.py [--goals N] [--pairs P] [--database-url URL]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from statistics import median

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import Engine, insert

from handlers.home_blocks import HomeInputs, home_blocks
from storage import db, privacy
from storage.goals import CheckinRow, GoalRow
from storage.home import load_home
from storage.mentoring import PairRow, ProposalRow, RequestRow
from storage.report import load_report

TEAM = "T0BENCH"
HEAVY = "U0HEAVY01"
NOW = datetime(2026, 3, 4, 12, 0, tzinfo=UTC)
CHUNK = 5_000


def seed(engine: Engine, goals: int, pairs: int) -> None:
    """Goals spread over 500 people (the heavy user owns 1%), pairs over 200 mentors."""
    start = NOW - timedelta(weeks=12)
    for first in range(0, goals, CHUNK):
        ids = range(first, min(goals, first + CHUNK))
        goal_rows = [_goal(n, start) for n in ids]
        checkins = [_checkin(n, week, start) for n in ids for week in range(12)]
        with engine.begin() as conn:
            conn.execute(insert(GoalRow), goal_rows)
            conn.execute(insert(CheckinRow), checkins)
    for first in range(0, pairs, CHUNK):
        with engine.begin() as conn:
            for n in range(first, min(pairs, first + CHUNK)):
                _pair(conn, n, start)


def _goal(n: int, start: datetime) -> dict[str, object]:
    owner = HEAVY if n % 100 == 0 else f"U{n % 500:08d}"
    return {
        "id": n + 1,
        "team_id": TEAM,
        "user_id": owner,
        "coach_id": None,
        "title": f"Goal {n}",
        "success": "It shows",
        "end_date": NOW.date() + timedelta(days=n % 60),
        "cadence": "weekly",
        "weekday": 0,
        "local_time": datetime.min.time(),
        "anchor": start.date(),
        "tz_name": "UTC",
        "tz_checked_at": start,
        "status": ("active", "paused", "finished", "abandoned")[n % 4],
        "needs_attention": n % 9 == 0,
        "outcome": "achieved" if n % 4 == 2 else None,
        "created_at": start + timedelta(hours=n % 500),
        "updated_at": start,
        "ended_at": NOW - timedelta(days=n % 80) if n % 4 >= 2 else None,
    }


def _checkin(n: int, week: int, start: datetime) -> dict[str, object]:
    sent = start + timedelta(weeks=week, hours=n % 24)
    answered = (n + week) % 10 < 7
    return {
        "goal_id": n + 1,
        "team_id": TEAM,
        "user_id": HEAVY if n % 100 == 0 else f"U{n % 500:08d}",
        "kind": "checkin",
        "period": sent.date(),
        "status": "answered" if answered else "sent",
        "due_at": sent,
        "attempts": 1,
        "sent_at": sent,
        "answer": "on_track" if answered else None,
        "answered_at": sent + timedelta(hours=3) if answered else None,
        "note": "a note" if answered and n % 5 == 0 else None,
    }


def _pair(conn: object, n: int, start: datetime) -> None:
    mentor = HEAVY if n % 10 == 0 else f"UM{n % 200:07d}"
    mentee = f"UE{n:07d}"
    at = start + timedelta(hours=n % 2000)
    request_id = conn.execute(  # type: ignore[attr-defined]
        insert(RequestRow).returning(RequestRow.id),
        {
            "team_id": TEAM,
            "mentee_id": mentee,
            "topics": ["leadership"],
            "wants": ["advice"],
            "years": 1,
            "status": "matched",
            "created_at": at,
            "updated_at": at,
        },
    ).scalar_one()
    proposal_id = conn.execute(  # type: ignore[attr-defined]
        insert(ProposalRow).returning(ProposalRow.id),
        {
            "team_id": TEAM,
            "request_id": request_id,
            "mentee_id": mentee,
            "mentor_id": mentor,
            "status": "accepted",
            "score": 0.5,
            "reasons": [],
            "created_at": at,
            "expires_at": at + timedelta(days=3),
            "decided_at": at + timedelta(hours=20),
        },
    ).scalar_one()
    conn.execute(  # type: ignore[attr-defined]
        insert(PairRow),
        {
            "team_id": TEAM,
            "request_id": request_id,
            "proposal_id": proposal_id,
            "mentor_id": mentor,
            "mentee_id": mentee,
            "status": "active" if n % 3 else "ended",
            "started_at": at + timedelta(hours=20),
        },
    )


def timed(label: str, runs: int, work: object) -> object:
    """Run work() `runs` times; print the median in ms; return the last result."""
    durations = []
    result = None
    for _ in range(runs):
        started = time.perf_counter()
        result = work()  # type: ignore[operator]
        durations.append(time.perf_counter() - started)
    print(f"{label:<44} median {median(durations) * 1000:8.1f} ms  ({runs} runs)")
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--goals", type=int, default=20_000)
    parser.add_argument("--pairs", type=int, default=2_000)
    parser.add_argument("--database-url", default="")
    args = parser.parse_args()
    folder = tempfile.mkdtemp()
    url = args.database_url or f"sqlite:///{folder}/bench.db"
    engine = db.make_engine(url)
    db.upgrade(engine)
    sessions = db.make_sessions(engine)
    started = time.perf_counter()
    seed(engine, args.goals, args.pairs)
    print(
        f"{engine.dialect.name}: seeded {args.goals} goals, {args.goals * 12} check-ins,"
        f" {args.pairs} pairs in {time.perf_counter() - started:.1f} s"
    )

    def home() -> object:
        with sessions.begin() as session:
            data = load_home(session, TEAM, HEAVY)
        return home_blocks(HomeInputs(data=data, now=NOW))

    def admin_home() -> object:
        with sessions.begin() as session:
            data = load_home(session, TEAM, HEAVY)
            report = load_report(session, TEAM, NOW)
        return home_blocks(HomeInputs(data=data, now=NOW, report=report))

    def report() -> object:
        with sessions.begin() as session:
            return load_report(session, TEAM, NOW)

    blocks = timed("home tab of the heavy user (load + build)", 20, home)
    print(f"  {len(blocks)} blocks")  # type: ignore[arg-type]
    admin = timed("admin home tab (home + 12-week report)", 10, admin_home)
    print(f"  {len(admin)} blocks")  # type: ignore[arg-type]
    timed("admin report alone", 10, report)

    def forget() -> object:
        with sessions.begin() as session:
            return privacy.forget_person(session, TEAM, HEAVY)

    forgotten = timed("forget-me of the heavy user", 1, forget)
    deleted = forgotten.deleted  # type: ignore[attr-defined]
    print(f"  deleted {sum(deleted.values())} rows: {deleted}")
    engine.dispose()


if __name__ == "__main__":
    main()
