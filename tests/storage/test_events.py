from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy.orm import Session, sessionmaker

from storage import events

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
WINDOW = timedelta(seconds=30)


def claim(sessions: sessionmaker[Session], event_id: str, now: datetime) -> bool:
    with sessions.begin() as session:
        return events.claim_event(
            session, event_id=event_id, team_id="T1", now=now, in_flight=WINDOW
        )


def test_first_delivery_is_handled_and_a_quick_retry_is_not(
    sessions: sessionmaker[Session],
) -> None:
    assert claim(sessions, "Ev1", NOW) is True
    assert claim(sessions, "Ev1", NOW + timedelta(seconds=1)) is False
    assert claim(sessions, "Ev2", NOW) is True


def test_stalled_delivery_is_taken_over_once(sessions: sessionmaker[Session]) -> None:
    assert claim(sessions, "Ev1", NOW)
    later = NOW + timedelta(minutes=1)
    assert claim(sessions, "Ev1", later) is True
    assert claim(sessions, "Ev1", later + timedelta(seconds=1)) is False


def test_old_event_ids_are_pruned(sessions: sessionmaker[Session]) -> None:
    assert claim(sessions, "Ev-old", NOW - timedelta(days=2))
    assert claim(sessions, "Ev-new", NOW)
    with sessions.begin() as session:
        assert events.forget_events_before(session, NOW - timedelta(days=1)) == 1


def test_a_plain_connection_claims_as_a_session_does(sessions: sessionmaker[Session]) -> None:
    """The Events API dedupe claims on a connection (engine.begin()), the modals in a session."""
    engine = sessions.kw["bind"]

    def claim_on_connection(event_id: str, now: datetime) -> bool:
        with engine.begin() as conn:
            return events.claim_event(
                conn, event_id=event_id, team_id="T1", now=now, in_flight=WINDOW
            )

    assert claim_on_connection("Ev1", NOW) is True
    assert claim(sessions, "Ev1", NOW + timedelta(seconds=1)) is False
    assert claim_on_connection("Ev1", NOW + timedelta(seconds=2)) is False
    later = NOW + timedelta(minutes=1)
    assert claim_on_connection("Ev1", later) is True
    assert claim(sessions, "Ev1", later + timedelta(seconds=1)) is False
