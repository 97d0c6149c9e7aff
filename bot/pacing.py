"""Send pacing as a generic cell rate algorithm (GCRA): the slot arithmetic, free of any clock.

A workspace's pace is `rate` sends a second with bursts of up to `burst`. The shared state is one
number, the theoretical arrival time `tat` (seconds on one clock): reserving `count` sends at time
`now` moves it to `max(tat, now) + count / rate`, and send `j` of the reservation may go at
`max(tat, now) + j / rate - (burst - 1) / rate`, but never before `now`. Over any window of `w`
seconds at most `burst + w * rate` reserved sends fall due, however many processes reserve.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Pace:
    """Sends a second and the largest burst allowed."""

    rate: float
    burst: int

    @property
    def interval(self) -> float:
        """Seconds between two sends at the steady pace."""
        return 1.0 / self.rate

    @property
    def tolerance(self) -> float:
        """How far ahead of the steady pace a burst may run."""
        return (self.burst - 1) * self.interval


def pace_for(rate: float) -> Pace | None:
    """The pace for a configured rate (bursts up to one second's worth); None: unpaced."""
    if rate <= 0:
        return None
    return Pace(rate=rate, burst=max(1, int(rate)))


def slots(pace: Pace, start: float, now: float, count: int) -> list[float]:
    """When each of `count` sends reserved from `start` (= max(tat, now)) may go."""
    return [max(now, start + j * pace.interval - pace.tolerance) for j in range(count)]


def max_in_window(pace: Pace, seconds: float) -> int:
    """The most sends the pace lets fall due within any window of `seconds`."""
    return pace.burst + int(seconds * pace.rate)


def batch_for(pace: Pace) -> int:
    """Sends reserved per database round trip: a quarter second's worth, within the burst."""
    return max(1, min(pace.burst, int(pace.rate / 4)))
