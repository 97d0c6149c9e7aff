"""Coaching goals through the real path: signed requests in, the real WebClient to fake Slack."""

from __future__ import annotations

import json
import time
from datetime import date, timedelta
from typing import Any

import pytest

from bot.goals import GoalStatus
from handlers import ids
from handlers.goals_dispatch import Dispatcher, dispatch_client
from storage import goals as repo
from tests.conftest import RunningBot

ALICE = "U0ALICE"


def goal_values(**overrides: Any) -> dict[str, dict[str, Any]]:
    """The goal modal's state as Slack submits it."""
    fields: dict[str, dict[str, Any]] = {
        "title": {"type": "plain_text_input", "value": "Give clearer feedback"},
        "success": {"type": "plain_text_input", "value": "My team says it is clear"},
        "end_date": {"type": "datepicker", "selected_date": "2026-02-16"},
        "cadence": {"type": "static_select", "selected_option": {"value": "weekly"}},
        "weekday": {"type": "static_select", "selected_option": {"value": "wednesday"}},
        "local_time": {"type": "timepicker", "selected_time": "09:30"},
        "coach": {"type": "users_select", "selected_user": None},
    }
    for name, value in overrides.items():
        fields[name] = value
    return {ids.goal_block(name): {ids.GOAL_FIELD_ACTION: state} for name, state in fields.items()}


def goals_of(bot: RunningBot, user: str = ALICE) -> list[repo.Goal]:
    with bot.deps.sessions.begin() as session:
        return repo.goals_of(session, bot.slack.team_id, user)


def submit_goal(bot: RunningBot, **overrides: Any) -> Any:
    return bot.http.view_submission(ALICE, ids.GOAL_MODAL_VIEW, goal_values(**overrides))


@pytest.fixture
def people(bot_any_db: RunningBot) -> RunningBot:
    bot_any_db.slack.add_user(ALICE, tz="Europe/London")
    bot_any_db.slack.add_user("U0COACH", tz="Europe/London")
    bot_any_db.slack.add_user("U0ROBOT", is_bot=True)
    return bot_any_db


def test_command_to_checkin_to_answer_end_to_end(people: RunningBot) -> None:
    bot = people
    reply = bot.http.command(ALICE, "goal")
    assert reply.status == 200
    assert bot.slack.wait_for(lambda s: len(s.ok_calls("views.open")) == 1)
    view = (
        json.loads(bot.slack.ok_calls("views.open")[0].args["view"])
        if isinstance(bot.slack.ok_calls("views.open")[0].args["view"], str)
        else bot.slack.ok_calls("views.open")[0].args["view"]
    )
    assert view["callback_id"] == ids.GOAL_MODAL_VIEW
    assert {block["block_id"] for block in view["blocks"]} >= {ids.goal_block("end_date")}

    assert submit_goal(bot).status == 200
    # The confirmation DM goes out once the goal has the zone Slack reports.
    assert bot.slack.wait_for(
        lambda s: any(c.args.get("channel") == ALICE for c in s.ok_calls("chat.postMessage"))
    )
    (goal,) = goals_of(bot)
    assert goal.spec.title == "Give clearer feedback"
    assert goal.tz_name == "Europe/London"

    bot.clock.advance(days=2, hours=2)  # Wednesday 7 January, 10:00 UTC
    dispatcher = Dispatcher(bot.deps, dispatch_client(bot.deps.settings))
    assert dispatcher.tick().sent == 1
    checkin_post = bot.slack.ok_calls("chat.postMessage")[-1]
    assert checkin_post.args["channel"] == ALICE
    blocks = checkin_post.args["blocks"]
    blocks = json.loads(blocks) if isinstance(blocks, str) else blocks
    buttons = [e for b in blocks if b["type"] == "actions" for e in b["elements"]]
    on_track = next(b for b in buttons if b["action_id"] == ids.GOAL_ANSWER_PREFIX + "on_track")

    first = bot.http.block_action(ALICE, on_track["action_id"], value=on_track["value"])
    assert first.status == 200
    assert bot.slack.wait_for(lambda s: len(s.responses()) >= 1)
    (row, *_) = [r for r in checkins(bot, goal.id) if r.answered_at is not None]
    assert (row.answer, row.answered_at) == ("on_track", bot.clock())

    bot.clock.advance(minutes=5)
    second = bot.http.block_action(ALICE, on_track["action_id"], value=on_track["value"])
    assert second.status == 200
    assert bot.slack.wait_for(lambda s: len(s.responses()) >= 2)
    assert "already answered" in bot.slack.responses()[-1]["text"]
    (again, *_) = [r for r in checkins(bot, goal.id) if r.answered_at is not None]
    assert again.answered_at == row.answered_at  # not recorded twice


