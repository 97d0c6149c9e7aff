"""The same interactive action arriving several times at once (double clicks, a request handled
by two replicas) changes state once: signed requests fired together on SQLite and PostgreSQL."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy import func, select

from bot.goals import GoalStatus, PauseReason
from handlers import ids
from handlers.fakeslack import FakeSlack
from handlers.goals_dispatch import Dispatcher, dispatch_client
from handlers.signed import Reply
from storage import goals as repo
from storage.mentoring import MentorRow, PairRow
from tests.conftest import RunningBot
from tests.handlers.mentoring import test_flows as mentoring
from tests.handlers.test_goals_flow import ALICE, checkins, goal_values, goals_of

TIMES = 4


def at_once(action: Callable[[], Reply], times: int = TIMES) -> list[Reply]:
    """Run `action` from `times` threads released together; every reply, in no set order."""
    start = threading.Barrier(times)
    replies: list[Reply] = []
    failures: list[BaseException] = []

    def run() -> None:
        start.wait()
        try:
            replies.append(action())
        except BaseException as exc:  # handed to the test thread below
            failures.append(exc)

    threads = [threading.Thread(target=run) for _ in range(times)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not failures, failures
    assert [reply.status for reply in replies] == [200] * times
    return replies


@pytest.fixture
def people(bot_any_db: RunningBot) -> RunningBot:
    bot_any_db.slack.add_user(ALICE, tz="Europe/London")
    return bot_any_db


def submit(
    bot: RunningBot, view_id: str | None = None, title: str = "Give clearer feedback"
) -> Any:
    values = goal_values(title={"type": "plain_text_input", "value": title})
    return bot.http.view_submission(ALICE, ids.GOAL_MODAL_VIEW, values, view_id=view_id)


def submit_and_settle(bot: RunningBot, title: str = "Give clearer feedback") -> None:
    """Submit a goal and wait for its confirmation DM (the work after the ack is done then)."""

    def dms(s: FakeSlack) -> int:
        return len([c for c in s.ok_calls("chat.postMessage") if c.args["channel"] == ALICE])

    before = dms(bot.slack)
    assert submit(bot, title=title).status == 200
    assert bot.slack.wait_for(lambda s: dms(s) > before), "no confirmation DM"


def test_one_goal_modal_submitted_several_times_stores_one_goal(people: RunningBot) -> None:
    at_once(lambda: submit(people, view_id="V0SAMEMODAL"))
    assert len(goals_of(people)) == 1
    assert people.slack.wait_for(
        lambda s: (
            len([c for c in s.ok_calls("chat.postMessage") if c.args["channel"] == ALICE]) == 1
        )
    )


def test_goals_submitted_together_never_pass_the_limit(people: RunningBot) -> None:
    for n in range(2):
        assert submit(people, title=f"Goal {n}").status == 200
    replies = at_once(lambda: submit(people, title="One more"))
    assert len(goals_of(people)) == 3  # the limit
    refused = [r for r in replies if r.body and r.json().get("response_action") == "errors"]
    assert len(refused) == TIMES - 1


def test_pause_clicked_several_times_pauses_once(people: RunningBot) -> None:
    submit_and_settle(people)
    (goal,) = goals_of(people)
    at_once(lambda: people.http.block_action(ALICE, ids.GOAL_PAUSE_ACTION, value=str(goal.id)))
    assert people.slack.wait_for(lambda s: len(s.responses()) == TIMES)
    texts = [r["text"] for r in people.slack.responses()]
    assert sum(text.startswith("Paused") for text in texts) == 1, texts
    assert sum(text.startswith("Nothing changed") for text in texts) == TIMES - 1, texts
    assert goals_of(people)[0].status is GoalStatus.PAUSED


def test_resumes_together_never_pass_the_limit(people: RunningBot) -> None:
    for n in range(3):
        submit_and_settle(people, title=f"Goal {n}")
    paused = goals_of(people)[:2]
    with people.deps.sessions.begin() as session:
        for goal in paused:
            repo.pause_goal(session, goal.id, PauseReason.BY_USER, people.clock())
    submit_and_settle(people, title="Goal 3")  # two active, two paused, room for one more
    targets = iter([paused[0].id, paused[1].id, paused[0].id, paused[1].id])
    lock = threading.Lock()

    def resume() -> Reply:
        with lock:
            goal_id = next(targets)
        return people.http.block_action(ALICE, ids.GOAL_RESUME_ACTION, value=str(goal_id))

    before = len(people.slack.responses())
    at_once(resume)
    # Each click acks first and answers after the resume: wait for every answer, then count.
    assert people.slack.wait_for(lambda s: len(s.responses()) >= before + TIMES)
    active = [g for g in goals_of(people) if g.status is GoalStatus.ACTIVE]
    assert len(active) == 3


def test_a_checkin_answer_clicked_several_times_is_recorded_once(people: RunningBot) -> None:
    submit_and_settle(people)
    (goal,) = goals_of(people)
    people.clock.advance(days=2, hours=2)
    assert Dispatcher(people.deps, dispatch_client(people.deps.settings)).tick().sent == 1
    blocks = people.slack.ok_calls("chat.postMessage")[-1].args["blocks"]
    blocks = json.loads(blocks) if isinstance(blocks, str) else blocks
    buttons = [e for b in blocks if b["type"] == "actions" for e in b["elements"]]
    behind = next(b for b in buttons if b["action_id"] == ids.GOAL_ANSWER_PREFIX + "behind")
    at_once(lambda: people.http.block_action(ALICE, behind["action_id"], value=behind["value"]))
    assert people.slack.wait_for(lambda s: len(s.responses()) == TIMES)
    texts = [r["text"] for r in people.slack.responses()]
    assert sum("already answered" in text for text in texts) == TIMES - 1, texts
    answered = [c for c in checkins(people, goal.id) if c.answered_at is not None]
    assert [c.answer for c in answered] == ["behind"]


def count(bot: RunningBot, model: type) -> int:
    with bot.deps.sessions.begin() as s:
        return int(s.scalar(select(func.count()).select_from(model)) or 0)


def test_one_mentor_signup_submitted_several_times_stores_one_mentor(
    bot_any_db: RunningBot,
) -> None:
    mentoring.people(bot_any_db)
    values = mentoring.signup_values()
    at_once(
        lambda: bot_any_db.http.view_submission(
            mentoring.MENTOR, ids.MENTOR_SIGNUP_VIEW, values, view_id="V0SAMESIGNUP"
        )
    )
    assert count(bot_any_db, MentorRow) == 1


def test_accept_clicked_several_times_pairs_once(bot_any_db: RunningBot) -> None:
    bot = bot_any_db
    mentoring.people(bot)
    mentoring.sign_up(bot, mentoring.MENTOR)
    mentoring.ask(bot)
    proposal_id = mentoring.proposal_to(bot, mentoring.MENTOR)
    at_once(
        lambda: bot.http.block_action(mentoring.MENTOR, ids.MENTOR_ACCEPT_ACTION, value=proposal_id)
    )
    assert bot.slack.wait_for(lambda s: len(s.responses()) == TIMES)
    assert count(bot, PairRow) == 1
    assert len(bot.slack.calls("conversations.open")) == 1
