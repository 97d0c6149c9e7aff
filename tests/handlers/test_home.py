"""App Home through the real path: published on open, refreshed after changes, bounded in size."""

from __future__ import annotations

import json
import time as clock
import uuid
from collections.abc import Iterator
from datetime import time, timedelta
from typing import Any

import pytest
from slack_sdk.models.views import View
from sqlalchemy import insert

from bot.goals import GoalStatus
from handlers import ids
from handlers.fakeslack import FakeSlack
from storage import mentoring as mentoring_repo
from storage import people
from storage.goals import GoalRow
from storage.mentoring import PairRow, ProposalRow, RequestRow
from tests.conftest import RunningBot, start_bot
from tests.handlers.test_goals_flow import goal_values
from tests.programme_seed import ALICE, BOB, DAN, TEAM, seed

ADMIN = "U0ADMIN01"


@pytest.fixture
def admin_bot(fake_slack: FakeSlack, sqlite_url: str) -> Iterator[RunningBot]:
    """The bot with one programme admin."""
    yield from start_bot(fake_slack, sqlite_url, ADMIN_USER_IDS=ADMIN)


def _view(args: dict[str, Any]) -> dict[str, Any]:
    view = args["view"]
    return view if isinstance(view, dict) else json.loads(view)


def open_home(bot: RunningBot, user: str) -> dict[str, Any]:
    """Open the home tab as `user` and return the view Slack was asked to publish."""
    before = len([c for c in bot.slack.ok_calls("views.publish") if c.args["user_id"] == user])
    reply = bot.http.event({"type": "app_home_opened", "user": user, "tab": "home"})
    assert reply.status == 200
    return latest_home(bot, user, before + 1)


def latest_home(bot: RunningBot, user: str, count: int) -> dict[str, Any]:
    """Wait until `user`'s home was published `count` times; the newest view."""

    def mine(s: FakeSlack) -> list[Any]:
        return [c for c in s.ok_calls("views.publish") if c.args["user_id"] == user]

    assert bot.slack.wait_for(lambda s: len(mine(s)) >= count), "home not published"
    return _view(mine(bot.slack)[-1].args)


def texts(view: dict[str, Any]) -> str:
    """All the text of a view, for looking things up."""
    return json.dumps(view["blocks"], ensure_ascii=False)


def action_ids(view: dict[str, Any]) -> list[str]:
    return [e["action_id"] for b in view["blocks"] if b["type"] == "actions" for e in b["elements"]]


def test_home_shows_my_goals_and_mentoring(bot_any_db: RunningBot) -> None:
    bot = bot_any_db
    with bot.deps.sessions.begin() as session:
        seed(session, bot.clock.now)
    view = open_home(bot, BOB)
    assert view["type"] == "home" and view["callback_id"] == ids.HOME_VIEW
    text = texts(view)
    assert "Speak up in planning" in text  # BOB's open goal
    assert "last answer: Behind" in text
    assert "1 goal wrapped up (1 achieved)" in text
    assert f"Your mentor: <@{ALICE}>" in text
    assert "Delegate more" not in text  # ERIN's goal, coached by BOB: not on his home
    assert "Programme health" not in text
    assert action_ids(view)[:3] == [
        ids.GOAL_NEW_ACTION,
        ids.MENTOR_REQUEST_ACTION,
        ids.MENTOR_SIGNUP_ACTION,
    ]
    assert "Which practice fits?" in text

    mentor_view = open_home(bot, ALICE)
    mentor_text = texts(mentor_view)
    assert f"You mentor: <@{BOB}>" in mentor_text
    assert "1 person is waiting for your answer" in mentor_text
    assert "room for 1 more mentee" in mentor_text
    assert ids.HOME_MENTOR_PAUSE_ACTION in action_ids(mentor_view)


def test_goal_text_is_escaped_on_the_home_tab(bot: RunningBot) -> None:
    bot.slack.add_user("U0ALICE")
    title = {"type": "plain_text_input", "value": "Ship <!channel> & <b>more</b>"}
    reply = bot.http.view_submission("U0ALICE", ids.GOAL_MODAL_VIEW, goal_values(title=title))
    assert reply.status == 200
    view = latest_home(bot, "U0ALICE", 1)  # the submission refreshed the home tab
    text = texts(view)
    assert "Ship &lt;!channel&gt; &amp; &lt;b&gt;more&lt;/b&gt;" in text
    assert "<!channel>" not in text


def test_buttons_on_the_home_tab_reach_their_features(bot: RunningBot) -> None:
    bot.slack.add_user(ALICE)
    with bot.deps.sessions.begin() as session:
        seed(session, bot.clock.now)
    for action_id in (ids.GOAL_NEW_ACTION, ids.MENTOR_REQUEST_ACTION, ids.MENTOR_SIGNUP_ACTION):
        before = len(bot.slack.ok_calls("views.open"))
        home_click(bot, DAN, action_id)
        assert bot.slack.wait_for(lambda s, n=before: len(s.ok_calls("views.open")) == n + 1)
    opened = [_view(c.args)["callback_id"] for c in bot.slack.ok_calls("views.open")]
    assert opened == [ids.GOAL_MODAL_VIEW, ids.MENTOR_REQUEST_VIEW, ids.MENTOR_SIGNUP_VIEW]