def test_a_new_goal_dms_its_owner_remembers_the_dm_and_tells_the_coach(people: RunningBot) -> None:
    bot = people
    coach = {"type": "users_select", "selected_user": "U0COACH"}
    assert submit_goal(bot, coach=coach).status == 200
    assert bot.slack.wait_for(
        lambda s: len(s.ok_calls("views.publish")) == 1 and len(s.ok_calls("chat.postMessage")) == 2
    )
    posts = bot.slack.ok_calls("chat.postMessage")
    assert [p.args["channel"] for p in posts] == [ALICE, "U0COACH"]
    assert "First check-in" in json.dumps(posts[0].args["blocks"])
    (goal,) = goals_of(bot)
    assert goal.dm_channel == bot.slack._dm_channel([ALICE])


def checkins(bot: RunningBot, goal_id: int) -> list[repo.Checkin]:
    with bot.deps.sessions.begin() as session:
        return repo.checkins_of(session, goal_id)


@pytest.mark.parametrize(
    ("overrides", "block", "words"),
    [
        ({"title": {"type": "plain_text_input", "value": "  "}}, "title", "Write the goal"),
        ({"end_date": {"type": "datepicker", "selected_date": "2026-01-01"}}, "end_date", "future"),
        (
            {"end_date": {"type": "datepicker", "selected_date": "2027-01-01"}},
            "end_date",
            "at most",
        ),
        ({"coach": {"type": "users_select", "selected_user": ALICE}}, "coach", "someone else"),
        ({"coach": {"type": "users_select", "selected_user": "U0ROBOT"}}, "coach", "not an app"),
    ],
    ids=["empty-goal", "past-end", "too-far", "self-coach", "bot-coach"],
)
def test_bad_input_is_shown_next_to_the_field(
    people: RunningBot, overrides: dict[str, Any], block: str, words: str
) -> None:
    reply = submit_goal(people, **overrides)
    body = reply.json()
    assert body["response_action"] == "errors"
    assert words in body["errors"][ids.goal_block(block)]
    assert goals_of(people) == []


def test_the_limit_of_active_goals_is_kept(people: RunningBot) -> None:
    for _ in range(3):
        assert submit_goal(people).status == 200
    body = submit_goal(people).json()
    assert "3 active goals" in body["errors"][ids.goal_block("title")]
    reply = people.http.command(ALICE, "goal")
    assert "3 active goals" in reply.json()["text"]
    assert len(goals_of(people)) == 3


def test_goals_are_listed_and_managed_with_double_clicks_harmless(people: RunningBot) -> None:
    submit_goal(people)
    (goal,) = goals_of(people)
    listing = people.http.command(ALICE, "goals").json()
    actions = [
        e["action_id"] for b in listing["blocks"] if b["type"] == "actions" for e in b["elements"]
    ]
    assert actions == [
        ids.GOAL_EDIT_ACTION,
        ids.GOAL_PAUSE_ACTION,
        ids.GOAL_FINISH_ACTION,
        ids.GOAL_ABANDON_ACTION,
    ]
    for expected in ("Paused", "Nothing changed"):
        people.http.block_action(ALICE, ids.GOAL_PAUSE_ACTION, value=str(goal.id))
        assert people.slack.wait_for(
            lambda s, e=expected: s.responses() and e in s.responses()[-1]["text"]
        )
    assert goals_of(people)[0].status is GoalStatus.PAUSED
    people.http.block_action("U0MALLORY", ids.GOAL_ABANDON_ACTION, value=str(goal.id))
    assert people.slack.wait_for(lambda s: "not one of yours" in s.responses()[-1]["text"])
    people.http.block_action(ALICE, ids.GOAL_RESUME_ACTION, value=str(goal.id))
    assert people.slack.wait_for(lambda s: "Resumed" in s.responses()[-1]["text"])
    assert goals_of(people)[0].status is GoalStatus.ACTIVE


def test_an_answer_to_an_ended_goal_records_nothing(people: RunningBot) -> None:
    submit_goal(people)
    (goal,) = goals_of(people)
    people.clock.advance(days=2, hours=2)
    Dispatcher(people.deps, dispatch_client(people.deps.settings)).tick()
    (sent, *_) = checkins(people, goal.id)
    people.http.block_action(ALICE, ids.GOAL_ABANDON_ACTION, value=str(goal.id))
    assert people.slack.wait_for(
        lambda s: any("Dropped" in r.get("text", "") for r in s.responses())
    )
    people.http.block_action(ALICE, ids.GOAL_ANSWER_PREFIX + "done", value=str(sent.id))
    assert people.slack.wait_for(lambda s: "already ended" in s.responses()[-1]["text"])
    assert all(r.answered_at is None for r in checkins(people, goal.id))


def test_the_guidance_button_opens_the_goal_modal(people: RunningBot) -> None:
    people.http.block_action(ALICE, ids.GOAL_NEW_ACTION)
    assert people.slack.wait_for(lambda s: len(s.ok_calls("views.open")) == 1)


