"""forget-me and retention through the real path."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest

from handlers import ids, privacy
from handlers.fakeslack import FakeSlack
from storage import goals as goals_repo
from storage import mentoring as mentoring_repo
from tests.conftest import RunningBot, start_bot
from tests.programme_seed import ALICE, BOB, CAROL, DAN, ERIN, FRANK, TEAM, dump, mentions, seed


@pytest.fixture
def world(bot_any_db: RunningBot) -> RunningBot:
    bot = bot_any_db
    for user in (ALICE, BOB, CAROL, DAN, ERIN, FRANK):
        bot.slack.add_user(user)
    with bot.deps.sessions.begin() as session:
        seed(session, bot.clock.now)
    return bot


def _rows(bot: RunningBot) -> dict[str, set[tuple[object, ...]]]:
    with bot.deps.sessions.begin() as session:
        return dump(session)


def _texts(bot: RunningBot, user: str) -> list[str]:
    return [str(m.get("text")) for m in bot.slack.messages(bot.slack._dm_channel([user]))]


def _confirm(bot: RunningBot, user: str, value: str | None = None) -> None:
    reply = bot.http.block_action(
        user,
        ids.FORGET_CONFIRM_ACTION,
        value=value or user,
        container={"type": "message", "is_ephemeral": True},
    )
    assert reply.status == 200


def test_forget_me_asks_first_and_deletes_nothing_until_confirmed(world: RunningBot) -> None:
    bot = world
    before = _rows(bot)
    body = bot.http.command(BOB, "forget-me").json()
    assert body["response_type"] == "ephemeral"
    rendered = json.dumps(body)
    assert ids.FORGET_CONFIRM_ACTION in rendered and '"confirm"' in rendered
    assert _rows(bot) == before
    bot.http.block_action(BOB, ids.FORGET_CANCEL_ACTION, value=BOB)
    assert bot.slack.wait_for(
        lambda s: any(r.get("text") == "Nothing was deleted." for r in s.responses())
    )
    assert _rows(bot) == before


def test_forget_me_deletes_everything_and_tells_the_other_side(world: RunningBot) -> None:
    bot = world
    _confirm(bot, BOB)
    assert bot.slack.wait_for(
        lambda s: any("deleted everything" in str(r.get("text")) for r in s.responses())
    )
    assert bot.slack.wait_for(lambda s: bool(_texts(bot, ALICE)) and bool(_texts(bot, ERIN)))
    for table, rows in _rows(bot).items():
        assert not [r for r in rows if mentions(r, BOB)], table
    assert _texts(bot, ALICE) == [f"Your mentoring with <@{BOB}> has ended."]
    assert "no longer the coach" in _texts(bot, ERIN)[0]
    # Nobody is told why, and nothing BOB wrote is repeated to anyone.
    for user in (ALICE, ERIN):
        for text in _texts(bot, user):
            assert "forget" not in text.lower() and "Speak up" not in text

    # His home tab is republished with nothing about him.
    def homes() -> list[object]:
        return [c for c in bot.slack.ok_calls("views.publish") if c.args["user_id"] == BOB]

    assert bot.slack.wait_for(lambda s: bool(homes()))
    home = json.dumps(homes()[-1].args["view"])  # type: ignore[attr-defined]
    assert "Speak up in planning" not in home and "Your mentor:" not in home


def test_forgetting_a_mentor_offers_the_mentee_a_rematch_and_reasks_for_waiting_requests(
    world: RunningBot,
) -> None:
    bot = world
    _confirm(bot, ALICE)
    assert bot.slack.wait_for(lambda s: bool(_texts(bot, BOB)))
    offer = bot.slack.messages(bot.slack._dm_channel([BOB]))[-1]
    assert ids.MENTOR_REQUEST_ACTION in json.dumps(offer["blocks"])

    def carol_asked_again() -> bool:
        with bot.deps.sessions.begin() as session:
            request = mentoring_repo.get_open_request(session, TEAM, CAROL)
            pending = mentoring_repo.pending_proposal(session, request.id) if request else None
        return pending is not None and pending.mentor_id in (DAN, FRANK)

    assert bot.slack.wait_for(lambda s: carol_asked_again())


def test_forgetting_a_waiting_mentee_takes_the_buttons_off_the_mentors_dm(
    world: RunningBot,
) -> None:
    bot = world
    _confirm(bot, CAROL)
    assert bot.slack.wait_for(lambda s: len(s.ok_calls("chat.update")) == 1)
    update = bot.slack.ok_calls("chat.update")[0].args
    assert (update["channel"], update["ts"]) == ("DALICE", "111.222")
    assert CAROL not in str(update["text"])


def test_a_confirm_button_for_someone_else_deletes_nothing(world: RunningBot) -> None:
    bot = world
    before = _rows(bot)
    _confirm(bot, ALICE, value=BOB)
    assert bot.slack.wait_for(
        lambda s: any("someone else" in str(r.get("text")) for r in s.responses())
    )
    assert _rows(bot) == before


@pytest.fixture
def short_retention(fake_slack: FakeSlack, sqlite_url: str) -> Iterator[RunningBot]:
    yield from start_bot(fake_slack, sqlite_url, NOTE_RETENTION_DAYS="30")


def test_retention_job_blanks_notes_after_the_configured_days(short_retention: RunningBot) -> None:
    bot = short_retention
    with bot.deps.sessions.begin() as session:
        world_ids = seed(session, bot.clock.now)
        assert goals_repo.abandon_goal(session, world_ids.bob_goals[0], bot.clock.now)
    assert privacy.clear_old_notes(bot.deps) == 0
    bot.clock.advance(days=29)
    assert privacy.clear_old_notes(bot.deps) == 0
    bot.clock.advance(days=2)
    assert privacy.clear_old_notes(bot.deps) == 1
    with bot.deps.sessions.begin() as session:
        notes = [c.note for c in goals_repo.checkins_of(session, world_ids.bob_goals[0])]
        erin = [c.note for c in goals_repo.checkins_of(session, world_ids.erin_goal)]
    assert notes == [None]
    assert erin == ["erin's note"]
