"""Engines, sessions and migrations for SQLite (the embedded default) and PostgreSQL."""

from __future__ import annotations

import select
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

MIGRATIONS_DIR = Path(__file__).parent / "migrations"
# Any constant works; it only has to be the same for every process migrating one database.
_MIGRATION_LOCK_KEY = 7_337_001


class DatabaseUnavailableError(RuntimeError):
    """The database could not be reached or opened."""


def make_engine(url: str, *, pool_size: int = 5, **kwargs: Any) -> Engine:
    """An engine with the per-database settings the bot relies on.

    On PostgreSQL a process opens up to `pool_size` connections and as many more (10 at least)
    while busy, each only when it is first needed, and keeps every one it opened. A new
    PostgreSQL connection is a new server process: when the extra ones were closed as they came
    back, a busy HTTP worker (8 request and 32 listener threads) opened one every ~18 requests
    (835 in a 15,000-request bench/load.py run, 20 open at most), paying for the server's fork
    and start-up and our connect each time. The most open at once is the same as before.
    """
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        return _sqlite_engine(url, parsed.database, **kwargs)
    most = pool_size + kwargs.pop("max_overflow", max(10, pool_size))
    engine = create_engine(url, pool_pre_ping=True, pool_size=most, max_overflow=0, **kwargs)
    _ping_only_when_in_doubt(engine)

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Timestamps then come back in UTC already (psycopg hands out datetime.UTC for a "UTC"
        # session), sparing a time zone conversion per value read.
        with dbapi_connection.cursor() as cursor:
            cursor.execute("SET TIME ZONE 'UTC'")
        dbapi_connection.commit()

    return engine


def _ping_only_when_in_doubt(engine: Engine) -> None:
    """Pre-ping a pooled PostgreSQL connection only when its socket says something happened.

    SQLAlchemy's pre-ping sends a query on every checkout (a round trip, and a fifth of the
    database CPU of a short transaction). A server that restarts, or ends a session, sends its
    last words and closes the socket, which then polls readable; an idle connection whose socket
    has nothing to read is open and quiet, and is handed out as it is. Anything else (data
    waiting, a connection not idle or not OK, no socket) gets SQLAlchemy's ping, and a failed
    ping is handled by the pool as before (the connection is replaced).
    """
    dialect: Any = engine.dialect
    full_ping = dialect.do_ping

    def do_ping(dbapi_connection: Any) -> bool:
        if _quiet(dbapi_connection):
            return True
        return bool(full_ping(dbapi_connection))

    dialect.do_ping = do_ping


def _quiet(dbapi_connection: Any) -> bool:
    """True when a psycopg connection is open, idle, and nothing has arrived on its socket."""
    from psycopg import pq

    try:
        pgconn = dbapi_connection.pgconn
        if (
            dbapi_connection.closed
            or pgconn.status != pq.ConnStatus.OK
            or pgconn.transaction_status != pq.TransactionStatus.IDLE
        ):
            return False
        poller = select.poll()
        poller.register(pgconn.socket, select.POLLIN | select.POLLPRI)
        return not poller.poll(0)
    except Exception:  # anything unexpected: ask the server
        return False


def _sqlite_engine(url: str, database: str | None, **kwargs: Any) -> Engine:
    if database and database != ":memory:":
        Path(database).expanduser().parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(url, connect_args={"timeout": 30}, **kwargs)

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy's "begin" event own transactions (pysqlite's own BEGIN is deferred).
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        # IMMEDIATE takes the write lock up front, so two writers wait instead of deadlocking.
        conn.exec_driver_sql("BEGIN IMMEDIATE")

    return engine


def make_sessions(engine: Engine) -> sessionmaker[Session]:
    """The session factory; callers own the transaction (`with sessions.begin() as s:`)."""
    return sessionmaker(engine, expire_on_commit=False)


def ping(engine: Engine) -> None:
    """Raise DatabaseUnavailableError unless the database answers."""
    try:
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
    except Exception as exc:
        raise DatabaseUnavailableError(_describe(exc)) from exc


def _describe(exc: BaseException) -> str:
    first = str(getattr(exc, "orig", None) or exc).strip().splitlines()
    return first[0] if first else type(exc).__name__


def _alembic_config() -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    return cfg


def head_revision() -> str | None:
    """The newest migration this code ships."""
    return ScriptDirectory.from_config(_alembic_config()).get_current_head()


def current_revision(engine: Engine) -> str | None:
    """The migration the database is at, or None for an empty database."""
    try:
        with engine.connect() as conn:
            return MigrationContext.configure(conn).get_current_revision()
    except Exception as exc:
        raise DatabaseUnavailableError(_describe(exc)) from exc


def upgrade(engine: Engine) -> tuple[str | None, str | None]:
    """Apply pending migrations; returns (before, after). Safe when replicas start together."""
    cfg = _alembic_config()
    try:
        with engine.begin() as conn:
            if conn.dialect.name == "postgresql":
                conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _MIGRATION_LOCK_KEY})
            before = MigrationContext.configure(conn).get_current_revision()
            cfg.attributes["connection"] = conn
            command.upgrade(cfg, "head")
            after = MigrationContext.configure(conn).get_current_revision()
    except DatabaseUnavailableError:
        raise
    except Exception as exc:
        if _is_connection_error(exc):
            raise DatabaseUnavailableError(_describe(exc)) from exc
        raise
    return before, after


def _is_connection_error(exc: BaseException) -> bool:
    from sqlalchemy.exc import OperationalError

    return isinstance(exc, OperationalError)
