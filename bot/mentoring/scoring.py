"""Hard constraints, the weighted fit of one pair and its reasons in plain words."""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime
from enum import StrEnum
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import numpy as np
import numpy.typing as npt

from bot.mentoring.model import (
    DEFAULT_TAXONOMY,
    DEFAULT_WEIGHTS,
    OFFER_ORDER,
    MentorProfile,
    MentorRequest,
    Offer,
    Taxonomy,
    Weights,
)

MINUTES_PER_DAY = 24 * 60

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]


class Constraint(StrEnum):
    """A hard rule that keeps a mentor away from a request."""

    SELF = "self"
    NO_SHARED_TOPIC = "no_shared_topic"
    ALREADY_PAIRED = "already_paired"
    SAME_TEAM = "same_team"
    NOT_MORE_EXPERIENCED = "not_more_experienced"
    NO_ROOM = "no_room"


def team_key(team: str) -> str:
    """Normalise a team name so that spacing and case do not make two teams."""
    return " ".join(team.split()).casefold()


def remaining_capacity(mentor: MentorProfile, taken: int) -> int:
    """Slots left once active mentees and pending proposals (`taken`) are counted."""
    return max(mentor.effective_capacity - taken, 0)


def blocking_constraint(
    request: MentorRequest,
    mentor: MentorProfile,
    *,
    excluded: Collection[tuple[str, str]] = frozenset(),
    taken: int = 0,
) -> Constraint | None:
    """Name the first hard rule that forbids this pair, or None when it may be proposed."""
    if mentor.user_id == request.mentee_id:
        return Constraint.SELF
    if not mentor.topics & request.topics:
        return Constraint.NO_SHARED_TOPIC
    if (mentor.user_id, request.mentee_id) in excluded:
        return Constraint.ALREADY_PAIRED
    if request.outside_my_team and _same_team(request.team, mentor.team):
        return Constraint.SAME_TEAM
    if mentor.years <= request.years:
        return Constraint.NOT_MORE_EXPERIENCED
    if remaining_capacity(mentor, taken) <= 0:
        return Constraint.NO_ROOM
    return None


def _same_team(a: str, b: str) -> bool:
    """Two known, equal teams; an unknown team never counts as the same."""
    key = team_key(a)
    return bool(key) and key == team_key(b)


