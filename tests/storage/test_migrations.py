from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Engine, text

from storage import db
from storage.goals import GOALS_FILLFACTOR
from storage.models import Base
from storage.people import get_person, upsert_person
from storage.types import NaiveDatetimeError


def test_migrated_database_has_no_drift(engine: Engine) -> None:
    assert db.current_revision(engine) == db.head_revision()
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    assert diff == []


def test_postgresql_storage_parameters_are_the_models(postgres_url: str) -> None:
    """Alembic does not compare storage parameters (fillfactor): this test does."""
    engine = db.make_engine(postgres_url)
    with engine.connect() as conn:
        rows = conn.execute(
            text(
                "SELECT relname, reloptions FROM pg_class"
                " WHERE relkind = 'r' AND relnamespace = 'public'::regnamespace"
            )
        ).all()
    engine.dispose()
    stored = {name: sorted(options or []) for name, options in rows}
    declared = {
        table.name: sorted(
            f"{name}={value}" for name, value in table.info.get("postgresql_storage", {}).items()
        )
        for table in Base.metadata.sorted_tables
    }
    assert {name: stored[name] for name in declared} == declared
    assert declared["goals"] == [f"fillfactor={GOALS_FILLFACTOR}"]


def test_upgrade_from_empty_and_again_is_a_no_op(tmp_path: object) -> None:
    engine = db.make_engine(f"sqlite:///{tmp_path}/fresh.db")
    before, after = db.upgrade(engine)
    assert before is None
    assert after == db.head_revision()
    assert db.upgrade(engine) == (after, after)
    engine.dispose()


def test_sqlite_runs_with_wal_and_foreign_keys(sqlite_url: str) -> None:
    engine = db.make_engine(sqlite_url)
    with engine.connect() as conn:
        assert conn.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert conn.execute(text("PRAGMA foreign_keys")).scalar() == 1
    engine.dispose()


def test_datetimes_are_stored_and_read_as_utc(sessions) -> None:  # type: ignore[no-untyped-def]
    plus_two = timezone(timedelta(hours=2))
    seen = datetime(2026, 3, 29, 3, 30, tzinfo=plus_two)
    with sessions.begin() as session:
        upsert_person(
            session,
            team_id="T1",
            user_id="U1",
            tz_name="Europe/Berlin",
            is_bot=False,
            deleted=False,
            now=seen,
        )
    with sessions.begin() as session:
        person = get_person(session, "T1", "U1")
    assert person is not None
    assert person.updated_at == seen
    assert person.updated_at.tzinfo == UTC


def test_naive_datetimes_are_refused(sessions) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(Exception) as err, sessions.begin() as session:
        upsert_person(
            session,
            team_id="T1",
            user_id="U1",
            tz_name=None,
            is_bot=False,
            deleted=False,
            now=datetime(2026, 1, 1, tzinfo=UTC).replace(tzinfo=None),
        )
    assert isinstance(err.value, NaiveDatetimeError) or isinstance(
        getattr(err.value, "orig", None), NaiveDatetimeError
    )


def test_upsert_refreshes_the_same_row(sessions) -> None:  # type: ignore[no-untyped-def]
    now = datetime(2026, 1, 1, tzinfo=UTC)
    with sessions.begin() as session:
        upsert_person(
            session,
            team_id="T1",
            user_id="U1",
            tz_name="Europe/London",
            is_bot=False,
            deleted=False,
            now=now,
        )
        upsert_person(
            session,
            team_id="T1",
            user_id="U1",
            tz_name="Asia/Tokyo",
            is_bot=False,
            deleted=True,
            now=now + timedelta(days=1),
        )
    with sessions.begin() as session:
        person = get_person(session, "T1", "U1")
        count = session.execute(text("SELECT count(*) FROM people")).scalar()
    assert count == 1
    assert person is not None
    assert (person.tz_name, person.deleted) == ("Asia/Tokyo", True)


def test_unreachable_database_is_one_clear_error() -> None:
    engine = db.make_engine("postgresql+psycopg://bob:secret@127.0.0.1:1/nothing")
    with pytest.raises(db.DatabaseUnavailableError):
        db.ping(engine)
    engine.dispose()
