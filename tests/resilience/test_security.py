"""Security at the door and on the way out: forged and replayed requests, oversized bodies, and
mention or link injection in every field the bot echoes back.

Admin-only actions: there are none on main yet (ADMIN_USER_IDS is read but no listener checks
it), so there is nothing for a non-admin to call; a test belongs here once one exists.
"""

from __future__ import annotations

import json
import re
import time
from typing import Any
from urllib.parse import urlencode

import pytest
from sqlalchemy import func, inspect, select, text

from handlers import ids
from handlers.goals_dispatch import Dispatcher, dispatch_client
from handlers.server import MAX_BODY_BYTES
from handlers.signed import Reply
from storage import goals as goals_repo
from tests.conftest import START, RunningBot
from tests.resilience.traffic import goal_values, json_arg, request_values, signup_values

TODAY = START.date()
ALICE, COACH = "U0ALICE", "U0COACH"
# Everything Slack would turn into a ping or a link if it reached mrkdwn unescaped.
INJECTION = "<!channel> <!here> <@UEVIL01> <#CEVIL01> <!subteam^SEVIL01> <https://evil.example|x>"
DANGER = re.compile(r"<(!channel|!here|!everyone|!subteam|@UEVIL|#CEVIL|https?://evil|mailto:)")


def _rows(bot: RunningBot) -> dict[str, int]:
    """Row counts of every table the bot writes (bookkeeping of event ids aside)."""
    with bot.deps.engine.connect() as conn:
        tables = inspect(conn).get_table_names()
        return {
            t: int(conn.execute(text(f'SELECT COUNT(*) FROM "{t}"')).scalar_one())
            for t in tables
            if t not in ("alembic_version", "slack_events")
        }


def _goal_body(user: str = ALICE) -> str:
    payload = {
        "type": "view_submission",
        "team": {"id": "T0FAKE"},
        "user": {"id": user, "team_id": "T0FAKE"},
        "view": {
            "id": "V1",
            "type": "modal",
            "callback_id": ids.GOAL_MODAL_VIEW,
            "private_metadata": "",
            "state": {"values": goal_values("Listen first", today=TODAY)},
        },
    }
    return urlencode({"payload": json.dumps(payload)})


# the door ----------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("signature", "age_s"),
    [
        pytest.param("v0=" + "0" * 64, 0, id="forged-signature"),
        pytest.param("v1=whatever", 0, id="wrong-scheme"),
        pytest.param(None, 301, id="replayed-after-five-minutes"),
        pytest.param(None, -301, id="from-the-future"),
    ],
)
def test_forged_or_replayed_requests_are_refused_and_change_nothing(
    bot: RunningBot, signature: str | None, age_s: int
) -> None:
    before = _rows(bot)
    reply = bot.http.post(_goal_body(), signature=signature, timestamp=int(time.time()) - age_s)
    assert reply.status == 401
    command = urlencode({"command": ids.COMMAND, "text": "goal", "user_id": ALICE})
    assert (
        bot.http.post(command, signature=signature, timestamp=int(time.time()) - age_s).status
        == 401
    )
    assert _rows(bot) == before
    assert not bot.slack.calls()


def test_the_same_body_correctly_signed_goes_through(bot: RunningBot) -> None:
    """The refusals above are about the signature, not the body."""
    reply = bot.http.post(_goal_body())
    assert reply.status == 200 and not reply.body
    with bot.deps.sessions.begin() as session:
        assert session.scalar(select(func.count(goals_repo.GoalRow.id))) == 1


@pytest.mark.parametrize(
    "size",
    [
        pytest.param(MAX_BODY_BYTES + 1, id="just-over-the-limit"),
        pytest.param(3 * MAX_BODY_BYTES, id="three-times"),
        pytest.param(6 * MAX_BODY_BYTES, id="not-even-read"),
    ],
)
def test_oversized_bodies_are_refused_and_change_nothing(bot: RunningBot, size: int) -> None:
    before = _rows(bot)
    body = _goal_body() + "&padding=" + "x" * size
    try:
        assert bot.http.post(body).status == 413
    except (BrokenPipeError, ConnectionResetError):
        # Past four times the limit the server answers 413 without reading the body and
        # closes the connection, so a client still sending sees the connection cut instead.
        assert size > 4 * MAX_BODY_BYTES
    assert _rows(bot) == before
    assert not bot.slack.calls()


# on the way out ----------------------------------------------------------------------------------
def _mrkdwn(value: Any, found: list[str]) -> None:
    """Collect every string Slack would read as mrkdwn (plain_text cannot ping or link)."""
    if isinstance(value, list):
        for item in value:
            _mrkdwn(item, found)
        return
    if not isinstance(value, dict):
        return
    if value.get("type") == "plain_text":
        return
    for key, item in value.items():
        if key == "text" and isinstance(item, str):
            found.append(item)
        elif key in ("text", "blocks", "fields", "elements", "view", "accessory"):
            _mrkdwn(json_arg(item) if isinstance(item, str) else item, found)


def _surfaces(bot: RunningBot, replies: list[Reply]) -> list[str]:
    """mrkdwn of every message, view and response the bot produced."""
    found: list[str] = []
    for call in bot.slack.calls():
        _mrkdwn({k: json_arg(v) if k != "text" else v for k, v in call.args.items()}, found)
    for response in bot.slack.responses():
        _mrkdwn(response, found)
    for reply in replies:
        if reply.body.startswith("{"):
            _mrkdwn(reply.json(), found)
    return found


