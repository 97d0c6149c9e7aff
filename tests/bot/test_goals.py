"""Tests for the coaching-goals core: validation, schedule, jitter, accountability and wording."""

from __future__ import annotations

import statistics
import subprocess
import sys
from dataclasses import replace
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.goals import (
    AnswerVerdict,
    Cadence,
    CheckinAnswer,
    CheckinRecord,
    CheckinSlot,
    GoalField,
    GoalForm,
    GoalLimits,
    GoalSpec,
    GoalState,
    GoalStatus,
    NotifyCoach,
    Outcome,
    PauseGoal,
    PauseReason,
    SendNudge,
    SetNeedsAttention,
    Weekday,
    checkin_key,
    checkin_schedule,
    days_left,
    decide,
    first_checkin_date,
    jitter_seconds,
    jittered,
    judge_answer,
    local_to_utc,
    missed_streak,
    next_checkin,
    next_checkin_at,
    next_review_at,
    reschedule,
    resolve_zone,
    resume_marker,
    validate_goal_form,
    wrapup_at,
)
from bot.goals.messages import (
    DigestEntry,
    LastAnswer,
    Mention,
    answer_refused,
    answer_reply,
    checkin_message,
    coach_digests,
    coach_notice_message,
    nudge_message,
    pause_message,
    wrapup_message,
    wrapup_reply,
)

LIMITS = GoalLimits()
REPO_ROOT = Path(__file__).resolve().parents[2]


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    """An aware UTC datetime."""
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


def text_of(lines: tuple[tuple[str | Mention, ...], ...]) -> str:
    """The message lines flattened to text, mentions written as @id."""
    return "\n".join(
        "".join(span if isinstance(span, str) else f"@{span.user_id}" for span in line)
        for line in lines
    )


# --- validation -----------------------------------------------------------------------------

TODAY = date(2026, 3, 10)  # a Tuesday
VALID_FORM = GoalForm(
    title="Run shorter meetings",
    success="My meetings end on time",
    end_date="2026-04-21",
    cadence="weekly",
    weekday="monday",
    local_time="09:00",
)


def validate(form: GoalForm, **overrides: Any) -> GoalSpec | dict[GoalField, str]:
    """Validate with sensible defaults for the context."""
    context: dict[str, Any] = {
        "today_local": TODAY,
        "limits": LIMITS,
        "person_id": "U1",
        "coach_is_bot": False,
        "active_goal_count": 0,
    }
    context.update(overrides)
    return validate_goal_form(form, **context)


@pytest.mark.parametrize(
    ("form_changes", "context", "expected"),
    [
        pytest.param({"title": "   "}, {}, {GoalField.TITLE: "Write the goal"}, id="blank-title"),
        pytest.param({"title": None}, {}, {GoalField.TITLE: "Write the goal"}, id="no-title"),
        pytest.param({"title": "x" * 151}, {}, {GoalField.TITLE: "150 characters"}, id="long"),
        pytest.param({"success": ""}, {}, {GoalField.SUCCESS: "how you will know"}, id="success"),
        pytest.param({"success": "y" * 501}, {}, {GoalField.SUCCESS: "500"}, id="long-success"),
        pytest.param({"end_date": None}, {}, {GoalField.END_DATE: "Pick an end date"}, id="no-end"),
        pytest.param({"end_date": "soon"}, {}, {GoalField.END_DATE: "could not"}, id="bad-end"),
        pytest.param(
            {"end_date": "2026-03-01"}, {}, {GoalField.END_DATE: "in the future"}, id="past"
        ),
        pytest.param(
            {"end_date": "2026-03-10"}, {}, {GoalField.END_DATE: "in the future"}, id="today"
        ),
        pytest.param(
            {"end_date": "2026-03-16"},
            {},
            {GoalField.END_DATE: "at least 1 week: pick Tuesday 17 March 2026 or later"},
            id="under-a-week",
        ),
        pytest.param(
            {"end_date": "2026-09-09"},
            {},
            {GoalField.END_DATE: "26 weeks at most: pick Tuesday 8 September 2026 or earlier"},
            id="over-26-weeks",
        ),
        pytest.param(
            {"end_date": "2026-04-01"},
            {"limits": GoalLimits(min_weeks=4, max_weeks=8)},
            {GoalField.END_DATE: "at least 4 weeks"},
            id="configured-minimum",
        ),
        pytest.param({"cadence": "monthly"}, {}, {GoalField.CADENCE: "every week"}, id="cadence"),
        pytest.param({"weekday": "funday"}, {}, {GoalField.WEEKDAY: "day of"}, id="weekday"),
        pytest.param({"weekday": "7"}, {}, {GoalField.WEEKDAY: "day of"}, id="weekday-7"),
        pytest.param({"local_time": None}, {}, {GoalField.LOCAL_TIME: "Pick"}, id="no-time"),
        pytest.param({"local_time": "25:00"}, {}, {GoalField.LOCAL_TIME: "09:30"}, id="hour-25"),
        pytest.param({"local_time": "9am"}, {}, {GoalField.LOCAL_TIME: "09:30"}, id="9am"),
        pytest.param({"local_time": "09:60"}, {}, {GoalField.LOCAL_TIME: "09:30"}, id="minute"),
        pytest.param({"coach_id": "U1"}, {}, {GoalField.COACH: "someone else"}, id="self-coach"),
        pytest.param(
            {"coach_id": "B9"}, {"coach_is_bot": True}, {GoalField.COACH: "not an app"}, id="bot"
        ),
        pytest.param(
            {},
            {"active_goal_count": 3},
            {GoalField.TITLE: "already have 3 active goals"},
            id="too-many-goals",
        ),
        pytest.param(
            {},
            {"active_goal_count": 1, "limits": GoalLimits(max_active_goals=1)},
            {GoalField.TITLE: "already have 1 active goal, which"},
            id="configured-goal-limit",
        ),
        pytest.param(
            {
                "title": "",
                "success": "",
                "end_date": "",
                "cadence": None,
                "weekday": None,
                "local_time": "",
            },
            {},
            {
                GoalField.TITLE: "Write",
                GoalField.SUCCESS: "Say",
                GoalField.END_DATE: "Pick",
                GoalField.CADENCE: "Choose",
                GoalField.WEEKDAY: "Choose",
                GoalField.LOCAL_TIME: "Pick",
            },
            id="everything-empty",
        ),
    ],
)
def test_validation_errors(
    form_changes: dict[str, Any], context: dict[str, Any], expected: dict[GoalField, str]
) -> None:
    result = validate(replace(VALID_FORM, **form_changes), **context)
    assert isinstance(result, dict)
    assert set(result) == set(expected)
    for field, fragment in expected.items():
        assert fragment in result[field]


