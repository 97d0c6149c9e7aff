"""The words of every goal DM, as plain data for the renderers (which escape and lay them out).

A `Message` has a notification `summary` (plain text, never a mention), an optional `heading`
(usually the goal), `lines` made of spans (text or a `Mention` the renderer turns into a user
mention) and `choices` (buttons, in order; the renderer maps each value to its action id).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum
from types import MappingProxyType

from bot.goals.accountability import AnswerVerdict
from bot.goals.model import CheckinAnswer, GoalSpec, Outcome, PauseReason, spell_date
from bot.goals.schedule import Zone, days_left, local_date


@dataclass(frozen=True)
class Mention:
    """A Slack user to be mentioned by the renderer."""

    user_id: str


Span = str | Mention
Line = tuple[Span, ...]


@dataclass(frozen=True)
class Choice:
    """One button: its value (an enum value) and its label."""

    value: str
    label: str


@dataclass(frozen=True)
class Message:
    """The content of one DM."""

    summary: str
    heading: str | None
    lines: tuple[Line, ...]
    choices: tuple[Choice, ...] = ()


class WrapupOffer(StrEnum):
    """What the wrap-up offers to do next."""

    NEXT_GOAL = "next_goal"
    FIND_MENTOR = "find_mentor"


RESUME_VALUE = "resume"
WRAPUP_VALUE = "wrapup"

ANSWER_LABELS: Mapping[CheckinAnswer, str] = MappingProxyType(
    {
        CheckinAnswer.ON_TRACK: "On track",
        CheckinAnswer.BEHIND: "Behind",
        CheckinAnswer.BLOCKED: "Blocked",
        CheckinAnswer.DONE: "Done",
    }
)
OUTCOME_LABELS: Mapping[Outcome, str] = MappingProxyType(
    {
        Outcome.ACHIEVED: "Achieved",
        Outcome.PARTLY: "Partly",
        Outcome.NOT_YET: "Not yet",
    }
)
OFFER_LABELS: Mapping[WrapupOffer, str] = MappingProxyType(
    {
        WrapupOffer.NEXT_GOAL: "Set my next goal",
        WrapupOffer.FIND_MENTOR: "Find a mentor",
    }
)
NOTE_LABEL = "Add a note"
NOTE_PROMPT = "Anything you want to remember about this week? (optional)"
WHAT_HELPED_PROMPT = "What helped you most along the way? (optional)"
RESUME_LABEL = "Resume this goal"


@dataclass(frozen=True)
class LastAnswer:
    """The person's previous answer on a goal, shown in the next check-in."""

    answer: CheckinAnswer
    answered_at: datetime
    note: str | None = None


@dataclass(frozen=True)
class DigestEntry:
    """One coachee's check-in for a coach's digest (answer None: not answered yet)."""

    coach_id: str
    coachee_id: str
    goal_title: str
    answer: CheckinAnswer | None
    note: str | None = None


def answer_choices() -> tuple[Choice, ...]:
    """The four answer buttons, in order."""
    return tuple(Choice(answer.value, label) for answer, label in ANSWER_LABELS.items())


def checkin_message(spec: GoalSpec, now: datetime, tz: Zone, last: LastAnswer | None) -> Message:
    """The check-in DM: the goal, what success looks like, days left and the last answer."""
    left = days_left(spec.end_date, now, tz)
    lines: list[Line] = [
        (f"Success looks like: {spec.success}",),
        (f"{_days(left)} left, until {spell_date(spec.end_date)}.",),
        (_last_answer_text(last, tz),),
        ("How is it going?",),
    ]
    return Message(
        summary=f"Check-in: how is “{spec.title}” going?",
        heading=spec.title,
        lines=tuple(lines),
        choices=answer_choices(),
    )


def nudge_message(spec: GoalSpec) -> Message:
    """The one gentle reminder about an unanswered check-in."""
    return Message(
        summary=f"A quick reminder about “{spec.title}”",
        heading=spec.title,
        lines=(
            ("Just a gentle reminder about this week's check-in. One click is plenty.",),
            ("How is it going?",),
        ),
        choices=answer_choices(),
    )


def answer_reply(answer: CheckinAnswer) -> Message:
    """The short thank-you after an answer, with a next step where one fits."""
    replies: dict[CheckinAnswer, tuple[str, tuple[Choice, ...]]] = {
        CheckinAnswer.ON_TRACK: ("Thanks, noted. Keep going!", ()),
        CheckinAnswer.BEHIND: (
            "Thanks for being honest. What is one small step you could take "
            "before the next check-in?",
            (),
        ),
        CheckinAnswer.BLOCKED: (
            "Thanks, noted. Being stuck is worth talking about: a note, or a word with your coach, "
            "can help.",
            (),
        ),
        CheckinAnswer.DONE: (
            "That is great news! Want to wrap this goal up now?",
            (Choice(WRAPUP_VALUE, "Wrap up the goal"),),
        ),
    }
    text, choices = replies[answer]
    return Message(summary="Answer recorded", heading=None, lines=((text,),), choices=choices)


