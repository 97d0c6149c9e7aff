"""The real path: signed HTTP requests into the bot's WSGI app, the real WebClient to fake Slack."""

from __future__ import annotations

import json
import time
from urllib.parse import urlencode

import pytest

from storage.people import get_person
from tests.conftest import RunningBot


def test_help_command_answers_ephemerally(bot: RunningBot) -> None:
    reply = bot.http.command("U0ALICE", "help")
    assert reply.status == 200
    body = reply.json()
    assert body["response_type"] == "ephemeral"
    assert "*coaching*" in json.dumps(body["blocks"])
    assert body["text"]


def test_a_command_whose_text_says_payload_is_answered(bot: RunningBot) -> None:
    # Bolt's own body parsing reads any form with "payload" in it as empty (no listener, 404)
    reply = bot.http.command("U0ALICE", "help payload")
    assert reply.status == 200
    assert reply.json()["response_type"] == "ephemeral"


def test_wrong_signature_is_refused_and_changes_nothing(bot: RunningBot) -> None:
    reply = bot.http.post(
        urlencode({"command": "/coach-or-mentor", "text": "help"}), signature="v0=" + "0" * 64
    )
    assert reply.status == 401
    assert bot.slack.calls() == []


def test_replayed_request_older_than_five_minutes_is_refused(bot: RunningBot) -> None:
    old = int(time.time()) - 301
    reply = bot.http.post(urlencode({"command": "/coach-or-mentor", "text": "help"}), timestamp=old)
    assert reply.status == 401


@pytest.mark.parametrize(
    ("body", "content_type"),
    [
        ("payload=%7Bnot-json", "application/x-www-form-urlencoded"),
        ("payload=%5B1%2C2%5D", "application/x-www-form-urlencoded"),
        ("{not json", "application/json"),
        ("[1, 2]", "application/json"),
        ("", "application/x-www-form-urlencoded"),
    ],
    ids=["bad-payload-json", "payload-not-object", "bad-json", "json-not-object", "empty"],
)
def test_malformed_bodies_get_400(bot: RunningBot, body: str, content_type: str) -> None:
    assert bot.http.post(body, content_type=content_type).status == 400


def test_non_utf8_body_gets_400(bot: RunningBot) -> None:
    assert bot.http.post(b"text=\xff\xfe").status == 400


def test_oversized_body_gets_413(bot: RunningBot) -> None:
    assert bot.http.post("text=" + "a" * (1 << 20)).status == 413


def test_unknown_path_and_method(bot: RunningBot) -> None:
    assert bot.http.get("/nope").status == 404
    assert bot.http.get("/slack/events").status == 405


def test_health_checks_the_database(bot: RunningBot) -> None:
    reply = bot.http.get("/healthz")
    assert reply.status == 200
    assert reply.json() == {"status": "ok"}


def test_health_reports_an_unreachable_database(bot: RunningBot) -> None:
    from wsgiref.util import setup_testing_defaults

    from handlers.server import SlackWsgi
    from storage import db

    dead = db.make_engine("postgresql+psycopg://bob:secret@127.0.0.1:1/nothing")
    wsgi = SlackWsgi(bot.app, "secret", lambda: db.ping(dead))
    environ: dict[str, object] = {"PATH_INFO": "/healthz", "REQUEST_METHOD": "GET"}
    setup_testing_defaults(environ)
    statuses: list[str] = []
    body = b"".join(wsgi(environ, lambda status, headers: statuses.append(status)))
    dead.dispose()
    assert statuses == ["503 Service Unavailable"]
    assert json.loads(body) == {"status": "database unavailable"}
    assert b"secret" not in body


def test_app_home_opened_publishes_home_and_stores_time_zone(bot_any_db: RunningBot) -> None:
    bot = bot_any_db
    bot.slack.add_user("U0BOB", tz="America/New_York")
    reply = bot.http.event({"type": "app_home_opened", "user": "U0BOB", "tab": "home"})
    assert reply.status == 200
    assert bot.slack.wait_for(lambda s: len(s.ok_calls("views.publish")) == 1)
    published = bot.slack.ok_calls("views.publish")[0].args
    assert published["user_id"] == "U0BOB"
    view = (
        published["view"] if isinstance(published["view"], dict) else json.loads(published["view"])
    )
    assert view["type"] == "home"
    with bot.deps.sessions.begin() as session:
        person = get_person(session, bot.slack.team_id, "U0BOB")
    assert person is not None
    assert person.tz_name == "America/New_York"
    assert person.updated_at == bot.clock.now


