"""Domain types for the guidance answer."""

from __future__ import annotations

import enum
from typing import NamedTuple


class Practice(enum.StrEnum):
    """The answer the bot can give for a described situation."""

    COACHING = "coaching"
    MENTORING = "mentoring"
    CONSULTING = "consulting"
    ESCALATE = "escalate"
    UNCLEAR = "unclear"


GUIDANCE_PRACTICES: tuple[Practice, ...] = (
    Practice.COACHING,
    Practice.MENTORING,
    Practice.CONSULTING,
)


class Dimension(enum.StrEnum):
    """The four dimensions of the practice model."""

    WHOSE_CHANGE = "whose change"
    WHAT_CHANGES = "what changes"
    BUILT_ON = "what the conversation is built on"
    TIME = "time"


class EscalateTopic(enum.StrEnum):
    """Why a situation is not a guidance matter."""

    HARASSMENT = "harassment"
    DISCRIMINATION = "discrimination"
    THREAT = "threat"
    SAFETY = "safety"
    SELF_HARM = "self-harm"
    PAY_EQUITY = "pay-equity"
    FRAUD = "fraud"
    LEGAL = "legal"


class UnclearKind(enum.StrEnum):
    """Why the bot could not tell which practice fits."""

    EMPTY = "empty"
    GREETING = "greeting"
    TOO_SHORT = "too-short"
    OTHER_LANGUAGE = "other-language"
    NO_SITUATION = "no-situation"


# The answer types are named tuples: immutable like frozen dataclasses, and several times cheaper
# to build, which counts on the slash command's hot path (a few Evidence per answer).


class Evidence(NamedTuple):
    """One signal found in the user's words; position and end are word indexes."""

    practice: Practice
    dimension: Dimension
    quote: str
    weight: float
    gloss: str
    position: int = 0
    end: int = 0


class SplitPart(NamedTuple):
    """Which part of a two-practice situation fits which practice."""

    practice: Practice
    quote: str
    sentence: str


class Guidance(NamedTuple):
    """The classifier's answer: the practice, how sure it is, and why."""

    practice: Practice
    confidence: float
    confidence_label: str
    reasons: tuple[str, ...]
    also: Practice | None = None
    split: tuple[SplitPart, ...] = ()
    escalate_topic: EscalateTopic | None = None
    question: str | None = None
    unclear_kind: UnclearKind | None = None
    evidence: tuple[Evidence, ...] = ()

    def to_json_dict(self) -> dict[str, object]:
        """Return the stable CLI contract: practice, also, confidence, reasons (and extras)."""
        return {
            "practice": self.practice.value,
            "also": self.also.value if self.also is not None else None,
            "confidence": round(self.confidence, 3),
            "confidence_label": self.confidence_label,
            "reasons": list(self.reasons),
            "split": [{"practice": p.practice.value, "quote": p.quote} for p in self.split],
            "escalate_topic": self.escalate_topic.value if self.escalate_topic else None,
            "question": self.question,
        }
