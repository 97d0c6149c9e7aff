"""forget-me, checked row by row on SQLite and PostgreSQL; the report keeps its counts."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy.orm import Session, sessionmaker

from bot.programme import report_dict
from storage import goals as goals_repo
from storage import privacy
from storage.report import load_report
from tests.programme_seed import ALICE, BOB, CAROL, DAN, ERIN, FRANK, TEAM, dump, mentions, seed

NOW = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)


def _window(sessions: sessionmaker[Session]) -> dict[str, int]:
    with sessions.begin() as session:
        return dict(report_dict(load_report(session, TEAM, NOW))["window"])


def test_forgetting_a_mentor_deletes_every_row_about_them(sessions: sessionmaker[Session]) -> None:
    with sessions.begin() as session:
        world = seed(session, NOW)
    totals = _window(sessions)
    with sessions.begin() as session:
        before = dump(session)
    with sessions.begin() as session:
        forgotten = privacy.forget_person(session, TEAM, ALICE)
    with sessions.begin() as session:
        after = dump(session)

    for table, rows in after.items():
        assert [r for r in rows if mentions(r, ALICE)] == [], table
    # Exactly her rows went: her profile, both her pairs (with both sides' check-ins), the three
    # proposals made to her; nothing else changed, except the counters that keep the totals.
    gone = {t: before[t] - after[t] for t in before}
    assert len(gone["mentor_profiles"]) == 1
    assert len(gone["mentoring_pairs"]) == 2
    assert all(mentions(r, ALICE) for r in gone["mentoring_pairs"])
    assert len(gone["mentoring_proposals"]) == 3
    assert len(gone["mentoring_checkins"]) == 2  # ALICE's and BOB's for their active pair
    assert len(gone["people"]) == 1
    for table in ("goals", "goal_checkins", "mentee_requests", "goal_coach_digests"):
        assert gone[table] == set(), table
        assert after[table] == before[table], table
    assert forgotten.mentoring.partners == ((BOB, True),)
    assert forgotten.mentoring.reopened == (world.carol_request,)
    assert forgotten.mentoring.tidy == ()
    assert forgotten.deleted["mentoring_proposals"] == 3
    # FRANK and ERIN's pair is untouched; CAROL's request is open again for someone else.
    assert any(r[0] == world.frank_erin_pair for r in after["mentoring_pairs"])
    assert _window(sessions) == totals
    assert after["aggregate_counters"], "her weekly counts are kept as numbers"


def test_forgetting_a_mentee_and_goal_owner(sessions: sessionmaker[Session]) -> None:
    with sessions.begin() as session:
        world = seed(session, NOW)
    totals = _window(sessions)
    with sessions.begin() as session:
        before = dump(session)
    with sessions.begin() as session:
        forgotten = privacy.forget_person(session, TEAM, BOB)
    with sessions.begin() as session:
        after = dump(session)

    for table, rows in after.items():
        assert [r for r in rows if mentions(r, BOB)] == [], table
        assert [r for r in rows if mentions(r, "my private note")] == [], table
    gone = {t: before[t] - after[t] for t in before}
    ids = {t: ({r[0] for r in before[t]}, {r[0] for r in after[t]}) for t in before}
    assert ids["goals"][0] - ids["goals"][1] == set(world.bob_goals)
    assert {r[0] for r in gone["goals"]} == {*world.bob_goals, world.erin_goal}  # coach cleared
    assert len(gone["goal_checkins"]) == 2
    assert len(gone["goal_coach_digests"]) == 1  # BOB's digest as a coach; DAN's stays
    assert len(gone["mentee_requests"]) == 1
    assert len(gone["mentoring_pairs"]) == 1
    assert len(gone["mentor_profiles"]) == 0
    # ERIN's goal loses its coach (BOB) and keeps everything else.
    assert forgotten.goals.coached == ((ERIN, world.erin_goal),)
    with sessions.begin() as session:
        erin = goals_repo.get_goal(session, world.erin_goal)
    assert erin is not None and erin.spec.coach_id is None and erin.spec.title == "Delegate more"
    assert forgotten.mentoring.partners == ((ALICE, False),)
    assert _window(sessions) == totals


def test_forgetting_a_pending_mentee_lists_the_mentor_dm_to_tidy(
    sessions: sessionmaker[Session],
) -> None:
    with sessions.begin() as session:
        seed(session, NOW)
    with sessions.begin() as session:
        forgotten = privacy.forget_person(session, TEAM, CAROL)
    assert [(p.mentor_id, p.dm_channel, p.dm_ts) for p in forgotten.mentoring.tidy] == [
        (ALICE, "DALICE", "111.222")
    ]
    assert forgotten.mentoring.reopened == ()
    with sessions.begin() as session:
        rows = dump(session)
    assert not any(mentions(r, CAROL) for t in rows.values() for r in t)


def test_forgetting_twice_and_forgetting_a_stranger_change_nothing(
    sessions: sessionmaker[Session],
) -> None:
    with sessions.begin() as session:
        seed(session, NOW)
    with sessions.begin() as session:
        privacy.forget_person(session, TEAM, DAN)
    with sessions.begin() as session:
        before = dump(session)
    with sessions.begin() as session:
        again = privacy.forget_person(session, TEAM, DAN)
        stranger = privacy.forget_person(session, TEAM, "U0NOBODY9")
    with sessions.begin() as session:
        after = dump(session)
    assert after == before
    assert sum(again.deleted.values()) == 0
    assert sum(stranger.deleted.values()) == 0
    assert FRANK  # FRANK is kept in the seed for the home tests


def test_retention_clears_notes_of_goals_ended_long_ago(sessions: sessionmaker[Session]) -> None:
    with sessions.begin() as session:
        world = seed(session, NOW)
        goals_repo.record_what_helped(session, world.bob_goals[1], BOB, "walking meetings")
        assert goals_repo.abandon_goal(session, world.bob_goals[0], NOW)
    with sessions.begin() as session:
        assert goals_repo.clear_old_notes(session, NOW - timedelta(days=5)) == 0  # ended 4 days ago
    with sessions.begin() as session:
        cleared = goals_repo.clear_old_notes(session, NOW + timedelta(seconds=1))
    assert cleared == 2  # the dropped goal's note, the achieved goal's "what helped"
    with sessions.begin() as session:
        notes = {
            c.goal_id: c.note for g in world.bob_goals for c in goals_repo.checkins_of(session, g)
        }
        erin = [c.note for c in goals_repo.checkins_of(session, world.erin_goal)]
        helped = goals_repo.get_goal(session, world.bob_goals[1])
    assert notes == {world.bob_goals[0]: None, world.bob_goals[1]: None}
    assert erin == ["erin's note"]  # her goal is still open
    assert helped is not None and helped.what_helped is None


def test_a_dm_in_flight_when_its_goal_is_forgotten_does_not_break_the_batch(
    sessions: sessionmaker[Session],
) -> None:
    from storage import goals_queue as queue
    from storage.goals import CheckinRow
    from tests.programme_seed import LIMITS

    with sessions.begin() as session:
        world = seed(session, NOW)
        session.add(
            CheckinRow(
                goal_id=world.erin_goal,
                team_id=TEAM,
                user_id=ERIN,
                kind="checkin",
                period=NOW.date(),
                status="pending",
                due_at=NOW,
                attempts=0,
            )
        )
    later = NOW + timedelta(days=8)
    with sessions.begin() as session:
        ids = queue.claim_due(
            session, CheckinRow, owner="w1", now=later, lease=timedelta(minutes=2), limit=10
        )
        claimed = queue.load_claimed(session, ids)
    assert {c.goal.id for c in claimed} == {world.erin_goal}
    with sessions.begin() as session:
        privacy.forget_person(session, TEAM, ERIN)  # while the DM is being sent
    sent = [
        (c, queue.Outcome(id=c.id, status="sent", due_at=c.due_at, channel="D1", ts="9.9"))
        for c in claimed
    ]
    with sessions.begin() as session:
        queue.complete(session, CheckinRow, [o for _, o in sent], owner="w1", now=later)
        queue.advance_goals(session, sent, now=later, limits=LIMITS, coach_zones={})
    with sessions.begin() as session:
        rows = dump(session)
    assert not any(mentions(r, ERIN) for t in rows.values() for r in t)
