"""The guidance answer through the real path, its Block Kit, escaping and next steps."""

from __future__ import annotations

import json
import re

import pytest

from bot.guidance import Guidance, Practice, classify
from bot.resources import parse_resources
from handlers import ids
from handlers.blocks import Block
from handlers.guidance import answer_blocks, answer_text
from tests.conftest import RunningBot

ALL_ACTIONS = frozenset({ids.GOAL_NEW_ACTION, ids.MENTOR_REQUEST_ACTION, ids.MENTOR_SIGNUP_ACTION})
COACHING = "I keep interrupting people in meetings and want to stop before my review in March"
MENTORING = (
    "I'm a nurse and one day I'd like to move into health informatics; I'd love advice from"
    " someone who has made that jump"
)
CONSULTING = (
    "Our department's hand-offs between sales and support keep failing and we need an expert"
    " to analyse the process and recommend a better structure"
)
HARASSMENT = "My manager keeps making comments about my body and touching me, it makes me afraid"


def _text(blocks: list[Block]) -> str:
    return json.dumps(blocks)


def _action_ids(body: dict) -> list[str]:  # type: ignore[type-arg]
    return [
        e["action_id"]
        for b in body.get("blocks", [])
        if b["type"] == "actions"
        for e in b["elements"]
    ]


def test_situation_gets_an_ephemeral_block_kit_answer(bot: RunningBot) -> None:
    reply = bot.http.command("U0ALICE", COACHING)
    assert reply.status == 200
    body = reply.json()
    assert body["response_type"] == "ephemeral"
    assert body["text"].startswith("Coaching")
    assert "Why" in json.dumps(body["blocks"])
    assert bot.slack.calls() == [] or all(c.method == "auth.test" for c in bot.slack.calls())


def test_escalation_answer_points_to_people_and_never_to_coaching(bot: RunningBot) -> None:
    body = bot.http.command("U0ALICE", HARASSMENT).json()
    rendered = json.dumps(body)
    assert _action_ids(body) == []
    assert "People team" in rendered
    assert "coaching goal" not in rendered.lower()


def test_empty_text_shows_help(bot: RunningBot) -> None:
    body = bot.http.command("U0ALICE", "   ").json()
    assert "Examples" in json.dumps(body["blocks"])


def test_compare_subcommand(bot: RunningBot) -> None:
    body = bot.http.command("U0ALICE", "compare").json()
    rendered = json.dumps(body["blocks"])
    for name in ("Coaching", "Mentoring", "Consulting"):
        assert name in rendered


@pytest.mark.parametrize(
    "text",
    [
        "<!channel> <@U0BOSS> please help me stop interrupting people in meetings by Friday",
        "I want to get better at giving feedback <https://evil.example|click here> & <b>",
        "x" * 5000,
        "🙂🙂🙂 🚀",
        "Je voudrais un mentor pour ma carrière",
        "<@U123>",
        "&lt;!here&gt; & < > *bold* _it_ `code` ~strike~",
    ],
    ids=["mentions", "link-markup", "very-long", "emoji", "french", "only-mention", "markup"],
)
def test_nothing_from_the_text_can_ping_or_link(bot: RunningBot, text: str) -> None:
    reply = bot.http.command("U0ALICE", text)
    assert reply.status == 200
    rendered = json.dumps(reply.json())
    assert "<!channel>" not in rendered and "<!here>" not in rendered
    assert "<@U0BOSS>" not in rendered and "<@U123>" not in rendered
    assert "<https://evil" not in rendered
    assert len(rendered) < 20000


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (COACHING, [ids.GOAL_NEW_ACTION]),
        (MENTORING, [ids.MENTOR_REQUEST_ACTION, ids.MENTOR_SIGNUP_ACTION]),
        (CONSULTING, []),
    ],
    ids=["coaching", "mentoring", "consulting"],
)
def test_next_step_buttons(text: str, expected: list[str]) -> None:
    g = classify(text)
    blocks = answer_blocks(g, parse_resources({}), ALL_ACTIONS)
    found = re.findall(r'"action_id": "([^"]+)"', _text(blocks))
    assert found[: len(expected)] == expected
    if g.also is None:
        assert found == expected


def test_buttons_only_for_features_that_exist() -> None:
    blocks = answer_blocks(classify(COACHING), parse_resources({}), frozenset())
    assert '"actions"' not in _text(blocks)


def test_consulting_shows_the_configured_contact() -> None:
    resources = parse_resources({"CONSULTING_CONTACT": "Ask the *Ops Excellence* team in #ops"})
    blocks = answer_blocks(classify(CONSULTING), resources, ALL_ACTIONS)
    assert "Ops Excellence" in _text(blocks)


def test_escalated_answer_shows_the_current_contacts_each_time() -> None:
    """The escalated blocks are shared per topic and contacts: a changed contact is shown,
    and changing one answer's list does not change the next answer."""
    g = classify(HARASSMENT)
    assert g.practice is Practice.ESCALATE
    first = answer_blocks(g, parse_resources({}), ALL_ACTIONS)
    first.append({"type": "divider"})
    again = answer_blocks(g, parse_resources({}), ALL_ACTIONS)
    assert again == first[:-1]
    edited = parse_resources({"ESCALATION_PEOPLE_TEAM": "Ask *HR North* in #people"})
    assert "HR North" in _text(answer_blocks(g, edited, ALL_ACTIONS))
    assert "HR North" not in _text(again)


def test_reasons_are_escaped() -> None:
    g = Guidance(
        practice=Practice.COACHING,
        confidence=0.9,
        confidence_label="clear fit",
        reasons=("You said “<!here> & <@U1>”.",),
    )
    rendered = _text(answer_blocks(g, parse_resources({}), ALL_ACTIONS))
    assert "&lt;!here&gt; &amp; &lt;@U1&gt;" in rendered
    assert answer_text(g).startswith("Coaching")


def test_two_practices_named_in_order_with_their_parts() -> None:
    text = (
        "I'm a new team lead and need to get better at one-to-ones this quarter, and over the"
        " years I'd like advice from someone who grew into a head-of role"
    )
    g = classify(text)
    if g.also is None:
        pytest.skip("classifier did not see two practices here")
    rendered = _text(answer_blocks(g, parse_resources({}), ALL_ACTIONS))
    assert "then" in rendered


def test_answer_buttons_open_the_real_modals(bot: RunningBot) -> None:
    bot.slack.add_user("U0ALICE", tz="Europe/Berlin")
    coaching = bot.http.command("U0ALICE", COACHING).json()
    assert ids.GOAL_NEW_ACTION in _action_ids(coaching)
    mentoring = bot.http.command("U0ALICE", MENTORING).json()
    assert {ids.MENTOR_REQUEST_ACTION, ids.MENTOR_SIGNUP_ACTION} <= set(_action_ids(mentoring))
    for action_id in (ids.GOAL_NEW_ACTION, ids.MENTOR_REQUEST_ACTION, ids.MENTOR_SIGNUP_ACTION):
        before = len(bot.slack.ok_calls("views.open"))
        assert bot.http.block_action("U0ALICE", action_id).status == 200
        assert bot.slack.wait_for(lambda s, n=before: len(s.ok_calls("views.open")) == n + 1)
