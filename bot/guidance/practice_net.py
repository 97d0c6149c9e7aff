"""A learned view of which practices fit: one logistic regression per label over word stems.

The lexicon (lexicon.py) explains itself but misses wordings it was never written for. This net
was trained offline (bench/train_practice.py) on practice-labelled situations written by several
independent writers; its weights live in `_practice_weights.py` (generated data, no I/O). For each
label (coaching, mentoring, consulting, unclear) it gives a log-odds that the label fits, a
situation's second practice counting as fitting too. The classifier adds the lexicon's scores to
these and, when two practices fit, orders them by where in the text each one's words come.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping, Sequence
from itertools import pairwise

from bot.guidance import _practice_weights as weights
from bot.guidance.model import Practice
from bot.guidance.risk import Grams, split_tables

LABELS: tuple[Practice, ...] = (
    Practice.COACHING,
    Practice.MENTORING,
    Practice.CONSULTING,
    Practice.UNCLEAR,
)
INDEX: dict[Practice, int] = {p: k for k, p in enumerate(LABELS)}


class PracticeNet:
    """Per-label log-odds: a bias plus a weight per stem and stem pair present."""

    def __init__(self, bias: Sequence[float], table: Mapping[str, Sequence[float]]) -> None:
        """Split the table into single stems and stem pairs, each mapped to its label weights."""
        if len(bias) != len(LABELS) or any(len(w) != len(LABELS) for w in table.values()):
            raise ValueError("one bias and one weight per label")
        self.bias = tuple(bias)
        self._single, self._pairs = split_tables({k: tuple(w) for k, w in table.items()})

    def logits(self, g: Grams) -> list[float]:
        """The log-odds of each label, in LABELS order (one lookup per distinct feature)."""
        found = [
            *filter(None, map(self._single.get, g.singles)),
            *filter(None, map(self._pairs.get, g.pairs)),
        ]
        return [sum(column, 0.0) for column in zip(self.bias, *found, strict=True)]

    def tables(
        self,
    ) -> tuple[dict[str, tuple[float, ...]], dict[tuple[str, str], tuple[float, ...]]]:
        """The single-stem and stem-pair weights, one per label (copies)."""
        return dict(self._single), dict(self._pairs)

    def lead(self, words: Sequence[str], first: Practice, second: Practice) -> float:
        """Positive when the words for `first` come earlier in the text than those for `second`.

        Each stem (and stem pair) adds its weight for `first` minus its weight for `second`,
        counted fully at the start of the text, not at all in the middle and negatively at the end.
        """
        a, b = INDEX[first], INDEX[second]
        singles, pairs = place_factors(len(words))
        total = 0.0
        for w, factor in zip(map(self._single.get, words), singles, strict=True):
            if w is not None:
                total += (w[a] - w[b]) * factor
        for w, factor in zip(map(self._pairs.get, pairwise(words)), pairs, strict=True):
            if w is not None:
                total += (w[a] - w[b]) * factor
        return total

    def telling(self, words: Sequence[str], practice: Practice, limit: int) -> list[str]:
        """The stems (or stem pairs, space-joined) weighing most for a practice, strongest first."""
        k = INDEX[practice]
        found: dict[str, float] = {}
        for word in words:
            w = self._single.get(word)
            if w is not None and w[k] > 0:
                found[word] = w[k]
        for pair in pairwise(words):
            w = self._pairs.get(pair)
            if w is not None and w[k] > 0:
                found[" ".join(pair)] = w[k]
        # Stable: equal weights keep text order.
        return sorted(found, key=found.__getitem__, reverse=True)[:limit]


@functools.lru_cache(maxsize=1024)
def place_factors(words: int) -> tuple[tuple[float, ...], tuple[float, ...]]:
    """What a stem at place j of a text's words counts in `lead` (1 - 2j/n, n the number of words
    but at least 1), and a pair starting there (1 - (2j + 1)/n): worked out once per length,
    each exactly as `lead` used to work it out for every word."""
    n = max(1, words)
    return (
        tuple([1.0 - 2.0 * j / n for j in range(words)]),
        tuple([1.0 - (2.0 * j + 1.0) / n for j in range(words - 1)]),
    )


DEFAULT = PracticeNet(weights.BIAS, weights.WEIGHTS)