@pytest.mark.parametrize(
    ("form_changes", "context", "expected_changes"),
    [
        pytest.param({}, {}, {}, id="plain"),
        pytest.param(
            {"title": "  Run shorter meetings \n", "coach_id": " U2 "},
            {},
            {"coach_id": "U2"},
            id="stripped-with-coach",
        ),
        pytest.param({"coach_id": "  "}, {}, {}, id="blank-coach-is-none"),
        pytest.param({"end_date": "2026-03-17"}, {}, {"end_date": date(2026, 3, 17)}, id="1-week"),
        pytest.param({"end_date": "2026-09-08"}, {}, {"end_date": date(2026, 9, 8)}, id="26-weeks"),
        pytest.param(
            {"cadence": "Fortnightly", "weekday": "6", "local_time": "7:05"},
            {},
            {"cadence": Cadence.FORTNIGHTLY, "weekday": Weekday.SUNDAY, "local_time": time(7, 5)},
            id="other-values",
        ),
        pytest.param({}, {"active_goal_count": 2}, {}, id="room-for-a-third"),
    ],
)
def test_validation_accepts(
    form_changes: dict[str, Any], context: dict[str, Any], expected_changes: dict[str, Any]
) -> None:
    expected = GoalSpec(
        title="Run shorter meetings",
        success="My meetings end on time",
        end_date=date(2026, 4, 21),
        cadence=Cadence.WEEKLY,
        weekday=Weekday.MONDAY,
        local_time=time(9, 0),
        coach_id=None,
    )
    result = validate(replace(VALID_FORM, **form_changes), **context)
    assert result == replace(expected, **expected_changes)


@pytest.mark.parametrize(
    "changes",
    [
        pytest.param({"min_weeks": 0}, id="min-0"),
        pytest.param({"min_weeks": 5, "max_weeks": 4}, id="min-over-max"),
        pytest.param({"max_active_goals": 0}, id="no-goals"),
        pytest.param({"nudge_after": timedelta(hours=48)}, id="nudge-not-before-miss"),
        pytest.param({"coach_notice_misses": 4}, id="coach-after-pause"),
        pytest.param({"jitter_spread_s": -1}, id="negative-jitter"),
    ],
)
def test_limits_reject_contradictions(changes: dict[str, Any]) -> None:
    with pytest.raises(ValueError, match="goal limits"):
        GoalLimits(**changes)


# --- local time to UTC ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("tz", "day", "at", "expected"),
    [
        pytest.param("Europe/Berlin", date(2026, 1, 5), time(9), utc(2026, 1, 5, 8), id="winter"),
        pytest.param(
            "Europe/Berlin", date(2026, 3, 29), time(1, 59), utc(2026, 3, 29, 0, 59), id="pre-gap"
        ),
        pytest.param(
            "Europe/Berlin", date(2026, 3, 29), time(2, 0), utc(2026, 3, 29, 1), id="gap-start"
        ),
        pytest.param(
            "Europe/Berlin", date(2026, 3, 29), time(2, 30), utc(2026, 3, 29, 1), id="berlin-gap"
        ),
        pytest.param(
            "Europe/Berlin", date(2026, 3, 29), time(3, 0), utc(2026, 3, 29, 1), id="gap-end"
        ),
        pytest.param(
            "Europe/Berlin",
            date(2026, 10, 25),
            time(2, 30),
            utc(2026, 10, 25, 0, 30),
            id="berlin-overlap-first",
        ),
        pytest.param(
            "America/New_York", date(2026, 3, 8), time(2, 30), utc(2026, 3, 8, 7), id="ny-gap"
        ),
        pytest.param(
            "America/New_York",
            date(2026, 11, 1),
            time(1, 30),
            utc(2026, 11, 1, 5, 30),
            id="ny-overlap-first",
        ),
        pytest.param(
            "Australia/Sydney",
            date(2026, 4, 5),
            time(2, 30),
            utc(2026, 4, 4, 15, 30),
            id="sydney-overlap-first",
        ),
        pytest.param(
            "Australia/Sydney", date(2026, 4, 6), time(9), utc(2026, 4, 5, 23), id="sydney-winter"
        ),
        pytest.param(
            "Australia/Sydney", date(2026, 10, 4), time(2, 30), utc(2026, 10, 3, 16), id="syd-gap"
        ),
        pytest.param(
            "Australia/Lord_Howe",
            date(2026, 10, 4),
            time(2, 15),
            utc(2026, 10, 3, 15, 30),
            id="half-hour-gap",
        ),
        pytest.param(
            "America/Havana", date(2026, 3, 8), time(0, 30), utc(2026, 3, 8, 5), id="midnight-gap"
        ),
        pytest.param("UTC", date(2026, 3, 29), time(2, 30), utc(2026, 3, 29, 2, 30), id="utc"),
    ],
)
def test_local_to_utc(tz: str, day: date, at: time, expected: datetime) -> None:
    assert local_to_utc(day, at, tz) == expected
    assert local_to_utc(day, at, ZoneInfo(tz)) == expected


DST_CHANGE_DAYS = [
    ("Europe/Berlin", date(2026, 3, 29)),
    ("Europe/Berlin", date(2026, 10, 25)),
    ("America/New_York", date(2026, 3, 8)),
    ("America/New_York", date(2026, 11, 1)),
    ("Australia/Sydney", date(2026, 4, 5)),
    ("Australia/Sydney", date(2026, 10, 4)),
    ("Australia/Lord_Howe", date(2026, 4, 5)),
    ("Australia/Lord_Howe", date(2026, 10, 4)),
    ("America/Havana", date(2026, 3, 8)),
    ("America/Havana", date(2026, 11, 1)),
    ("America/Santiago", date(2026, 4, 4)),
    ("America/Santiago", date(2026, 9, 6)),
    ("Pacific/Chatham", date(2026, 4, 5)),
    ("Pacific/Chatham", date(2026, 9, 27)),
]
ANY_DAY = st.tuples(
    st.sampled_from(sorted({tz for tz, _ in DST_CHANGE_DAYS})),
    st.dates(min_value=date(2026, 1, 1), max_value=date(2027, 12, 31)),
    st.integers(min_value=0, max_value=1439),
)


def check_first_instant_at_or_after(tz: str, day: date, at: time) -> None:
    """local_to_utc gives the first instant whose wall time in `tz` is `at` on `day`, or after."""
    zone = ZoneInfo(tz)
    wanted = (day, at)
    instant = local_to_utc(day, at, tz)
    shown = instant.astimezone(zone)
    assert instant.tzinfo is UTC
    if (shown.date(), shown.time()) == wanted:
        # The wall time exists: of its occurrences (two in a fall-back), this is the first.
        for earlier in (timedelta(minutes=30), timedelta(hours=1)):
            before = (instant - earlier).astimezone(zone)
            assert (before.date(), before.time()) != wanted
        return
    # The wall time does not exist: the result is the jump itself, the first instant past it.
    just_before = (instant - timedelta(seconds=1)).astimezone(zone)
    assert (shown.date(), shown.time()) > wanted
    assert (just_before.date(), just_before.time()) < wanted


