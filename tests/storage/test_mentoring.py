"""Mentoring storage on SQLite and PostgreSQL: uniqueness, compare-and-set, matching inputs."""

from __future__ import annotations

from dataclasses import astuple
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from bot.mentoring import MentorProfile, MentorRequest, Offer, Proposal
from bot.mentoring.lifecycle import (
    AcceptOutcome,
    CheckinAnswer,
    PairEnd,
    PairStatus,
    ProposalStatus,
    RequestStatus,
)
from storage import mentoring as repo
from storage.mentoring import PairRow, ProposalRow, RequestRow

T = "T1"
NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
HOURS_72 = timedelta(hours=72)


def mentor(user_id: str = "UMENTOR1", **kw: object) -> MentorProfile:
    fields: dict[str, object] = {
        "user_id": user_id,
        "topics": frozenset({"leadership", "feedback"}),
        "offers": frozenset({Offer.ADVICE, Offer.SUPPORT}),
        "capacity": 2,
        "years": 10,
        "team": "Platform",
        "tz_name": "Europe/Paris",
        "bio": "Ten years of leading teams.",
    }
    fields.update(kw)
    return MentorProfile(**fields)  # type: ignore[arg-type]


def request(mentee_id: str = "UMENTEE1", **kw: object) -> MentorRequest:
    fields: dict[str, object] = {
        "request_id": "",
        "mentee_id": mentee_id,
        "topics": frozenset({"leadership"}),
        "wants": frozenset({Offer.ADVICE}),
        "years": 2,
        "goal": "Lead my first project",
        "team": "Payments",
        "tz_name": "Europe/London",
    }
    fields.update(kw)
    return MentorRequest(**fields)  # type: ignore[arg-type]


def propose(session: Session, record: repo.RequestRecord, mentor_id: str, now: datetime = NOW):  # type: ignore[no-untyped-def]
    return repo.create_proposal(
        session,
        team_id=T,
        proposal=Proposal(
            request_id=record.request.request_id,
            mentee_id=record.request.mentee_id,
            mentor_id=mentor_id,
            score=0.8,
            reasons=("1 shared topic: Leadership", "1 h apart"),
        ),
        now=now,
        expires_at=now + HOURS_72,
    )


def test_mentor_profile_round_trips_and_signing_up_twice_updates(
    sessions: sessionmaker[Session],
) -> None:
    with sessions.begin() as s:
        assert repo.save_mentor(s, team_id=T, profile=mentor(), now=NOW) is True
    with sessions.begin() as s:
        changed = mentor(capacity=4, bio="New bio", topics=frozenset({"writing"}))
        assert repo.save_mentor(s, team_id=T, profile=changed, now=NOW) is False
    with sessions.begin() as s:
        record = repo.get_mentor(s, T, "UMENTOR1")
        count = s.scalar(select(func.count()).select_from(repo.MentorRow))
    assert count == 1
    assert record is not None
    assert record.profile == mentor(capacity=4, bio="New bio", topics=frozenset({"writing"}))
    assert record.left is False


def test_pause_resume_and_leave(sessions: sessionmaker[Session]) -> None:
    with sessions.begin() as s:
        repo.save_mentor(s, team_id=T, profile=mentor(), now=NOW)
        assert repo.set_mentor_paused(s, T, "UMENTOR1", paused=True, now=NOW)
        assert repo.programme_mentors(s, T)[0].effective_capacity == 0
        assert repo.set_mentor_paused(s, T, "UMENTOR1", paused=False, now=NOW)
        assert repo.programme_mentors(s, T)[0].effective_capacity == 2
        assert repo.leave_programme(s, T, "UMENTOR1", NOW) is not None
        assert repo.leave_programme(s, T, "UMENTOR1", NOW) is None
        assert repo.set_mentor_paused(s, T, "UMENTOR1", paused=True, now=NOW) is False
        assert repo.programme_mentors(s, T) == []
        assert not repo.set_mentor_paused(s, T, "UNOBODY", paused=True, now=NOW)


