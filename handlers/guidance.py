"""`/coach-or-mentor <situation>`: the practice that fits, why, and a next step (ephemeral)."""

from __future__ import annotations

import functools
from collections.abc import Collection

from slack_bolt import App

from bot.guidance import (
    Comparison,
    EscalateTopic,
    Guidance,
    Practice,
    classify,
    compare,
    topic_words,
)
from bot.resources import GuidanceResources
from bot.text import escape_mrkdwn
from handlers import ids, live
from handlers.blocks import Block, ack_json, actions, button, context, divider, header, section
from handlers.router import CommandCall, CommandRouter, Subcommand

PRACTICE_NAMES = {
    Practice.COACHING: "Coaching",
    Practice.MENTORING: "Mentoring",
    Practice.CONSULTING: "Consulting",
}
NOT_STORED = "Only you can see this. I don't keep what you typed."
# Read once: on Python 3.11 each `Practice.X` goes through EnumType.__getattr__ (the answer is
# the slash command's hot path).
_ESCALATE, _UNCLEAR = Practice.ESCALATE, Practice.UNCLEAR

# What to do next for a practice: the text, and its buttons as (label, action id, style).
_NEXT_STEPS: dict[Practice, tuple[str, tuple[tuple[str, str, str | None], ...]]] = {
    Practice.COACHING: (
        "Pick the one behaviour or skill, decide how you'll know it changed, and give it a"
        " few weeks with regular check-ins.",
        (("Set a coaching goal", ids.GOAL_NEW_ACTION, "primary"),),
    ),
    Practice.MENTORING: (
        "Look for someone a few steps ahead of you on the path you're curious about, and"
        " meet regularly without a deadline.",
        (
            ("Find a mentor", ids.MENTOR_REQUEST_ACTION, "primary"),
            ("Become a mentor", ids.MENTOR_SIGNUP_ACTION, None),
        ),
    ),
}


def _name(practice: Practice) -> str:
    return PRACTICE_NAMES.get(practice) or practice.value


def _headline(g: Guidance) -> str:
    name = _name(g.practice)
    if g.also is None:
        return f"*{name}* fits best ({g.confidence_label})."
    second = _name(g.also)
    return (
        f"*{name}* first, then *{second.lower()}* ({g.confidence_label}): your situation has both."
    )


def _split_lines(g: Guidance) -> list[str]:
    return [f"• *{_name(p.practice)}* for “{escape_mrkdwn(p.quote)}”" for p in g.split]


def _next_step(
    practice: Practice, contact: str, offered: Collection[str]
) -> tuple[str, list[Block]]:
    """What to do next for one practice, with buttons only for features this bot runs."""
    step = _NEXT_STEPS.get(practice)
    if step is None:
        return f"*Who to talk to:* {contact}", []
    text, buttons = step
    return text, [
        button(label, action_id, style=style)
        for label, action_id, style in buttons
        if action_id in offered
    ]


@functools.lru_cache(maxsize=64)
def _closing_blocks(
    practice: Practice, also: Practice | None, contact: str, offered: frozenset[str]
) -> tuple[Block, ...]:
    """The answer's blocks after the reasons: the next step, its buttons and the privacy note.

    They depend only on the practices named, the consulting contact and the buttons offered,
    so each combination is built once and shared by every answer that has it (nothing changes
    a block once built: the answer is serialised as it is).
    """
    buttons: list[Block] = []
    steps: list[str] = []
    for named in (practice, also):
        if named is None:
            continue
        text, practice_buttons = _next_step(named, contact, offered)
        steps.append(text)
        buttons.extend(practice_buttons)
    closing = [section("*Next step*\n" + "\n".join(steps))]
    if buttons:
        closing.append(actions(ids.GUIDANCE_ACTIONS_BLOCK, buttons))
    closing.append(context(NOT_STORED))
    return tuple(closing)


