"""Tiny Block Kit builders that return plain dicts, for the hot path of the guidance answer.

slack_sdk's block models validate on every `to_dict()` (about 140 µs for one answer, more than the
whole answer may take), so the hot path builds dicts directly and enforces Slack's limits here;
tests/handlers/test_blocks.py parses every answer back through slack_sdk's models, which check
the same limits offline.
"""

from __future__ import annotations

from typing import Any

import orjson
from slack_bolt import Ack, BoltResponse

SECTION_TEXT_MAX = 3000
HEADER_TEXT_MAX = 150
BUTTON_TEXT_MAX = 75
CONTEXT_TEXT_MAX = 2000
MAX_BLOCKS = 50

Block = dict[str, Any]


def _fit(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def mrkdwn(text: str, limit: int = SECTION_TEXT_MAX) -> dict[str, Any]:
    """A mrkdwn text object (caller escapes user text)."""
    return {"type": "mrkdwn", "text": _fit(text, limit)}


def section(text: str, block_id: str | None = None) -> Block:
    """A section with mrkdwn text."""
    if len(text) > SECTION_TEXT_MAX:  # mrkdwn(text), inlined: the answer has several sections
        text = _fit(text, SECTION_TEXT_MAX)
    block: Block = {"type": "section", "text": {"type": "mrkdwn", "text": text}}
    if block_id:
        block["block_id"] = block_id
    return block


def header(text: str, *, emoji: bool = False) -> Block:
    """A header (plain text; `emoji`: say that emoji names in it are shown as emoji)."""
    plain: dict[str, Any] = {"type": "plain_text", "text": _fit(text, HEADER_TEXT_MAX)}
    if emoji:
        plain["emoji"] = True
    return {"type": "header", "text": plain}


def context(text: str) -> Block:
    """A context line with mrkdwn text."""
    if len(text) > CONTEXT_TEXT_MAX:  # mrkdwn(text), inlined as in section
        text = _fit(text, CONTEXT_TEXT_MAX)
    return {"type": "context", "elements": [{"type": "mrkdwn", "text": text}]}


def divider() -> Block:
    """A divider."""
    return {"type": "divider"}


def button(
    text: str, action_id: str, *, style: str | None = None, value: str | None = None
) -> Block:
    """A button element."""
    if len(text) > BUTTON_TEXT_MAX:
        text = _fit(text, BUTTON_TEXT_MAX)
    element: Block = {
        "type": "button",
        "text": {"type": "plain_text", "text": text, "emoji": True},
        "action_id": action_id,
    }
    if style:
        element["style"] = style
    if value is not None:
        element["value"] = value
    return element


def actions(block_id: str, elements: list[Block]) -> Block:
    """An actions block (at most 25 elements)."""
    return {"type": "actions", "block_id": block_id, "elements": elements[:25]}


def ack_json(ack: Ack, payload: dict[str, Any]) -> None:
    """Acknowledge with this payload as the response body, as `ack(**payload)` would.

    Bolt's ack() serialises with json.dumps, which costs more than building the guidance answer
    itself; orjson writes the same JSON value (compact, UTF-8 rather than \\u escapes) several
    times faster. The payload must be plain JSON values (these builders' dicts).
    """
    ack.response = BoltResponse(status=200, body=orjson.dumps(payload).decode())