def test_one_open_request_per_person(sessions: sessionmaker[Session]) -> None:
    with sessions.begin() as s:
        first = repo.open_request(s, team_id=T, request=request(), now=NOW)
        with pytest.raises(repo.RequestAlreadyOpenError):
            repo.open_request(s, team_id=T, request=request(goal="again"), now=NOW)
        # Another workspace is another person.
        repo.open_request(s, team_id="T2", request=request(), now=NOW)
    with sessions.begin() as s:
        withdrawal = repo.withdraw_request(s, T, "UMENTEE1", NOW)
        assert withdrawal is not None
        assert withdrawal.request.status is RequestStatus.WITHDRAWN
        assert repo.withdraw_request(s, T, "UMENTEE1", NOW) is None
        second = repo.open_request(s, team_id=T, request=request(), now=NOW)
    assert second.id != first.id


def test_save_open_request_inserts_once_then_edits_in_place(
    sessions: sessionmaker[Session],
) -> None:
    later = NOW + timedelta(hours=1)
    with sessions.begin() as s:
        first, inserted = repo.save_open_request(s, team_id=T, request=request(), now=NOW)
        assert inserted and first.status is RequestStatus.OPEN
        assert (first.team_id, first.name, first.created_at) == (T, "", NOW)
        assert first.request == repo.get_open_request(s, T, "UMENTEE1").request  # type: ignore[union-attr]
    edit = request(topics=frozenset({"career", "leadership"}), goal="again", years=5)
    with sessions.begin() as s:
        edited, inserted = repo.save_open_request(s, team_id=T, request=edit, now=later)
        assert not inserted and edited.request.request_id == first.request.request_id
        assert edited.request.topics == frozenset({"career", "leadership"})
        assert (edited.request.goal, edited.request.years, edited.created_at) == ("again", 5, NOW)
        # another workspace is another person
        assert repo.save_open_request(s, team_id="T2", request=request(), now=NOW)[1]
    with sessions.begin() as s:
        rows = s.scalars(select(RequestRow).where(RequestRow.team_id == T)).all()
        assert [(r.goal, r.topics, r.updated_at) for r in rows] == [
            ("again", ["career", "leadership"], later)
        ]
        assert repo.withdraw_request(s, T, "UMENTEE1", later) is not None
        again, inserted = repo.save_open_request(s, team_id=T, request=request(), now=later)
        assert inserted and again.request.request_id != first.request.request_id


def test_the_database_itself_refuses_a_second_open_request(
    sessions: sessionmaker[Session],
) -> None:
    with sessions.begin() as s:
        repo.open_request(s, team_id=T, request=request(), now=NOW)
    row = RequestRow(
        team_id=T,
        mentee_id="UMENTEE1",
        topics=["leadership"],
        wants=["advice"],
        goal="",
        years=1,
        team="",
        tz_name="",
        name="",
        prefers_close_tz=False,
        outside_my_team=False,
        status="open",
        created_at=NOW,
        updated_at=NOW,
    )
    with pytest.raises(IntegrityError), sessions.begin() as s:
        s.add(row)


def test_one_pending_proposal_per_request_and_one_ask_per_mentor(
    sessions: sessionmaker[Session],
) -> None:
    with sessions.begin() as s:
        record = repo.open_request(s, team_id=T, request=request(), now=NOW)
        first = propose(s, record, "UMENTOR1")
        assert first is not None
        assert propose(s, record, "UMENTOR2") is None
        assert repo.pending_proposal(s, record.id) == first
    with sessions.begin() as s:
        assert repo.decline_proposal(s, first.id, "UMENTOR1", NOW, reason="busy").outcome is (
            AcceptOutcome.DECLINED
        )
        assert propose(s, record, "UMENTOR1") is None
        assert propose(s, record, "UMENTOR2") is not None
        assert repo.asked_mentors(s, record.id) == {"UMENTOR1", "UMENTOR2"}
        stored = s.get(ProposalRow, first.id)
        assert stored is not None
        assert stored.decline_reason == "busy"