def test_mentions_and_links_typed_anywhere_are_neutralised_everywhere(bot: RunningBot) -> None:
    bot.slack.add_user(ALICE, tz="Europe/London")
    bot.slack.add_user(COACH, tz="Europe/London")
    mark = {
        name: f"ZQ{name.upper()} {INJECTION}"
        for name in (
            "situation",
            "bio",
            "mentor_team",
            "goal",
            "team",
            "title",
            "success",
            "note",
            "decline",
        )
    }
    mark["title"] = f"ZQTITLE {INJECTION}"[:150]
    mark["team"] = "ZQTEAM <!here> <@UEVIL01>"
    mark["mentor_team"] = "ZQMENTOR_TEAM <!here>"
    replies: list[Reply] = []

    def ok(reply: Reply) -> Reply:
        assert reply.status == 200, reply.body
        replies.append(reply)
        return reply

    ok(bot.http.command(ALICE, f"I keep interrupting people in meetings {mark['situation']}"))
    for mentor in ("UMENTOR1", "UMENTOR2"):
        ok(
            bot.http.view_submission(
                mentor,
                ids.MENTOR_SIGNUP_VIEW,
                signup_values(bio=mark["bio"], team=mark["mentor_team"]),
            )
        )
    ok(
        bot.http.view_submission(
            "UMENTEE1",
            ids.MENTOR_REQUEST_VIEW,
            request_values(goal=mark["goal"], team=mark["team"]),
        )
    )
    assert bot.slack.wait_for(lambda s: len(_proposals(s)) == 1)
    (first_mentor, proposal_id) = _proposals(bot.slack)[0]
    reason = {
        ids.MENTORING_DECLINE_REASON_BLOCK: {
            ids.MENTORING_DECLINE_REASON_BLOCK: {
                "type": "plain_text_input",
                "value": mark["decline"],
            }
        }
    }
    ok(
        bot.http.view_submission(
            first_mentor, ids.MENTOR_DECLINE_VIEW, reason, private_metadata=proposal_id
        )
    )
    assert bot.slack.wait_for(lambda s: len(_proposals(s)) == 2)
    (second_mentor, second_id) = _proposals(bot.slack)[1]
    ok(bot.http.block_action(second_mentor, ids.MENTOR_ACCEPT_ACTION, value=second_id))
    assert bot.slack.wait_for(
        lambda s: any(c.args["channel"].startswith("G") for c in s.ok_calls("chat.postMessage"))
    )

    ok(
        bot.http.view_submission(
            ALICE,
            ids.GOAL_MODAL_VIEW,
            goal_values(mark["title"], today=TODAY, success=mark["success"], coach=COACH),
        )
    )
    # The goal is confirmed by DM once it has Alice's zone from Slack (asked after the ack).
    assert bot.slack.wait_for(
        lambda s: any(c.args.get("channel") == ALICE for c in s.ok_calls("chat.postMessage"))
    )
    dispatcher = Dispatcher(bot.deps, dispatch_client(bot.deps.settings))
    bot.clock.advance(days=2, hours=2)
    dispatcher.tick()
    with bot.deps.sessions.begin() as session:
        (goal,) = goals_repo.goals_of(session, "T0FAKE", ALICE)
        sent = next(c for c in goals_repo.checkins_of(session, goal.id) if c.ts)
    ok(bot.http.block_action(ALICE, ids.GOAL_ANSWER_PREFIX + "behind", value=str(sent.id)))
    note = {
        ids.GOAL_NOTE_BLOCK: {
            ids.GOAL_FIELD_ACTION: {"type": "plain_text_input", "value": mark["note"]}
        }
    }
    ok(bot.http.view_submission(ALICE, ids.GOAL_NOTE_VIEW, note, private_metadata=str(sent.id)))
    for _ in range(24):  # a week on, in 8-hour steps: the coach digest and the next check-in
        bot.clock.advance(hours=8)
        dispatcher.tick()
    ok(bot.http.command(ALICE, "goals"))
    ok(bot.http.command("UMENTEE1", "mentoring"))
    time.sleep(0.3)  # listeners finish their work after acking

    surfaces = _surfaces(bot, replies)
    leaks = [s for s in surfaces if DANGER.search(s)]
    assert not leaks, leaks[:3]
    shown = {name for name, value in mark.items() if any(value.split()[0] in s for s in surfaces)}
    # These are echoed to someone (escaped), so the check above really saw them.
    assert {"goal", "team", "title", "note"} <= shown, shown
    everything = json.dumps([c.args for c in bot.slack.calls()]) + json.dumps(bot.slack.responses())
    assert "ZQDECLINE" not in everything, "the decline reason is for admins only"
    assert not any(c.args.get("link_names") for c in bot.slack.calls())


def _proposals(slack: Any) -> list[tuple[str, str]]:
    """(mentor, proposal id) of each proposal DM, oldest first."""
    found = []
    for call in slack.ok_calls("chat.postMessage"):
        for block in json_arg(call.args.get("blocks")) or []:
            for element in block.get("elements") or []:
                if element.get("action_id") == ids.MENTOR_ACCEPT_ACTION:
                    found.append((str(call.args["channel"]), str(element["value"])))
    return found
