"""Outgoing DMs paced per workspace across every replica, through a slot schedule in the database.

Each process reserves a few consecutive slots at a time (one short transaction, see
storage/pacing.py) and hands them to its sending threads in order; a thread waits for its slot,
then posts. Slots not used within one interval are dropped, never saved up, so an idle process
cannot later add a burst on top of the other processes' sends.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable

from sqlalchemy.orm import Session, sessionmaker

from bot.pacing import Pace, batch_for, pace_for, slots
from storage import pacing


class SharedPacer:
    """At most `rate` sends a second per workspace (bursts up to `rate`), all processes together."""

    def __init__(
        self,
        sessions: sessionmaker[Session],
        rate: float,
        *,
        batch: int | None = None,
        monotonic: Callable[[], float] = time.monotonic,
        wall: Callable[[], float] = time.time,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.rate = rate
        self.pace: Pace | None = pace_for(rate)
        self.batch = batch or (batch_for(self.pace) if self.pace else 1)
        self._sessions = sessions
        self._monotonic = monotonic
        self._wall = wall
        self._sleep = sleep
        self._lock = threading.Lock()
        self._slots: dict[str, deque[float]] = {}

    def acquire(self, team_id: str) -> None:
        """Wait for this workspace's next send slot (returns at once when pacing is off)."""
        if self.pace is None:
            return
        at = self._next_slot(team_id, self.pace)
        wait = at - self._monotonic()
        if wait > 0:
            self._sleep(wait)

    def drain_seconds(self, count: int, workspaces: int = 1) -> float:
        """How long `count` sends take at this pace (spread over `workspaces`)."""
        if self.pace is None:
            return 0.0
        return count / workspaces / self.rate

    def _next_slot(self, team_id: str, pace: Pace) -> float:
        """The next local (monotonic) time this process may send to the workspace."""
        with self._lock:
            queue = self._slots.setdefault(team_id, deque())
            stale = self._monotonic() - pace.interval
            while queue and queue[0] < stale:
                queue.popleft()
            if not queue:
                queue.extend(self._reserve(team_id, pace))
            return queue.popleft()

    def _reserve(self, team_id: str, pace: Pace) -> list[float]:
        """A batch of slots from the database, moved onto this process's monotonic clock."""
        with self._sessions.begin() as session:
            taken = pacing.reserve(session, team_id, pace, self.batch, self._wall())
        # Read after the round trip: local times come out a little late, never early.
        offset = self._monotonic() - taken.now
        return [at + offset for at in slots(pace, taken.start, taken.now, taken.count)]
