"""The collaborators every listener and job receives (injected by a Bolt middleware as `deps`)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from bot.settings import Settings


def utc_now() -> datetime:
    """The real clock, read once per unit of work at the edge."""
    return datetime.now(UTC)


@dataclass(frozen=True)
class Deps:
    """Settings, the database and the clock."""

    settings: Settings
    engine: Engine
    sessions: sessionmaker[Session]
    clock: Callable[[], datetime] = utc_now
