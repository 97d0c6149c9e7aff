"""Every guidance answer, help and compare payload passes slack_sdk's Block Kit models (which
check Slack's limits) unchanged: the hot path's plain dicts are exactly what the models produce."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from slack_bolt import Ack
from slack_sdk.models.blocks import Block as SdkBlock

from bot.guidance import Guidance, Practice, classify, compare
from bot.resources import parse_resources
from handlers import blocks, ids
from handlers.guidance import answer_blocks, compare_blocks

DATA = Path(__file__).resolve().parents[2] / "bench" / "data"
SITUATIONS = [
    json.loads(line)["text"]
    for path in sorted(DATA.glob("situations*.jsonl"))
    for line in path.read_text().splitlines()
    if line.strip()
]
OFFERED = frozenset({ids.GOAL_NEW_ACTION, ids.MENTOR_REQUEST_ACTION, ids.MENTOR_SIGNUP_ACTION})


def assert_valid(payload: list[blocks.Block]) -> None:
    assert 0 < len(payload) <= blocks.MAX_BLOCKS
    parsed = SdkBlock.parse_all(payload)
    assert [b.to_dict() for b in parsed] == payload  # to_dict() validates Slack's limits


def test_every_labelled_situation_renders_valid_block_kit() -> None:
    resources = parse_resources({})
    assert len(SITUATIONS) >= 150
    for text in SITUATIONS:
        assert_valid(answer_blocks(classify(text), resources, OFFERED))


def test_compare_renders_valid_block_kit() -> None:
    assert_valid(compare_blocks(compare()))


@settings(max_examples=60, deadline=None)
@given(
    reasons=st.lists(st.text(min_size=0, max_size=4000), max_size=6),
    question=st.text(max_size=5000),
    practice=st.sampled_from(list(Practice)),
    contact=st.text(min_size=1, max_size=4000),
)
def test_extreme_content_still_fits_slack_limits(
    reasons: list[str], question: str, practice: Practice, contact: str
) -> None:
    g = Guidance(
        practice=practice,
        confidence=0.5,
        confidence_label="mixed",
        reasons=tuple(reasons),
        question=question or None,
    )
    resources = parse_resources({"CONSULTING_CONTACT": contact})
    assert_valid(answer_blocks(g, resources, OFFERED))


@pytest.mark.parametrize(
    ("text", "limit"),
    [("x" * 3001, blocks.SECTION_TEXT_MAX), ("y" * 10, blocks.SECTION_TEXT_MAX)],
    ids=["too-long", "short"],
)
def test_section_text_is_cut_to_the_limit(text: str, limit: int) -> None:
    out = blocks.section(text)["text"]["text"]
    assert len(out) <= limit
    assert out == text or out.endswith("…")


def test_ack_json_answers_with_the_same_json_value_as_ack() -> None:
    payload = {
        "text": "Coaching fits best (leaning).",
        "response_type": "ephemeral",
        "blocks": answer_blocks(classify(SITUATIONS[0]), parse_resources({}), OFFERED),
    }
    fast, bolt = Ack(), Ack()
    blocks.ack_json(fast, payload)
    bolt(**payload)
    assert fast.response is not None and bolt.response is not None
    assert fast.response.status == bolt.response.status == 200
    assert json.loads(fast.response.body) == json.loads(bolt.response.body) == payload
    assert fast.response.headers["content-type"] == bolt.response.headers["content-type"]
