"""A light learned safety net for "not a guidance matter": naive Bayes over word stems.

The hand-written rules (escalate.py, concerns.py) explain themselves but miss paraphrases they
were never written for. This model was trained offline (bench/train_risk.py) on situations written
by several independent writers; its weights live in `_risk_weights.py` (generated data, no I/O).
It only ever adds escalations: a score at or above the threshold sends the situation to the people
who can act on it. (It never overrules a rule: a request wrapped around a real concern, "our team
needs a new process, and our manager is fudging the sales figures", scores low as a whole.)
"""

from __future__ import annotations

import functools
import itertools
import math
from collections.abc import Iterable, Mapping
from typing import NamedTuple, TypeVar

from bot.guidance import _risk_weights as weights
from bot.guidance.matcher import tokenize
from bot.text import strip_slack_markup

_SUFFIXES = ("ingly", "ings", "ing", "edly", "ed", "ies", "es", "s", "ly", "ment", "ments")
CLAMP = 30.0
W = TypeVar("W")


@functools.lru_cache(maxsize=8192)
def stem(word: str) -> str:
    """A crude, stable stem: enough to let 'touching', 'touched' and 'touches' meet."""
    word = word.replace("'", "")
    for suffix in _SUFFIXES:
        if len(word) > len(suffix) + 2 and word.endswith(suffix):
            return word[: -len(suffix)]
    return word


def stems(text: str) -> list[str]:
    """The stems of a text's words, in order, cut as the classifier cuts them (matcher.tokenize:
    Slack markup neutralised, length capped, apostrophes dropped)."""
    return list(map(stem, tokenize(strip_slack_markup(text)).words))


def features(text: str) -> list[str]:
    """Stems and stem bigrams of the text: the names the learned weights are keyed by."""
    words = stems(text)
    return words + [f"{a} {b}" for a, b in itertools.pairwise(words)]


class Grams(NamedTuple):
    """A text's stems in order, and its distinct stems and stem pairs (built once per text).

    Distinct features keep the order they first occur in, so that scores are summed in the same
    order in every process (a set's order would change with Python's string hashing).
    """

    words: tuple[str, ...]
    singles: tuple[str, ...]
    pairs: tuple[tuple[str, str], ...]


def grams(text: str) -> Grams:
    """Stem a text once for every learned net."""
    return grams_of(tuple(stems(text)))


def grams_of(words: tuple[str, ...]) -> Grams:
    """The grams of stems already cut (the classifier stems the words it has tokenised)."""
    return Grams(
        words, tuple(dict.fromkeys(words)), tuple(dict.fromkeys(itertools.pairwise(words)))
    )


def split_tables(table: Mapping[str, W]) -> tuple[dict[str, W], dict[tuple[str, str], W]]:
    """Single-stem and stem-pair weights, pairs keyed by tuple (cheaper than building strings)."""
    single: dict[str, W] = {}
    pairs: dict[tuple[str, str], W] = {}
    for name, weight in table.items():
        first, _, second = name.partition(" ")
        if second:
            pairs[(first, second)] = weight
        else:
            single[first] = weight
    return single, pairs


class RiskNet:
    """Log-odds that a situation is not a guidance matter.

    A bias, plus a weight per distinct feature present, plus `length_weight * log(1 + words)`:
    naive Bayes sums evidence, so a short text would otherwise sit near the bias whatever it says.
    """

    def __init__(
        self,
        bias: float,
        table: Mapping[str, float],
        threshold: float,
        length_weight: float = 0.0,
    ) -> None:
        """Keep the weights split by kind; the threshold is on the same log-odds scale."""
        self.bias = bias
        self.threshold = threshold
        self.length_weight = length_weight
        self._single, self._pairs = split_tables(table)

    def log_odds(self, g: Grams) -> float:
        """Equal to summing the weights of `set(features(text))`, without building strings."""
        total = sum(
            itertools.chain(
                (0.0, self.bias),
                filter(None, map(self._single.get, g.singles)),
                filter(None, map(self._pairs.get, g.pairs)),
            )
        )
        return total + self.length_weight * math.log1p(len(g.words))

    def tables(self) -> tuple[dict[str, float], dict[tuple[str, str], float]]:
        """The single-stem and stem-pair weights (copies)."""
        return dict(self._single), dict(self._pairs)

    def flags(self, log_odds: float) -> bool:
        """True when the score reaches the threshold chosen at training time."""
        return log_odds >= self.threshold


DEFAULT = RiskNet(weights.BIAS, weights.WEIGHTS, weights.THRESHOLD, weights.LENGTH_WEIGHT)


def probability(log_odds: float) -> float:
    """The logistic of a log-odds score (clamped, so that it never overflows)."""
    # The clamp as comparisons: max() and min() of two floats cost more than the logistic itself.
    # `z if z < hi else hi` is `min(hi, z)` and `z if z > lo else lo` is `max(lo, z)`, exactly
    # (the same values, NaN included).
    below = log_odds if log_odds < CLAMP else CLAMP
    return 1.0 / (1.0 + math.exp(-(below if below > -CLAMP else -CLAMP)))


def probabilities(log_odds: Iterable[float]) -> list[float]:
    """`probability` of each score, in one call (the same expression: the same values)."""
    fits = []
    for z in log_odds:
        below = z if z < CLAMP else CLAMP
        fits.append(1.0 / (1.0 + math.exp(-(below if below > -CLAMP else -CLAMP))))
    return fits


def risk(text: str) -> float:
    """Probability-like score that the situation is not a guidance matter (0..1)."""
    return probability(DEFAULT.log_odds(grams(text)))


def is_risky(text: str) -> bool:
    """True when the model's score reaches the threshold chosen at training time."""
    return DEFAULT.flags(DEFAULT.log_odds(grams(text)))
