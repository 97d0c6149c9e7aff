"""Dispatch benchmark: 100,000 active goals, 10,000 check-ins due at once, through the real
dispatcher to the fake Slack server, on SQLite and on PostgreSQL.

    .venv/bin/python bench/dispatch.py [--goals N] [--due N] [--db sqlite|postgresql|both]
        [--no-analyze]

Pacing is off so that the figure is the dispatcher's own bookkeeping, per check-in: every
database transaction of its ticks (claims, write-backs, and the zone, review and digest passes)
with the Python that prepares and reads them. Building the DMs is not bookkeeping and is reported
on its own; the HTTP round trips to the fake server are excluded, and show in the wall time.
Dropped and duplicated are counted at the fake Slack server from the check-in keys in the message
metadata. The fake server runs in a process of its own, as Slack does for a real dispatcher: its
record of every call then burdens neither the dispatcher's garbage collector nor its threads.
The drain time at the configured pace is computed from GOALS_SENDS_PER_SECOND (default 4 a
second per workspace, shared by all replicas). On PostgreSQL the seeded tables are analyzed
before the run, as autovacuum would have done on a deployed server (`analyze`;
`--no-analyze` leaves the planner without statistics, as the benchmark did before).
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import sys
import tempfile
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from multiprocessing.connection import Connection
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sqlalchemy import Engine, create_engine, text  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402

from bot.goals import checkin_key  # noqa: E402
from bot.settings import parse_settings  # noqa: E402
from handlers.deps import Deps  # noqa: E402
from handlers.fakeslack import FakeSlack  # noqa: E402
from handlers.goals_dispatch import Dispatcher, TickStats, dispatch_client  # noqa: E402
from storage import db  # noqa: E402
from tests.goals_seed import reset_sequences, seed_goals  # noqa: E402

PG_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
NOW = datetime(2026, 3, 9, 9, 0, tzinfo=UTC)


def run(db_name: str, url: str, goals: int, due: int, *, stats: bool = True) -> str:
    """Seed, dispatch everything due, count at the fake server; returns the summary line."""
    engine = db.make_engine(url)
    db.upgrade(engine)
    started = time.perf_counter()
    seed_goals(engine, total=goals, due=due, now=NOW)
    reset_sequences(engine)
    if stats:
        analyze(engine)
    print(
        f"{db_name}: seeded {goals:,} goals ({due:,} due) in {time.perf_counter() - started:.1f}s"
    )
    with fake_slack_elsewhere() as (api_url, posted_keys):
        settings = parse_settings(
            {
                "SLACK_BOT_TOKEN": "xoxb-bench",
                "SLACK_API_URL": api_url,
                "DATABASE_URL": url,
                "GOALS_SENDS_PER_SECOND": "0",
            }
        )
        deps = Deps(
            settings=settings, engine=engine, sessions=db.make_sessions(engine), clock=lambda: NOW
        )
        dispatcher = Dispatcher(deps, dispatch_client(settings))
        total = TickStats()
        started = time.perf_counter()
        while True:
            stats = dispatcher.tick()
            total.claimed += stats.claimed
            total.sent += stats.sent
            total.retried += stats.retried
            total.bookkeeping_s += stats.bookkeeping_s
            total.composing_s += stats.composing_s
            if stats.claimed == 0:
                break
        wall = time.perf_counter() - started
        keys = Counter(posted_keys())
    expected = {checkin_key(n + 1, NOW.date()) for n in range(due)}
    dropped = len(expected - set(keys))
    duplicated = sum(count - 1 for count in keys.values() if count > 1)
    throughput = int(total.sent / total.bookkeeping_s) if total.bookkeeping_s else 0
    pace = parse_settings({}).goals.sends_per_second
    drain = due / pace
    print(
        f"{db_name}: sent {total.sent:,} in {wall:.1f}s wall (fake Slack round trips included),"
        f" bookkeeping {total.bookkeeping_s:.2f}s, composing DMs {total.composing_s:.2f}s,"
        f" retried {total.retried}"
    )
    print(
        f"{db_name}: at the default pace of {pace}/s per workspace, {due:,} check-ins drain in"
        f" {drain / 60:.0f} min ({drain:.0f}s)"
    )
    engine.dispose()
    return (
        f"dispatch {db_name}: throughput={throughput}/s dropped={dropped} duplicated={duplicated}"
    )


def analyze(engine: Engine) -> None:
    """PostgreSQL: gather the planner's statistics on the freshly seeded tables.

    A deployed server's autovacuum analyzes a table once a tenth of it has changed (and at
    least 50 rows), within a minute (`autovacuum_naptime`), so a load like this one would have
    statistics before its check-ins fell due. The benchmark's server runs with autovacuum off,
    which would leave the planner guessing from table sizes alone; this does what autovacuum
    would have done. (No ANALYZE happens during the run, as none would within a minute.)
    SQLite gathers statistics only when asked, which a deployment does not do: left alone.
    """
    if engine.dialect.name != "postgresql":
        return
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.exec_driver_sql("ANALYZE")


@contextmanager
def fake_slack_elsewhere() -> Iterator[tuple[str, Callable[[], list[str]]]]:
    """The fake Slack server in a child process: its API URL, and a function that returns the
    check-in keys of the DMs it has accepted."""
    context = multiprocessing.get_context("spawn")  # a fork would share the engine's sockets
    ours, theirs = context.Pipe()
    process = context.Process(target=_serve_fake_slack, args=(theirs,), daemon=True)
    process.start()
    try:

        def posted_keys() -> list[str]:
            ours.send("keys")
            keys: list[str] = ours.recv()
            return keys

        yield ours.recv(), posted_keys
    finally:
        process.terminate()
        process.join()


def _serve_fake_slack(conn: Connection) -> None:
    """The child process: serve, send the URL, then the accepted keys whenever asked."""
    with FakeSlack() as fake:
        conn.send(fake.api_url)
        while conn.recv() == "keys":
            conn.send([_key(call.args) for call in fake.ok_calls("chat.postMessage")])


def _key(args: dict[str, object]) -> str:
    metadata = args.get("metadata")
    if isinstance(metadata, str):
        metadata = json.loads(metadata)
    assert isinstance(metadata, dict)
    return str(metadata["event_payload"]["key"])


def sqlite_run(goals: int, due: int) -> str:
    with tempfile.TemporaryDirectory() as folder:
        return run("sqlite", f"sqlite:///{folder}/bench.db", goals, due)


def postgres_run(goals: int, due: int, *, stats: bool = True) -> str:
    admin = create_engine(PG_URL, isolation_level="AUTOCOMMIT")
    name = f"com_bench_{uuid.uuid4().hex[:8]}"
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        url = make_url(PG_URL).set(database=name).render_as_string(hide_password=False)
        return run("postgresql", url, goals, due, stats=stats)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--goals", type=int, default=100_000)
    parser.add_argument("--due", type=int, default=10_000)
    parser.add_argument("--db", choices=["sqlite", "postgresql", "both"], default="both")
    parser.add_argument(
        "--no-analyze",
        action="store_true",
        help="PostgreSQL: no planner statistics after seeding (autovacuum off and never run)",
    )
    args = parser.parse_args()
    lines = []
    if args.db in ("sqlite", "both"):
        lines.append(sqlite_run(args.goals, args.due))
        print(lines[-1])
    if args.db in ("postgresql", "both"):
        lines.append(postgres_run(args.goals, args.due, stats=not args.no_analyze))
        print(lines[-1])
    return 0


if __name__ == "__main__":
    sys.exit(main())
