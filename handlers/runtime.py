"""Start-up: settings from the environment, the database migrated, the deps assembled."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

from dotenv import dotenv_values

from bot.settings import Settings, mask_url, parse_settings
from handlers.deps import Deps
from storage import db

README_SETUP = "README.md, section 'Set up in Slack'"


class StartupError(RuntimeError):
    """A one-line reason the bot cannot start, with the exit code to use."""

    def __init__(self, message: str, exit_code: int) -> None:
        super().__init__(message)
        self.exit_code = exit_code


def read_environment(env_file: Path = Path(".env")) -> dict[str, str]:
    """The process environment over an optional .env file (the environment wins)."""
    values = {k: v for k, v in dotenv_values(env_file).items() if v is not None}
    values.update(os.environ)
    return values


def load_settings(env: Mapping[str, str]) -> Settings:
    """Parse settings; a bad one becomes a StartupError naming the variable (exit 2)."""
    from bot.settings import SettingsError

    try:
        return parse_settings(env)
    except SettingsError as err:
        raise StartupError(f"invalid setting {err}", 2) from None


def require(missing: list[str]) -> None:
    """Refuse to start when Slack credentials are missing (exit 2)."""
    if not missing:
        return
    names = " and ".join(missing)
    verb = "is" if len(missing) == 1 else "are"
    raise StartupError(
        f"{names} {verb} not set: create the Slack app from app.yaml, install it and copy"
        f" the tokens (see {README_SETUP}).",
        2,
    )


def open_deps(settings: Settings, *, migrate: bool = True) -> Deps:
    """Connect to the database, apply pending migrations, and assemble the deps."""
    engine = db.make_engine(settings.database_url, pool_size=settings.database_pool_size)
    try:
        db.ping(engine)
        if migrate:
            db.upgrade(engine)
        elif db.current_revision(engine) != db.head_revision():
            raise StartupError(
                "the database schema is not up to date: run `coach-or-mentor db upgrade`", 1
            )
    except db.DatabaseUnavailableError as err:
        engine.dispose()
        raise StartupError(
            f"cannot reach the database at {mask_url(settings.database_url)}: {err}", 1
        ) from None
    return Deps(settings=settings, engine=engine, sessions=db.make_sessions(engine))
