"""Mentoring through the real path: signed requests in, the real WebClient out to fake Slack."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import func, select

from handlers import ids
from handlers.fakeslack import FakeSlack
from handlers.mentoring import flow
from storage import mentoring as repo
from storage.mentoring import PairRow, ProposalRow
from storage.pacing import SendPacingRow
from storage.people import get_person
from tests.conftest import RunningBot, start_bot

MENTOR = "UMENTORA1"
MENTOR2 = "UMENTORB2"
MENTEE = "UMENTEEC3"


# Payload helpers ------------------------------------------------------------------------------
def _multi(block: str, values: list[str], kind: str = "multi_static_select") -> dict[str, Any]:
    return {block: {block: {"type": kind, "selected_options": [{"value": v} for v in values]}}}


def _text(block: str, value: str | None, kind: str = "plain_text_input") -> dict[str, Any]:
    return {block: {block: {"type": kind, "value": value}}}


def signup_values(
    *,
    topics: tuple[str, ...] = ("leadership", "feedback"),
    offers: tuple[str, ...] = ("advice", "support"),
    capacity: str = "2",
    years: str = "12",
    team: str = "Platform",
    bio: str = "I led teams for ten years.",
) -> dict[str, Any]:
    return {
        **_multi(ids.MENTORING_TOPICS_BLOCK, list(topics)),
        **_multi(ids.MENTORING_OFFERS_BLOCK, list(offers), "checkboxes"),
        ids.MENTORING_CAPACITY_BLOCK: {
            ids.MENTORING_CAPACITY_BLOCK: {
                "type": "static_select",
                "selected_option": {"value": capacity},
            }
        },
        **_text(ids.MENTORING_YEARS_BLOCK, years, "number_input"),
        **_text(ids.MENTORING_TEAM_BLOCK, team),
        **_text(ids.MENTORING_BIO_BLOCK, bio),
    }


def request_values(
    *,
    topics: tuple[str, ...] = ("leadership",),
    wants: tuple[str, ...] = ("advice",),
    goal: str = "Lead my first project <!channel> & ship it",
    years: str = "2",
    team: str = "Payments",
    prefs: tuple[str, ...] = (),
) -> dict[str, Any]:
    return {
        **_multi(ids.MENTORING_TOPICS_BLOCK, list(topics)),
        **_multi(ids.MENTORING_WANTS_BLOCK, list(wants), "checkboxes"),
        **_text(ids.MENTORING_GOAL_BLOCK, goal),
        **_text(ids.MENTORING_YEARS_BLOCK, years, "number_input"),
        **_text(ids.MENTORING_TEAM_BLOCK, team),
        **_multi(ids.MENTORING_PREFS_BLOCK, list(prefs), "checkboxes"),
    }


def _view(call_args: dict[str, Any]) -> dict[str, Any]:
    view = call_args["view"]
    return view if isinstance(view, dict) else json.loads(view)


def _blocks(call_args: dict[str, Any]) -> list[dict[str, Any]]:
    blocks = call_args.get("blocks") or []
    return blocks if isinstance(blocks, list) else json.loads(blocks)


def _buttons(call_args: dict[str, Any]) -> dict[str, str]:
    """action_id -> value of every button in a message."""
    found: dict[str, str] = {}
    for block in _blocks(call_args):
        for element in block.get("elements") or []:
            if element.get("type") == "button":
                found[element["action_id"]] = element.get("value", "")
        accessory = block.get("accessory") or {}
        if accessory.get("type") == "button":
            found[accessory["action_id"]] = accessory.get("value", "")
    return found


def dms_to(slack: FakeSlack, user_id: str) -> list[dict[str, Any]]:
    return [c.args for c in slack.ok_calls("chat.postMessage") if c.args["channel"] == user_id]


def sign_up(bot: RunningBot, user_id: str, **values: Any) -> None:
    reply = bot.http.view_submission(user_id, ids.MENTOR_SIGNUP_VIEW, signup_values(**values))
    assert reply.status == 200
    assert reply.json()["response_action"] == "update", reply.body


def ask(bot: RunningBot, user_id: str = MENTEE, **values: Any) -> None:
    reply = bot.http.view_submission(user_id, ids.MENTOR_REQUEST_VIEW, request_values(**values))
    assert reply.status == 200
    assert reply.json()["response_action"] == "update", reply.body


def proposal_to(bot: RunningBot, mentor_id: str, index: int = 0) -> str:
    assert bot.slack.wait_for(lambda s: len(dms_to(s, mentor_id)) > index), "no proposal DM"
    buttons = _buttons(dms_to(bot.slack, mentor_id)[index])
    assert buttons[ids.MENTOR_ACCEPT_ACTION] == buttons[ids.MENTOR_DECLINE_ACTION]
    proposal_id = buttons[ids.MENTOR_ACCEPT_ACTION]
    # The bot stores where the DM went once Slack answers (a click can come only after that).
    assert bot.slack.wait_for(lambda _: _dm_recorded(bot, int(proposal_id))), "DM not recorded"
    return proposal_id


def _dm_recorded(bot: RunningBot, proposal_id: int) -> bool:
    with bot.deps.sessions.begin() as s:
        row = s.get(ProposalRow, proposal_id)
        return row is not None and row.dm_ts is not None


def people(bot: RunningBot) -> None:
    bot.slack.add_user(MENTOR, tz="Europe/Paris")
    bot.slack.add_user(MENTOR2, tz="America/New_York")
    bot.slack.add_user(MENTEE, tz="Europe/London")


def _stored_zone(bot: RunningBot, user_id: str) -> str | None:
    """The zone stored for the person (the listener stores it after users.info answers)."""
    with bot.deps.sessions.begin() as s:
        person = get_person(s, bot.slack.team_id, user_id)
    return person.tz_name if person else None


def count(bot: RunningBot, model: type) -> int:
    with bot.deps.sessions.begin() as s:
        return int(s.scalar(select(func.count()).select_from(model)) or 0)


@pytest.fixture
def rounds_bot(fake_slack: FakeSlack, sqlite_url: str) -> Iterator[RunningBot]:
    """The bot with rounds only (no instant proposals)."""
    yield from start_bot(fake_slack, sqlite_url, MENTORING_MODE="rounds")


# Sign-up --------------------------------------------------------------------------------------
def test_signup_opens_the_modal_saves_and_reopens_filled(bot_any_db: RunningBot) -> None:
    bot = bot_any_db
    people(bot)
    reply = bot.http.command(MENTOR, "mentor")
    assert reply.status == 200
    assert bot.slack.wait_for(lambda s: len(s.ok_calls("views.open")) == 1)
    assert _view(bot.slack.ok_calls("views.open")[0].args)["callback_id"] == ids.MENTOR_SIGNUP_VIEW
    assert bot.slack.wait_for(lambda s: len(s.ok_calls("users.info")) == 1)
    assert bot.slack.wait_for(lambda _: _stored_zone(bot, MENTOR) == "Europe/Paris")

    sign_up(bot, MENTOR, bio="Ask me about <b>leading</b>")
    with bot.deps.sessions.begin() as s:
        record = repo.get_mentor(s, bot.slack.team_id, MENTOR)
    assert record is not None
    assert record.profile.tz_name == "Europe/Paris"
    assert record.profile.topics == {"leadership", "feedback"}
    assert record.profile.capacity == 2

    bot.http.command(MENTOR, "mentor")
    assert bot.slack.wait_for(lambda s: len(s.ok_calls("views.open")) == 2)
    view = _view(bot.slack.ok_calls("views.open")[1].args)
    by_block = {b.get("block_id"): b for b in view["blocks"]}
    topics = by_block[ids.MENTORING_TOPICS_BLOCK]["element"]["initial_options"]
    assert {o["value"] for o in topics} == {"leadership", "feedback"}
    assert by_block[ids.MENTORING_BIO_BLOCK]["element"]["initial_value"] == (
        "Ask me about <b>leading</b>"
    )
    assert by_block[ids.MENTORING_CAPACITY_BLOCK]["element"]["initial_option"]["value"] == "2"

    sign_up(bot, MENTOR, capacity="3")
    assert count(bot, repo.MentorRow) == 1


@pytest.mark.parametrize(
    ("values", "blocks"),
    [
        ({"capacity": "9"}, {ids.MENTORING_CAPACITY_BLOCK}),
        ({"bio": "x" * 501}, {ids.MENTORING_BIO_BLOCK}),
        ({"topics": ("astrology",)}, {ids.MENTORING_TOPICS_BLOCK}),
        ({"offers": (), "years": "-1"}, {ids.MENTORING_OFFERS_BLOCK, ids.MENTORING_YEARS_BLOCK}),
        ({"team": "t" * 81}, {ids.MENTORING_TEAM_BLOCK}),
    ],
    ids=["capacity-6+", "bio-501", "unknown-topic", "no-offer-negative-years", "team-81"],
)
def test_signup_errors_show_next_to_the_field(
    bot: RunningBot, values: dict[str, Any], blocks: set[str]
) -> None:
    reply = bot.http.view_submission(MENTOR, ids.MENTOR_SIGNUP_VIEW, signup_values(**values))
    body = reply.json()
    assert body["response_action"] == "errors"
    assert set(body["errors"]) == blocks
    assert all(body["errors"].values())
    assert count(bot, repo.MentorRow) == 0


def test_bio_at_the_limit_is_accepted(bot: RunningBot) -> None:
    sign_up(bot, MENTOR, bio="x" * 500)
    assert count(bot, repo.MentorRow) == 1


def test_buttons_open_the_modals(bot: RunningBot) -> None:
    bot.http.block_action(MENTEE, ids.MENTOR_SIGNUP_ACTION)
    bot.http.block_action(MENTEE, ids.MENTOR_REQUEST_ACTION)
    assert bot.slack.wait_for(lambda s: len(s.ok_calls("views.open")) == 2)
    opened = {_view(c.args)["callback_id"] for c in bot.slack.ok_calls("views.open")}
    assert opened == {ids.MENTOR_SIGNUP_VIEW, ids.MENTOR_REQUEST_VIEW}


def test_pause_resume_leave(bot: RunningBot) -> None:
    assert "not signed up" in bot.http.command(MENTOR, "mentor pause").json()["text"]
    sign_up(bot, MENTOR)
    assert "Paused" in bot.http.command(MENTOR, "mentor pause").json()["text"]
    ask(bot)
    assert bot.slack.wait_for(lambda s: len(dms_to(s, MENTEE)) == 1)
    assert "full or paused" in _blocks(dms_to(bot.slack, MENTEE)[0])[0]["text"]["text"]
    assert dms_to(bot.slack, MENTOR) == []
    assert "Welcome back" in bot.http.command(MENTOR, "mentor resume").json()["text"]
    proposal_to(bot, MENTOR)
    assert "left" in bot.http.command(MENTOR, "mentor leave").json()["text"]
    # The answer is the ack; leaving is stored right after it.
    assert bot.slack.wait_for(lambda _: not _programme_mentors(bot))


def _programme_mentors(bot: RunningBot) -> list[Any]:
    with bot.deps.sessions.begin() as s:
        return list(repo.programme_mentors(s, bot.slack.team_id))


# Request -> proposal -> accept -> intro -------------------------------------------------------
def test_request_proposal_accept_introduces_in_a_group_dm(bot_any_db: RunningBot) -> None:
    bot = bot_any_db
    people(bot)
    sign_up(bot, MENTOR)
    reply = bot.http.command(MENTEE, "find-mentor")
    assert reply.status == 200
    assert bot.slack.wait_for(lambda s: len(s.ok_calls("views.open")) == 1)
    assert bot.slack.wait_for(lambda s: len(s.ok_calls("users.info")) == 1)
    assert bot.slack.wait_for(lambda _: _stored_zone(bot, MENTEE) == "Europe/London")
    ask(bot)

    proposal_id = proposal_to(bot, MENTOR)
    dm = dms_to(bot.slack, MENTOR)[0]
    text = json.dumps(_blocks(dm))
    assert "<!channel>" not in text  # the mentee's words are escaped
    assert "&lt;!channel&gt; &amp; ship it" in text
    assert "1 shared topic: Leadership" in text

    reply = bot.http.block_action(MENTOR, ids.MENTOR_ACCEPT_ACTION, value=proposal_id)
    assert reply.status == 200
    assert bot.slack.wait_for(lambda s: len(s.ok_calls("conversations.open")) == 1)
    opened = bot.slack.ok_calls("conversations.open")[0].args
    assert set(opened["users"].split(",")) == {MENTOR, MENTEE}
    assert bot.slack.wait_for(
        lambda s: any(c.args["channel"].startswith("G") for c in s.ok_calls("chat.postMessage"))
    )
    intro = next(c for c in bot.slack.ok_calls("chat.postMessage") if c.args["channel"][0] == "G")
    channel = intro.args["channel"]
    [message] = bot.slack.messages(channel)
    assert f"<@{MENTOR}>" in message["text"] and f"<@{MENTEE}>" in message["text"]
    assert "first meeting" in json.dumps(message["blocks"])
    assert ids.MENTORING_END_ACTION in _buttons(intro.args)
    assert bot.slack.wait_for(lambda s: len(s.responses()) == 1)
    assert "group DM" in bot.slack.responses()[0]["text"]
    with bot.deps.sessions.begin() as s:
        [pair] = repo.pairs_of(s, bot.slack.team_id, MENTEE)
    assert (pair.mentor_id, pair.intro_channel) == (MENTOR, channel)


def test_double_click_on_accept_introduces_once(bot: RunningBot) -> None:
    people(bot)
    sign_up(bot, MENTOR)
    ask(bot)
    proposal_id = proposal_to(bot, MENTOR)
    replies: list[int] = []

    def click() -> None:
        replies.append(
            bot.http.block_action(MENTOR, ids.MENTOR_ACCEPT_ACTION, value=proposal_id).status
        )

    threads = [threading.Thread(target=click) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert replies == [200, 200, 200]
    assert bot.slack.wait_for(lambda s: len(s.responses()) == 3)
    assert len(bot.slack.calls("conversations.open")) == 1
    assert count(bot, PairRow) == 1
    texts = sorted(r["text"] for r in bot.slack.responses())
    assert sum("already said yes" in t for t in texts) == 2


def test_decline_asks_the_next_mentor_and_keeps_the_reason_private(bot: RunningBot) -> None:
    people(bot)
    sign_up(bot, MENTOR, years="20")
    sign_up(bot, MENTOR2, years="5", topics=("leadership",))
    ask(bot)
    first = proposal_to(bot, MENTOR)  # more experience: the better fit
    assert dms_to(bot.slack, MENTOR2) == []

    bot.http.block_action(MENTOR, ids.MENTOR_DECLINE_ACTION, value=first)
    assert bot.slack.wait_for(lambda s: len(s.ok_calls("views.open")) == 1)
    modal = _view(bot.slack.ok_calls("views.open")[0].args)
    assert modal["callback_id"] == ids.MENTOR_DECLINE_VIEW
    assert modal["private_metadata"] == first
    assert count(bot, PairRow) == 0

    reason = "Too busy with the launch this quarter"
    reply = bot.http.view_submission(
        MENTOR,
        ids.MENTOR_DECLINE_VIEW,
        _text(ids.MENTORING_DECLINE_REASON_BLOCK, reason),
        private_metadata=first,
    )
    assert reply.status == 200
    second = proposal_to(bot, MENTOR2)
    assert second != first
    assert bot.slack.wait_for(lambda s: len(s.ok_calls("chat.update")) == 1)
    with bot.deps.sessions.begin() as s:
        row = s.get(ProposalRow, int(first))
        assert row is not None and row.decline_reason == reason
    everything_sent = json.dumps([c.args for c in bot.slack.calls()])
    assert reason not in everything_sent
    # Declining again, or accepting the declined one, changes nothing.
    reply = bot.http.block_action(MENTOR, ids.MENTOR_ACCEPT_ACTION, value=first)
    assert bot.slack.wait_for(lambda s: any("declined" in r["text"] for r in s.responses()))
    assert count(bot, PairRow) == 0


def test_expiry_asks_the_next_mentor_and_tells_the_mentee(bot: RunningBot) -> None:
    people(bot)
    sign_up(bot, MENTOR, years="20")
    sign_up(bot, MENTOR2, years="5")
    ask(bot)
    first = proposal_to(bot, MENTOR)
    bot.clock.advance(hours=71)
    assert flow.expire_proposals(bot.deps, bot.app.client) == 0
    bot.clock.advance(hours=1)
    assert flow.expire_proposals(bot.deps, bot.app.client) == 1
    proposal_to(bot, MENTOR2)
    [note] = dms_to(bot.slack, MENTEE)
    assert "couldn't answer in time" in note["text"]
    assert "asked someone else" in note["text"]
    assert len(bot.slack.ok_calls("chat.update")) == 1  # the expired DM loses its buttons

    bot.http.block_action(MENTOR, ids.MENTOR_ACCEPT_ACTION, value=first)
    assert bot.slack.wait_for(lambda s: len(s.responses()) == 1)
    assert "expired" in bot.slack.responses()[0]["text"]
    assert count(bot, PairRow) == 0
    assert bot.slack.calls("conversations.open") == []


def test_expiry_with_nobody_left_keeps_the_request_open(bot: RunningBot) -> None:
    people(bot)
    sign_up(bot, MENTOR)
    ask(bot)
    proposal_to(bot, MENTOR)
    bot.clock.advance(hours=73)
    assert flow.expire_proposals(bot.deps, bot.app.client) == 1
    [note] = dms_to(bot.slack, MENTEE)
    assert "nobody else who fits is free" in note["text"]
    assert "already been asked" in note["text"]
    with bot.deps.sessions.begin() as s:
        assert repo.get_open_request(s, bot.slack.team_id, MENTEE) is not None


def test_accept_for_a_deactivated_mentee_makes_no_intro(bot: RunningBot) -> None:
    people(bot)
    sign_up(bot, MENTOR)
    ask(bot)
    proposal_id = proposal_to(bot, MENTOR)
    bot.slack.add_user(MENTEE, deleted=True)
    bot.http.block_action(MENTOR, ids.MENTOR_ACCEPT_ACTION, value=proposal_id)
    assert bot.slack.wait_for(lambda s: len(s.responses()) == 1)
    assert "no longer active" in bot.slack.responses()[0]["text"]
    assert [c.error for c in bot.slack.calls("conversations.open")] == ["account_inactive"]
    with bot.deps.sessions.begin() as s:
        assert repo.pairs_of(s, bot.slack.team_id, MENTEE) == []
    bot.http.block_action(MENTOR, ids.MENTOR_ACCEPT_ACTION, value=proposal_id)
    assert bot.slack.wait_for(lambda s: len(s.responses()) == 2)
    assert len(bot.slack.calls("conversations.open")) == 1


def test_a_deactivated_mentor_is_skipped(bot: RunningBot) -> None:
    people(bot)
    sign_up(bot, MENTOR, years="20")
    sign_up(bot, MENTOR2, years="5")
    bot.slack.add_user(MENTOR, deleted=True)
    ask(bot)
    proposal_to(bot, MENTOR2)
    to_gone = [c.error for c in bot.slack.calls("chat.postMessage") if c.args["channel"] == MENTOR]
    assert to_gone == ["account_inactive"]
    with bot.deps.sessions.begin() as s:
        gone = repo.get_mentor(s, bot.slack.team_id, MENTOR)
    assert gone is not None and gone.left


def _paired(bot: RunningBot) -> repo.PairRecord:
    people(bot)
    sign_up(bot, MENTOR)
    ask(bot)
    bot.http.block_action(MENTOR, ids.MENTOR_ACCEPT_ACTION, value=proposal_to(bot, MENTOR))
    assert bot.slack.wait_for(lambda s: len(s.responses()) == 1)
    with bot.deps.sessions.begin() as s:
        [pair] = repo.pairs_of(s, bot.slack.team_id, MENTEE)
    return pair


def test_either_member_can_end_and_the_mentee_is_offered_a_rematch(bot: RunningBot) -> None:
    pair = _paired(bot)
    status = bot.http.command(MENTEE, "mentoring").json()
    assert _buttons(status)[ids.MENTORING_END_ACTION] == str(pair.id)
    bot.http.block_action("USTRANGER", ids.MENTORING_END_ACTION, value=str(pair.id))
    bot.http.block_action(MENTOR, ids.MENTORING_END_ACTION, value=str(pair.id))
    bot.http.block_action(MENTEE, ids.MENTORING_END_ACTION, value=str(pair.id))
    assert bot.slack.wait_for(lambda s: len(s.responses()) == 4)
    assert sum("has ended" in r["text"] for r in bot.slack.responses()) == 1
    note = bot.slack.messages(pair.intro_channel or "")[-1]
    assert "has ended this mentoring pair" in note["text"]
    [offer] = dms_to(bot.slack, MENTEE)
    assert ids.MENTOR_REQUEST_ACTION in _buttons(offer)
    # The rematch skips the mentor they had.
    bot.slack.add_user(MENTOR2)
    sign_up(bot, MENTOR2)
    ask(bot)
    proposal_to(bot, MENTOR2)
    assert len(dms_to(bot.slack, MENTOR)) == 1


def test_leaving_tells_the_mentees_and_offers_a_rematch(bot: RunningBot) -> None:
    pair = _paired(bot)
    reply = bot.http.command(MENTOR, "mentor leave").json()
    assert "1 mentee" in reply["text"]
    assert bot.slack.wait_for(lambda s: len(dms_to(s, MENTEE)) == 1)
    assert "stepped back" in dms_to(bot.slack, MENTEE)[0]["text"]
    assert "stepped back" in bot.slack.messages(pair.intro_channel or "")[-1]["text"]


def test_withdraw_takes_the_buttons_off_the_mentors_dm(bot: RunningBot) -> None:
    people(bot)
    sign_up(bot, MENTOR)
    ask(bot)
    proposal_id = proposal_to(bot, MENTOR)
    assert "withdrawn" in bot.http.command(MENTEE, "find-mentor withdraw").json()["text"]
    assert "no open request" in bot.http.command(MENTEE, "request withdraw").json()["text"]
    assert bot.slack.wait_for(lambda s: len(s.ok_calls("chat.update")) == 1)
    bot.http.block_action(MENTOR, ids.MENTOR_ACCEPT_ACTION, value=proposal_id)
    assert bot.slack.wait_for(lambda s: len(s.responses()) == 1)
    assert "doesn't need a mentor" in bot.slack.responses()[0]["text"]
    assert count(bot, PairRow) == 0


def test_a_second_request_edits_the_open_one(bot: RunningBot) -> None:
    people(bot)
    ask(bot)
    ask(bot, goal="Something else")
    with bot.deps.sessions.begin() as s:
        record = repo.get_open_request(s, bot.slack.team_id, MENTEE)
    assert record is not None and record.request.goal == "Something else"
    assert count(bot, repo.RequestRow) == 1
    reply = bot.http.view_submission(MENTEE, ids.MENTOR_REQUEST_VIEW, request_values(goal=" "))
    assert reply.json()["response_action"] == "errors"
    assert set(reply.json()["errors"]) == {ids.MENTORING_GOAL_BLOCK}


def test_monthly_checkin_with_one_click_answers(bot: RunningBot) -> None:
    pair = _paired(bot)
    bot.clock.advance(days=29)
    assert flow.send_checkins(bot.deps, bot.app.client) == 0
    bot.clock.advance(days=1)
    assert flow.send_checkins(bot.deps, bot.app.client) == 2
    assert flow.send_checkins(bot.deps, bot.app.client) == 0
    [checkin] = dms_to(bot.slack, MENTEE)
    buttons = _buttons(checkin)
    assert set(buttons) == {ids.MENTORING_CHECKIN_PREFIX + a for a in ("good", "ok", "not_working")}
    bot.http.block_action(
        MENTEE, ids.MENTORING_CHECKIN_PREFIX + "not_working", value=buttons[next(iter(buttons))]
    )
    assert bot.slack.wait_for(lambda s: len(s.responses()) == 2)
    answer = bot.slack.responses()[-1]
    assert answer["replace_original"] is True
    assert ids.MENTORING_END_ACTION in json.dumps(answer["blocks"])
    with bot.deps.sessions.begin() as s:
        answers = {c.user_id: c.answer for c in repo.checkin_answers(s, pair.id)}
    assert answers == {MENTOR: None, MENTEE: repo.CheckinAnswer.NOT_WORKING}


def test_rounds_mode_waits_for_the_round(rounds_bot: RunningBot) -> None:
    bot = rounds_bot
    people(bot)
    sign_up(bot, MENTOR)
    ask(bot)
    assert not bot.slack.wait_for(lambda s: bool(dms_to(s, MENTOR)), timeout=0.3)
    assert flow.run_rounds(bot.deps, bot.app.client) == 1
    proposal_to(bot, MENTOR)
    assert flow.run_rounds(bot.deps, bot.app.client) == 0


@pytest.mark.parametrize(
    ("mode", "jobs"),
    [
        ("both", {"mentoring-expire-proposals", "mentoring-checkins", "mentoring-rounds"}),
        ("instant", {"mentoring-expire-proposals", "mentoring-checkins"}),
    ],
    ids=["both", "instant-has-no-rounds"],
)
def test_jobs_follow_the_mode(
    fake_slack: FakeSlack, sqlite_url: str, mode: str, jobs: set[str]
) -> None:
    from apscheduler.schedulers.background import BackgroundScheduler

    from handlers.mentoring.jobs import add_jobs

    for bot in start_bot(
        fake_slack, sqlite_url, MENTORING_MODE=mode, MENTORING_ROUND_EVERY_HOURS="6"
    ):
        scheduler = BackgroundScheduler(timezone="UTC")
        add_jobs(scheduler, bot.deps, bot.app.client)
        assert {job.id for job in scheduler.get_jobs()} == jobs
        rounds = scheduler.get_job("mentoring-rounds")
        if rounds is not None:
            assert rounds.trigger.interval == timedelta(hours=6)


def test_monthly_checkins_take_slots_from_the_shared_workspace_pace(bot: RunningBot) -> None:
    _paired(bot)
    bot.clock.advance(days=30)
    before = time.time()
    assert flow.send_checkins(bot.deps, bot.app.client) == 2
    after = time.time()
    with bot.deps.sessions.begin() as s:
        tat = s.scalar(select(SendPacingRow.tat).where(SendPacingRow.team_id == bot.slack.team_id))
    assert tat is not None
    interval = 1 / bot.deps.settings.goals.sends_per_second
    # Two slots taken one after the other from the workspace's schedule.
    assert before + 2 * interval <= tat <= after + 2 * interval


def test_monthly_checkins_stop_before_their_lease_runs_short(
    bot: RunningBot, monkeypatch: pytest.MonkeyPatch
) -> None:
    _paired(bot)
    bot.clock.advance(days=30)
    before = len(bot.slack.ok_calls("chat.postMessage"))

    class SlowSlots(flow.SharedPacer):
        """Each slot comes only after most of the lease has gone."""

        def acquire(self, team_id: str) -> None:
            bot.clock.advance(seconds=(flow.CHECKIN_LEASE - flow.CHECKIN_LEASE_MARGIN).seconds)

    monkeypatch.setattr(flow, "pacer_for", lambda deps: SlowSlots(deps.sessions, 4))
    assert flow.send_checkins(bot.deps, bot.app.client) == 1
    assert flow.send_checkins(bot.deps, bot.app.client) == 1  # the other came back after the lease
    assert flow.send_checkins(bot.deps, bot.app.client) == 0
    assert len(bot.slack.ok_calls("chat.postMessage")) - before == 2
