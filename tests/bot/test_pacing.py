"""The pacing slot arithmetic (GCRA)."""

from __future__ import annotations

import pytest

from bot.pacing import Pace, batch_for, max_in_window, pace_for, slots


@pytest.mark.parametrize(
    ("rate", "expected"),
    [
        pytest.param(0, None, id="off"),
        pytest.param(-1, None, id="negative-is-off"),
        pytest.param(0.5, Pace(0.5, 1), id="slow-keeps-a-burst-of-one"),
        pytest.param(4, Pace(4, 4), id="burst-is-one-second"),
        pytest.param(20, Pace(20, 20), id="twenty"),
    ],
)
def test_pace_for(rate: float, expected: Pace | None) -> None:
    assert pace_for(rate) == expected


@pytest.mark.parametrize(
    ("pace", "start", "now", "count", "expected"),
    [
        pytest.param(Pace(4, 4), 100.0, 100.0, 4, [100.0] * 4, id="idle-bucket-bursts"),
        pytest.param(Pace(4, 4), 101.0, 100.0, 3, [100.25, 100.5, 100.75], id="busy-bucket-waits"),
        pytest.param(
            Pace(4, 1), 100.0, 100.0, 3, [100.0, 100.25, 100.5], id="no-burst-steady-pace"
        ),
        pytest.param(
            Pace(4, 4), 100.5, 100.0, 4, [100.0, 100.0, 100.25, 100.5], id="part-of-the-burst"
        ),
    ],
)
def test_slots(pace: Pace, start: float, now: float, count: int, expected: list[float]) -> None:
    assert slots(pace, start, now, count) == pytest.approx(expected)


@pytest.mark.parametrize(
    ("pace", "seconds", "expected"),
    [
        pytest.param(Pace(20, 20), 1.0, 40, id="one-second"),
        pytest.param(Pace(20, 20), 0.0, 20, id="an-instant-is-the-burst"),
        pytest.param(Pace(4, 1), 2.5, 11, id="no-burst"),
    ],
)
def test_max_in_window(pace: Pace, seconds: float, expected: int) -> None:
    assert max_in_window(pace, seconds) == expected


@pytest.mark.parametrize(
    ("pace", "expected"),
    [
        pytest.param(Pace(1, 1), 1, id="slow"),
        pytest.param(Pace(4, 4), 1, id="default"),
        pytest.param(Pace(20, 20), 5, id="quarter-second"),
        pytest.param(Pace(100, 2), 2, id="within-the-burst"),
    ],
)
def test_batch_for(pace: Pace, expected: int) -> None:
    assert batch_for(pace) == expected