def answer_refused(verdict: AnswerVerdict) -> str:
    """Why a clicked answer was not recorded (empty for an answer that was)."""
    if verdict is AnswerVerdict.ALREADY_ANSWERED:
        return "You have already answered this check-in, so nothing changed."
    if verdict is AnswerVerdict.GOAL_CLOSED:
        return "This goal has already ended, so there is nothing to record here."
    return ""


def coach_notice_message(coachee_id: str, goal_title: str, misses: int) -> Message:
    """Tells a coach that their coachee has missed check-ins in a row."""
    return Message(
        summary=f"A coachee has missed {misses} check-ins in a row",
        heading=goal_title,
        lines=(
            (Mention(coachee_id), f" has not answered the last {misses} check-ins on this goal."),
            ("It may be a good moment to ask how they are getting on.",),
        ),
    )


def pause_message(goal_title: str, reason: PauseReason, misses: int = 0) -> Message:
    """Tells the person their goal is paused and offers to resume it."""
    reasons = {
        PauseReason.MISSED_CHECKINS: (
            f"The last {misses} check-ins went unanswered, so I have paused this goal. "
            "No harm done: pick it up again whenever it suits you."
        ),
        PauseReason.BY_USER: "This goal is paused. Resume it whenever you are ready.",
        PauseReason.USER_UNREACHABLE: (
            "I could not reach you with your check-ins, so I paused this goal. "
            "Resume it when you are back."
        ),
    }
    return Message(
        summary=f"Paused: “{goal_title}”",
        heading=goal_title,
        lines=((reasons[reason],),),
        choices=(Choice(RESUME_VALUE, RESUME_LABEL),),
    )


def wrapup_message(spec: GoalSpec) -> Message:
    """The end-date DM that asks how the goal went."""
    return Message(
        summary=f"Today is the end date of “{spec.title}”",
        heading=spec.title,
        lines=(
            ("Today is the end date you set for this goal.",),
            (f"You said success would look like: {spec.success}",),
            ("How did it go?",),
        ),
        choices=tuple(Choice(outcome.value, label) for outcome, label in OUTCOME_LABELS.items()),
    )


def wrapup_reply(outcome: Outcome) -> Message:
    """The reply to a wrap-up answer, offering a next goal or a mentor."""
    texts = {
        Outcome.ACHIEVED: "Well done, you made it! What would you like to work on next?",
        Outcome.PARTLY: "Good progress is still progress. You could carry on with a new goal.",
        Outcome.NOT_YET: (
            "Thanks for being honest. A smaller goal, or someone who has done it before, "
            "might help."
        ),
    }
    return Message(
        summary="Goal wrapped up",
        heading=None,
        lines=((texts[outcome],),),
        choices=tuple(Choice(offer.value, label) for offer, label in OFFER_LABELS.items()),
    )


def coach_digests(day: date, entries: Iterable[DigestEntry]) -> dict[str, Message]:
    """One digest per coach for the check-ins of `day` (coaches with no entries get none)."""
    by_coach: defaultdict[str, list[DigestEntry]] = defaultdict(list)
    for entry in entries:
        by_coach[entry.coach_id].append(entry)
    return {coach: coach_digest_message(day, items) for coach, items in by_coach.items()}


def coach_digest_message(day: date, entries: Iterable[DigestEntry]) -> Message:
    """A coach's digest: one line per coachee goal, ordered by coachee then goal."""
    ordered = sorted(entries, key=lambda entry: (entry.coachee_id, entry.goal_title))
    lines = tuple(_digest_line(entry) for entry in ordered)
    answered = sum(1 for entry in ordered if entry.answer is not None)
    return Message(
        summary=f"Your coachees' check-ins: {answered} of {len(ordered)} answered",
        heading=f"Check-ins for {spell_date(day)}",
        lines=lines,
    )


def _digest_line(entry: DigestEntry) -> Line:
    """One digest line: who, which goal, the answer and any note."""
    status = "no answer yet" if entry.answer is None else ANSWER_LABELS[entry.answer].lower()
    text = f" · {entry.goal_title}: {status}"
    if entry.note:
        text += f" (“{entry.note}”)"
    return (Mention(entry.coachee_id), text)


def _last_answer_text(last: LastAnswer | None, tz: Zone) -> str:
    """What the person said last time, or that this is the first check-in."""
    if last is None:
        return "This is your first check-in on this goal."
    when = local_date(last.answered_at, tz)
    text = f"Last time ({when:%A} {when.day} {when:%B}) you said: {ANSWER_LABELS[last.answer]}."
    if last.note:
        text += f" Your note: “{last.note}”"
    return text


def _days(count: int) -> str:
    """Spell a number of days, e.g. "1 day" or "12 days"."""
    return "1 day" if count == 1 else f"{count} days"
