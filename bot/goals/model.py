"""Domain types for coaching goals: enums, the goal spec and the configurable limits."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, time, timedelta
from enum import IntEnum, StrEnum


class Cadence(StrEnum):
    """How often a goal is checked in on."""

    WEEKLY = "weekly"
    FORTNIGHTLY = "fortnightly"

    @property
    def step(self) -> timedelta:
        """The distance between two check-in dates."""
        return timedelta(weeks=1 if self is Cadence.WEEKLY else 2)


class Weekday(IntEnum):
    """A day of the week, numbered like `date.weekday()` (Monday is 0)."""

    MONDAY = 0
    TUESDAY = 1
    WEDNESDAY = 2
    THURSDAY = 3
    FRIDAY = 4
    SATURDAY = 5
    SUNDAY = 6

    @property
    def label(self) -> str:
        """The day's name for people, e.g. "Monday"."""
        return self.name.capitalize()


class GoalStatus(StrEnum):
    """Where a goal is in its life.

    "Needs attention" is not a status: it is a flag on an active goal (see `GoalState`), because
    such a goal still gets its check-ins and one answer clears it.
    """

    ACTIVE = "active"
    PAUSED = "paused"
    FINISHED = "finished"
    ABANDONED = "abandoned"

    @property
    def is_open(self) -> bool:
        """Whether the goal can still be resumed or answered (active or paused)."""
        return self in (GoalStatus.ACTIVE, GoalStatus.PAUSED)


class CheckinAnswer(StrEnum):
    """The person's answer to a check-in."""

    ON_TRACK = "on_track"
    BEHIND = "behind"
    BLOCKED = "blocked"
    DONE = "done"


class Outcome(StrEnum):
    """The person's verdict on a goal at its wrap-up."""

    ACHIEVED = "achieved"
    PARTLY = "partly"
    NOT_YET = "not_yet"


class PauseReason(StrEnum):
    """Why a goal is paused."""

    BY_USER = "by_user"
    MISSED_CHECKINS = "missed_checkins"
    USER_UNREACHABLE = "user_unreachable"


@dataclass(frozen=True)
class GoalSpec:
    """What the person asked for: the goal, its end and when to check in (local wall time)."""

    title: str
    success: str
    end_date: date
    cadence: Cadence
    weekday: Weekday
    local_time: time
    coach_id: str | None = None


@dataclass(frozen=True)
class GoalLimits:
    """Configurable rules for goals; the defaults follow the product brief."""

    min_weeks: int = 1
    max_weeks: int = 26
    max_active_goals: int = 3
    title_max_chars: int = 150
    success_max_chars: int = 500
    nudge_after: timedelta = timedelta(hours=24)
    missed_after: timedelta = timedelta(hours=48)
    coach_notice_misses: int = 2
    pause_misses: int = 3
    jitter_spread_s: int = 300
    digest_local_time: time = time(17, 0)
    fallback_tz: str = "UTC"

    def __post_init__(self) -> None:
        """Reject limits that contradict each other."""
        if not 1 <= self.min_weeks <= self.max_weeks:
            raise ValueError("goal limits need 1 <= min_weeks <= max_weeks")
        if self.max_active_goals < 1:
            raise ValueError("goal limits need max_active_goals >= 1")
        if not timedelta(0) < self.nudge_after < self.missed_after:
            raise ValueError("goal limits need 0 < nudge_after < missed_after")
        if not 1 <= self.coach_notice_misses <= self.pause_misses:
            raise ValueError("goal limits need 1 <= coach_notice_misses <= pause_misses")
        if self.jitter_spread_s < 0:
            raise ValueError("goal limits need jitter_spread_s >= 0")
        if self.title_max_chars < 1 or self.success_max_chars < 1:
            raise ValueError("goal limits need positive text lengths")


def spell_date(day: date) -> str:
    """A date for people, e.g. "Tuesday 21 April 2026"."""
    return f"{day:%A} {day.day} {day:%B %Y}"