def test_accept_is_compare_and_set(sessions: sessionmaker[Session]) -> None:
    with sessions.begin() as s:
        record = repo.open_request(s, team_id=T, request=request(), now=NOW)
        proposal = propose(s, record, "UMENTOR1")
        assert proposal is not None
    with sessions.begin() as s:
        wrong = repo.accept_proposal(s, proposal.id, "UOTHER", NOW, checkin_every_days=30)
        first = repo.accept_proposal(s, proposal.id, "UMENTOR1", NOW, checkin_every_days=30)
        again = repo.accept_proposal(s, proposal.id, "UMENTOR1", NOW, checkin_every_days=30)
        decline = repo.decline_proposal(s, proposal.id, "UMENTOR1", NOW)
        missing = repo.accept_proposal(s, 999_999, "UMENTOR1", NOW, checkin_every_days=30)
    assert wrong.outcome is AcceptOutcome.NOT_YOURS
    assert first.outcome is AcceptOutcome.ACCEPTED
    assert first.pair is not None
    assert (first.pair.mentor_id, first.pair.mentee_id) == ("UMENTOR1", "UMENTEE1")
    assert again.outcome is AcceptOutcome.ALREADY_ACCEPTED
    assert again.pair is None
    assert decline.outcome is AcceptOutcome.ALREADY_ACCEPTED
    assert missing.outcome is AcceptOutcome.NOT_FOUND
    with sessions.begin() as s:
        assert s.scalar(select(func.count()).select_from(PairRow)) == 1
        assert repo.get_request(s, record.id).status is RequestStatus.MATCHED  # type: ignore[union-attr]
        assert repo.get_open_request(s, T, "UMENTEE1") is None


def test_accept_after_expiry_is_refused(sessions: sessionmaker[Session]) -> None:
    with sessions.begin() as s:
        record = repo.open_request(s, team_id=T, request=request(), now=NOW)
        proposal = propose(s, record, "UMENTOR1")
        assert proposal is not None
    late = NOW + HOURS_72
    with sessions.begin() as s:
        result = repo.accept_proposal(s, proposal.id, "UMENTOR1", late, checkin_every_days=30)
    assert result.outcome is AcceptOutcome.EXPIRED
    with sessions.begin() as s:
        expired = repo.expire_due_proposals(s, late)
        assert [p.id for p in expired] == [proposal.id]
        assert expired[0].status is ProposalStatus.EXPIRED
        assert repo.expire_due_proposals(s, late) == []
        result = repo.accept_proposal(s, proposal.id, "UMENTOR1", late, checkin_every_days=30)
    assert result.outcome is AcceptOutcome.EXPIRED


def test_expiry_takes_only_what_is_due(sessions: sessionmaker[Session]) -> None:
    with sessions.begin() as s:
        early = repo.open_request(s, team_id=T, request=request("UMENTEE1"), now=NOW)
        later = repo.open_request(s, team_id=T, request=request("UMENTEE2"), now=NOW)
        propose(s, early, "UMENTOR1", NOW)
        propose(s, later, "UMENTOR1", NOW + timedelta(hours=5))
    with sessions.begin() as s:
        expired = repo.expire_due_proposals(s, NOW + HOURS_72 + timedelta(hours=1))
    assert [p.mentee_id for p in expired] == ["UMENTEE1"]


def test_matching_inputs_exclusions_and_load(sessions: sessionmaker[Session]) -> None:
    with sessions.begin() as s:
        for user in ("UMENTOR1", "UMENTOR2", "UMENTOR3"):
            repo.save_mentor(s, team_id=T, profile=mentor(user), now=NOW)
        repo.leave_programme(s, T, "UMENTOR3", NOW)
        declined = repo.open_request(s, team_id=T, request=request("UMENTEE1"), now=NOW)
        waiting = repo.open_request(s, team_id=T, request=request("UMENTEE2"), now=NOW)
        accepted = repo.open_request(s, team_id=T, request=request("UMENTEE3"), now=NOW)
        repo.open_request(s, team_id=T, request=request("UMENTEE4"), now=NOW)
        gone = repo.open_request(s, team_id=T, request=request("UMENTEE5"), now=NOW)
        p1 = propose(s, declined, "UMENTOR1")
        propose(s, waiting, "UMENTOR1")
        p3 = propose(s, accepted, "UMENTOR2")
        propose(s, gone, "UMENTOR2")
        assert p1 is not None and p3 is not None
        repo.decline_proposal(s, p1.id, "UMENTOR1", NOW)
        repo.accept_proposal(s, p3.id, "UMENTOR2", NOW, checkin_every_days=30)
        repo.withdraw_request(s, T, "UMENTEE5", NOW)
    with sessions.begin() as s:
        inputs = repo.matching_inputs(s, T)
    assert [r.mentee_id for r in inputs.requests] == ["UMENTEE1", "UMENTEE4"]
    assert [m.user_id for m in inputs.mentors] == ["UMENTOR1", "UMENTOR2"]
    assert inputs.excluded == {
        ("UMENTOR1", "UMENTEE1"),
        ("UMENTOR1", "UMENTEE2"),
        ("UMENTOR2", "UMENTEE3"),
    }
    assert inputs.load == {"UMENTOR1": 1, "UMENTOR2": 1}


