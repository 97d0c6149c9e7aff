"""The collaborators every listener and job receives (injected by a Bolt middleware as `deps`)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from bot.settings import Settings
from handlers.live import LiveConfig


def utc_now() -> datetime:
    """The real clock, read once per unit of work at the edge."""
    return datetime.now(UTC)


@dataclass(frozen=True)
class Deps:
    """Settings, the database, the clock and the cache of settings admins change in Slack."""

    settings: Settings
    engine: Engine
    sessions: sessionmaker[Session]
    clock: Callable[[], datetime] = utc_now
    live: LiveConfig = field(default_factory=LiveConfig, compare=False)