def answer_blocks(
    g: Guidance, resources: GuidanceResources, offered: Collection[str]
) -> list[Block]:
    """The guidance answer as Block Kit (user words escaped, admin texts kept as mrkdwn)."""
    if g.practice is _ESCALATE:
        return _escalate_blocks(g, resources)
    if g.practice is _UNCLEAR:
        question = escape_mrkdwn(g.question or "Could you tell me a bit more?")
        return [section(question), context(NOT_STORED)]
    blocks: list[Block] = [section(_headline(g))]
    if g.split:
        blocks.append(section("\n".join(_split_lines(g))))
    if g.reasons:
        # One bullet per reason; escaping works character by character, so the joined text
        # is escaped at once.
        why = escape_mrkdwn("• " + "\n• ".join(g.reasons))
        blocks.append(section(f"*Why*\n{why}"))
    blocks.extend(
        _closing_blocks(g.practice, g.also, resources.consulting_contact, frozenset(offered))
    )
    return blocks


def _escalate_blocks(g: Guidance, resources: GuidanceResources) -> list[Block]:
    # The topic is a StrEnum: it is its own value, as for_topic wants it.
    topic = g.escalate_topic
    return list(_escalate_blocks_for(topic, resources.for_topic(topic)))


@functools.lru_cache(maxsize=64)
def _escalate_blocks_for(
    topic: EscalateTopic | None, contacts: tuple[str, ...]
) -> tuple[Block, ...]:
    """An escalated answer's blocks: they depend only on the topic and the contacts shown, so
    each combination is built once and shared (as _closing_blocks, nothing changes them)."""
    about = topic_words(topic) if topic else "something serious"
    opening = (
        f"Thank you for telling me. This sounds like {about}, which is not something coaching,"
        " mentoring or consulting should handle. You deserve real help from people who can act"
        " on it:"
    )
    return (
        section(opening),
        section("\n".join(f"• {line}" for line in contacts)),
        context("Only you can see this. I have not stored or logged it."),
    )


def answer_text(g: Guidance) -> str:
    """Plain-text fallback (notifications, screen readers)."""
    if g.practice is _ESCALATE:
        return "This needs people who can act on it, not coaching: see the contacts below."
    if g.practice is _UNCLEAR:
        return g.question or "Could you tell me a bit more?"
    name = _name(g.practice)
    if g.also is None:
        return f"{name} fits best ({g.confidence_label})."
    return f"{name} first, then {_name(g.also).lower()}."


def compare_blocks(c: Comparison) -> list[Block]:
    """The three practices side by side."""
    blocks: list[Block] = [header(c.title)]
    for profile in c.profiles:
        lines = "\n".join(
            f"• *{dim.value.capitalize()}*: {text}" for dim, text in profile.dimensions
        )
        sounds = ", ".join(f"“{s}”" for s in profile.sounds_like)
        name = _name(profile.practice)
        blocks.append(section(f"*{name}*: {profile.one_liner}\n{lines}\n_Sounds like:_ {sounds}"))
        blocks.append(divider())
    blocks.append(section(f"*They overlap.* {c.overlap}"))
    blocks.append(section(f"*Common ground.* {c.common_ground}"))
    blocks.append(section(f"*Not guidance.* {c.not_guidance}"))
    return blocks


def register(app: App, router: CommandRouter) -> None:
    """Wire the guidance answer (the default of the slash command) and `compare`."""
    del app

    def answer(call: CommandCall) -> None:
        guidance = classify(call.rest)
        blocks = answer_blocks(guidance, live.resources(call.deps), router.next_step_actions)
        ack_json(
            call.ack,
            {"text": answer_text(guidance), "response_type": "ephemeral", "blocks": blocks},
        )

    def run_compare(call: CommandCall) -> None:
        comparison = compare()
        call.ack(
            response_type="ephemeral",
            text=comparison.title,
            blocks=compare_blocks(comparison),
        )

    router.set_default(answer)
    router.add(
        Subcommand(
            "compare",
            "compare",
            "shows coaching, mentoring and consulting side by side.",
            run_compare,
        )
    )
