"""Programme health in aggregates: weekly counts, rates, the report's lines and its CSV files.

Only counts cross this module: no goal text, no check-in note, no decline reason. Weeks start on
Monday (UTC) so that every process and database buckets a moment the same way.
"""

from __future__ import annotations

import csv
import enum
import io
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

TREND_WEEKS = 12
# Spreadsheet programs run a cell that starts with one of these as a formula.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


class Metric(enum.StrEnum):
    """Things that happen in a week and are counted (never what was written)."""

    MENTORS_JOINED = "mentors_joined"
    REQUESTS_OPENED = "requests_opened"
    PROPOSALS_MADE = "proposals_made"
    PROPOSALS_ACCEPTED = "proposals_accepted"
    PROPOSALS_DECLINED = "proposals_declined"
    PROPOSALS_EXPIRED = "proposals_expired"
    PAIRS_STARTED = "pairs_started"
    MATCH_MINUTES = "match_minutes"
    """Minutes from request to pair, summed over the pairs that started that week."""
    GOALS_CREATED = "goals_created"
    CHECKINS_SENT = "checkins_sent"
    CHECKINS_ANSWERED = "checkins_answered"
    GOALS_ACHIEVED = "goals_achieved"
    GOALS_PARTLY = "goals_partly"
    GOALS_NOT_YET = "goals_not_yet"


Amount = tuple[Metric, date, int]
"""A count for one metric in the week starting on the date."""


@dataclass(frozen=True)
class Snapshot:
    """How the programme stands right now."""

    mentors: int = 0
    mentors_paused: int = 0
    open_capacity: int = 0
    open_requests: int = 0
    proposals_pending: int = 0
    active_pairs: int = 0
    active_goals: int = 0
    paused_goals: int = 0
    goals_needing_attention: int = 0


@dataclass(frozen=True)
class Trend:
    """Weekly counts for the last weeks, oldest week first."""

    weeks: tuple[date, ...]
    counts: Mapping[Metric, tuple[int, ...]]

    def series(self, metric: Metric) -> tuple[int, ...]:
        """One metric's weekly counts (zeros when nothing happened)."""
        return self.counts.get(metric, (0,) * len(self.weeks))

    def total(self, metric: Metric) -> int:
        """The metric summed over the whole window."""
        return sum(self.series(metric))

    def answer_rates(self) -> tuple[float | None, ...]:
        """Share of check-ins answered, week by week (None for a week with none sent)."""
        sent = self.series(Metric.CHECKINS_SENT)
        answered = self.series(Metric.CHECKINS_ANSWERED)
        return tuple(rate(a, s) for a, s in zip(answered, sent, strict=True))


@dataclass(frozen=True)
class Report:
    """The programme's health for one workspace at one moment."""

    team_id: str
    generated_at: datetime
    snapshot: Snapshot
    trend: Trend

    @property
    def answer_rate(self) -> float | None:
        """Check-ins answered over check-ins sent in the window."""
        return rate(
            self.trend.total(Metric.CHECKINS_ANSWERED), self.trend.total(Metric.CHECKINS_SENT)
        )

    @property
    def hours_to_match(self) -> float | None:
        """Mean hours from a request to its pair, over pairs started in the window."""
        pairs = self.trend.total(Metric.PAIRS_STARTED)
        if pairs == 0:
            return None
        return self.trend.total(Metric.MATCH_MINUTES) / pairs / 60


def rate(part: int, whole: int) -> float | None:
    """part / whole, or None when whole is zero."""
    return part / whole if whole else None


def week_of(moment: datetime | date) -> date:
    """The Monday (UTC) starting the week that holds the moment."""
    day = moment.date() if isinstance(moment, datetime) else moment
    return day - timedelta(days=day.weekday())


def window(now: datetime, weeks: int = TREND_WEEKS) -> tuple[date, ...]:
    """The Mondays of the last `weeks` weeks, this one last."""
    this_week = week_of(now)
    return tuple(this_week - timedelta(weeks=back) for back in range(weeks - 1, -1, -1))


def build_trend(amounts: Iterable[Amount], now: datetime, weeks: int = TREND_WEEKS) -> Trend:
    """Sum amounts into the window's weeks; amounts outside the window are left out."""
    mondays = window(now, weeks)
    index = {monday: i for i, monday in enumerate(mondays)}
    totals: dict[Metric, list[int]] = {}
    for metric, week, amount in amounts:
        slot = index.get(week)
        if slot is None:
            continue
        totals.setdefault(metric, [0] * len(mondays))[slot] += amount
    return Trend(mondays, {m: tuple(v) for m, v in totals.items()})


def _percent(value: float | None) -> str:
    return "–" if value is None else f"{value:.0%}"


