"""Validation of the goal modal: raw submitted values in, a `GoalSpec` or field errors out."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, time, timedelta
from enum import StrEnum

from bot.goals.model import Cadence, GoalLimits, GoalSpec, Weekday, spell_date

_TIME_RE = re.compile(r"(\d{1,2}):(\d{2})")


class GoalField(StrEnum):
    """The fields of the goal form; the edge maps each to its block id."""

    TITLE = "title"
    SUCCESS = "success"
    END_DATE = "end_date"
    CADENCE = "cadence"
    WEEKDAY = "weekday"
    LOCAL_TIME = "local_time"
    COACH = "coach"


@dataclass(frozen=True)
class GoalForm:
    """The goal modal's values as submitted (None when a field was left empty)."""

    title: str | None
    success: str | None
    end_date: str | None
    cadence: str | None
    weekday: str | None
    local_time: str | None
    coach_id: str | None = None


FieldErrors = dict[GoalField, str]


def too_many_goals_message(active_goal_count: int, limits: GoalLimits) -> str | None:
    """Say why no new goal can be added, or None when there is room for one."""
    if active_goal_count < limits.max_active_goals:
        return None
    goals = "1 active goal" if active_goal_count == 1 else f"{active_goal_count} active goals"
    return (
        f"You already have {goals}, which is the most at once. "
        "Finish, pause or drop one of them first, then add this one."
    )


def validate_goal_form(
    form: GoalForm,
    *,
    today_local: date,
    limits: GoalLimits,
    person_id: str,
    coach_is_bot: bool,
    active_goal_count: int,
) -> GoalSpec | FieldErrors:
    """Turn the submitted form into a `GoalSpec`, or return one friendly error per bad field.

    `active_goal_count` counts the person's *other* active goals (leave out the one being edited).
    The limit error is put on the title field because a modal error must sit on a block.
    """
    errors: FieldErrors = {}
    title = _required_text(form.title)
    success = _required_text(form.success)
    end_date = _parse_date(form.end_date)
    cadence = _parse_cadence(form.cadence)
    weekday = _parse_weekday(form.weekday)
    local_time = _parse_time(form.local_time)
    coach_id = _optional_text(form.coach_id)

    if (error := _title_error(title, limits)) is not None:
        errors[GoalField.TITLE] = error
    if (error := too_many_goals_message(active_goal_count, limits)) is not None:
        errors[GoalField.TITLE] = error
    if (error := _success_error(success, limits)) is not None:
        errors[GoalField.SUCCESS] = error
    if (error := _end_date_error(form.end_date, end_date, today_local, limits)) is not None:
        errors[GoalField.END_DATE] = error
    if cadence is None:
        errors[GoalField.CADENCE] = "Choose how often to check in: every week or every two weeks."
    if weekday is None:
        errors[GoalField.WEEKDAY] = "Choose the day of the week for your check-ins."
    if (error := _time_error(form.local_time, local_time)) is not None:
        errors[GoalField.LOCAL_TIME] = error
    if (error := _coach_error(coach_id, person_id, coach_is_bot)) is not None:
        errors[GoalField.COACH] = error
    if errors:
        return errors
    assert end_date is not None and cadence is not None and weekday is not None
    assert local_time is not None
    return GoalSpec(
        title=title,
        success=success,
        end_date=end_date,
        cadence=cadence,
        weekday=weekday,
        local_time=local_time,
        coach_id=coach_id,
    )


def _required_text(value: str | None) -> str:
    """The value with surrounding blanks removed ("" when missing)."""
    return (value or "").strip()


def _optional_text(value: str | None) -> str | None:
    """The stripped value, or None when blank."""
    stripped = _required_text(value)
    return stripped or None


def _title_error(title: str, limits: GoalLimits) -> str | None:
    """Check the goal text."""
    if not title:
        return "Write the goal in a few words, for example “give clearer feedback in 1:1s”."
    if len(title) > limits.title_max_chars:
        return f"Keep the goal to {limits.title_max_chars} characters or fewer."
    return None


def _success_error(success: str, limits: GoalLimits) -> str | None:
    """Check the "success looks like" text."""
    if not success:
        return "Say how you will know it worked, for example “my team says my feedback is clear”."
    if len(success) > limits.success_max_chars:
        return f"Keep this to {limits.success_max_chars} characters or fewer."
    return None


def _end_date_error(
    raw: str | None, end_date: date | None, today_local: date, limits: GoalLimits
) -> str | None:
    """Check the end date against today and the allowed length of a goal."""
    if not (raw or "").strip():
        return "Pick an end date: coaching goals are time-limited."
    if end_date is None:
        return "That date could not be read. Pick one from the calendar."
    if end_date <= today_local:
        return "The end date has to be in the future."
    earliest = today_local + timedelta(weeks=limits.min_weeks)
    latest = today_local + timedelta(weeks=limits.max_weeks)
    if end_date < earliest:
        at_least = _weeks(limits.min_weeks)
        return f"Give yourself at least {at_least}: pick {spell_date(earliest)} or later."
    if end_date > latest:
        return (
            f"Keep it to {_weeks(limits.max_weeks)} at most: pick {spell_date(latest)} or earlier."
        )
    return None


def _time_error(raw: str | None, parsed: time | None) -> str | None:
    """Check the check-in time."""
    if not (raw or "").strip():
        return "Pick the time of day for your check-ins."
    if parsed is None:
        return "That time could not be read. Pick one like 09:30."
    return None


def _coach_error(coach_id: str | None, person_id: str, coach_is_bot: bool) -> str | None:
    """Check the optional coach."""
    if coach_id is None:
        return None
    if coach_id == person_id:
        return "Your coach has to be someone else. Leave this empty to go without one."
    if coach_is_bot:
        return "Pick a person as your coach, not an app or a bot."
    return None


def _weeks(count: int) -> str:
    """Spell a number of weeks, e.g. "1 week" or "3 weeks"."""
    return "1 week" if count == 1 else f"{count} weeks"


def _parse_date(raw: str | None) -> date | None:
    """An ISO date (Slack's datepicker format), or None."""
    try:
        return date.fromisoformat((raw or "").strip())
    except ValueError:
        return None


def _parse_cadence(raw: str | None) -> Cadence | None:
    """A cadence value, or None."""
    try:
        return Cadence((raw or "").strip().lower())
    except ValueError:
        return None


def _parse_weekday(raw: str | None) -> Weekday | None:
    """A weekday given by name ("monday") or number ("0" is Monday), or None."""
    value = (raw or "").strip()
    if value.isdigit() and int(value) in range(7):
        return Weekday(int(value))
    return Weekday.__members__.get(value.upper())


def _parse_time(raw: str | None) -> time | None:
    """An "HH:MM" time (Slack's timepicker format), or None."""
    match = _TIME_RE.fullmatch((raw or "").strip())
    if match is None:
        return None
    hour, minute = int(match.group(1)), int(match.group(2))
    if hour > 23 or minute > 59:
        return None
    return time(hour, minute)