def home_click(bot: RunningBot, user: str, action_id: str, value: str | None = None) -> None:
    """A click on the home tab: Slack sends no response_url for it."""
    action: dict[str, Any] = {"type": "button", "action_id": action_id, "block_id": "b"}
    if value is not None:
        action["value"] = value
    payload = {
        "type": "block_actions",
        "team": {"id": bot.slack.team_id, "domain": "fake"},
        "user": {"id": user, "team_id": bot.slack.team_id},
        "api_app_id": "A0FAKEAPP",
        "trigger_id": f"{int(clock.time())}.{uuid.uuid4().hex[:12]}",
        "container": {"type": "view", "view_id": f"VHOME{user}"},
        "view": {"id": f"VHOME{user}", "type": "home", "callback_id": ids.HOME_VIEW},
        "actions": [action],
    }
    assert bot.http.interactive(payload).status == 200


def test_too_many_goals_from_the_home_tab_says_so_in_a_modal(bot: RunningBot) -> None:
    bot.slack.add_user("U0ALICE")
    for _ in range(3):
        bot.http.view_submission("U0ALICE", ids.GOAL_MODAL_VIEW, goal_values())
    home_click(bot, "U0ALICE", ids.GOAL_NEW_ACTION)
    assert bot.slack.wait_for(lambda s: len(s.ok_calls("views.open")) == 1)
    view = _view(bot.slack.ok_calls("views.open")[0].args)
    assert view["callback_id"] == ids.NOTICE_VIEW
    assert "3" in texts(view)


def test_pause_and_resume_mentoring_from_the_home_tab(bot: RunningBot) -> None:
    with bot.deps.sessions.begin() as session:
        seed(session, bot.clock.now)
    home_click(bot, ALICE, ids.HOME_MENTOR_PAUSE_ACTION)
    view = latest_home(bot, ALICE, 1)
    assert "You're a mentor, paused" in texts(view)
    assert ids.HOME_MENTOR_RESUME_ACTION in action_ids(view)
    with bot.deps.sessions.begin() as session:
        record = mentoring_repo.get_mentor(session, TEAM, ALICE)
    assert record is not None and record.profile.paused
    home_click(bot, ALICE, ids.HOME_MENTOR_RESUME_ACTION)
    view = latest_home(bot, ALICE, 2)
    assert ids.HOME_MENTOR_PAUSE_ACTION in action_ids(view)
    with bot.deps.sessions.begin() as session:
        record = mentoring_repo.get_mentor(session, TEAM, ALICE)
    assert record is not None and not record.profile.paused


def test_pause_button_of_someone_not_a_mentor_changes_nothing(bot: RunningBot) -> None:
    home_click(bot, "U0NOBODY1", ids.HOME_MENTOR_PAUSE_ACTION)
    view = latest_home(bot, "U0NOBODY1", 1)
    assert ids.HOME_MENTOR_PAUSE_ACTION not in action_ids(view)
    with bot.deps.sessions.begin() as session:
        assert mentoring_repo.get_mentor(session, TEAM, "U0NOBODY1") is None


def test_admin_home_has_counts_and_never_goal_text(admin_bot: RunningBot) -> None:
    bot = admin_bot
    with bot.deps.sessions.begin() as session:
        seed(session, bot.clock.now)
    text = texts(open_home(bot, ADMIN))
    assert "Programme health" in text
    assert "Mentors: *3 (0 paused)*" in text
    assert "Active pairs: *2*" in text
    for private in ("Speak up in planning", "Delegate more", "my private note", "private hopes"):
        assert private not in text
    assert ids.ADMIN_CHART_ACTION in text


def test_the_messages_tab_greets_a_first_timer_once(bot_any_db: RunningBot) -> None:
    bot = bot_any_db
    bot.slack.add_user("U0NEW0001")
    event = {"type": "app_home_opened", "user": "U0NEW0001", "tab": "messages", "channel": "D0NEW"}
    assert bot.http.event(event).status == 200
    assert bot.slack.wait_for(lambda s: len(s.ok_calls("chat.postMessage")) == 1)
    assert bot.http.event(event).status == 200
    assert not bot.slack.wait_for(lambda s: len(s.calls("chat.postMessage")) > 1, timeout=0.5)
    greeting = bot.slack.ok_calls("chat.postMessage")[0].args
    assert greeting["channel"] == "D0NEW"
    with bot.deps.sessions.begin() as session:
        person = people.get_person(session, TEAM, "U0NEW0001")
    assert person is not None and person.greeted