def test_leaving_ends_pairs_and_withdraws_proposals(sessions: sessionmaker[Session]) -> None:
    with sessions.begin() as s:
        repo.save_mentor(s, team_id=T, profile=mentor(), now=NOW)
        paired = repo.open_request(s, team_id=T, request=request("UMENTEE1"), now=NOW)
        waiting = repo.open_request(s, team_id=T, request=request("UMENTEE2"), now=NOW)
        p1 = propose(s, paired, "UMENTOR1")
        assert p1 is not None
        repo.accept_proposal(s, p1.id, "UMENTOR1", NOW, checkin_every_days=30)
        propose(s, waiting, "UMENTOR1")
    with sessions.begin() as s:
        exit_ = repo.leave_programme(s, T, "UMENTOR1", NOW + timedelta(days=1))
    assert exit_ is not None
    assert [(p.mentee_id, p.status, p.end_reason) for p in exit_.ended_pairs] == [
        ("UMENTEE1", PairStatus.ENDED, PairEnd.MENTOR_LEFT)
    ]
    assert [(p.mentee_id, p.status) for p in exit_.withdrawn] == [
        ("UMENTEE2", ProposalStatus.WITHDRAWN)
    ]
    with sessions.begin() as s:
        # The withdrawn request is free to be matched again; the ended pair is excluded.
        assert [r.mentee_id for r in repo.requests_to_match(s, T)] == ["UMENTEE2"]
        assert ("UMENTOR1", "UMENTEE1") in repo.excluded_pairs(s, T)


def test_end_pair_only_once_and_only_by_a_member(sessions: sessionmaker[Session]) -> None:
    with sessions.begin() as s:
        record = repo.open_request(s, team_id=T, request=request(), now=NOW)
        proposal = propose(s, record, "UMENTOR1")
        assert proposal is not None
        pair = repo.accept_proposal(s, proposal.id, "UMENTOR1", NOW, checkin_every_days=30).pair
        assert pair is not None
    with sessions.begin() as s:
        assert repo.end_pair(s, pair.id, "USTRANGER", NOW) is None
        ended = repo.end_pair(s, pair.id, "UMENTEE1", NOW)
        assert repo.end_pair(s, pair.id, "UMENTOR1", NOW) is None
    assert ended is not None
    assert (ended.status, ended.end_reason, ended.ended_at) == (
        PairStatus.ENDED,
        PairEnd.BY_MEMBER,
        NOW,
    )