def test_home_still_published_when_users_info_fails(bot: RunningBot) -> None:
    reply = bot.http.event({"type": "app_home_opened", "user": "U0GHOST", "tab": "home"})
    assert reply.status == 200
    assert bot.slack.wait_for(lambda s: len(s.ok_calls("views.publish")) == 1)
    assert [c.error for c in bot.slack.calls("users.info")] == ["user_not_found"]


def test_messages_tab_opened_does_not_publish_home(bot: RunningBot) -> None:
    reply = bot.http.event({"type": "app_home_opened", "user": "U0BOB", "tab": "messages"})
    assert reply.status == 200
    assert not bot.slack.wait_for(lambda s: bool(s.calls("views.publish")), timeout=0.3)


def test_a_failing_command_gets_a_kind_answer_not_a_500(
    bot: RunningBot, monkeypatch: pytest.MonkeyPatch
) -> None:
    from handlers.router import CommandRouter, Subcommand

    def boom(call: object) -> None:
        raise RuntimeError("broken on purpose")

    failing = Subcommand("boom", "boom", "fails", boom)
    monkeypatch.setattr(CommandRouter, "resolve", lambda self, text: (failing, ""))
    reply = bot.http.command("U0ALICE", "anything")
    assert reply.status == 200
    assert "went wrong" in reply.json()["text"]


def test_retried_event_is_handled_once(bot_any_db: RunningBot) -> None:
    bot = bot_any_db
    event = {"type": "app_home_opened", "user": "U0BOB", "tab": "home"}
    assert bot.http.event(event, event_id="EvSAME").status == 200
    assert bot.slack.wait_for(lambda s: len(s.ok_calls("views.publish")) == 1)
    assert bot.http.event(event, event_id="EvSAME", retry_num=1).status == 200
    assert not bot.slack.wait_for(lambda s: len(s.calls("views.publish")) > 1, timeout=0.5)


def test_a_retry_that_is_the_only_copy_is_handled(bot: RunningBot) -> None:
    event = {"type": "app_home_opened", "user": "U0BOB", "tab": "home"}
    assert bot.http.event(event, event_id="EvONLY", retry_num=2).status == 200
    assert bot.slack.wait_for(lambda s: len(s.ok_calls("views.publish")) == 1)


def _broken_goal_modal(monkeypatch: pytest.MonkeyPatch) -> None:
    from handlers import goals

    def boom(view: object) -> None:
        raise RuntimeError("broken on purpose")

    monkeypatch.setattr(goals, "parse_goal_form", boom)


def test_a_failing_modal_submission_keeps_the_modal_open_with_an_error(
    bot: RunningBot, monkeypatch: pytest.MonkeyPatch
) -> None:
    _broken_goal_modal(monkeypatch)
    values = {"goal_title": {"value": {"type": "plain_text_input", "value": "Listen more"}}}
    reply = bot.http.view_submission("U0ALICE", "goal_modal", values)
    assert reply.status == 200
    answer = reply.json()
    assert answer["response_action"] == "errors"
    assert "submit again" in answer["errors"]["goal_title"]


def test_the_modal_error_goes_on_the_first_input_block_of_the_view(
    bot: RunningBot, monkeypatch: pytest.MonkeyPatch
) -> None:
    _broken_goal_modal(monkeypatch)
    view = {
        "id": "V1",
        "type": "modal",
        "callback_id": "goal_modal",
        "blocks": [
            {"type": "section", "block_id": "intro", "text": {"type": "mrkdwn", "text": "Hi"}},
            {"type": "input", "block_id": "goal_success", "element": {}},
            {"type": "input", "block_id": "goal_title", "element": {}},
        ],
        "state": {"values": {"goal_title": {}, "goal_success": {}}},
    }
    payload = {"type": "view_submission", "team": {"id": "T0FAKE"}, "user": {"id": "U0A"}}
    reply = bot.http.interactive({**payload, "view": view})
    assert reply.status == 200
    assert list(reply.json()["errors"]) == ["goal_success"]


def test_a_failing_modal_without_inputs_is_replaced_by_an_apology(
    bot: RunningBot, monkeypatch: pytest.MonkeyPatch
) -> None:
    _broken_goal_modal(monkeypatch)
    reply = bot.http.view_submission("U0ALICE", "goal_modal", {})
    assert reply.status == 200
    answer = reply.json()
    assert answer["response_action"] == "update"
    assert "went wrong" in answer["view"]["blocks"][0]["text"]["text"]