def test_a_note_is_added_through_its_modal(people: RunningBot) -> None:
    submit_goal(people)
    (goal,) = goals_of(people)
    people.clock.advance(days=2, hours=2)
    Dispatcher(people.deps, dispatch_client(people.deps.settings)).tick()
    (sent, *_) = checkins(people, goal.id)
    people.http.block_action(ALICE, ids.GOAL_NOTE_ACTION, value=str(sent.id))
    assert people.slack.wait_for(lambda s: len(s.ok_calls("views.open")) == 1)
    values = {
        ids.GOAL_NOTE_BLOCK: {
            ids.GOAL_FIELD_ACTION: {"type": "plain_text_input", "value": "Tried <b>"}
        }
    }
    reply = people.http.view_submission(
        ALICE, ids.GOAL_NOTE_VIEW, values, private_metadata=str(sent.id)
    )
    assert reply.status == 200 and not reply.body
    assert checkins(people, goal.id)[0].note == "Tried <b>"


def test_edit_moves_the_next_checkin(people: RunningBot) -> None:
    submit_goal(people)
    (goal,) = goals_of(people)
    friday = goal_values(weekday={"type": "static_select", "selected_option": {"value": "friday"}})
    reply = people.http.view_submission(
        ALICE, ids.GOAL_MODAL_VIEW, friday, private_metadata=str(goal.id)
    )
    assert reply.status == 200 and not reply.body
    pending = [r for r in checkins(people, goal.id) if r.status.value == "pending"]
    assert [r.period for r in pending] == [date(2026, 1, 9)]
    assert pending[0].due_at - pending[0].due_at.replace(hour=9, minute=30, second=0) < timedelta(
        minutes=5
    )


def _confirmation(bot: RunningBot) -> dict[str, Any]:
    """The goal's confirmation DM to Alice (waited for)."""

    def dms(s: Any) -> list[Any]:
        return [c for c in s.ok_calls("chat.postMessage") if c.args.get("channel") == ALICE]

    assert bot.slack.wait_for(lambda s: bool(dms(s)), timeout=10), "no confirmation DM"
    return dict(dms(bot.slack)[0].args)


def _first_due(bot: RunningBot, goal_id: int) -> Any:
    (pending,) = [r for r in checkins(bot, goal_id) if r.status.value == "pending"]
    return pending.due_at


def test_the_goal_modal_answers_before_slack_is_asked_for_the_zone(people: RunningBot) -> None:
    """A person Slack has not told us about: the answer does not wait for users.info (here slow);
    the goal follows the zone Slack then reports before the confirmation DM goes out."""
    people.slack.add_user(ALICE, tz="America/New_York")
    people.slack.fail("users.info", times=1, delay=2.5)
    started = time.monotonic()
    reply = submit_goal(people)
    assert reply.status == 200 and not reply.body
    assert time.monotonic() - started < 2.5
    dm = _confirmation(people)
    (goal,) = goals_of(people)
    assert goal.tz_name == "America/New_York"
    # Wednesday 7 January 09:30 in New York is 14:30 UTC (the jitter is at most 5 minutes).
    due = _first_due(people, goal.id)
    assert timedelta(0) <= due - due.replace(hour=14, minute=30, second=0, microsecond=0)
    assert due - due.replace(hour=14, minute=30, second=0, microsecond=0) < timedelta(minutes=5)
    assert due.date() == date(2026, 1, 7)
    assert f"<!date^{int(due.timestamp())}^" in json.dumps(dm["blocks"])
    assert "did not tell me your time zone" not in json.dumps(dm["blocks"])


def test_a_zone_slack_never_gave_is_said_and_asked_again_before_the_first_checkin(
    people: RunningBot,
) -> None:
    people.slack.fail("users.info", times=10, error="fatal_error")
    reply = submit_goal(people)
    assert reply.status == 200 and not reply.body
    dm = _confirmation(people)
    assert "did not tell me your time zone" in json.dumps(dm["blocks"])
    (goal,) = goals_of(people)
    assert goal.tz_name == "UTC"
    assert goal.tz_checked_at == repo.ZONE_UNCONFIRMED

    people.slack.clear_faults()
    people.slack.add_user(ALICE, tz="America/New_York")
    people.clock.advance(days=1, hours=2)  # Tuesday 10:00 UTC: the first check-in is a day away
    Dispatcher(people.deps, dispatch_client(people.deps.settings)).tick()
    (goal,) = goals_of(people)
    assert goal.tz_name == "America/New_York"
    due = _first_due(people, goal.id)
    assert (due.date(), due.hour) == (date(2026, 1, 7), 14)


def test_the_zone_fetched_when_the_modal_opened_serves_the_submission(
    people: RunningBot,
) -> None:
    people.slack.add_user(ALICE, tz="America/New_York")
    assert people.http.command(ALICE, "goal").status == 200
    assert people.slack.wait_for(lambda _: _stored_zone(people, ALICE) == "America/New_York")
    reply = submit_goal(people)
    assert reply.status == 200 and not reply.body
    assert len(people.slack.calls("users.info")) == 1
    (goal,) = goals_of(people)
    assert goal.tz_name == "America/New_York"


def _stored_zone(bot: RunningBot, user: str) -> str | None:
    from storage.people import get_person

    with bot.deps.sessions.begin() as session:
        person = get_person(session, bot.slack.team_id, user)
    return person.tz_name if person else None
