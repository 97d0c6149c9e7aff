"""Shared fixtures: databases (SQLite and PostgreSQL), the fake Slack server, a running bot."""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from slack_bolt import App
from sqlalchemy import Engine, create_engine, inspect, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

from bot.settings import Settings, parse_settings
from handlers.app import build_app, make_client
from handlers.deps import Deps
from handlers.fakeslack import FakeSlack
from handlers.server import SlackWsgi, serve_in_thread
from handlers.signed import SignedClient
from storage import db

PG_URL = os.environ.get("TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
SIGNING_SECRET = "test-signing-secret"
BOT_TOKEN = "xoxb-test-token"
START = datetime(2026, 1, 5, 8, 0, tzinfo=UTC)  # a Monday


@dataclass
class FakeClock:
    """A clock the test moves by hand."""

    now: datetime = START

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> datetime:
        self.now += timedelta(**delta)
        return self.now


# databases -------------------------------------------------------------------------------------
@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A migrated SQLite file, copied for each test (faster than migrating each time)."""
    path = tmp_path_factory.mktemp("template") / "template.db"
    engine = db.make_engine(f"sqlite:///{path}")
    db.upgrade(engine)
    engine.dispose()  # the last connection to close checkpoints the WAL into the file
    assert not path.with_name(path.name + "-wal").exists()
    return path


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """A fresh PostgreSQL database for this run, migrated once, dropped at the end."""
    admin = create_engine(PG_URL, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text("SELECT 1"))
    except Exception as exc:
        admin.dispose()
        if os.environ.get("CI"):
            pytest.fail(f"PostgreSQL is not reachable at {PG_URL} in CI: {exc}")
        pytest.skip(f"PostgreSQL is not reachable at {PG_URL}")
    name = f"com_test_{uuid.uuid4().hex[:10]}"
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = make_url(PG_URL).set(database=name).render_as_string(hide_password=False)
    engine = db.make_engine(url)
    db.upgrade(engine)
    engine.dispose()
    yield url
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def _truncate_all(engine: Engine) -> None:
    tables = [t for t in inspect(engine).get_table_names() if t != "alembic_version"]
    if tables:
        with engine.begin() as conn:
            conn.execute(text(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE"))


@pytest.fixture
def sqlite_url(sqlite_template: Path, tmp_path: Path) -> str:
    """A migrated SQLite database of this test's own."""
    path = tmp_path / "bot.db"
    shutil.copy(sqlite_template, path)
    return f"sqlite:///{path}"


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest) -> Iterator[str]:
    """The same test on SQLite and on PostgreSQL, each starting empty (but migrated)."""
    if request.param == "sqlite":
        yield request.getfixturevalue("sqlite_url")
        return
    url: str = request.getfixturevalue("postgres_url")
    engine = db.make_engine(url)
    _truncate_all(engine)
    engine.dispose()
    yield url


@pytest.fixture
def engine(db_url: str) -> Iterator[Engine]:
    """An engine on the parametrised database."""
    eng = db.make_engine(db_url)
    yield eng
    eng.dispose()


@pytest.fixture
def sessions(engine: Engine) -> sessionmaker[Session]:
    """A session factory on the parametrised database."""
    return db.make_sessions(engine)


# Slack -----------------------------------------------------------------------------------------
@pytest.fixture
def fake_slack() -> Iterator[FakeSlack]:
    """A fake Slack Web API on 127.0.0.1."""
    with FakeSlack() as fake:
        yield fake


def make_settings(fake: FakeSlack, database_url: str, **env: str) -> Settings:
    """Settings pointing at the fake Slack and the given database."""
    return parse_settings(
        {
            "SLACK_BOT_TOKEN": BOT_TOKEN,
            "SLACK_APP_TOKEN": "xapp-test",
            "SLACK_SIGNING_SECRET": SIGNING_SECRET,
            "SLACK_API_URL": fake.api_url,
            "DATABASE_URL": database_url,
            **env,
        }
    )


@dataclass
class RunningBot:
    """The bot serving HTTP on loopback, with its fake Slack, database and clock."""

    deps: Deps
    app: App
    slack: FakeSlack
    http: SignedClient
    clock: FakeClock
    extra: dict[str, Any] = field(default_factory=dict)


def start_bot(fake: FakeSlack, database_url: str, **env: str) -> Iterator[RunningBot]:
    """Serve the real WSGI app (the one gunicorn serves) in a thread."""
    settings = make_settings(fake, database_url, **env)
    engine = db.make_engine(settings.database_url)
    clock = FakeClock()
    deps = Deps(settings=settings, engine=engine, sessions=db.make_sessions(engine), clock=clock)
    # Our own pool for Bolt's after-ack listeners, so teardown can wait for them before the
    # engine goes (a listener still holding a connection would leak it).
    listeners = ThreadPoolExecutor(max_workers=8, thread_name_prefix="bolt-listener")
    app = build_app(deps, client=make_client(settings), listener_executor=listeners)
    server = serve_in_thread(SlackWsgi(app, SIGNING_SECRET, lambda: db.ping(engine)))
    http = SignedClient(
        f"http://127.0.0.1:{server.server_port}",
        SIGNING_SECRET,
        team_id=fake.team_id,
        response_url=fake.response_url("cmd"),
    )
    try:
        yield RunningBot(deps=deps, app=app, slack=fake, http=http, clock=clock)
    finally:
        server.shutdown()
        server.server_close()
        listeners.shutdown(wait=True)
        engine.dispose()


@pytest.fixture
def bot(fake_slack: FakeSlack, sqlite_url: str) -> Iterator[RunningBot]:
    """The bot in HTTP mode on SQLite."""
    yield from start_bot(fake_slack, sqlite_url)


@pytest.fixture
def bot_any_db(fake_slack: FakeSlack, db_url: str) -> Iterator[RunningBot]:
    """The bot in HTTP mode, on SQLite and on PostgreSQL."""
    yield from start_bot(fake_slack, db_url)
