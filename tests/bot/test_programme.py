"""Programme health core: weeks, trend, rates, CSV cells and files, settings."""

from __future__ import annotations

import csv
import io
from datetime import UTC, date, datetime, timedelta

import pytest

from bot.programme import (
    MATCH_COLUMNS,
    MatchRow,
    Metric,
    Report,
    Snapshot,
    aggregates_csv,
    build_trend,
    cell,
    health_lines,
    matches_csv,
    rate,
    report_dict,
    week_of,
    window,
)
from bot.settings import SettingsError, bool_setting, parse_settings

NOW = datetime(2026, 3, 4, 15, 0, tzinfo=UTC)  # a Wednesday
THIS_WEEK = date(2026, 3, 2)


@pytest.mark.parametrize(
    ("moment", "monday"),
    [
        (datetime(2026, 3, 2, 0, 0, tzinfo=UTC), date(2026, 3, 2)),
        (datetime(2026, 3, 8, 23, 59, tzinfo=UTC), date(2026, 3, 2)),
        (datetime(2026, 3, 9, 0, 0, tzinfo=UTC), date(2026, 3, 9)),
        (date(2026, 1, 1), date(2025, 12, 29)),
    ],
    ids=["monday", "sunday-night", "next-monday", "a-date-across-years"],
)
def test_week_of(moment: datetime | date, monday: date) -> None:
    assert week_of(moment) == monday


def test_window_is_twelve_mondays_ending_this_week() -> None:
    weeks = window(NOW)
    assert len(weeks) == 12
    assert weeks[-1] == THIS_WEEK
    assert weeks[0] == THIS_WEEK - timedelta(weeks=11)
    assert all(w.weekday() == 0 for w in weeks)


@pytest.mark.parametrize(
    ("amounts", "metric", "series_tail", "total"),
    [
        ([], Metric.PAIRS_STARTED, (0, 0), 0),
        (
            [(Metric.PAIRS_STARTED, THIS_WEEK, 2), (Metric.PAIRS_STARTED, THIS_WEEK, 3)],
            Metric.PAIRS_STARTED,
            (0, 5),
            5,
        ),
        (
            [
                (Metric.GOALS_CREATED, THIS_WEEK - timedelta(weeks=1), 4),
                (Metric.GOALS_CREATED, THIS_WEEK - timedelta(weeks=12), 100),
                (Metric.GOALS_CREATED, THIS_WEEK + timedelta(weeks=1), 100),
            ],
            Metric.GOALS_CREATED,
            (4, 0),
            4,
        ),
        ([(Metric.GOALS_CREATED, THIS_WEEK, 1)], Metric.PAIRS_STARTED, (0, 0), 0),
    ],
    ids=["empty", "summed-in-a-week", "outside-the-window-left-out", "other-metric-zero"],
)
def test_build_trend(
    amounts: list[tuple[Metric, date, int]],
    metric: Metric,
    series_tail: tuple[int, int],
    total: int,
) -> None:
    trend = build_trend(amounts, NOW)
    assert trend.series(metric)[-2:] == series_tail
    assert len(trend.series(metric)) == 12
    assert trend.total(metric) == total


@pytest.mark.parametrize(
    ("part", "whole", "expected"),
    [(0, 0, None), (3, 4, 0.75), (0, 5, 0.0)],
    ids=["nothing-sent", "three-of-four", "none-answered"],
)
def test_rate(part: int, whole: int, expected: float | None) -> None:
    assert rate(part, whole) == expected


def _report(amounts: list[tuple[Metric, date, int]]) -> Report:
    return Report(
        team_id="T0FAKE",
        generated_at=NOW,
        snapshot=Snapshot(mentors=4, mentors_paused=1, open_capacity=5, active_goals=7),
        trend=build_trend(amounts, NOW),
    )


@pytest.mark.parametrize(
    ("minutes", "pairs", "shown"),
    [(0, 0, "–"), (600, 1, "10.0 h"), (60 * 72 * 2, 2, "3.0 days")],
    ids=["no-pairs", "hours", "days"],
)
def test_time_to_match_in_words(minutes: int, pairs: int, shown: str) -> None:
    report = _report(
        [(Metric.MATCH_MINUTES, THIS_WEEK, minutes), (Metric.PAIRS_STARTED, THIS_WEEK, pairs)]
    )
    assert dict(health_lines(report))["Time to match (mean)"] == shown


