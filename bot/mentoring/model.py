"""Domain types for the mentoring programme: profiles, requests, weights, results."""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass, field
from enum import StrEnum

MAX_CAPACITY = 5
MAX_YEARS = 60
MAX_BIO_CHARS = 500


class Offer(StrEnum):
    """What a mentor can give and a mentee can hope for."""

    ADVICE = "advice"
    SUPPORT = "support"
    INTRODUCTIONS = "introductions"


OFFER_ORDER: tuple[Offer, ...] = (Offer.ADVICE, Offer.SUPPORT, Offer.INTRODUCTIONS)


@dataclass(frozen=True)
class Topic:
    """One entry of the topic list: a stable slug and the label people see."""

    slug: str
    label: str


@dataclass(frozen=True)
class Taxonomy:
    """The topics a workspace mentors on, in display order."""

    topics: tuple[Topic, ...]
    _by_slug: dict[str, Topic] = field(init=False, repr=False, compare=False)
    _order: dict[str, int] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        """Index the slugs and refuse duplicates."""
        by_slug = {topic.slug: topic for topic in self.topics}
        if len(by_slug) != len(self.topics):
            raise ValueError("topic slugs must be unique")
        object.__setattr__(self, "_by_slug", by_slug)
        object.__setattr__(self, "_order", {t.slug: i for i, t in enumerate(self.topics)})

    def __contains__(self, slug: object) -> bool:
        """Tell whether a slug is on the list."""
        return slug in self._by_slug

    def label(self, slug: str) -> str:
        """Return the label for a slug, or the slug itself when it is no longer listed."""
        topic = self._by_slug.get(slug)
        return topic.label if topic else slug

    def find(self, text: str) -> str | None:
        """Return the slug matching a slug or label, ignoring case and outer spaces."""
        wanted = text.strip().casefold()
        for topic in self.topics:
            if wanted in (topic.slug.casefold(), topic.label.casefold()):
                return topic.slug
        return None

    def ordered(self, slugs: Iterable[str]) -> tuple[str, ...]:
        """Sort slugs in display order; unlisted slugs go last, alphabetically."""
        end = len(self.topics)
        return tuple(sorted(slugs, key=lambda s: (self._order.get(s, end), s)))


DEFAULT_TAXONOMY = Taxonomy(
    (
        Topic("career-growth", "Career growth"),
        Topic("career-change", "Changing careers"),
        Topic("promotion", "Getting promoted"),
        Topic("leadership", "Leadership"),
        Topic("new-manager", "Becoming a manager"),
        Topic("public-speaking", "Public speaking"),
        Topic("writing", "Writing and documentation"),
        Topic("feedback", "Giving and receiving feedback"),
        Topic("negotiation", "Negotiation"),
        Topic("networking", "Building a network"),
        Topic("stakeholders", "Working with stakeholders"),
        Topic("cross-team", "Working across teams"),
        Topic("project-delivery", "Delivering projects"),
        Topic("product-thinking", "Product thinking"),
        Topic("technical-depth", "Growing technical depth"),
        Topic("system-design", "System design"),
        Topic("data-skills", "Working with data"),
        Topic("new-joiner", "Finding your feet in a new job"),
        Topic("returning", "Coming back after a break"),
        Topic("work-life", "Balancing work and life"),
    )
)


def _check_years(years: int) -> None:
    """Refuse experience outside what a career can hold."""
    if not 0 <= years <= MAX_YEARS:
        raise ValueError(f"years must be between 0 and {MAX_YEARS}")


@dataclass(frozen=True)
class MentorProfile:
    """A volunteer mentor as the matcher sees them."""

    user_id: str
    topics: frozenset[str]
    offers: frozenset[Offer]
    capacity: int
    years: int
    team: str = ""
    tz_name: str = ""
    utc_offset_minutes: int = 0
    bio: str = ""
    paused: bool = False

    def __post_init__(self) -> None:
        """Keep the invariants the matcher relies on."""
        if not 0 <= self.capacity <= MAX_CAPACITY:
            raise ValueError(f"capacity must be between 0 and {MAX_CAPACITY}")
        _check_years(self.years)

    @property
    def effective_capacity(self) -> int:
        """Capacity as matching sees it: a paused mentor takes nobody."""
        return 0 if self.paused else self.capacity


