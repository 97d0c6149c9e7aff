"""Block Kit for App Home: pure builders, bounded whatever the data (Slack allows 100 blocks).

Plain dicts (handlers/blocks.py), not slack_sdk's models: the tab is published on every open and
after every change a person makes, and the models' validating `to_dict()` cost ~2 ms a view.
Slack's limits are kept here and checked offline by the tests through slack_sdk's models.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from bot.goals import CheckinAnswer, GoalStatus, PauseReason, days_left, resolve_zone
from bot.goals.messages import ANSWER_LABELS
from bot.guidance import Practice, compare, help_text
from bot.programme import Report, health_lines
from bot.text import escape_mrkdwn
from handlers import ids
from handlers.blocks import Block, actions, button, divider, header
from storage.home import GoalCard, HomeData

GOALS_SHOWN = 5
NAMES_SHOWN = 20
EXAMPLES_SHOWN = 3
SECTION_MAX = 3000
PRACTICE_NAMES = {
    Practice.COACHING: "Coaching",
    Practice.MENTORING: "Mentoring",
    Practice.CONSULTING: "Consulting",
}
PRIVACY = (
    "Only you see this page. Your goal text and notes are seen by you and the coach you chose,"
    f" never by admins. `{ids.COMMAND} forget-me` deletes everything I hold about you."
)
GREETING = (
    "Hi! I'm *coach-or-mentor*. I help you find the right kind of guidance at work:\n"
    f"• Describe a situation after `{ids.COMMAND}` and I'll say whether coaching, mentoring or"
    " consulting fits, and why. I don't keep what you type.\n"
    "• Set a time-limited *coaching goal* and I'll check in with you on the day you pick.\n"
    "• *Find a mentor*, or offer your experience *as one*: I match people fairly and always ask"
    " the mentor first.\n"
    "Open my *Home* tab to see your goals and mentoring in one place."
)


def _md(text: str) -> Block:
    return {"type": "section", "text": {"type": "mrkdwn", "text": _fit(text)}}


def _fit(text: str, limit: int = SECTION_MAX) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _context(text: str) -> Block:
    return {"type": "context", "elements": [{"type": "mrkdwn", "text": _fit(text, 2000)}]}


def _names(user_ids: Sequence[str], total: int) -> str:
    """Mentions of the first few people and how many more."""
    shown = [f"<@{u}>" for u in user_ids[:NAMES_SHOWN]]
    more = total - len(shown)
    return ", ".join(shown) + (f" and {more} more" if more > 0 else "")


# goals -----------------------------------------------------------------------------------------
def relevance(card: GoalCard) -> tuple[int, object]:
    """Goals needing attention first, then active ones ending soonest, then paused ones."""
    if card.needs_attention:
        rank = 0
    elif card.status is GoalStatus.ACTIVE:
        rank = 1
    else:
        rank = 2
    return rank, card.end_date


def _goal_line(card: GoalCard, now: datetime) -> str:
    zone = resolve_zone(card.tz_name).zone
    left = days_left(card.end_date, now, zone)
    parts = [f"*{escape_mrkdwn(card.title)}*"]
    state = []
    if card.needs_attention:
        state.append(":warning: needs attention: recent check-ins went unanswered")
    if card.status is GoalStatus.PAUSED:
        why = {
            PauseReason.MISSED_CHECKINS: "paused after missed check-ins",
            PauseReason.USER_UNREACHABLE: "paused: I couldn't reach you",
        }.get(card.pause_reason or PauseReason.BY_USER, "paused")
        state.append(why)
    state.append(f"{left} day{'s' if left != 1 else ''} left" if left else "ends today")
    if card.last_answer and card.last_answered_at:
        try:
            label = ANSWER_LABELS[CheckinAnswer(card.last_answer)]
        except ValueError:
            label = card.last_answer
        when = f"<!date^{int(card.last_answered_at.timestamp())}^{{date_short}}|recently>"
        state.append(f"last answer: {label} ({when})")
    else:
        state.append("no answers yet")
    return parts[0] + "\n" + " · ".join(state)


def goal_blocks(data: HomeData, now: datetime) -> list[Block]:
    """The person's goals: the most relevant few, then counts."""
    blocks: list[Block] = [_md("*Your coaching goals*")]
    cards = sorted(data.goals, key=relevance)
    for card in cards[:GOALS_SHOWN]:
        blocks.append(_md(_goal_line(card, now)))
    notes = []
    hidden = len(cards) - GOALS_SHOWN
    if hidden > 0:
        notes.append(f"and {hidden} more open goal{'s' if hidden != 1 else ''}")
    if not cards:
        notes.append(
            "No open goals. Pick one behaviour or skill to change in a few weeks and I'll check"
            " in with you."
        )
    ended = sum(data.ended_goals.values())
    if ended:
        achieved = data.ended_goals.get("achieved", 0)
        notes.append(f"{ended} goal{'s' if ended != 1 else ''} wrapped up ({achieved} achieved)")
    notes.append(f"`{ids.COMMAND} goals` to edit, pause or finish them")
    blocks.append(_context(" · ".join(notes)))
    return blocks


