"""The PostgreSQL pool hands out quiet connections unpinged and replaces ones the server ended."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest
from sqlalchemy import Engine, create_engine, text

from storage import db


@pytest.fixture
def pg_engine(postgres_url: str) -> Iterator[Engine]:
    engine = db.make_engine(postgres_url, pool_size=1)
    yield engine
    engine.dispose()


def _backend(engine: Engine) -> int:
    with engine.connect() as conn:
        return int(conn.execute(text("SELECT pg_backend_pid()")).scalar_one())


def _end(postgres_url: str, pid: int) -> None:
    admin = create_engine(postgres_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        assert conn.execute(text(f"SELECT pg_terminate_backend({pid})")).scalar_one()
    admin.dispose()
    time.sleep(0.2)  # the server's last words reach the pooled socket


def test_a_quiet_pooled_connection_needs_no_ping(pg_engine: Engine) -> None:
    first = _backend(pg_engine)
    raw = pg_engine.raw_connection()
    try:
        assert db._quiet(raw.driver_connection)
    finally:
        raw.close()
    assert _backend(pg_engine) == first


def test_a_connection_the_server_ended_is_pinged_and_replaced(
    pg_engine: Engine, postgres_url: str
) -> None:
    ended = _backend(pg_engine)
    pool_record = pg_engine.pool._pool.queue[0]  # type: ignore[attr-defined]
    _end(postgres_url, ended)
    assert not db._quiet(pool_record.dbapi_connection)
    assert _backend(pg_engine) != ended
