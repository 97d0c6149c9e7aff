"""A light learned safety net for "not a guidance matter": logistic regression over word stems.

The hand-written rules (escalate.py, concerns.py) explain themselves but miss paraphrases they
were never written for. This model was trained offline (bench/train_risk.py) on situations written
by several independent writers; its weights live in `_risk_weights.py` (generated data, no I/O).
It only ever adds escalations: a high score sends the situation to the people who can act on it.
"""

from __future__ import annotations

import functools
import math
import re
from itertools import pairwise, repeat

from bot.guidance import _risk_weights as weights
from bot.guidance.matcher import Memo
from bot.text import strip_slack_markup

_WORD = re.compile(r"[a-z0-9]+(?:'[a-z]+)?")
# For ASCII text: the bytes a word can hold stay, every other byte becomes a space.
_WORD_BYTES = bytes(b if re.fullmatch(r"[a-z0-9']", chr(b)) else ord(" ") for b in range(256))
# An apostrophe followed, within its run, by a digit or another apostrophe ("rock'n'roll").
_ODD_APOSTROPHE = re.compile(r"'[a-z]*[0-9']")
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


def words(text: str) -> list[str]:
    """The lower-cased words of the text (Slack markup neutralised, length capped)."""
    plain = strip_slack_markup(text[:MAX_CHARS]).lower()
    if not plain.isascii():
        return _WORD.findall(plain)
    # The same words as the regex finds, cut with C-level string calls: runs of word bytes are
    # words, unless an apostrophe in a run is not between a letter or digit and letters only
    # ("'til", "rock'n'roll", "80's'"); such a run goes to the regex.
    marked = plain.encode().translate(_WORD_BYTES).decode()
    runs = marked.split()
    if "'" not in marked or _inner_apostrophes_only(marked):
        return runs
    return [w for run in runs for w in (_WORD.findall(run) if "'" in run else (run,))]


def _inner_apostrophes_only(marked: str) -> bool:
    """Tell whether each apostrophe sits as in "don't": after a letter or digit, before letters
    that end the run (then the regex finds each run whole)."""
    return not (
        marked[0] == "'"
        or marked[-1] == "'"
        or " '" in marked
        or "' " in marked
        or _ODD_APOSTROPHE.search(marked) is not None
    )


def features(text: str) -> list[str]:
    """Stems and stem bigrams of the text (Slack markup neutralised, length capped)."""
    stems = [stem(w) for w in words(text)]
    return stems + [f"{a} {b}" for a, b in pairwise(stems)]


def _split_tables() -> tuple[dict[str, float], dict[tuple[str, str], float]]:
    """Single-stem and stem-pair weights, pairs keyed by tuple (cheaper than building strings)."""
    single: dict[str, float] = {}
    pairs: dict[tuple[str, str], float] = {}
    for name, weight in weights.WEIGHTS.items():
        first, _, second = name.partition(" ")
        first = _KNOWN.setdefault(first, first)
        if second:
            pairs[(first, _KNOWN.setdefault(second, second))] = weight
        else:
            single[first] = weight
    return single, pairs


# Every stem the tables name, as the one string object the tables hold.
_KNOWN: dict[str, str] = {}
_SINGLE, _PAIRS = _split_tables()


def _known_stem(word: str) -> str:
    """The word's stem; a stem the tables name is their own string object, so that looking it
    up compares identities rather than characters (the tables are large and mostly not cached)."""
    s = stem(word)
    return _KNOWN.get(s, s)


# The stem of each word seen (bounded), looked up without a Python call per word.
_STEMS: Memo[str, str] = Memo(_known_stem, 16384)


def risk(text: str) -> float:
    """Probability-like score that the situation is not a guidance matter (0..1).

    Equal to scoring `set(features(text))` against the weights, without building the strings.
    """
    stems = list(map(_STEMS.__getitem__, words(text)))
    total = weights.BIAS + sum(map(_SINGLE.get, set(stems), repeat(0.0)))
    total += sum(map(_PAIRS.get, set(pairwise(stems)), repeat(0.0)))
    return 1.0 / (1.0 + math.exp(-max(-30.0, min(30.0, total))))


def is_risky(text: str) -> bool:
    """True when the model's score reaches the threshold chosen at training time."""
    return risk(text) >= weights.THRESHOLD