def _hours(value: float | None) -> str:
    if value is None:
        return "–"
    return f"{value:.1f} h" if value < 48 else f"{value / 24:.1f} days"


def health_lines(report: Report) -> list[tuple[str, str]]:
    """(label, value) pairs for people, in the order the report shows them."""
    s, t = report.snapshot, report.trend
    return [
        ("Mentors", f"{s.mentors} ({s.mentors_paused} paused)"),
        ("Open mentoring capacity", str(s.open_capacity)),
        ("Open requests", str(s.open_requests)),
        ("Proposals pending", str(s.proposals_pending)),
        (
            f"Proposals in {len(t.weeks)} weeks",
            f"{t.total(Metric.PROPOSALS_ACCEPTED)} accepted,"
            f" {t.total(Metric.PROPOSALS_DECLINED)} declined,"
            f" {t.total(Metric.PROPOSALS_EXPIRED)} expired",
        ),
        ("Active pairs", str(s.active_pairs)),
        ("Time to match (mean)", _hours(report.hours_to_match)),
        ("Active coaching goals", f"{s.active_goals} ({s.paused_goals} paused)"),
        ("Check-in answer rate", _percent(report.answer_rate)),
        (
            f"Goals wrapped up in {len(t.weeks)} weeks",
            f"{t.total(Metric.GOALS_ACHIEVED)} achieved, {t.total(Metric.GOALS_PARTLY)} partly,"
            f" {t.total(Metric.GOALS_NOT_YET)} not yet",
        ),
        ("Goals needing attention", str(s.goals_needing_attention)),
    ]


def report_dict(report: Report) -> dict[str, Any]:
    """The report as plain JSON-ready data."""
    s, t = report.snapshot, report.trend
    return {
        "team_id": report.team_id,
        "generated_at": report.generated_at.isoformat(),
        "now": {name: getattr(s, name) for name in Snapshot.__dataclass_fields__},
        "window_weeks": len(t.weeks),
        "window": {m.value: t.total(m) for m in Metric},
        "answer_rate": report.answer_rate,
        "hours_to_match": report.hours_to_match,
        "weeks": [
            {
                "week_start": week.isoformat(),
                **{m.value: t.series(m)[i] for m in Metric},
                "answer_rate": t.answer_rates()[i],
            }
            for i, week in enumerate(t.weeks)
        ],
    }


def aggregates_csv(report: Report) -> str:
    """The report as CSV: `scope,metric,week_start,value` (scope now, window or week)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["scope", "metric", "week_start", "value"])
    data = report_dict(report)
    for name, value in data["now"].items():
        writer.writerow(["now", name, "", value])
    for name, value in data["window"].items():
        writer.writerow(["window", name, "", value])
    writer.writerow(["window", "answer_rate", "", _number(report.answer_rate)])
    writer.writerow(["window", "hours_to_match", "", _number(report.hours_to_match)])
    for week in data["weeks"]:
        start = week["week_start"]
        for m in Metric:
            writer.writerow(["week", m.value, start, week[m.value]])
        writer.writerow(["week", "answer_rate", start, _number(week["answer_rate"])])
    return out.getvalue()


def _number(value: float | None) -> str:
    return "" if value is None else f"{value:.4f}"


@dataclass(frozen=True)
class MatchRow:
    """One mentoring pair for the export (who, when, how it ended; never what they wrote)."""

    pair_id: int
    mentor_id: str
    mentor_name: str
    mentee_id: str
    mentee_name: str
    topics: tuple[str, ...]
    status: str
    requested_at: datetime
    started_at: datetime
    ended_at: datetime | None
    end_reason: str | None

    @property
    def hours_to_match(self) -> float:
        """Hours from the request to the pair."""
        return (self.started_at - self.requested_at).total_seconds() / 3600


MATCH_COLUMNS = (
    "pair_id",
    "mentor_id",
    "mentor_name",
    "mentee_id",
    "mentee_name",
    "topics",
    "status",
    "requested_at",
    "started_at",
    "ended_at",
    "end_reason",
    "hours_to_match",
)


def cell(value: object) -> str:
    """A CSV cell that a spreadsheet shows as text, never runs as a formula."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(_FORMULA_START) else text


def matches_csv(rows: Sequence[MatchRow]) -> str:
    """Every pair as CSV, oldest first."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(MATCH_COLUMNS)
    for row in rows:
        writer.writerow(
            [
                row.pair_id,
                cell(row.mentor_id),
                cell(row.mentor_name),
                cell(row.mentee_id),
                cell(row.mentee_name),
                cell("; ".join(row.topics)),
                row.status,
                row.requested_at.isoformat(),
                row.started_at.isoformat(),
                row.ended_at.isoformat() if row.ended_at else "",
                row.end_reason or "",
                f"{row.hours_to_match:.2f}",
            ]
        )
    return out.getvalue()
