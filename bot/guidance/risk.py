"""A light learned safety net for "not a guidance matter": logistic regression over word stems.

The hand-written rules (escalate.py, concerns.py) explain themselves but miss paraphrases they
were never written for. This model was trained offline (bench/train_risk.py) on situations written
by several independent writers; its weights live in `_risk_weights.py` (generated data, no I/O).
It only ever adds escalations: a high score sends the situation to the people who can act on it.
"""

from __future__ import annotations

import functools
import itertools
import math
import re

from bot.guidance import _risk_weights as weights
from bot.text import strip_slack_markup

_WORD = re.compile(r"[a-z0-9]+(?:'[a-z]+)?")
_SUFFIXES = ("ingly", "ings", "ing", "edly", "ed", "ies", "es", "s", "ly", "ment", "ments")
MAX_CHARS = 4000


@functools.lru_cache(maxsize=8192)
def stem(word: str) -> str:
    """A crude, stable stem: enough to let 'touching', 'touched' and 'touches' meet."""
    word = word.replace("'", "")
    for suffix in _SUFFIXES:
        if len(word) > len(suffix) + 2 and word.endswith(suffix):
            return word[: -len(suffix)]
    return word


def features(text: str) -> list[str]:
    """Stems and stem bigrams of the text (Slack markup neutralised, length capped)."""
    words = [stem(w) for w in _WORD.findall(strip_slack_markup(text[:MAX_CHARS]).lower())]
    return words + [f"{a} {b}" for a, b in itertools.pairwise(words)]


def _split_tables() -> tuple[dict[str, float], dict[tuple[str, str], float]]:
    """Single-stem and stem-pair weights, pairs keyed by tuple (cheaper than building strings)."""
    single: dict[str, float] = {}
    pairs: dict[tuple[str, str], float] = {}
    for name, weight in weights.WEIGHTS.items():
        first, _, second = name.partition(" ")
        if second:
            pairs[(first, second)] = weight
        else:
            single[first] = weight
    return single, pairs


_SINGLE, _PAIRS = _split_tables()


def risk(text: str) -> float:
    """Probability-like score that the situation is not a guidance matter (0..1).

    Equal to scoring `set(features(text))` against the weights, without building the strings.
    """
    words = [stem(w) for w in _WORD.findall(strip_slack_markup(text[:MAX_CHARS]).lower())]
    single, pairs = _SINGLE.get, _PAIRS.get
    total = weights.BIAS + sum(single(w, 0.0) for w in set(words))
    total += sum(pairs(p, 0.0) for p in set(itertools.pairwise(words)))
    return 1.0 / (1.0 + math.exp(-max(-30.0, min(30.0, total))))


def is_risky(text: str) -> bool:
    """True when the model's score reaches the threshold chosen at training time."""
    return risk(text) >= weights.THRESHOLD