def test_a_greeting_that_failed_is_tried_again_next_time(bot: RunningBot) -> None:
    bot.slack.add_user("U0NEW0002")
    bot.slack.fail("chat.postMessage", error="channel_not_found")
    event = {"type": "app_home_opened", "user": "U0NEW0002", "tab": "messages"}
    bot.http.event(event)
    assert bot.slack.wait_for(lambda s: len(s.calls("chat.postMessage")) == 1)
    assert bot.slack.wait_for(lambda s: _greeted(bot, "U0NEW0002") is False)
    bot.http.event(event)
    assert bot.slack.wait_for(lambda s: len(s.ok_calls("chat.postMessage")) == 1)


def _greeted(bot: RunningBot, user: str) -> bool | None:
    with bot.deps.sessions.begin() as session:
        person = people.get_person(session, TEAM, user)
    return person.greeted if person else None


def test_accepting_a_proposal_refreshes_both_homes(bot: RunningBot) -> None:
    with bot.deps.sessions.begin() as session:
        seed(session, bot.clock.now)
        proposal = mentoring_repo.pending_proposal(
            session,
            mentoring_repo.get_open_request(session, TEAM, "U0CAROL03").id,  # type: ignore[union-attr]
        )
    assert proposal is not None
    bot.slack.add_user(ALICE)
    bot.slack.add_user("U0CAROL03")
    bot.http.block_action(ALICE, ids.MENTOR_ACCEPT_ACTION, value=str(proposal.id))
    carol = latest_home(bot, "U0CAROL03", 1)
    assert f"Your mentor: <@{ALICE}>" in texts(carol)
    alice = latest_home(bot, ALICE, 1)
    assert "<@U0CAROL03>" in texts(alice)


# size limits -----------------------------------------------------------------------------------
def _bulk(bot: RunningBot, user: str, goals: int, mentees: int) -> None:
    """A person with many goals in every state, mentoring many people."""
    now = bot.clock.now
    statuses = [GoalStatus.ACTIVE, GoalStatus.PAUSED, GoalStatus.FINISHED, GoalStatus.ABANDONED]
    goal_rows = [
        {
            "team_id": TEAM,
            "user_id": user,
            "coach_id": None,
            "title": f"Goal number {n} " + "x" * 120,
            "success": "It shows",
            "end_date": now.date() + timedelta(days=n % 40),
            "cadence": "weekly",
            "weekday": 0,
            "local_time": time(9, 0),
            "anchor": now.date(),
            "tz_name": "UTC",
            "tz_checked_at": now,
            "status": statuses[n % 4].value,
            "needs_attention": n % 7 == 0,
            "outcome": "achieved" if n % 4 == 2 else None,
            "created_at": now,
            "updated_at": now,
            "ended_at": now if n % 4 >= 2 else None,
        }
        for n in range(goals)
    ]
    with bot.deps.engine.begin() as conn:
        conn.execute(insert(GoalRow), goal_rows)
        for n in range(mentees):
            mentee = f"U0M{n:06d}"
            request_id = conn.execute(
                insert(RequestRow).returning(RequestRow.id),
                {
                    "team_id": TEAM,
                    "mentee_id": mentee,
                    "topics": ["leadership"],
                    "wants": ["advice"],
                    "years": 1,
                    "status": "matched",
                    "created_at": now,
                    "updated_at": now,
                },
            ).scalar_one()
            proposal_id = conn.execute(
                insert(ProposalRow).returning(ProposalRow.id),
                {
                    "team_id": TEAM,
                    "request_id": request_id,
                    "mentee_id": mentee,
                    "mentor_id": user,
                    "status": "accepted",
                    "score": 0.5,
                    "reasons": [],
                    "created_at": now,
                    "expires_at": now,
                },
            ).scalar_one()
            conn.execute(
                insert(PairRow),
                {
                    "team_id": TEAM,
                    "request_id": request_id,
                    "proposal_id": proposal_id,
                    "mentor_id": user,
                    "mentee_id": mentee,
                    "status": "active",
                    "started_at": now,
                },
            )


def test_the_home_tab_stays_within_slack_limits_with_large_data(admin_bot: RunningBot) -> None:
    bot = admin_bot
    _bulk(bot, ADMIN, goals=400, mentees=250)
    view = open_home(bot, ADMIN)
    assert len(view["blocks"]) <= 100
    assert len(view["blocks"]) < 40  # summarised, not paginated to the edge
    View(**view).validate_json()  # slack_sdk checks every block against Slack's limits
    for block in view["blocks"]:
        if block["type"] == "section":
            assert len(block["text"]["text"]) <= 3000
    text = texts(view)
    assert "and 195 more open goals" in text  # 200 open, 5 shown
    assert "200 goals wrapped up (100 achieved)" in text
    assert "and 230 more" in text  # 250 mentees, 20 named
    assert ":warning: needs attention" in text