def offset_minutes(tz_name: str, fallback: int, now: datetime | None) -> int:
    """UTC offset in minutes at `now` for an IANA zone, or the stored fallback."""
    if now is None or not tz_name:
        return fallback
    try:
        zone = ZoneInfo(tz_name)
    except (ZoneInfoNotFoundError, ValueError):
        return fallback
    delta = now.astimezone(zone).utcoffset()
    return fallback if delta is None else int(delta.total_seconds() // 60)


def tz_gap_minutes(a: IntArray, b: IntArray) -> IntArray:
    """Clock distance between offsets, the short way round the day."""
    gap: IntArray = np.abs(a - b) % MINUTES_PER_DAY
    return np.minimum(gap, MINUTES_PER_DAY - gap)


def time_zone_fit(gap_minutes: IntArray) -> FloatArray:
    """1 for the same clock, 0.5 at six hours, 0 at twelve; smooth so it factorises."""
    angle = gap_minutes.astype(np.float64) * (2.0 * np.pi / MINUTES_PER_DAY)
    return (1.0 + np.cos(angle)) / 2.0


def experience_fit(gap_years: IntArray, full_gap: int) -> FloatArray:
    """Grows with the mentor's extra years up to `full_gap`, then stays at 1."""
    return np.clip(gap_years, 0, full_gap).astype(np.float64) / float(full_gap)


def tz_weight(request: MentorRequest, weights: Weights) -> float:
    """Time-zone weight for this mentee, boosted when they asked for a close one."""
    factor = weights.close_tz_factor if request.prefers_close_tz else 1.0
    return weights.time_zone * factor


def weight_total(request: MentorRequest, weights: Weights) -> float:
    """The normaliser that keeps this mentee's scores within [0, 1]."""
    return (
        weights.topics
        + weights.offers
        + tz_weight(request, weights)
        + weights.experience
        + weights.load
    )


def load_fit(mentor: MentorProfile, taken: int) -> float:
    """Share of the mentor's capacity still free before this slot is used."""
    capacity = mentor.effective_capacity
    return 0.0 if capacity <= 0 else max(1.0 - taken / capacity, 0.0)


def pair_score(
    request: MentorRequest,
    mentor: MentorProfile,
    *,
    weights: Weights = DEFAULT_WEIGHTS,
    taken: int = 0,
    now: datetime | None = None,
) -> float:
    """Weighted fit in [0, 1] of proposing this mentor, whose `taken` slots are in use."""
    shared = len(request.topics & mentor.topics) / len(request.topics)
    offered = len(request.wants & mentor.offers) / len(request.wants)
    gap = tz_gap_minutes(
        np.array([offset_minutes(request.tz_name, request.utc_offset_minutes, now)]),
        np.array([offset_minutes(mentor.tz_name, mentor.utc_offset_minutes, now)]),
    )
    tz = float(time_zone_fit(gap)[0])
    years = experience_fit(np.array([mentor.years - request.years]), weights.full_experience_gap)
    total = (
        weights.topics * shared
        + weights.offers * offered
        + tz_weight(request, weights) * tz
        + weights.experience * float(years[0])
        + weights.load * load_fit(mentor, taken)
    )
    return total / weight_total(request, weights)


def pair_reasons(
    request: MentorRequest,
    mentor: MentorProfile,
    *,
    now: datetime | None = None,
    taxonomy: Taxonomy = DEFAULT_TAXONOMY,
) -> tuple[str, ...]:
    """Say in a few short phrases why this mentor fits this request."""
    gap = tz_gap_minutes(
        np.array([offset_minutes(request.tz_name, request.utc_offset_minutes, now)]),
        np.array([offset_minutes(mentor.tz_name, mentor.utc_offset_minutes, now)]),
    )
    return describe_fit(
        shared_labels=tuple(
            taxonomy.label(s) for s in taxonomy.ordered(request.topics & mentor.topics)
        ),
        gap_minutes=int(gap[0]),
        offered=request.wants & mentor.offers,
        extra_years=mentor.years - request.years,
        other_team=request.outside_my_team and not _same_team(request.team, mentor.team),
    )


def describe_fit(
    *,
    shared_labels: tuple[str, ...],
    gap_minutes: int,
    offered: frozenset[Offer],
    extra_years: int,
    other_team: bool,
) -> tuple[str, ...]:
    """Build the reason phrases from the facts of a pair."""
    phrases = (
        topics_phrase(shared_labels),
        _describe_gap(gap_minutes),
        offers_phrase(offered),
        experience_phrase(extra_years),
        OTHER_TEAM_PHRASE if other_team else "",
    )
    return tuple(p for p in phrases if p)


OTHER_TEAM_PHRASE = "from another team, as asked"


def topics_phrase(shared_labels: tuple[str, ...]) -> str:
    """'3 shared topics: a, b, c', or '' when none are shared."""
    if not shared_labels:
        return ""
    count = len(shared_labels)
    noun = "topic" if count == 1 else "topics"
    return f"{count} shared {noun}: {', '.join(shared_labels)}"


def gap_phrase(minutes: int) -> str:
    """Phrase a clock difference between two people."""
    return _describe_gap(minutes)


def offers_phrase(offered: frozenset[Offer]) -> str:
    """'offers advice and support', or '' when nothing hoped for is offered."""
    if not offered:
        return ""
    return "offers " + _join_and([o.value for o in OFFER_ORDER if o in offered])


def experience_phrase(extra_years: int) -> str:
    """'6 more years of experience', or '' when the mentor is not more experienced."""
    if extra_years <= 0:
        return ""
    noun = "year" if extra_years == 1 else "years"
    return f"{extra_years} more {noun} of experience"


def _describe_gap(minutes: int) -> str:
    """Phrase a clock difference: 'same time zone', '2 h apart', '5 h 30 min apart'."""
    if minutes == 0:
        return "same time zone"
    hours, rest = divmod(minutes, 60)
    parts = ([f"{hours} h"] if hours else []) + ([f"{rest} min"] if rest else [])
    return " ".join(parts) + " apart"


def _join_and(words: list[str]) -> str:
    """Join words as 'a', 'a and b' or 'a, b and c'."""
    if len(words) <= 1:
        return "".join(words)
    return ", ".join(words[:-1]) + " and " + words[-1]