@dataclass(frozen=True)
class MentorRequest:
    """An open request for a mentor."""

    request_id: str
    mentee_id: str
    topics: frozenset[str]
    wants: frozenset[Offer]
    years: int
    goal: str = ""
    prefers_close_tz: bool = False
    outside_my_team: bool = False
    team: str = ""
    tz_name: str = ""
    utc_offset_minutes: int = 0

    def __post_init__(self) -> None:
        """Keep the invariants the matcher relies on."""
        if not self.topics:
            raise ValueError("a request needs at least one topic")
        if not self.wants:
            raise ValueError("a request needs at least one hope (advice, support, introductions)")
        _check_years(self.years)


@dataclass(frozen=True)
class Weights:
    """How much each part of a pair's fit counts; scores are normalised to [0, 1]."""

    topics: float = 0.45
    offers: float = 0.2
    time_zone: float = 0.1
    experience: float = 0.15
    load: float = 0.1
    close_tz_factor: float = 3.0
    full_experience_gap: int = 6

    def __post_init__(self) -> None:
        """Refuse weights that cannot rank anything."""
        parts = (self.topics, self.offers, self.time_zone, self.experience, self.load)
        if any(not math.isfinite(w) or w < 0 for w in (*parts, self.close_tz_factor)):
            raise ValueError("weights must be finite and not negative")
        if sum(parts) <= 0:
            raise ValueError("at least one weight must be positive")
        if self.full_experience_gap < 1:
            raise ValueError("full_experience_gap must be at least 1 year")


DEFAULT_WEIGHTS = Weights()


class UnmatchedReason(StrEnum):
    """Why a request got no proposal, from the most to the least fundamental cause."""

    NO_MENTORS = "no_mentors"
    NO_SHARED_TOPIC = "no_shared_topic"
    ALREADY_PAIRED = "already_paired"
    ONLY_SAME_TEAM = "only_same_team"
    NOBODY_MORE_EXPERIENCED = "nobody_more_experienced"
    ALL_AT_CAPACITY = "all_at_capacity"
    ALREADY_ASKED = "already_asked"
    TAKEN_THIS_ROUND = "taken_this_round"


UNMATCHED_EXPLANATIONS: dict[UnmatchedReason, str] = {
    UnmatchedReason.NO_MENTORS: "There are no mentors in the programme yet.",
    UnmatchedReason.NO_SHARED_TOPIC: "No mentor covers these topics yet.",
    UnmatchedReason.ALREADY_PAIRED: (
        "Every mentor for these topics has been paired with you before."
    ),
    UnmatchedReason.ONLY_SAME_TEAM: "The mentors for these topics are all in your own team.",
    UnmatchedReason.NOBODY_MORE_EXPERIENCED: (
        "Nobody covering these topics has more years of experience than you."
    ),
    UnmatchedReason.ALL_AT_CAPACITY: "Every mentor who fits is full or paused right now.",
    UnmatchedReason.ALREADY_ASKED: "Every mentor who fits has already been asked.",
    UnmatchedReason.TAKEN_THIS_ROUND: (
        "The mentors who fit were all proposed to other people this round."
    ),
}


@dataclass(frozen=True)
class Proposal:
    """A proposed pair, its score in [0, 1] and the reasons in plain words."""

    request_id: str
    mentee_id: str
    mentor_id: str
    score: float
    reasons: tuple[str, ...]


@dataclass(frozen=True)
class Unmatched:
    """A request that got no proposal, and why."""

    request_id: str
    mentee_id: str
    reason: UnmatchedReason

    @property
    def explanation(self) -> str:
        """Say why in a sentence."""
        return UNMATCHED_EXPLANATIONS[self.reason]


@dataclass(frozen=True)
class MatchResult:
    """The outcome of one matching round, both lists sorted by mentee id."""

    proposals: tuple[Proposal, ...]
    unmatched: tuple[Unmatched, ...]

    @property
    def total_score(self) -> float:
        """Sum of the proposed pairs' scores, the quantity the round maximises."""
        return math.fsum(p.score for p in self.proposals)
