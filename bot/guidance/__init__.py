"""Name the practice that fits a described workplace situation, and say why."""

from __future__ import annotations

import functools

from bot.guidance.classify import Classifier
from bot.guidance.content import (
    Comparison,
    Example,
    HelpText,
    PracticeProfile,
    compare,
    help_text,
)
from bot.guidance.model import (
    GUIDANCE_PRACTICES,
    Dimension,
    EscalateTopic,
    Evidence,
    Guidance,
    Practice,
    SplitPart,
    UnclearKind,
)
from bot.guidance.wording import topic_words

__all__ = [
    "GUIDANCE_PRACTICES",
    "Classifier",
    "Comparison",
    "Dimension",
    "EscalateTopic",
    "Evidence",
    "Example",
    "Guidance",
    "HelpText",
    "Practice",
    "PracticeProfile",
    "SplitPart",
    "UnclearKind",
    "classify",
    "compare",
    "default_classifier",
    "help_text",
    "topic_words",
]


@functools.cache
def default_classifier() -> Classifier:
    """Build the classifier on first use (importing compiles nothing)."""
    return Classifier()


def classify(text: str) -> Guidance:
    """Name the practice that fits a described situation, with reasons."""
    return default_classifier().classify(text)
