"""Both learned nets scored in one pass: each feature of a text is looked up once.

The escalate net (risk.py) and the practice net (practice_net.py) are keyed by the same stems
and stem pairs. Searching one joint table instead of two halves the lookups, which are most of
the nets' cost (their tables are too big to stay in the processor's cache).
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from itertools import chain
from operator import add, mul
from types import MappingProxyType
from typing import NamedTuple

from bot.guidance import practice_net, risk
from bot.guidance.practice_net import LABELS, PracticeNet, place_factors
from bot.guidance.risk import RiskNet

_ZERO_PRACTICE = (0.0,) * len(LABELS)
_NO_PAIRS: Mapping[str, int] = MappingProxyType({})


class Scores(NamedTuple):
    """What the nets say about one text."""

    danger: float
    logits: list[float]


class Nets:
    """An escalate net and a practice net with one joint weight table."""

    def __init__(self, danger: RiskNet, practice: PracticeNet) -> None:
        """Join the two nets' tables: feature -> (escalate weight, one weight per label)."""
        self.danger = danger
        self.practice = practice
        self._bias = (danger.bias, *practice.bias)
        d_single, d_pairs = danger.tables()
        p_single, p_pairs = practice.tables()
        single = {
            f: (d_single.get(f, 0.0), *p_single.get(f, _ZERO_PRACTICE))
            for f in sorted(d_single.keys() | p_single.keys())
        }
        pairs = {
            f: (d_pairs.get(f, 0.0), *p_pairs.get(f, _ZERO_PRACTICE))
            for f in sorted(d_pairs.keys() | p_pairs.keys())
        }
        # Every feature numbered from 1 (0 stands for none), its row at that index of one list.
        self._rows: list[tuple[float, ...]] = [()]
        self._single_ids = {f: self._number(row) for f, row in single.items()}
        self._pair_ids = {f: self._number(row) for f, row in pairs.items()}
        # The number of a single stem's feature, and of a stem pair's: `single_number(stem, 0)`
        # and `pair_number((first, second), 0)` give 0 where the nets do not weigh it. They are
        # the tables' own lookups, C calls, for a caller that numbers many features.
        self.single_number: Callable[[str, int], int] = self._single_ids.get
        self.pair_number: Callable[[tuple[str, str], int], int] = self._pair_ids.get
        # The same pair numbers by first stem, then second: a caller that knows a word's stem
        # already (and remembers what this returns per word) looks a pair up in a small table.
        self._after: dict[str, dict[str, int]] = {}
        for (first, second), number in self._pair_ids.items():
            self._after.setdefault(first, {})[second] = number
        # Per ordered pair of labels (a, b): each feature's practice weight for a minus its
        # weight for b, by feature number, worked out on first use.
        self._differences: dict[tuple[int, int], list[float]] = {}

    def pairs_after(self, stem: str) -> Mapping[str, int]:
        """The numbers of the stem pairs that start with this stem, by second stem (empty when
        there are none): `pairs_after(a).get(b, 0) == pair_number((a, b), 0)`."""
        return self._after.get(stem, _NO_PAIRS)

    def _number(self, row: tuple[float, ...]) -> int:
        """Give a feature's row the next number."""
        self._rows.append(row)
        return len(self._rows) - 1

    def score_ids(self, features: Iterable[int], words: int) -> Scores:
        """Both nets' scores of a text given as numbered features and its number of words: equal
        to `danger.log_odds(g)` and `practice.logits(g)` of the text's grams `g`, not only close.

        `features`: the single stems' numbers in text order, then the stem pairs' (0s and repeats
        allowed, as a memo per word and per word pair gives them). Single and pair numbers never
        meet, so keeping each number's first occurrence keeps the nets' own order of summing, and
        the biases come first, as in their sums.
        """
        found = map(self._rows.__getitem__, dict.fromkeys(filter(None, features)))
        # sum() starts from the int 0, and 0 + bias is bias: the same sums as from 0.0.
        sums = list(map(sum, zip(self._bias, *found, strict=True)))
        # Scores(...) without its Python-level __new__ (tuple.__new__ builds the same tuple).
        danger = sums[0] + self.danger.length_weight * math.log1p(words)
        return tuple.__new__(Scores, (danger, sums[1:]))

    def lead(self, singles: Sequence[int], pairs: Sequence[int], first: int, second: int) -> float:
        """`practice.lead` of a text given as its features' numbers: each word's single-stem
        number in text order, then each word's pair number (with the next word); equal to it,
        not only close (the same products, added in the same order).

        A feature the practice net does not weigh has a zero difference: it adds ±0.0, which
        leaves the total as it is (the total is never -0.0), as skipping it does.
        """
        difference = self._difference(first, second).__getitem__
        at_single, at_pair = place_factors(len(singles))
        products = chain(
            map(mul, map(difference, singles), at_single),
            map(mul, map(difference, pairs), at_pair),
        )
        return functools.reduce(add, products, 0.0)

    def _difference(self, first: int, second: int) -> list[float]:
        """Each feature's practice weight for label `first` minus that for `second`, by number."""
        key = (first, second)
        table = self._differences.get(key)
        if table is None:
            a, b = first + 1, second + 1  # the escalate weight comes first in a row
            table = [0.0, *(row[a] - row[b] for row in self._rows[1:])]
            self._differences[key] = table
        return table


@functools.cache
def default() -> Nets:
    """The trained nets, joined once per process."""
    return Nets(risk.DEFAULT, practice_net.DEFAULT)
