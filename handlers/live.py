"""Settings admins change in Slack (topics, escalation texts), cached per process.

The guidance answer and the mentoring flows read them on every request, so the stored
overrides are loaded at most once per REFRESH_S seconds per process (an edit in this process
is seen at once; other processes see it within REFRESH_S). When the database cannot be read
the last known values stay in use: the guidance answer must not fail because of this cache.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

from sqlalchemy.exc import SQLAlchemyError

from bot.mentoring.model import Taxonomy
from bot.mentoring.settings import MentoringSettings, parse_topics
from bot.resources import GuidanceResources, Resource
from bot.settings import Settings, SettingsError
from storage import programme

if TYPE_CHECKING:
    from handlers.deps import Deps

log = logging.getLogger(__name__)

REFRESH_S = 30.0
TOPICS_KEY = "mentoring_topics"
RESOURCES_KEY = "escalation_resources"
CONSULTING_KEY = "consulting_contact"


@dataclass(frozen=True)
class Overrides:
    """The stored overrides, already merged with the environment's settings."""

    topics_text: str | None
    resources_text: Mapping[str, str]
    mentoring: MentoringSettings
    resources: GuidanceResources


def merge(settings: Settings, stored: Mapping[str, Any]) -> Overrides:
    """Apply stored overrides to the settings; an unusable one is ignored (and logged)."""
    topics_text = stored.get(TOPICS_KEY)
    mentoring = settings.mentoring
    if isinstance(topics_text, str) and topics_text.strip():
        try:
            mentoring = replace(mentoring, taxonomy=parse_topics(topics_text))
        except SettingsError as err:
            log.warning("ignoring stored topics: %s", err)
    else:
        topics_text = None
    raw = stored.get(RESOURCES_KEY)
    texts: dict[str, str] = (
        {str(k): str(v) for k, v in raw.items() if str(v).strip()} if isinstance(raw, dict) else {}
    )
    return Overrides(
        topics_text=topics_text,
        resources_text=texts,
        mentoring=mentoring,
        resources=apply_resources(settings.resources, texts),
    )


def apply_resources(base: GuidanceResources, texts: Mapping[str, str]) -> GuidanceResources:
    """The configured resources with the admin's texts in place of the ones they filled in."""
    merged = dict(base.texts)
    for kind in Resource:
        text = texts.get(kind.value, "").strip()
        if text:
            merged[kind] = text
    contact = texts.get(CONSULTING_KEY, "").strip() or base.consulting_contact
    return GuidanceResources(texts=merged, consulting_contact=contact)


def topics_text(taxonomy: Taxonomy) -> str:
    """A taxonomy written the way the topics editor (and MENTORING_TOPICS) reads it."""
    return "\n".join(f"{topic.slug}={topic.label}" for topic in taxonomy.topics)


class LiveConfig:
    """A process-local cache of the stored overrides."""

    def __init__(
        self, refresh_s: float = REFRESH_S, monotonic: Callable[[], float] = time.monotonic
    ) -> None:
        self._refresh_s = refresh_s
        self._monotonic = monotonic
        self._lock = threading.Lock()
        self._value: Overrides | None = None
        self._loaded_at = float("-inf")
        self.loads = 0

    def _fresh(self) -> bool:
        return self._monotonic() - self._loaded_at < self._refresh_s

    def get(self, deps: Deps) -> Overrides:
        """The overrides, loading them when the cached copy is older than the refresh time."""
        value = self._value
        if value is not None and self._fresh():
            return value
        with self._lock:
            if self._value is not None and self._fresh():
                return self._value
            self._value = self._load(deps)
            self._loaded_at = self._monotonic()
            return self._value

    def _load(self, deps: Deps) -> Overrides:
        self.loads += 1
        try:
            with deps.sessions() as session:
                stored = programme.all_settings(session)
        except SQLAlchemyError as err:
            log.warning("could not read stored settings: %s", type(err).__name__)
            return self._value or merge(deps.settings, {})
        return merge(deps.settings, stored)

    def invalidate(self) -> None:
        """Forget the cached copy (after this process stored a change)."""
        with self._lock:
            self._loaded_at = float("-inf")


def mentoring(deps: Deps) -> MentoringSettings:
    """The mentoring settings with the admin's topics."""
    return deps.live.get(deps).mentoring


def resources(deps: Deps) -> GuidanceResources:
    """The escalation and consulting texts with the admin's edits."""
    return deps.live.get(deps).resources