def test_monthly_checkins_are_scheduled_once_claimed_once_and_answered(
    sessions: sessionmaker[Session],
) -> None:
    with sessions.begin() as s:
        record = repo.open_request(s, team_id=T, request=request(), now=NOW)
        proposal = propose(s, record, "UMENTOR1")
        assert proposal is not None
        pair = repo.accept_proposal(s, proposal.id, "UMENTOR1", NOW, checkin_every_days=30).pair
        assert pair is not None
    with sessions.begin() as s:
        assert repo.schedule_due_checkins(s, NOW + timedelta(days=29), every_days=30) == 0
    month = NOW + timedelta(days=30)
    with sessions.begin() as s:
        assert repo.schedule_due_checkins(s, month, every_days=30) == 1
        assert repo.schedule_due_checkins(s, month, every_days=30) == 0
    lease = timedelta(minutes=10)
    with sessions.begin() as s:
        claimed = repo.claim_checkins(s, month, lease=lease)
        assert repo.claim_checkins(s, month, lease=lease) == []
    assert sorted(c.user_id for c in claimed) == ["UMENTEE1", "UMENTOR1"]
    with sessions.begin() as s:
        # A crashed worker's claim comes back after the lease.
        again = repo.claim_checkins(s, month + lease, lease=lease)
        assert len(again) == 2
        for c in again:
            repo.mark_checkin_delivered(s, c.id, month + lease)
        assert repo.claim_checkins(s, month + 2 * lease, lease=lease) == []
    mine = next(c for c in claimed if c.user_id == "UMENTEE1")
    with sessions.begin() as s:
        assert repo.record_checkin_answer(s, mine.id, "UMENTOR1", CheckinAnswer.GOOD, month) is None
        answered = repo.record_checkin_answer(s, mine.id, "UMENTEE1", CheckinAnswer.OK, month)
        changed = repo.record_checkin_answer(
            s, mine.id, "UMENTEE1", CheckinAnswer.NOT_WORKING, month
        )
        answers = repo.checkin_answers(s, pair.id)
    assert answered is not None and answered.answer is CheckinAnswer.OK
    assert changed is not None and changed.answer is CheckinAnswer.NOT_WORKING
    assert [(c.user_id, c.seq, c.answer) for c in answers] == [
        ("UMENTEE1", 1, CheckinAnswer.NOT_WORKING),
        ("UMENTOR1", 1, None),
    ]
    with sessions.begin() as s:
        # A long outage skips the missed months instead of sending them all at once.
        assert repo.schedule_due_checkins(s, NOW + timedelta(days=200), every_days=30) == 1
        assert repo.schedule_due_checkins(s, NOW + timedelta(days=200), every_days=30) == 0


def test_imports_are_idempotent_and_keep_what_people_set(sessions: sessionmaker[Session]) -> None:
    with sessions.begin() as s:
        repo.save_mentor(s, team_id=T, profile=mentor(bio="Mine", paused=True), now=NOW)
        new, updated, _ = astuple(
            repo.import_mentors(
                s,
                team_id=T,
                mentors=[(mentor(bio="", capacity=3), "Ann"), (mentor("UMENTOR2"), "Bo")],
                now=NOW,
            )
        )
        assert (new, updated) == (1, 1)
        assert repo.import_mentors(
            s, team_id=T, mentors=[(mentor(capacity=3), "Ann")], now=NOW
        ) == repo.ImportCounts(0, 1)
        record = repo.get_mentor(s, T, "UMENTOR1")
        assert record is not None
        assert (record.name, record.profile.bio, record.profile.paused) == ("Ann", "Mine", True)
        assert record.profile.capacity == 3
        repo.open_request(s, team_id=T, request=request(goal="Keep this"), now=NOW)
        assert repo.import_requests(
            s, team_id=T, requests=[(request(goal=""), "Cy"), (request("UMENTEE2"), "Di")], now=NOW
        ) == repo.ImportCounts(1, 1)
        again = repo.import_requests(s, team_id=T, requests=[(request(goal=""), "Cy")], now=NOW)
        assert again == repo.ImportCounts(0, 1)
        kept = repo.get_open_request(s, T, "UMENTEE1")
        assert kept is not None
        assert (kept.name, kept.request.goal) == ("Cy", "Keep this")
        assert s.scalar(select(func.count()).select_from(RequestRow)) == 2
        # Once paired, importing the same row again opens nothing new.
        proposal = propose(s, kept, "UMENTOR1")
        assert proposal is not None
        repo.accept_proposal(s, proposal.id, "UMENTOR1", NOW, checkin_every_days=30)
        assert repo.import_requests(
            s, team_id=T, requests=[(request(goal=""), "Cy")], now=NOW
        ) == repo.ImportCounts(0, 0, 1)
        assert s.scalar(select(func.count()).select_from(RequestRow)) == 2


def test_known_teams(sessions: sessionmaker[Session]) -> None:
    with sessions.begin() as s:
        assert repo.known_teams(s) == []
        repo.save_mentor(s, team_id="T9", profile=mentor(), now=NOW)
        repo.open_request(s, team_id="T8", request=request(), now=NOW)
        assert repo.known_teams(s) == ["T8", "T9"]
        assert repo.teams_with_open_requests(s) == ["T8"]
