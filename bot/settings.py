"""Settings: parsed once from a mapping into one frozen object; errors name the variable."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from bot.mentoring.settings import MentoringSettings

from datetime import timedelta

from bot.goals.model import GoalLimits
from bot.resources import GuidanceResources, parse_resources

DEFAULT_DATABASE_URL = "sqlite:///coach-or-mentor.db"
DEFAULT_SLACK_API_URL = "https://slack.com/api/"
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")
SUPPORTED_DB_SCHEMES = ("sqlite", "postgresql", "postgresql+psycopg")
_USER_ID = re.compile(r"^[UW][A-Z0-9]{2,}$")


class SettingsError(ValueError):
    """A setting is missing or malformed; the message names the variable."""

    def __init__(self, variable: str, problem: str) -> None:
        super().__init__(f"{variable}: {problem}")
        self.variable = variable


class Secret:
    """A string that never shows itself in repr, str or logs."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def reveal(self) -> str:
        """Return the secret value, for the one place that must send it."""
        return self._value

    def __bool__(self) -> bool:
        return bool(self._value)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Secret) and other._value == self._value

    def __hash__(self) -> int:
        return hash(self._value)

    def __repr__(self) -> str:
        return "Secret('********')" if self._value else "Secret('')"

    __str__ = __repr__


def _default_mentoring() -> MentoringSettings:
    # Imported here: bot.mentoring.settings needs SettingsError from this module.
    from bot.mentoring.settings import MentoringSettings

    return MentoringSettings()


@dataclass(frozen=True)
class GoalSettings:
    """How coaching goals are dispatched, and their limits."""

    limits: GoalLimits = field(default_factory=GoalLimits)
    dispatch_interval_s: int = 20
    sends_per_second: int = 4
    lease_s: int = 120
    batch_size: int = 500
    send_threads: int = 8


@dataclass(frozen=True)
class ProgrammeSettings:
    """Who administers the programme and how long free text is kept."""

    admins_include_workspace_admins: bool = False
    note_retention_days: int = 365


@dataclass(frozen=True)
class Settings:
    """Everything the bot is configured with."""

    slack_bot_token: Secret = field(default_factory=lambda: Secret(""))
    slack_app_token: Secret = field(default_factory=lambda: Secret(""))
    slack_signing_secret: Secret = field(default_factory=lambda: Secret(""))
    database_url: str = DEFAULT_DATABASE_URL
    database_pool_size: int = 10
    log_level: str = "INFO"
    admin_user_ids: frozenset[str] = frozenset()
    slack_api_url: str = DEFAULT_SLACK_API_URL
    resources: GuidanceResources = field(default_factory=lambda: parse_resources({}))
    mentoring: MentoringSettings = field(default_factory=_default_mentoring)
    goals: GoalSettings = field(default_factory=GoalSettings)
    programme: ProgrammeSettings = field(default_factory=ProgrammeSettings)

    def missing_for_socket_mode(self) -> list[str]:
        """Names of the variables Socket Mode needs but lacks."""
        return [
            name
            for name, value in (
                ("SLACK_BOT_TOKEN", self.slack_bot_token),
                ("SLACK_APP_TOKEN", self.slack_app_token),
            )
            if not value
        ]

    def missing_for_http_mode(self) -> list[str]:
        """Names of the variables HTTP mode needs but lacks."""
        return [
            name
            for name, value in (
                ("SLACK_BOT_TOKEN", self.slack_bot_token),
                ("SLACK_SIGNING_SECRET", self.slack_signing_secret),
            )
            if not value
        ]


def parse_settings(env: Mapping[str, str]) -> Settings:
    """Read the settings from an environment-like mapping, or raise SettingsError."""
    from bot.mentoring.settings import parse_mentoring_settings

    return Settings(
        slack_bot_token=_token(env, "SLACK_BOT_TOKEN", "xoxb-"),
        slack_app_token=_token(env, "SLACK_APP_TOKEN", "xapp-"),
        slack_signing_secret=Secret(_get(env, "SLACK_SIGNING_SECRET")),
        database_url=_database_url(env),
        database_pool_size=int_setting(env, "DATABASE_POOL_SIZE", 10, 1, 100),
        log_level=_log_level(env),
        admin_user_ids=_user_ids(env, "ADMIN_USER_IDS"),
        slack_api_url=_api_url(env),
        resources=parse_resources(env),
        mentoring=parse_mentoring_settings(env),
        goals=parse_goal_settings(env),
        programme=ProgrammeSettings(
            admins_include_workspace_admins=bool_setting(
                env, "ADMINS_INCLUDE_WORKSPACE_ADMINS", default=False
            ),
            note_retention_days=int_setting(env, "NOTE_RETENTION_DAYS", 365, 1, 3650),
        ),
    )


