"""Accountability: what to do about unanswered check-ins, decided from the history alone.

A check-in is *missed* once it has gone unanswered for `limits.missed_after`, or as soon as a later
check-in has been sent. The *streak* counts missed check-ins sent after the person's latest answer
(and after the goal was last resumed): any answer clears it. From the streak:

- the newest check-in, unanswered after `nudge_after` and not yet missed, gets one gentle nudge;
- `coach_notice_misses` (2) in a row: the goal is flagged "needs attention" and its coach, if any,
  is told, once per streak (the flag is what makes it once);
- `pause_misses` (3) in a row: the goal pauses itself and the person is offered a one-click resume.

`decide` is idempotent: it reads what was already done from the history and the goal state, so the
dispatcher may call it on every tick; it records each action it carries out (nudged_at, the flag,
the status) and then the same call returns nothing new.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum

from bot.goals.model import GoalLimits, GoalStatus, PauseReason


@dataclass(frozen=True)
class CheckinRecord:
    """One check-in as sent: when, when answered (if ever) and when nudged (if ever)."""

    period: date
    sent_at: datetime
    answered_at: datetime | None = None
    nudged_at: datetime | None = None


@dataclass(frozen=True)
class GoalState:
    """What the accountability rules need to know about the goal itself."""

    status: GoalStatus
    needs_attention: bool = False
    has_coach: bool = False
    counting_since: datetime | None = None
    """When the goal was last resumed: misses sent before it are forgiven."""


@dataclass(frozen=True)
class SendNudge:
    """Send one gentle reminder about the check-in of `period`."""

    period: date


@dataclass(frozen=True)
class SetNeedsAttention:
    """Set or clear the goal's "needs attention" flag."""

    on: bool


@dataclass(frozen=True)
class NotifyCoach:
    """Tell the coach that the person has missed `misses` check-ins in a row."""

    misses: int


@dataclass(frozen=True)
class PauseGoal:
    """Pause the goal, tell the person why and offer a one-click resume."""

    reason: PauseReason
    misses: int


Action = SendNudge | SetNeedsAttention | NotifyCoach | PauseGoal


class AnswerVerdict(StrEnum):
    """What to do with a click on a check-in answer button."""

    RECORD = "record"
    ALREADY_ANSWERED = "already_answered"
    GOAL_CLOSED = "goal_closed"


def decide(
    state: GoalState, history: Sequence[CheckinRecord], now: datetime, limits: GoalLimits
) -> list[Action]:
    """The actions due for a goal at `now`, given its check-in history (any order)."""
    if state.status is not GoalStatus.ACTIVE:
        return []
    records = sorted(history, key=lambda record: record.sent_at)
    streak = missed_streak(state, records, now, limits)
    actions: list[Action] = []
    if streak == 0 and state.needs_attention:
        actions.append(SetNeedsAttention(on=False))
    if streak >= limits.coach_notice_misses and not state.needs_attention:
        actions.append(SetNeedsAttention(on=True))
        if state.has_coach:
            actions.append(NotifyCoach(misses=streak))
    if streak >= limits.pause_misses:
        actions.append(PauseGoal(reason=PauseReason.MISSED_CHECKINS, misses=streak))
        return actions
    nudge = _nudge(state, records, now, limits)
    if nudge is not None:
        actions.append(nudge)
    return actions


def missed_streak(
    state: GoalState, history: Sequence[CheckinRecord], now: datetime, limits: GoalLimits
) -> int:
    """How many check-ins in a row have been missed since the last answer or resume."""
    records = sorted(history, key=lambda record: record.sent_at)
    since = _counting_since(state, records)
    newest = records[-1] if records else None
    return sum(
        1
        for record in records
        if record.answered_at is None
        and (since is None or record.sent_at > since)
        and (record is not newest or now >= record.sent_at + limits.missed_after)
    )


def next_review_at(
    state: GoalState, history: Sequence[CheckinRecord], now: datetime, limits: GoalLimits
) -> datetime | None:
    """The next instant after `now` at which `decide` may answer differently, if no one acts."""
    if state.status is not GoalStatus.ACTIVE or not history:
        return None
    newest = max(history, key=lambda record: record.sent_at)
    if newest.answered_at is not None or _forgiven(state, newest):
        return None
    deadlines = [newest.sent_at + limits.missed_after]
    if newest.nudged_at is None:
        deadlines.append(newest.sent_at + limits.nudge_after)
    future = [deadline for deadline in deadlines if deadline > now]
    return min(future, default=None)


def judge_answer(status: GoalStatus, already_answered: bool) -> AnswerVerdict:
    """Whether a clicked answer should be recorded (a double click or a closed goal is not)."""
    if not status.is_open:
        return AnswerVerdict.GOAL_CLOSED
    if already_answered:
        return AnswerVerdict.ALREADY_ANSWERED
    return AnswerVerdict.RECORD


def _nudge(
    state: GoalState, records: Sequence[CheckinRecord], now: datetime, limits: GoalLimits
) -> SendNudge | None:
    """A nudge for the newest check-in, when it is due and none was sent yet."""
    if not records:
        return None
    newest = records[-1]
    if newest.answered_at is not None or newest.nudged_at is not None or _forgiven(state, newest):
        return None
    if not newest.sent_at + limits.nudge_after <= now < newest.sent_at + limits.missed_after:
        return None
    return SendNudge(period=newest.period)


def _counting_since(state: GoalState, records: Sequence[CheckinRecord]) -> datetime | None:
    """The latest of the last answer and the last resume: misses count only after it."""
    moments = [record.answered_at for record in records if record.answered_at is not None]
    if state.counting_since is not None:
        moments.append(state.counting_since)
    return max(moments, default=None)


def _forgiven(state: GoalState, record: CheckinRecord) -> bool:
    """Whether the check-in was sent before the goal was last resumed."""
    return state.counting_since is not None and record.sent_at <= state.counting_since