def test_answer_rate_over_the_window_and_per_week() -> None:
    report = _report(
        [
            (Metric.CHECKINS_SENT, THIS_WEEK, 4),
            (Metric.CHECKINS_ANSWERED, THIS_WEEK, 3),
            (Metric.CHECKINS_SENT, THIS_WEEK - timedelta(weeks=1), 4),
            (Metric.CHECKINS_ANSWERED, THIS_WEEK - timedelta(weeks=1), 1),
        ]
    )
    assert report.answer_rate == 0.5
    assert report.trend.answer_rates()[-2:] == (0.25, 0.75)
    assert report.trend.answer_rates()[0] is None
    assert dict(health_lines(report))["Check-in answer rate"] == "50%"


def test_aggregates_csv_has_the_snapshot_the_window_and_every_week() -> None:
    report = _report([(Metric.PAIRS_STARTED, THIS_WEEK, 2)])
    rows = list(csv.DictReader(io.StringIO(aggregates_csv(report))))
    now = {r["metric"]: r["value"] for r in rows if r["scope"] == "now"}
    assert now["mentors"] == "4" and now["open_capacity"] == "5" and now["active_goals"] == "7"
    window_rows = {r["metric"]: r["value"] for r in rows if r["scope"] == "window"}
    assert window_rows["pairs_started"] == "2"
    weekly = [r for r in rows if r["scope"] == "week" and r["metric"] == "pairs_started"]
    assert [r["value"] for r in weekly] == ["0"] * 11 + ["2"]
    assert weekly[-1]["week_start"] == THIS_WEEK.isoformat()
    assert report_dict(report)["now"]["mentors_paused"] == 1


@pytest.mark.parametrize(
    ("value", "written"),
    [
        ('=HYPERLINK("x")', '\'=HYPERLINK("x")'),
        ("+1", "'+1"),
        ("-2", "'-2"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("Ada Lovelace", "Ada Lovelace"),
        (None, ""),
    ],
    ids=["equals", "plus", "minus", "at", "plain", "none"],
)
def test_cells_never_become_formulas(value: str | None, written: str) -> None:
    assert cell(value) == written


def test_matches_csv_round_trips() -> None:
    start = datetime(2026, 2, 1, 9, 0, tzinfo=UTC)
    rows = [
        MatchRow(
            pair_id=7,
            mentor_id="U0MENTOR1",
            mentor_name="=cmd",
            mentee_id="U0MENTEE1",
            mentee_name="Bo",
            topics=("leadership", "feedback"),
            status="ended",
            requested_at=start,
            started_at=start + timedelta(hours=30),
            ended_at=start + timedelta(days=20),
            end_reason="by_member",
        )
    ]
    parsed = list(csv.reader(io.StringIO(matches_csv(rows))))
    assert tuple(parsed[0]) == MATCH_COLUMNS
    record = dict(zip(parsed[0], parsed[1], strict=True))
    assert record["mentor_name"] == "'=cmd"
    assert record["topics"] == "leadership; feedback"
    assert record["hours_to_match"] == "30.00"
    assert record["ended_at"] == (start + timedelta(days=20)).isoformat()


@pytest.mark.parametrize(
    ("raw", "expected"),
    [("", False), ("true", True), ("YES", True), ("1", True), ("off", False), ("0", False)],
    ids=["unset", "true", "yes-caps", "one", "off", "zero"],
)
def test_bool_setting(raw: str, expected: bool) -> None:
    assert bool_setting({"X": raw}, "X", default=False) is expected


def test_programme_settings_parse_and_refuse_bad_values() -> None:
    settings = parse_settings(
        {"ADMINS_INCLUDE_WORKSPACE_ADMINS": "true", "NOTE_RETENTION_DAYS": "30"}
    )
    assert settings.programme.admins_include_workspace_admins is True
    assert settings.programme.note_retention_days == 30
    assert parse_settings({}).programme.note_retention_days == 365
    with pytest.raises(SettingsError, match="ADMINS_INCLUDE_WORKSPACE_ADMINS"):
        parse_settings({"ADMINS_INCLUDE_WORKSPACE_ADMINS": "maybe"})
    with pytest.raises(SettingsError, match="NOTE_RETENTION_DAYS"):
        parse_settings({"NOTE_RETENTION_DAYS": "0"})