def parse_goal_settings(env: Mapping[str, str]) -> GoalSettings:
    """Read the GOALS_* settings (see README, "Coaching goals")."""
    nudge = int_setting(env, "GOALS_NUDGE_AFTER_HOURS", 24, 1, 24 * 7)
    missed = int_setting(env, "GOALS_MISSED_AFTER_HOURS", max(48, nudge + 24), 2, 24 * 14)
    if missed <= nudge:
        raise SettingsError("GOALS_MISSED_AFTER_HOURS", "must be more than GOALS_NUDGE_AFTER_HOURS")
    limits = GoalLimits(
        max_weeks=int_setting(env, "GOALS_MAX_WEEKS", 26, 1, 104),
        max_active_goals=int_setting(env, "GOALS_MAX_ACTIVE", 3, 1, 50),
        nudge_after=timedelta(hours=nudge),
        missed_after=timedelta(hours=missed),
        jitter_spread_s=int_setting(env, "GOALS_JITTER_SECONDS", 300, 0, 3600),
    )
    return GoalSettings(
        limits=limits,
        dispatch_interval_s=int_setting(env, "GOALS_DISPATCH_INTERVAL_SECONDS", 20, 1, 3600),
        sends_per_second=int_setting(env, "GOALS_SENDS_PER_SECOND", 4, 0, 100),
        lease_s=int_setting(env, "GOALS_LEASE_SECONDS", 120, 30, 3600),
        batch_size=int_setting(env, "GOALS_BATCH_SIZE", 500, 1, 5000),
        send_threads=int_setting(env, "GOALS_SEND_THREADS", 8, 1, 64),
    )


def _get(env: Mapping[str, str], name: str) -> str:
    return env.get(name, "").strip()


def _token(env: Mapping[str, str], name: str, prefix: str) -> Secret:
    value = _get(env, name)
    if value and not value.startswith(prefix):
        raise SettingsError(
            name, f"should start with '{prefix}' (check you copied the right token)"
        )
    return Secret(value)


def _database_url(env: Mapping[str, str]) -> str:
    value = _get(env, "DATABASE_URL") or DEFAULT_DATABASE_URL
    scheme = value.split("://", 1)[0] if "://" in value else ""
    if scheme not in SUPPORTED_DB_SCHEMES:
        raise SettingsError(
            "DATABASE_URL",
            "use sqlite:///PATH or postgresql+psycopg://USER@HOST:PORT/DB",
        )
    if scheme == "postgresql":
        value = "postgresql+psycopg://" + value.split("://", 1)[1]
    return value


def _log_level(env: Mapping[str, str]) -> str:
    value = (_get(env, "LOG_LEVEL") or "INFO").upper()
    if value not in LOG_LEVELS:
        raise SettingsError("LOG_LEVEL", f"must be one of {', '.join(LOG_LEVELS)}")
    return value


def _user_ids(env: Mapping[str, str], name: str) -> frozenset[str]:
    parts = [p.strip() for p in _get(env, name).replace(";", ",").split(",") if p.strip()]
    bad = [p for p in parts if not _USER_ID.match(p)]
    if bad:
        raise SettingsError(name, "expects Slack user ids such as U012ABCDEF, separated by commas")
    return frozenset(parts)


def _api_url(env: Mapping[str, str]) -> str:
    value = _get(env, "SLACK_API_URL") or DEFAULT_SLACK_API_URL
    if not value.startswith(("http://", "https://")):
        raise SettingsError(
            "SLACK_API_URL", "must be an http(s) URL such as https://slack.com/api/"
        )
    return value if value.endswith("/") else value + "/"


def int_setting(env: Mapping[str, str], name: str, default: int, low: int, high: int) -> int:
    """Read an integer setting within [low, high]."""
    raw = env.get(name, "").strip()
    if not raw:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise SettingsError(name, f"must be a whole number from {low} to {high}") from None
    if not low <= value <= high:
        raise SettingsError(name, f"must be a whole number from {low} to {high}")
    return value


_TRUE = ("1", "true", "yes", "on")
_FALSE = ("0", "false", "no", "off")


def bool_setting(env: Mapping[str, str], name: str, *, default: bool) -> bool:
    """Read a yes/no setting (true/false, yes/no, on/off, 1/0)."""
    raw = env.get(name, "").strip().casefold()
    if not raw:
        return default
    if raw in _TRUE:
        return True
    if raw in _FALSE:
        return False
    raise SettingsError(name, "must be true or false")


def mask_url(url: str) -> str:
    """Hide the password in a database URL."""
    return re.sub(r"(://[^:/@]+:)[^@]*@", r"\1***@", url)