@pytest.mark.parametrize(
    ("tz", "day"), DST_CHANGE_DAYS, ids=[f"{tz}-{day}" for tz, day in DST_CHANGE_DAYS]
)
def test_local_to_utc_every_five_minutes_of_a_dst_change_day(tz: str, day: date) -> None:
    zone = ZoneInfo(tz)
    start = datetime.combine(day, time(0), tzinfo=zone)
    assert start.utcoffset() != (start + timedelta(hours=36)).utcoffset(), "not a change day"
    for minutes in range(0, 24 * 60, 5):
        check_first_instant_at_or_after(tz, day, time(minutes // 60, minutes % 60))


@given(case=ANY_DAY)
def test_local_to_utc_on_any_day(case: tuple[str, date, int]) -> None:
    tz, day, minutes = case
    check_first_instant_at_or_after(tz, day, time(minutes // 60, minutes % 60))


@pytest.mark.parametrize(
    ("tz_name", "expected", "fell_back"),
    [
        pytest.param("Europe/Berlin", "Europe/Berlin", False, id="known"),
        pytest.param(" Asia/Tokyo ", "Asia/Tokyo", False, id="padded"),
        pytest.param("Mars/Olympus", "UTC", True, id="unknown"),
        pytest.param("../etc/passwd", "UTC", True, id="path"),
        pytest.param("", "UTC", True, id="empty"),
        pytest.param(None, "UTC", True, id="missing"),
    ],
)
def test_resolve_zone(tz_name: str | None, expected: str, fell_back: bool) -> None:
    choice = resolve_zone(tz_name)
    assert (choice.zone.key, choice.fell_back) == (expected, fell_back)


def test_resolve_zone_uses_the_configured_fallback() -> None:
    assert resolve_zone("nowhere", fallback="Europe/London").zone.key == "Europe/London"


# --- schedule ---------------------------------------------------------------------------------


def spec(**changes: Any) -> GoalSpec:
    """A weekly Monday 09:00 goal ending Tuesday 21 April 2026, with changes."""
    base = GoalSpec(
        title="Run shorter meetings",
        success="My meetings end on time",
        end_date=date(2026, 4, 21),
        cadence=Cadence.WEEKLY,
        weekday=Weekday.MONDAY,
        local_time=time(9, 0),
    )
    return replace(base, **changes)


@pytest.mark.parametrize(
    ("weekday", "set_on", "expected"),
    [
        pytest.param(Weekday.MONDAY, date(2026, 3, 10), date(2026, 3, 16), id="next-monday"),
        pytest.param(Weekday.TUESDAY, date(2026, 3, 10), date(2026, 3, 17), id="never-same-day"),
        pytest.param(Weekday.WEDNESDAY, date(2026, 3, 10), date(2026, 3, 11), id="tomorrow"),
        pytest.param(Weekday.SUNDAY, date(2026, 3, 10), date(2026, 3, 15), id="sunday"),
        pytest.param(Weekday.MONDAY, date(2026, 3, 15), date(2026, 3, 16), id="from-sunday"),
    ],
)
def test_first_checkin_date(weekday: Weekday, set_on: date, expected: date) -> None:
    assert first_checkin_date(weekday, set_on) == expected


@pytest.mark.parametrize(
    ("goal", "tz", "anchor", "after", "expected"),
    [
        pytest.param(
            spec(weekday=Weekday.SUNDAY, end_date=date(2026, 4, 30)),
            "Europe/Berlin",
            date(2026, 3, 22),
            utc(2026, 3, 22, 7, 59),
            utc(2026, 3, 22, 8),
            id="berlin-just-before",
        ),
        pytest.param(
            spec(weekday=Weekday.SUNDAY, end_date=date(2026, 4, 30)),
            "Europe/Berlin",
            date(2026, 3, 22),
            utc(2026, 3, 22, 8),
            utc(2026, 3, 29, 7),
            id="berlin-strictly-after-into-summer",
        ),
        pytest.param(
            spec(weekday=Weekday.SUNDAY, local_time=time(2, 30), end_date=date(2026, 4, 30)),
            "Europe/Berlin",
            date(2026, 3, 22),
            utc(2026, 3, 23),
            utc(2026, 3, 29, 1),
            id="berlin-nonexistent-moves-forward",
        ),
        pytest.param(
            spec(weekday=Weekday.SUNDAY, local_time=time(1, 30), end_date=date(2026, 11, 30)),
            "America/New_York",
            date(2026, 10, 25),
            utc(2026, 10, 26),
            utc(2026, 11, 1, 5, 30),
            id="ny-ambiguous-first",
        ),
        pytest.param(
            spec(weekday=Weekday.SUNDAY, local_time=time(1, 30), end_date=date(2026, 11, 30)),
            "America/New_York",
            date(2026, 10, 25),
            utc(2026, 11, 1, 5, 30),
            utc(2026, 11, 8, 6, 30),
            id="ny-no-second-occurrence",
        ),
        pytest.param(
            spec(),
            "Australia/Sydney",
            date(2026, 3, 30),
            utc(2026, 3, 29, 22),
            utc(2026, 4, 5, 23),
            id="sydney-into-winter",
        ),
        pytest.param(
            spec(end_date=date(2026, 5, 30), cadence=Cadence.FORTNIGHTLY),
            "Europe/Berlin",
            date(2026, 3, 16),
            utc(2026, 3, 17),
            utc(2026, 3, 30, 7),
            id="fortnightly-skips-a-week",
        ),
        pytest.param(
            spec(end_date=date(2026, 5, 30), cadence=Cadence.FORTNIGHTLY),
            "Europe/Berlin",
            date(2026, 3, 16),
            utc(2026, 3, 31),
            utc(2026, 4, 13, 7),
            id="fortnightly-from-anchor",
        ),
        pytest.param(
            spec(),
            "Europe/Berlin",
            date(2026, 3, 16),
            utc(2026, 3, 1),
            utc(2026, 3, 16, 8),
            id="before-anchor",
        ),
        pytest.param(
            spec(),
            "Europe/Berlin",
            date(2026, 3, 16),
            utc(2026, 4, 14),
            utc(2026, 4, 20, 7),
            id="last-before-end",
        ),
        pytest.param(
            spec(end_date=date(2026, 4, 20)),
            "Europe/Berlin",
            date(2026, 3, 16),
            utc(2026, 4, 14),
            None,
            id="end-date-gets-wrapup-not-checkin",
        ),
        pytest.param(
            spec(),
            "Europe/Berlin",
            date(2026, 3, 16),
            utc(2026, 4, 20, 7),
            None,
            id="after-the-last",
        ),
        pytest.param(
            spec(local_time=time(23, 30), weekday=Weekday.SUNDAY, end_date=date(2026, 4, 30)),
            "Pacific/Auckland",
            date(2026, 3, 22),
            utc(2026, 3, 22, 10, 29),
            utc(2026, 3, 22, 10, 30),
            id="local-date-ahead-of-utc",
        ),
    ],
)
def test_next_checkin_at(
    goal: GoalSpec, tz: str, anchor: date, after: datetime, expected: datetime | None
) -> None:
    assert next_checkin_at(goal, tz, anchor, after) == expected


def test_next_checkin_refuses_naive_time() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        next_checkin(spec(), "UTC", date(2026, 3, 16), datetime(2026, 3, 17))  # noqa: DTZ001


@pytest.mark.parametrize(
    ("goal", "tz", "expected"),
    [
        pytest.param(spec(), "Europe/Berlin", utc(2026, 4, 21, 7), id="berlin"),
        pytest.param(spec(), "America/New_York", utc(2026, 4, 21, 13), id="new-york"),
        pytest.param(
            spec(end_date=date(2026, 11, 1), local_time=time(1, 30)),
            "America/New_York",
            utc(2026, 11, 1, 5, 30),
            id="ambiguous-end",
        ),
        pytest.param(
            spec(end_date=date(2026, 3, 29), local_time=time(2, 30)),
            "Europe/Berlin",
            utc(2026, 3, 29, 1),
            id="nonexistent-end",
        ),
    ],
)
def test_wrapup_at(goal: GoalSpec, tz: str, expected: datetime) -> None:
    assert wrapup_at(goal, tz) == expected


@pytest.mark.parametrize(
    ("tz", "last_sent", "now", "expected"),
    [
        pytest.param(
            "Europe/Berlin",
            None,
            utc(2026, 3, 11),
            (date(2026, 3, 16), utc(2026, 3, 16, 8)),
            id="first",
        ),
        pytest.param(
            "Europe/Berlin",
            date(2026, 3, 16),
            utc(2026, 3, 16, 8, 2),
            (date(2026, 3, 23), utc(2026, 3, 23, 8)),
            id="after-a-send",
        ),
        pytest.param(
            "America/New_York",
            date(2026, 3, 23),
            utc(2026, 3, 23, 8, 1),
            (date(2026, 3, 30), utc(2026, 3, 30, 13)),
            id="moved-west-no-double",
        ),
        pytest.param(
            "Europe/Berlin",
            date(2026, 3, 16),
            utc(2026, 3, 23, 10),
            (date(2026, 3, 23), utc(2026, 3, 23, 10)),
            id="moved-east-overdue-is-due-now",
        ),
        pytest.param(
            "Europe/Berlin",
            date(2026, 3, 16),
            utc(2026, 3, 23, 7),
            (date(2026, 3, 23), utc(2026, 3, 23, 8)),
            id="moved-east-still-ahead",
        ),
        pytest.param(
            "Europe/Berlin",
            date(2026, 3, 16),
            utc(2026, 4, 7, 12),
            (date(2026, 4, 6), utc(2026, 4, 7, 12)),
            id="outage-catches-up-once",
        ),
        pytest.param(
            "Europe/Berlin", date(2026, 4, 13), utc(2026, 4, 21, 8), None, id="overdue-past-end"
        ),
        pytest.param(
            "Europe/Berlin", date(2026, 4, 20), utc(2026, 4, 20, 7, 1), None, id="after-last"
        ),
    ],
)
def test_reschedule(
    tz: str, last_sent: date | None, now: datetime, expected: tuple[date, datetime] | None
) -> None:
    slot = reschedule(spec(), tz, date(2026, 3, 16), last_sent, now)
    assert slot == (None if expected is None else CheckinSlot(*expected))


@pytest.mark.parametrize(
    ("now", "marker", "next_due"),
    [
        pytest.param(utc(2026, 3, 12), None, utc(2026, 3, 16, 8), id="before-the-first"),
        pytest.param(
            utc(2026, 4, 6, 6), date(2026, 3, 30), utc(2026, 4, 6, 7), id="due-later-today"
        ),
        pytest.param(utc(2026, 4, 8, 12), date(2026, 4, 6), utc(2026, 4, 13, 7), id="no-catch-up"),
        pytest.param(utc(2026, 4, 20, 9), date(2026, 4, 20), None, id="after-the-last"),
    ],
)
def test_resume_skips_what_fell_due_while_paused(
    now: datetime, marker: date | None, next_due: datetime | None
) -> None:
    assert resume_marker(spec(), "Europe/Berlin", date(2026, 3, 16), now) == marker
    slot = reschedule(spec(), "Europe/Berlin", date(2026, 3, 16), marker, now)
    assert (None if slot is None else slot.at) == next_due


def test_instant_based_next_would_repeat_a_period_after_moving_west() -> None:
    # Why the dispatcher must use `reschedule` (periods), not `next_checkin` (instants), on a move.
    after_send = utc(2026, 3, 23, 8, 1)
    repeated = next_checkin(spec(), "America/New_York", date(2026, 3, 16), after_send)
    assert repeated == CheckinSlot(date(2026, 3, 23), utc(2026, 3, 23, 13))
    rescheduled = reschedule(
        spec(), "America/New_York", date(2026, 3, 16), date(2026, 3, 23), after_send
    )
    assert rescheduled is not None
    assert rescheduled.period == date(2026, 3, 30)


@pytest.mark.parametrize(
    ("goal", "tz", "anchor", "expected"),
    [
        pytest.param(
            spec(),
            "Europe/Berlin",
            date(2026, 3, 16),
            [
                (date(2026, 3, 16), utc(2026, 3, 16, 8)),
                (date(2026, 3, 23), utc(2026, 3, 23, 8)),
                (date(2026, 3, 30), utc(2026, 3, 30, 7)),
                (date(2026, 4, 6), utc(2026, 4, 6, 7)),
                (date(2026, 4, 13), utc(2026, 4, 13, 7)),
                (date(2026, 4, 20), utc(2026, 4, 20, 7)),
            ],
            id="berlin-weekly-spring",
        ),
        pytest.param(
            spec(
                cadence=Cadence.FORTNIGHTLY,
                weekday=Weekday.SUNDAY,
                local_time=time(1, 30),
                end_date=date(2026, 11, 20),
            ),
            "America/New_York",
            date(2026, 10, 4),
            [
                (date(2026, 10, 4), utc(2026, 10, 4, 5, 30)),
                (date(2026, 10, 18), utc(2026, 10, 18, 5, 30)),
                (date(2026, 11, 1), utc(2026, 11, 1, 5, 30)),
                (date(2026, 11, 15), utc(2026, 11, 15, 6, 30)),
            ],
            id="new-york-fortnightly-autumn",
        ),
        pytest.param(
            spec(end_date=date(2026, 4, 14)),
            "Australia/Sydney",
            date(2026, 3, 23),
            [
                (date(2026, 3, 23), utc(2026, 3, 22, 22)),
                (date(2026, 3, 30), utc(2026, 3, 29, 22)),
                (date(2026, 4, 6), utc(2026, 4, 5, 23)),
                (date(2026, 4, 13), utc(2026, 4, 12, 23)),
            ],
            id="sydney-weekly-april",
        ),
    ],
)
def test_checkin_schedule(
    goal: GoalSpec, tz: str, anchor: date, expected: list[tuple[date, datetime]]
) -> None:
    assert checkin_schedule(goal, tz, anchor) == [CheckinSlot(*item) for item in expected]


# --- a fixed clock walks goals through their weeks --------------------------------------------


def walk(
    goal: GoalSpec,
    created: datetime,
    zones: list[tuple[datetime, str]],
    tick: timedelta = timedelta(minutes=15),
) -> list[tuple[str, datetime]]:
    """Emulate a dispatcher ticking from `created` until the wrap-up; return what it sent.

    `zones` lists (from when, zone): the person's Slack time zone over time.
    """

    def zone_at(now: datetime) -> str:
        return [name for since, name in zones if since <= now][-1]

    anchor = first_checkin_date(goal.weekday, created.astimezone(ZoneInfo(zone_at(created))).date())
    sent: list[tuple[str, datetime]] = []
    last_sent: date | None = None
    now = created
    while now <= created + timedelta(weeks=30):
        tz = zone_at(now)
        slot = reschedule(goal, tz, anchor, last_sent, now)
        if slot is not None and slot.at <= now:
            sent.append((f"checkin {slot.period}", now))
            last_sent = slot.period
        elif slot is None and wrapup_at(goal, tz) <= now:
            sent.append(("wrapup", now))
            return sent
        now += tick
    raise AssertionError("the walk never reached the wrap-up")


BERLIN_WALK = [
    ("checkin 2026-03-16", utc(2026, 3, 16, 8)),
    ("checkin 2026-03-23", utc(2026, 3, 23, 8)),
    ("checkin 2026-03-30", utc(2026, 3, 30, 7)),
    ("checkin 2026-04-06", utc(2026, 4, 6, 7)),
    ("checkin 2026-04-13", utc(2026, 4, 13, 7)),
    ("checkin 2026-04-20", utc(2026, 4, 20, 7)),
    ("wrapup", utc(2026, 4, 21, 7)),
]


@pytest.mark.parametrize(
    ("goal", "created", "zones", "expected"),
    [
        pytest.param(
            spec(),
            utc(2026, 3, 10, 9),
            [(utc(2026, 3, 10, 9), "Europe/Berlin")],
            BERLIN_WALK,
            id="six-weeks-berlin-across-dst",
        ),
        pytest.param(
            spec(),
            utc(2026, 3, 10, 9),
            [(utc(2026, 3, 10, 9), "Europe/Berlin"), (utc(2026, 3, 25), "America/New_York")],
            [
                *BERLIN_WALK[:2],
                ("checkin 2026-03-30", utc(2026, 3, 30, 13)),
                ("checkin 2026-04-06", utc(2026, 4, 6, 13)),
                ("checkin 2026-04-13", utc(2026, 4, 13, 13)),
                ("checkin 2026-04-20", utc(2026, 4, 20, 13)),
                ("wrapup", utc(2026, 4, 21, 13)),
            ],
            id="moves-west-mid-goal",
        ),
        pytest.param(
            spec(),
            utc(2026, 3, 10, 15),
            [(utc(2026, 3, 10, 15), "America/New_York"), (utc(2026, 3, 30, 10), "Europe/Berlin")],
            [
                ("checkin 2026-03-16", utc(2026, 3, 16, 13)),
                ("checkin 2026-03-23", utc(2026, 3, 23, 13)),
                ("checkin 2026-03-30", utc(2026, 3, 30, 10)),
                ("checkin 2026-04-06", utc(2026, 4, 6, 7)),
                ("checkin 2026-04-13", utc(2026, 4, 13, 7)),
                ("checkin 2026-04-20", utc(2026, 4, 20, 7)),
                ("wrapup", utc(2026, 4, 21, 7)),
            ],
            id="moves-east-on-checkin-day",
        ),
        pytest.param(
            spec(
                cadence=Cadence.FORTNIGHTLY,
                weekday=Weekday.SUNDAY,
                local_time=time(1, 30),
                end_date=date(2026, 11, 20),
            ),
            utc(2026, 10, 1, 16),
            [(utc(2026, 10, 1, 16), "America/New_York")],
            [
                ("checkin 2026-10-04", utc(2026, 10, 4, 5, 30)),
                ("checkin 2026-10-18", utc(2026, 10, 18, 5, 30)),
                ("checkin 2026-11-01", utc(2026, 11, 1, 5, 30)),
                ("checkin 2026-11-15", utc(2026, 11, 15, 6, 30)),
                ("wrapup", utc(2026, 11, 20, 6, 30)),
            ],
            id="fortnightly-new-york-fall-back",
        ),
    ],
)
def test_fixed_clock_walk(
    goal: GoalSpec,
    created: datetime,
    zones: list[tuple[datetime, str]],
    expected: list[tuple[str, datetime]],
) -> None:
    assert walk(goal, created, zones) == expected


# --- jitter -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("key", "spread"),
    [
        pytest.param("checkin:1:2026-03-16", 300, id="str"),
        pytest.param(42, 300, id="int"),
        pytest.param("", 60, id="empty-key"),
        pytest.param("checkin:7:2026-03-16", 1, id="spread-1"),
    ],
)
def test_jitter_is_deterministic_and_bounded(key: str | int, spread: int) -> None:
    first = jitter_seconds(key, spread)
    assert first == jitter_seconds(key, spread)
    assert 0 <= first < spread


@pytest.mark.parametrize("seed", ["1", "2"], ids=["hashseed-1", "hashseed-2"])
def test_jitter_is_the_same_in_every_process(seed: str) -> None:
    # Each dispatcher process must re-compute the same instant, whatever its hash seed.
    keys = [checkin_key(goal_id, date(2026, 3, 16)) for goal_id in range(20)]
    script = (
        "import sys; from bot.goals import jitter_seconds; "
        "print(*(jitter_seconds(key, 300) for key in sys.argv[1:]))"
    )
    result = subprocess.run(
        [sys.executable, "-c", script, *keys],
        capture_output=True,
        text=True,
        check=True,
        env={"PYTHONHASHSEED": seed, "PYTHONPATH": str(REPO_ROOT)},
    )
    assert result.stdout.split() == [str(jitter_seconds(key, 300)) for key in keys]


@pytest.mark.parametrize("spread", [0, -5], ids=["zero", "negative"])
def test_no_spread_means_no_jitter(spread: int) -> None:
    assert jitter_seconds("checkin:1:2026-03-16", spread) == 0


def test_jitter_spreads_a_whole_zone_over_the_window() -> None:
    period = date(2026, 3, 16)
    offsets = [jitter_seconds(checkin_key(goal_id, period), 300) for goal_id in range(10_000)]
    assert min(offsets) == 0
    assert max(offsets) == 299
    assert len(set(offsets)) == 300
    assert 140 <= statistics.mean(offsets) <= 160
    busiest_second = max(offsets.count(offset) for offset in set(offsets))
    assert busiest_second < 3 * 10_000 / 300


def test_jittered_only_delays_by_the_keys_jitter() -> None:
    at = utc(2026, 3, 16, 8)
    for goal_id in range(50):
        key = checkin_key(goal_id, date(2026, 3, 16))
        delay = jittered(at, key, 300) - at
        assert delay == timedelta(seconds=jitter_seconds(key, 300))
        assert timedelta(0) <= delay < timedelta(seconds=300)


def test_checkin_keys_differ_by_goal_and_period() -> None:
    keys = {
        checkin_key(goal_id, date(2026, 3, 16) + timedelta(weeks=week))
        for goal_id in range(20)
        for week in range(6)
    }
    assert len(keys) == 120


# --- accountability ---------------------------------------------------------------------------

T0 = utc(2026, 3, 16, 8)  # the first check-in goes out
WEEK = timedelta(weeks=1)
HOUR = timedelta(hours=1)


def record(
    week: int, answered_h: float | None = None, nudged_h: float | None = None
) -> CheckinRecord:
    """The check-in of week `week`, answered and nudged that many hours after it was sent."""
    sent = T0 + week * WEEK
    return CheckinRecord(
        period=sent.date(),
        sent_at=sent,
        answered_at=None if answered_h is None else sent + answered_h * HOUR,
        nudged_at=None if nudged_h is None else sent + nudged_h * HOUR,
    )


ACTIVE = GoalState(GoalStatus.ACTIVE, has_coach=True)


@pytest.mark.parametrize(
    ("state", "history", "now", "expected"),
    [
        pytest.param(ACTIVE, [], T0, [], id="no-checkins"),
        pytest.param(ACTIVE, [record(0, answered_h=2)], T0 + 30 * HOUR, [], id="answered"),
        pytest.param(ACTIVE, [record(0)], T0 + 23 * HOUR, [], id="too-early-to-nudge"),
        pytest.param(
            ACTIVE, [record(0)], T0 + 24 * HOUR, [SendNudge(date(2026, 3, 16))], id="nudge"
        ),
        pytest.param(ACTIVE, [record(0, nudged_h=24)], T0 + 30 * HOUR, [], id="nudged-once"),
        pytest.param(
            ACTIVE,
            [record(0, nudged_h=24, answered_h=30)],
            T0 + 60 * HOUR,
            [],
            id="answer-after-nudge",
        ),
        pytest.param(ACTIVE, [record(0)], T0 + 49 * HOUR, [], id="one-miss-no-late-nudge"),
        pytest.param(
            ACTIVE,
            [record(0, nudged_h=24), record(1)],
            T0 + WEEK + 24 * HOUR,
            [SendNudge(date(2026, 3, 23))],
            id="one-miss-then-nudge-the-next",
        ),
        pytest.param(
            ACTIVE,
            [record(0, nudged_h=24), record(1, nudged_h=24)],
            T0 + WEEK + 48 * HOUR,
            [SetNeedsAttention(on=True), NotifyCoach(misses=2)],
            id="two-misses-tell-the-coach",
        ),
        pytest.param(
            replace(ACTIVE, has_coach=False),
            [record(0), record(1)],
            T0 + WEEK + 48 * HOUR,
            [SetNeedsAttention(on=True)],
            id="two-misses-no-coach",
        ),
        pytest.param(
            replace(ACTIVE, needs_attention=True),
            [record(0), record(1), record(2)],
            T0 + 2 * WEEK + 30 * HOUR,
            [SendNudge(date(2026, 3, 30))],
            id="flagged-once-then-nudge",
        ),
        pytest.param(
            replace(ACTIVE, needs_attention=True),
            [record(0), record(1), record(2, nudged_h=24)],
            T0 + 2 * WEEK + 48 * HOUR,
            [PauseGoal(PauseReason.MISSED_CHECKINS, misses=3)],
            id="three-misses-pause",
        ),
        pytest.param(
            ACTIVE,
            [record(0), record(1), record(2)],
            T0 + 2 * WEEK + 60 * HOUR,
            [
                SetNeedsAttention(on=True),
                NotifyCoach(misses=3),
                PauseGoal(PauseReason.MISSED_CHECKINS, misses=3),
            ],
            id="three-misses-found-at-once",
        ),
        pytest.param(
            replace(ACTIVE, needs_attention=True),
            [record(0), record(1), record(2, answered_h=5)],
            T0 + 2 * WEEK + 6 * HOUR,
            [SetNeedsAttention(on=False)],
            id="answer-clears-the-streak",
        ),
        pytest.param(
            ACTIVE,
            [record(0, answered_h=7 * 24 + 3), record(1)],
            T0 + WEEK + 50 * HOUR,
            [],
            id="late-answer-to-an-older-checkin-counts",
        ),
        pytest.param(
            replace(ACTIVE, needs_attention=True),
            [record(0), record(1), record(2, answered_h=1), record(3), record(4)],
            T0 + 4 * WEEK + 48 * HOUR,
            [],
            id="new-streak-while-still-flagged",
        ),
        pytest.param(
            GoalState(GoalStatus.PAUSED, has_coach=True),
            [record(0), record(1), record(2), record(3)],
            T0 + 3 * WEEK + 48 * HOUR,
            [],
            id="paused-goal",
        ),
        pytest.param(
            GoalState(GoalStatus.FINISHED),
            [record(0)],
            T0 + 24 * HOUR,
            [],
            id="finished-goal",
        ),
        pytest.param(
            replace(ACTIVE, counting_since=T0 + 2 * WEEK + 72 * HOUR),
            [record(0), record(1), record(2)],
            T0 + 3 * WEEK - HOUR,
            [],
            id="resume-forgives-old-misses",
        ),
        pytest.param(
            replace(ACTIVE, counting_since=T0 + 2 * WEEK + 72 * HOUR),
            [record(0), record(1), record(2), record(3)],
            T0 + 3 * WEEK + 24 * HOUR,
            [SendNudge(date(2026, 4, 6))],
            id="after-resume-nudges-again",
        ),
        pytest.param(
            replace(ACTIVE, counting_since=T0 + 2 * WEEK + 72 * HOUR),
            [record(0), record(1), record(2), record(3, nudged_h=24), record(4)],
            T0 + 4 * WEEK + 48 * HOUR,
            [SetNeedsAttention(on=True), NotifyCoach(misses=2)],
            id="after-resume-counts-from-zero",
        ),
    ],
)
def test_decide(
    state: GoalState, history: list[CheckinRecord], now: datetime, expected: list[object]
) -> None:
    assert decide(state, history, now, LIMITS) == expected
    assert decide(state, list(reversed(history)), now, LIMITS) == expected


@pytest.mark.parametrize(
    ("history", "now", "expected"),
    [
        pytest.param([], T0, 0, id="none"),
        pytest.param([record(0)], T0 + 47 * HOUR, 0, id="pending"),
        pytest.param([record(0)], T0 + 48 * HOUR, 1, id="missed-at-deadline"),
        pytest.param([record(0), record(1)], T0 + WEEK, 1, id="superseded"),
        pytest.param([record(0), record(1), record(2)], T0 + 2 * WEEK + 48 * HOUR, 3, id="three"),
        pytest.param([record(0), record(1, answered_h=1), record(2)], T0 + 3 * WEEK, 1, id="reset"),
    ],
)
def test_missed_streak(history: list[CheckinRecord], now: datetime, expected: int) -> None:
    assert missed_streak(ACTIVE, history, now, LIMITS) == expected


@pytest.mark.parametrize(
    ("state", "history", "now", "expected"),
    [
        pytest.param(ACTIVE, [], T0, None, id="nothing-sent"),
        pytest.param(ACTIVE, [record(0)], T0 + HOUR, T0 + 24 * HOUR, id="nudge-next"),
        pytest.param(ACTIVE, [record(0, nudged_h=24)], T0 + 25 * HOUR, T0 + 48 * HOUR, id="miss"),
        pytest.param(ACTIVE, [record(0)], T0 + 30 * HOUR, T0 + 48 * HOUR, id="nudge-overdue"),
        pytest.param(ACTIVE, [record(0)], T0 + 48 * HOUR, None, id="all-passed"),
        pytest.param(ACTIVE, [record(0, answered_h=1)], T0 + 2 * HOUR, None, id="answered"),
        pytest.param(GoalState(GoalStatus.PAUSED), [record(0)], T0 + HOUR, None, id="paused"),
    ],
)
def test_next_review_at(
    state: GoalState, history: list[CheckinRecord], now: datetime, expected: datetime | None
) -> None:
    assert next_review_at(state, history, now, LIMITS) == expected


def apply(
    state: GoalState, history: list[CheckinRecord], actions: list[object], now: datetime
) -> tuple[GoalState, list[CheckinRecord]]:
    """Record what a dispatcher would record after carrying out `actions` at `now`."""
    for action in actions:
        if isinstance(action, SendNudge):
            history = [
                replace(item, nudged_at=now) if item.period == action.period else item
                for item in history
            ]
        elif isinstance(action, SetNeedsAttention):
            state = replace(state, needs_attention=action.on)
        elif isinstance(action, PauseGoal):
            state = replace(state, status=GoalStatus.PAUSED)
    return state, history


@pytest.mark.parametrize(
    ("answers", "expected"),
    [
        pytest.param(
            {},
            [
                (T0 + 24 * HOUR, SendNudge(date(2026, 3, 16))),
                (T0 + WEEK + 24 * HOUR, SendNudge(date(2026, 3, 23))),
                (T0 + WEEK + 48 * HOUR, SetNeedsAttention(on=True)),
                (T0 + WEEK + 48 * HOUR, NotifyCoach(misses=2)),
                (T0 + 2 * WEEK + 24 * HOUR, SendNudge(date(2026, 3, 30))),
                (T0 + 2 * WEEK + 48 * HOUR, PauseGoal(PauseReason.MISSED_CHECKINS, misses=3)),
            ],
            id="silent-person-paused-after-three",
        ),
        pytest.param(
            {1: 30 * HOUR},
            [
                (T0 + 24 * HOUR, SendNudge(date(2026, 3, 16))),
                (T0 + WEEK + 24 * HOUR, SendNudge(date(2026, 3, 23))),
                (T0 + 2 * WEEK + 24 * HOUR, SendNudge(date(2026, 3, 30))),
                (T0 + 3 * WEEK + 24 * HOUR, SendNudge(date(2026, 4, 6))),
                (T0 + 3 * WEEK + 48 * HOUR, SetNeedsAttention(on=True)),
                (T0 + 3 * WEEK + 48 * HOUR, NotifyCoach(misses=2)),
            ],
            id="answer-after-nudge-resets",
        ),
        pytest.param({0: 2 * HOUR, 1: 2 * HOUR, 2: 2 * HOUR, 3: 2 * HOUR}, [], id="always-answers"),
    ],
)
def test_accountability_walk_is_idempotent(
    answers: dict[int, timedelta], expected: list[tuple[datetime, object]]
) -> None:
    # Four weekly check-ins; the dispatcher evaluates every 15 minutes and records what it did.
    state, history = ACTIVE, []
    done: list[tuple[datetime, object]] = []
    now = T0
    while now < T0 + 4 * WEEK and state.status is GoalStatus.ACTIVE:
        week = int((now - T0) / WEEK)
        if now == T0 + week * WEEK:
            history.append(record(week))
        history = [
            replace(item, answered_at=item.sent_at + answers[index])
            if index in answers and item.sent_at + answers[index] == now
            else item
            for index, item in enumerate(history)
        ]
        actions = decide(state, history, now, LIMITS)
        done.extend((now, action) for action in actions)
        state, history = apply(state, history, list(actions), now)
        assert decide(state, history, now, LIMITS) == []
        now += timedelta(minutes=15)
    assert done == expected


@pytest.mark.parametrize(
    ("status", "already", "expected"),
    [
        pytest.param(GoalStatus.ACTIVE, False, AnswerVerdict.RECORD, id="active"),
        pytest.param(GoalStatus.ACTIVE, True, AnswerVerdict.ALREADY_ANSWERED, id="double-click"),
        pytest.param(GoalStatus.PAUSED, False, AnswerVerdict.RECORD, id="paused"),
        pytest.param(GoalStatus.FINISHED, False, AnswerVerdict.GOAL_CLOSED, id="finished"),
        pytest.param(GoalStatus.ABANDONED, True, AnswerVerdict.GOAL_CLOSED, id="abandoned"),
    ],
)
def test_judge_answer(status: GoalStatus, already: bool, expected: AnswerVerdict) -> None:
    assert judge_answer(status, already) is expected


# --- wording ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("now", "tz", "expected"),
    [
        pytest.param(utc(2026, 4, 13, 7), "Europe/Berlin", 8, id="a-week-out"),
        pytest.param(utc(2026, 4, 20, 23, 30), "Europe/Berlin", 0, id="berlin-already-end-day"),
        pytest.param(utc(2026, 4, 20, 23, 30), "America/New_York", 1, id="ny-day-before"),
        pytest.param(utc(2026, 5, 1), "Europe/Berlin", 0, id="after-end-never-negative"),
    ],
)
def test_days_left(now: datetime, tz: str, expected: int) -> None:
    assert days_left(date(2026, 4, 21), now, tz) == expected


@pytest.mark.parametrize(
    ("now", "tz", "last", "fragments"),
    [
        pytest.param(
            utc(2026, 4, 13, 7),
            "Europe/Berlin",
            None,
            ["8 days left, until Tuesday 21 April 2026.", "first check-in"],
            id="first",
        ),
        pytest.param(
            utc(2026, 4, 20, 22),
            "America/New_York",
            LastAnswer(CheckinAnswer.BEHIND, utc(2026, 4, 6, 22, 30), note="Busy week"),
            ["1 day left", "Last time (Monday 6 April) you said: Behind.", "“Busy week”"],
            id="ny-last-answer",
        ),
        pytest.param(
            utc(2026, 4, 13, 7),
            "Europe/Berlin",
            LastAnswer(CheckinAnswer.BEHIND, utc(2026, 4, 6, 22, 30)),
            ["Last time (Tuesday 7 April) you said: Behind."],
            id="berlin-answered-after-midnight",
        ),
    ],
)
def test_checkin_message(
    now: datetime, tz: str, last: LastAnswer | None, fragments: list[str]
) -> None:
    message = checkin_message(spec(), now, tz, last)
    body = text_of(message.lines)
    assert message.heading == "Run shorter meetings"
    assert "Run shorter meetings" in message.summary
    assert "Success looks like: My meetings end on time" in body
    for fragment in fragments:
        assert fragment in body
    assert [choice.value for choice in message.choices] == [
        "on_track",
        "behind",
        "blocked",
        "done",
    ]


def test_nudge_offers_the_answers() -> None:
    message = nudge_message(spec())
    assert "reminder" in message.summary
    assert len(message.choices) == 4


@pytest.mark.parametrize(
    ("answer", "choice_values"),
    [
        pytest.param(CheckinAnswer.ON_TRACK, [], id="on-track"),
        pytest.param(CheckinAnswer.BEHIND, [], id="behind"),
        pytest.param(CheckinAnswer.BLOCKED, [], id="blocked"),
        pytest.param(CheckinAnswer.DONE, ["wrapup"], id="done-offers-wrapup"),
    ],
)
def test_answer_reply(answer: CheckinAnswer, choice_values: list[str]) -> None:
    message = answer_reply(answer)
    assert text_of(message.lines)
    assert [choice.value for choice in message.choices] == choice_values


@pytest.mark.parametrize(
    ("verdict", "fragment"),
    [
        pytest.param(AnswerVerdict.ALREADY_ANSWERED, "already answered", id="twice"),
        pytest.param(AnswerVerdict.GOAL_CLOSED, "already ended", id="closed"),
        pytest.param(AnswerVerdict.RECORD, "", id="recorded"),
    ],
)
def test_answer_refused(verdict: AnswerVerdict, fragment: str) -> None:
    text = answer_refused(verdict)
    assert fragment in text
    assert bool(text) is bool(fragment)


def test_coach_notice_mentions_the_coachee() -> None:
    message = coach_notice_message("U7", "Give clearer feedback", 2)
    assert message.lines[0][0] == Mention("U7")
    assert "last 2 check-ins" in text_of(message.lines)
    assert "U7" not in message.summary


@pytest.mark.parametrize(
    ("reason", "fragment"),
    [
        pytest.param(PauseReason.MISSED_CHECKINS, "last 3 check-ins went unanswered", id="missed"),
        pytest.param(PauseReason.BY_USER, "ready", id="by-user"),
        pytest.param(PauseReason.USER_UNREACHABLE, "could not reach you", id="unreachable"),
    ],
)
def test_pause_message_offers_resume(reason: PauseReason, fragment: str) -> None:
    message = pause_message("Give clearer feedback", reason, misses=3)
    assert fragment in text_of(message.lines)
    assert [choice.value for choice in message.choices] == ["resume"]


def test_wrapup_asks_for_the_outcome() -> None:
    message = wrapup_message(spec())
    assert "My meetings end on time" in text_of(message.lines)
    assert [choice.value for choice in message.choices] == ["achieved", "partly", "not_yet"]


@pytest.mark.parametrize("outcome", list(Outcome), ids=[outcome.value for outcome in Outcome])
def test_wrapup_reply_offers_next_steps(outcome: Outcome) -> None:
    message = wrapup_reply(outcome)
    assert [choice.value for choice in message.choices] == ["next_goal", "find_mentor"]


def test_coach_digests_one_per_coach() -> None:
    entries = [
        DigestEntry("C1", "U2", "Stop interrupting", CheckinAnswer.BLOCKED, note="Big launch"),
        DigestEntry("C2", "U9", "Delegate more", CheckinAnswer.ON_TRACK),
        DigestEntry("C1", "U1", "Run shorter meetings", None),
        DigestEntry("C1", "U1", "Give clearer feedback", CheckinAnswer.ON_TRACK),
    ]
    digests = coach_digests(date(2026, 3, 16), entries)
    assert set(digests) == {"C1", "C2"}
    c1 = digests["C1"]
    assert c1.heading == "Check-ins for Monday 16 March 2026"
    assert c1.summary.endswith("2 of 3 answered")
    assert text_of(c1.lines).splitlines() == [
        "@U1 · Give clearer feedback: on track",
        "@U1 · Run shorter meetings: no answer yet",
        "@U2 · Stop interrupting: blocked (“Big launch”)",
    ]
    assert text_of(digests["C2"].lines) == "@U9 · Delegate more: on track"
