"""Mentoring settings read from an environment-like mapping; errors name the variable."""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, fields
from datetime import timedelta
from enum import StrEnum

from bot.mentoring.model import DEFAULT_TAXONOMY, DEFAULT_WEIGHTS, Taxonomy, Topic, Weights
from bot.settings import SettingsError, int_setting

# Slack caps a static select at 100 options and an option's text at 75 characters.
MAX_TOPICS = 100
MAX_TOPIC_LABEL = 75
MAX_SLUG = 60
_SLUG_OK = re.compile(r"^[a-z0-9][a-z0-9-]*$")


class MatchingMode(StrEnum):
    """When requests are matched: at once, in scheduled rounds, or both."""

    INSTANT = "instant"
    ROUNDS = "rounds"
    BOTH = "both"


@dataclass(frozen=True)
class MentoringSettings:
    """How the mentoring programme runs."""

    mode: MatchingMode = MatchingMode.BOTH
    proposal_expiry_hours: int = 72
    round_every_hours: int = 24
    checkin_every_days: int = 30
    taxonomy: Taxonomy = DEFAULT_TAXONOMY
    weights: Weights = DEFAULT_WEIGHTS

    @property
    def instant(self) -> bool:
        """A new request is proposed to a mentor at once."""
        return self.mode in (MatchingMode.INSTANT, MatchingMode.BOTH)

    @property
    def rounds(self) -> bool:
        """A scheduled round re-optimises every open request."""
        return self.mode in (MatchingMode.ROUNDS, MatchingMode.BOTH)

    @property
    def round_every(self) -> timedelta:
        """The time between two matching rounds."""
        return timedelta(hours=self.round_every_hours)


def parse_mentoring_settings(env: Mapping[str, str]) -> MentoringSettings:
    """Read the MENTORING_* variables, or raise SettingsError naming the bad one."""
    return MentoringSettings(
        mode=_mode(env),
        proposal_expiry_hours=int_setting(env, "MENTORING_PROPOSAL_EXPIRY_HOURS", 72, 1, 720),
        round_every_hours=int_setting(env, "MENTORING_ROUND_EVERY_HOURS", 24, 1, 720),
        checkin_every_days=int_setting(env, "MENTORING_CHECKIN_EVERY_DAYS", 30, 7, 90),
        taxonomy=parse_topics(env.get("MENTORING_TOPICS", "")),
        weights=parse_weights(env.get("MENTORING_WEIGHTS", "")),
    )


def _mode(env: Mapping[str, str]) -> MatchingMode:
    """instant, rounds or both (the default)."""
    raw = env.get("MENTORING_MODE", "").strip().casefold() or MatchingMode.BOTH.value
    try:
        return MatchingMode(raw)
    except ValueError:
        raise SettingsError("MENTORING_MODE", "must be instant, rounds or both") from None


def slugify(label: str) -> str:
    """A stable slug for a topic label: lower case, words joined by hyphens."""
    return re.sub(r"[^a-z0-9]+", "-", label.casefold()).strip("-")[:MAX_SLUG].strip("-")


def parse_topics(raw: str) -> Taxonomy:
    """Topics separated by ';' or new lines, each 'Label' or 'slug=Label'; empty: the default."""
    name = "MENTORING_TOPICS"
    entries = [e.strip() for e in re.split(r"[;\n]", raw) if e.strip()]
    if not entries:
        return DEFAULT_TAXONOMY
    if len(entries) > MAX_TOPICS:
        raise SettingsError(name, f"lists {len(entries)} topics; Slack shows at most {MAX_TOPICS}")
    topics: list[Topic] = []
    for entry in entries:
        slug, sep, label = entry.partition("=")
        label = " ".join((label if sep else slug).split())
        slug = slug.strip().casefold() if sep else slugify(label)
        if not label or not slug or not _SLUG_OK.match(slug) or len(slug) > MAX_SLUG:
            raise SettingsError(name, f"cannot use {entry!r}: write 'Label' or 'slug=Label'")
        if len(label) > MAX_TOPIC_LABEL:
            raise SettingsError(
                name, f"{label[:20]!r}… is longer than {MAX_TOPIC_LABEL} characters"
            )
        topics.append(Topic(slug, label))
    slugs = [t.slug for t in topics]
    twice = sorted({s for s in slugs if slugs.count(s) > 1})
    if twice:
        raise SettingsError(name, f"lists the same topic twice: {', '.join(twice)}")
    return Taxonomy(tuple(topics))


_WEIGHT_FIELDS = {f.name: f.type for f in fields(Weights)}


def parse_weights(raw: str) -> Weights:
    """Comma-separated name=value overrides of the default weights."""
    name = "MENTORING_WEIGHTS"
    values: dict[str, float | int] = {}
    for part in (p.strip() for p in raw.split(",")):
        if not part:
            continue
        key, sep, text = (s.strip() for s in part.partition("="))
        if not sep or key not in _WEIGHT_FIELDS:
            known = ", ".join(_WEIGHT_FIELDS)
            raise SettingsError(name, f"cannot use {part!r}: write name=value with names {known}")
        values[key] = _weight_value(name, key, text)
    try:
        return Weights(**values)  # type: ignore[arg-type]
    except ValueError as err:
        raise SettingsError(name, str(err)) from None


def _weight_value(name: str, key: str, text: str) -> float | int:
    """A number for one weight (a whole number for full_experience_gap)."""
    try:
        if key == "full_experience_gap":
            return int(text)
        value = float(text)
    except ValueError:
        raise SettingsError(name, f"{key} must be a number, not {text!r}") from None
    if not math.isfinite(value):
        raise SettingsError(name, f"{key} must be a finite number")
    return value
