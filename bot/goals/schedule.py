"""When check-ins and wrap-ups are due: local wall time in the person's zone, stored as UTC.

Rules, all pure (the caller passes `now` and the zone):

- A goal's check-ins fall on its weekday at its local time. The first one is on the first such
  weekday *after* the day the goal was set (never the same day), and that date is the goal's
  `anchor`; fortnightly goals count their two-week rhythm from it. The caller stores the anchor and
  recomputes it (with `first_checkin_date`) when the weekday is edited.
- A check-in is identified by its `period`: the local date it belongs to. `(goal, period)` is the
  natural unique key, so re-computing never yields a second check-in for the same period.
- Check-ins happen strictly before the end date; on the end date the wrap-up takes their place, at
  the same local time.
- DST: a wall time that does not exist (spring-forward gap) moves forward to the first instant that
  does, i.e. the moment the clocks jump (02:30 on a 02:00→03:00 night becomes 03:00). A wall time
  that happens twice (fall-back) means its first occurrence, the one still on summer time.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from hashlib import blake2b
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from bot.goals.model import GoalSpec, Weekday

Zone = ZoneInfo | str


@dataclass(frozen=True)
class ZoneChoice:
    """The zone to schedule in, and whether the reported one was unusable."""

    zone: ZoneInfo
    fell_back: bool


@dataclass(frozen=True, order=True)
class CheckinSlot:
    """One check-in: the local date it belongs to and its nominal UTC instant (before jitter)."""

    period: date
    at: datetime


def resolve_zone(tz_name: str | None, fallback: str = "UTC") -> ZoneChoice:
    """The IANA zone Slack reported, or `fallback` when it is missing or unknown."""
    name = (tz_name or "").strip()
    if name:
        try:
            return ZoneChoice(ZoneInfo(name), fell_back=False)
        except (ZoneInfoNotFoundError, ValueError):
            pass
    return ZoneChoice(ZoneInfo(fallback), fell_back=True)


def local_to_utc(day: date, at: time, tz: Zone) -> datetime:
    """The UTC instant of wall time `at` on `day` in `tz` (gap: moves forward; overlap: first)."""
    zone = _zone(tz)
    wall = datetime.combine(day, at, tzinfo=zone)
    first = wall.astimezone(UTC)
    if _same_wall(first, wall, zone):
        return first
    return _end_of_gap(wall, zone)


def local_date(instant: datetime, tz: Zone) -> date:
    """The calendar date in `tz` at an aware instant."""
    _require_aware(instant)
    return instant.astimezone(_zone(tz)).date()


def first_checkin_date(weekday: Weekday, set_on: date) -> date:
    """The first date strictly after `set_on` that falls on `weekday` (the goal's anchor)."""
    return set_on + timedelta(days=(weekday - set_on.weekday() - 1) % 7 + 1)


def checkin_periods(spec: GoalSpec, anchor: date, start: date | None = None) -> Iterator[date]:
    """The goal's check-in dates from `start` (default: the anchor) up to, not incl., the end."""
    step = spec.cadence.step.days
    index = 0 if start is None else max(0, -(-(start - anchor).days // step))
    day = anchor + timedelta(days=index * step)
    while day < spec.end_date:
        yield day
        day += timedelta(days=step)


def checkin_schedule(spec: GoalSpec, tz: Zone, anchor: date) -> list[CheckinSlot]:
    """Every check-in of the goal, timed in `tz`."""
    return [_slot(spec, tz, period) for period in checkin_periods(spec, anchor)]


def next_checkin(spec: GoalSpec, tz: Zone, anchor: date, after: datetime) -> CheckinSlot | None:
    """The first check-in strictly after the instant `after`, or None past the last one."""
    _require_aware(after)
    # One step back so that a slot whose local date differs from `after`'s is still seen.
    start = local_date(after, tz) - spec.cadence.step
    for period in checkin_periods(spec, anchor, start):
        slot = _slot(spec, tz, period)
        if slot.at > after:
            return slot
    return None


def next_checkin_at(spec: GoalSpec, tz: Zone, anchor: date, after: datetime) -> datetime | None:
    """The UTC instant of the first check-in strictly after `after` (no jitter), or None."""
    slot = next_checkin(spec, tz, anchor, after)
    return None if slot is None else slot.at


def reschedule(
    spec: GoalSpec, tz: Zone, anchor: date, last_sent_period: date | None, now: datetime
) -> CheckinSlot | None:
    """The goal's pending check-in: the first period after `last_sent_period`, timed in `tz`.

    The dispatcher calls this after every send and whenever the zone, weekday or time changes.
    Because it works from periods rather than instants, a zone change neither repeats the period
    just sent (moving west) nor skips the one not yet sent (moving east): when the pending period's
    instant in the new zone has already passed, it is due `now`. If several periods were missed
    (e.g. the dispatcher was down), only the latest of them is sent, and only once. A resumed goal
    should not catch up at all: store `resume_marker(...)` as its last sent period first.
    """
    _require_aware(now)
    start = anchor if last_sent_period is None else last_sent_period + timedelta(days=1)
    # An overdue period is still worth sending only while the goal has not reached its end date.
    may_catch_up = local_date(now, tz) < spec.end_date
    pending: CheckinSlot | None = None
    for period in checkin_periods(spec, anchor, start):
        slot = _slot(spec, tz, period)
        if slot.at > now:
            return slot if pending is None else pending
        if may_catch_up:
            pending = CheckinSlot(period, now)
    return pending


def resume_marker(spec: GoalSpec, tz: Zone, anchor: date, now: datetime) -> date | None:
    """The `last_sent_period` to store when a goal resumes: the last period already due at `now`.

    With it, `reschedule` skips what fell due while the goal was paused instead of catching up.
    """
    _require_aware(now)
    marker: date | None = None
    for period in checkin_periods(spec, anchor):
        if _slot(spec, tz, period).at > now:
            break
        marker = period
    return marker


def wrapup_at(spec: GoalSpec, tz: Zone) -> datetime:
    """The UTC instant of the wrap-up: the check-in time on the end date."""
    return local_to_utc(spec.end_date, spec.local_time, tz)


def days_left(end_date: date, now: datetime, tz: Zone) -> int:
    """Whole days from today (in `tz`) to the end date, never negative."""
    return max(0, (end_date - local_date(now, tz)).days)


def checkin_key(goal_id: int | str, period: date) -> str:
    """A stable key for one check-in, used for jitter and for message metadata."""
    return f"checkin:{goal_id}:{period.isoformat()}"


def wrapup_key(goal_id: int | str) -> str:
    """A stable key for a goal's wrap-up."""
    return f"wrapup:{goal_id}"


def jitter_seconds(key: str | int, spread_s: int) -> int:
    """A deterministic offset in [0, spread_s) seconds derived from `key` (0 when spread_s <= 0).

    Jitter only ever delays, so nothing arrives before the chosen time; a hash rather than a random
    generator means re-computing a due time gives the same instant on every process.
    """
    if spread_s <= 0:
        return 0
    digest = blake2b(str(key).encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big") % spread_s


def jittered(at: datetime, key: str | int, spread_s: int) -> datetime:
    """`at` delayed by the key's jitter."""
    _require_aware(at)
    return at + timedelta(seconds=jitter_seconds(key, spread_s))


def _slot(spec: GoalSpec, tz: Zone, period: date) -> CheckinSlot:
    """The check-in of `period`, timed in `tz`."""
    return CheckinSlot(period, local_to_utc(period, spec.local_time, tz))


def _zone(tz: Zone) -> ZoneInfo:
    """A ZoneInfo from a zone or its IANA name."""
    return tz if isinstance(tz, ZoneInfo) else ZoneInfo(tz)


def _same_wall(instant: datetime, wall: datetime, zone: ZoneInfo) -> bool:
    """Whether `instant` shows the wall-clock reading of `wall` in `zone`."""
    shown = instant.astimezone(zone)
    return (shown.date(), shown.time()) == (wall.date(), wall.time())


def _end_of_gap(wall: datetime, zone: ZoneInfo) -> datetime:
    """The first instant at or after a nonexistent wall time: the moment the clocks jump."""
    # fold=0 and fold=1 read the gap with the offsets before and after it; the jump lies between.
    low = int(wall.replace(fold=1).timestamp())
    high = int(wall.replace(fold=0).timestamp())
    low, high = min(low, high), max(low, high)
    target = (wall.date(), wall.time())
    while high - low > 1:
        middle = (low + high) // 2
        shown = datetime.fromtimestamp(middle, zone)
        if (shown.date(), shown.time()) >= target:
            high = middle
        else:
            low = middle
    return datetime.fromtimestamp(high, UTC)


def _require_aware(instant: datetime) -> None:
    """Refuse naive datetimes: every instant in the core is aware."""
    if instant.tzinfo is None or instant.utcoffset() is None:
        raise ValueError("expected a timezone-aware datetime")


def digest_at(day: date, tz: Zone, digest_time: time) -> datetime:
    """When a coach's digest for `day` goes out: `digest_time` in the coach's zone."""
    return local_to_utc(day, digest_time, tz)
