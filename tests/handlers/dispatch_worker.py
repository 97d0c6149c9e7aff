"""A dispatcher in its own OS process, for the multi-process test and the benchmark.

    python -m tests.handlers.dispatch_worker DATABASE_URL SLACK_API_URL NOW_ISO

Ticks until nothing is due; when a tick finds nothing but retries are still waiting (a 429 or a
refused connection), its clock jumps to the next due time instead of sleeping. Prints its counts
as one JSON line.
"""

from __future__ import annotations

import json
import sys
import time
from datetime import datetime, timedelta

from sqlalchemy import func, select

from bot.settings import parse_settings
from handlers.deps import Deps
from handlers.goals_dispatch import Dispatcher, TickStats, dispatch_client
from storage import db
from storage.goals import CheckinRow, CheckinStatus

HORIZON = timedelta(hours=2)


def run(database_url: str, api_url: str, now: datetime) -> TickStats:
    """Dispatch everything due from `now` on (a clock that only jumps) and return the totals."""
    settings = parse_settings(
        {
            "SLACK_BOT_TOKEN": "xoxb-test-token",
            "SLACK_API_URL": api_url,
            "DATABASE_URL": database_url,
            "GOALS_SENDS_PER_SECOND": "0",
            "GOALS_BATCH_SIZE": "100",
        }
    )
    engine = db.make_engine(settings.database_url)
    clock = [now]
    deps = Deps(
        settings=settings,
        engine=engine,
        sessions=db.make_sessions(engine),
        clock=lambda: clock[0],
    )
    dispatcher = Dispatcher(deps, dispatch_client(settings))
    total = TickStats()
    try:
        while True:
            stats = dispatcher.tick()
            total.claimed += stats.claimed
            total.sent += stats.sent
            total.adopted += stats.adopted
            total.retried += stats.retried
            total.failed += stats.failed
            total.bookkeeping_s += stats.bookkeeping_s
            for kind, count in stats.results.items():
                total.results[kind] = total.results.get(kind, 0) + count
            if stats.claimed:
                continue
            pending, claimed = _waiting(deps, now + HORIZON)
            if pending is None and claimed is None:
                return total
            if pending is not None:
                clock[0] = max(clock[0], pending)
            else:
                time.sleep(0.05)  # other workers still hold rows: wait for them to finish
    finally:
        engine.dispose()


def _waiting(deps: Deps, horizon: datetime) -> tuple[datetime | None, int | None]:
    """The earliest pending due time before `horizon`, and how many rows others hold (or None)."""
    with deps.sessions.begin() as session:
        pending = session.scalar(
            select(func.min(CheckinRow.due_at)).where(
                CheckinRow.status == CheckinStatus.PENDING.value, CheckinRow.due_at <= horizon
            )
        )
        claimed = session.scalar(
            select(func.count()).where(CheckinRow.status == CheckinStatus.CLAIMED.value)
        )
    return pending, (int(claimed) or None) if claimed else None


def main(argv: list[str]) -> int:
    database_url, api_url, now = argv[0], argv[1], datetime.fromisoformat(argv[2])
    stats = run(database_url, api_url, now)
    report = {
        "claimed": stats.claimed,
        "sent": stats.sent,
        "adopted": stats.adopted,
        "retried": stats.retried,
        "results": stats.results,
        "bookkeeping_s": stats.bookkeeping_s,
    }
    print(json.dumps(report))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