# mentoring -------------------------------------------------------------------------------------
def mentoring_lines(data: HomeData) -> list[str]:
    """Where the person stands in the mentoring programme."""
    lines = []
    if data.mentors:
        lines.append(f"Your mentor: {_names(data.mentors, len(data.mentors))}")
    if data.request is not None:
        lines.append(
            "Your request for a mentor is open: I've asked a mentor and I'm waiting for their"
            " answer."
            if data.waiting_on_mentor
            else "Your request for a mentor is open: I'm looking for someone who fits."
        )
    mentor = data.mentor
    if mentor is not None and not mentor.left:
        room = max(mentor.profile.capacity - data.mentee_count - data.asked_of_me, 0)
        if mentor.profile.paused:
            lines.append("You're a mentor, paused: I won't propose anyone new to you.")
        else:
            lines.append(
                f"You're a mentor with room for {room} more mentee{'s' if room != 1 else ''}."
            )
    if data.mentee_count:
        lines.append(f"You mentor: {_names(data.mentees, data.mentee_count)}")
    if data.asked_of_me:
        n = data.asked_of_me
        lines.append(
            f"{n} {'person is' if n == 1 else 'people are'} waiting for your answer: check your"
            " DMs from me."
        )
    if not lines:
        lines.append(
            "Nothing yet. Ask for a mentor, or offer your experience to someone a few steps"
            " behind you."
        )
    return lines


def action_buttons(data: HomeData) -> list[Block]:
    """The home tab's buttons; each opens what its feature already offers."""
    mentor = data.mentor if data.mentor and not data.mentor.left else None
    buttons = [
        button("Set a coaching goal", ids.GOAL_NEW_ACTION, style="primary"),
        button("Change my request" if data.request else "Find a mentor", ids.MENTOR_REQUEST_ACTION),
        button("Edit mentor profile" if mentor else "Become a mentor", ids.MENTOR_SIGNUP_ACTION),
    ]
    if mentor is not None:
        paused = mentor.profile.paused
        buttons.append(
            button(
                "Resume mentoring" if paused else "Pause mentoring",
                ids.HOME_MENTOR_RESUME_ACTION if paused else ids.HOME_MENTOR_PAUSE_ACTION,
            )
        )
    return buttons


# which practice fits ---------------------------------------------------------------------------
def explainer_blocks() -> list[Block]:
    """A short "which practice fits?" with a few examples to try."""
    comparison = compare()
    lines = [
        f"• *{PRACTICE_NAMES.get(p.practice, p.practice.value)}*: {p.one_liner}"
        for p in comparison.profiles
    ]
    examples = [
        f"• `{ids.COMMAND} {e.situation}` → _{e.practice.value}_"
        for e in help_text().examples[:EXAMPLES_SHOWN]
    ]
    return [
        _md("*Which practice fits?*\n" + "\n".join(lines)),
        _md("*Try it*: describe your situation in a sentence or two.\n" + "\n".join(examples)),
    ]


# admins ----------------------------------------------------------------------------------------
def admin_buttons() -> list[Block]:
    """What an admin can do from the home tab or `/coach-or-mentor admin`."""
    return [
        button("Trend chart to my DM", ids.ADMIN_CHART_ACTION),
        button("Run a match round…", ids.ADMIN_MATCH_ACTION),
        button("Export CSV to my DM", ids.ADMIN_EXPORT_ACTION),
        button("Edit topics", ids.ADMIN_TOPICS_ACTION),
        button("Edit escalation contacts", ids.ADMIN_RESOURCES_ACTION),
    ]


def admin_blocks(report: Report) -> list[Block]:
    """Programme health in counts, and the admin actions."""
    lines = "\n".join(f"• {label}: *{value}*" for label, value in health_lines(report))
    return [
        _md(f"*Programme health* (last {len(report.trend.weeks)} weeks where it says so)\n{lines}"),
        actions(ids.ADMIN_ACTIONS_BLOCK, admin_buttons()),
        _context("Counts only: admins never see goal text, check-in notes or what people typed."),
    ]


# the whole tab ---------------------------------------------------------------------------------
@dataclass(frozen=True)
class HomeInputs:
    """What the home tab is built from."""

    data: HomeData
    now: datetime
    report: Report | None = None


def home_blocks(inputs: HomeInputs) -> list[Block]:
    """Every block of the home tab (a few dozen at most)."""
    data = inputs.data
    blocks: list[Block] = [
        header("coach-or-mentor", emoji=True),
        _md(
            "Guidance at work, in one place: your coaching goals, your mentoring, and which"
            " practice fits a situation."
        ),
    ]
    blocks.append(actions(ids.HOME_ACTIONS_BLOCK, action_buttons(data)))
    blocks.append(divider())
    blocks += goal_blocks(data, inputs.now)
    blocks.append(divider())
    blocks.append(_md("*Your mentoring*\n" + "\n".join(mentoring_lines(data))))
    blocks.append(divider())
    blocks += explainer_blocks()
    if inputs.report is not None:
        blocks.append(divider())
        blocks += admin_blocks(inputs.report)
    blocks.append(_context(PRIVACY))
    return blocks


def home_view(inputs: HomeInputs) -> dict[str, Any]:
    """The home tab as a view."""
    return {"type": "home", "callback_id": ids.HOME_VIEW, "blocks": home_blocks(inputs)}
