"""Token phrase matching: precompiled, typo-tolerant for key words, linear in the text."""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from itertools import accumulate, compress
from typing import Generic, NamedTuple, TypeVar

T = TypeVar("T")
K = TypeVar("K")
V = TypeVar("V")

# Slack's limit for a slash command is 4,000 characters; longer text is cut, not refused.
MAX_CHARS = 6000
GAP = "..."
ANY = "_"
_MAX_GAP = 3
_PREFIX_KEY = 4
_SHORT_KEY = 3
_MIN_MEND = 7
_MIN_KEY = 8
# Per-word results are remembered (bounded): vocabulary repeats, so most words cost one probe.
_HEAD_CACHE = 16384
_PAIR_CACHE = 32768
# The capturing group makes re.split alternate gap, word, gap, ..., word, gap.
_TOKEN_SPLIT = re.compile(r"([^\W_]+(?:['’][^\W_]+)*)")
_CLAUSE_BREAK = re.compile(r"[.;!?\n]|,\s|\s-\s|\s—\s")


class Memo(dict[K, V]):
    """A bounded dict that computes a missing value on first lookup (a pure function's cache)."""

    def __init__(self, compute: Callable[[K], V], limit: int) -> None:
        """Remember at most `limit` results of `compute`."""
        super().__init__()
        self._compute = compute
        self._limit = limit

    def __missing__(self, key: K) -> V:
        """Compute, remember and return the value for a key not seen yet."""
        value = self._compute(key)
        if len(self) >= self._limit:
            # Starting afresh keeps memory bounded; answers never depend on what is cached.
            self.clear()
        self[key] = value
        return value


class Tokens(NamedTuple):
    """The words of a text, lower-cased for matching, with their character spans."""

    text: str
    words: tuple[str, ...]
    starts: tuple[int, ...]
    ends: tuple[int, ...]

    def quote(self, start: int, end: int) -> str:
        """Return the raw text covered by tokens start..end-1."""
        return self.text[self.starts[start] : self.ends[end - 1]]

    def context_quote(self, start: int, end: int, reach: int = 2) -> str:
        """Return the hit widened by a few words inside the same clause."""
        lo, hi = start, end
        for _ in range(reach):
            if lo == 0 or self._breaks(lo - 1, lo):
                break
            lo -= 1
        for _ in range(reach):
            if hi >= len(self.words) or self._breaks(hi - 1, hi):
                break
            hi += 1
        return self.quote(lo, hi)

    def _breaks(self, left: int, right: int) -> bool:
        """Tell whether a clause boundary lies between two adjacent tokens."""
        return _CLAUSE_BREAK.search(self.text, self.ends[left], self.starts[right]) is not None


# Contractions whose apostrophe-free spelling is another word ("we're" is not "were").
_CONTRACTIONS = {"we're": "we", "we'll": "we", "we've": "weve", "we'd": "wed", "let's": "lets"}


def norm_word(word: str) -> str:
    """Lower-case a word and drop apostrophes so that "don't" and "dont" agree."""
    lowered = word.lower().replace("’", "'")
    return _CONTRACTIONS.get(lowered, lowered).replace("'", "")


def tokenize(text: str, word: Callable[[str], str] = norm_word) -> Tokens:
    """Split text into words (capped), each normalised by `word` (which may also mend typos)."""
    pieces = _TOKEN_SPLIT.split(text[:MAX_CHARS])
    # Word k is piece 2k+1; its span runs between the running lengths around it.
    offsets = list(accumulate(map(len, pieces), initial=0))
    return Tokens(
        text,
        tuple(map(word, pieces[1::2])),
        tuple(offsets[1:-1:2]),
        tuple(offsets[2::2]),
    )


@dataclass(frozen=True, slots=True)
class Choice:
    """An element that accepts any of several words or prefixes (`a|b|c*`)."""

    words: frozenset[str]
    prefixes: tuple[str, ...]

    def fits(self, word: str) -> bool:
        """Tell whether the word is one of the choices."""
        return word in self.words or word.startswith(self.prefixes)


Element = str | Choice


@dataclass(frozen=True, slots=True)
class Entry(Generic[T]):
    """One compiled phrase and the payload it carries."""

    elements: tuple[Element, ...]
    payload: T


class Hit(NamedTuple, Generic[T]):
    """Where a phrase matched, in token positions."""

    payload: T
    start: int
    end: int


# A phrase that survived its first two words: payload, elements, its length in words when those
# words settle the match (else 0), and the element to go on matching from.
_Survivor = tuple[T, tuple[Element, ...], int, int]
_END = ""  # stands for "no next word"; a token is never empty


class PhraseIndex(Generic[T]):
    """Phrases indexed by their first word (exact, or by a 3- or 4-letter prefix key)."""

    def __init__(self, phrases: Iterable[tuple[str, T]]) -> None:
        """Compile phrases written as words, `pre*` prefixes, `_` (any word) and `...` (gap)."""
        self._exact: dict[str, list[Entry[T]]] = {}
        self._prefix: dict[str, list[Entry[T]]] = {}
        pairs: dict[tuple[str, T], list[str]] = {}
        for phrase, payload in phrases:
            head, *rest = phrase.split(" ", 1)
            for alternative in head.split("|"):
                words = [alternative, *rest]
                if len(phrase.split()) == 2 and "|" not in rest[0] and rest[0] not in (ANY, GAP):
                    # Two-word phrases with one head and payload share one entry (fewer tries).
                    pairs.setdefault((alternative, payload), []).append(rest[0])
                    continue
                self._add(Entry(_compile(" ".join(words)), payload))
        for (head, payload), seconds in pairs.items():
            self._add(Entry(_compile(f"{head} {'|'.join(seconds)}"), payload))
        self._heads = Memo(self._heads_of, _HEAD_CACHE)
        self._survivors = Memo(self._survivors_of, _PAIR_CACHE)

    def _add(self, entry: Entry[T]) -> None:
        """Index one compiled phrase by its first element."""
        head = entry.elements[0]
        if not isinstance(head, str):
            raise ValueError("a phrase must not start with a choice")
        if head.endswith("*"):
            self._prefix.setdefault(head[:-1][:_PREFIX_KEY], []).append(entry)
        else:
            self._exact.setdefault(head, []).append(entry)

    def vocabulary(self) -> frozenset[str]:
        """Return every exact word the phrases mention (for typo mending)."""
        return frozenset(self._exact)

    def find(self, tokens: Tokens) -> list[Hit[T]]:
        """Return every phrase occurrence, in text order (then in lexicon order)."""
        words = tokens.words
        last = len(words) - 1
        hits: list[Hit[T]] = []
        survivors = self._survivors
        # Only words that can start a phrase are visited; most words start none.
        for i in compress(range(last + 1), map(self._heads.__getitem__, words)):
            pair = (words[i], words[i + 1] if i < last else _END)
            for payload, elements, size, k in survivors[pair]:
                end = i + size if size else _match(elements, k, words, i + k)
                if end >= 0:
                    hits.append(Hit(payload, i, end))
        return hits

    def _heads_of(self, word: str) -> tuple[Entry[T], ...]:
        """Return the phrases that start with this word, in the order they are tried."""
        tried = (
            *self._exact.get(word, ()),
            *self._prefix.get(word[:_PREFIX_KEY], ()),
            *self._prefix.get(word[:_SHORT_KEY], ()),
        )
        return tuple(e for e in tried if _element_fits(e.elements[0], word))

    def _survivors_of(self, pair: tuple[str, str]) -> tuple[_Survivor[T], ...]:
        """Return the phrases whose first two elements accept a word and the next one."""
        word, following = pair
        kept: list[_Survivor[T]] = []
        for entry in self._heads[word]:
            elements, payload = entry.elements, entry.payload
            if len(elements) == 1:
                kept.append((payload, elements, 1, 0))
                continue
            second = elements[1]
            if second == GAP:
                kept.append((payload, elements, 0, 1))
            elif following != _END and _element_fits(second, following):
                kept.append((payload, elements, 2 if len(elements) == 2 else 0, 2))
        return tuple(kept)


def _compile(phrase: str) -> tuple[Element, ...]:
    """Normalise a phrase the way text tokens are normalised."""
    elements = tuple(_compile_element(e) for e in phrase.replace("’", "'").split())
    head = elements[0]
    if not isinstance(head, str):
        raise ValueError(f"phrase must start with a word: {phrase!r}")
    if head in (ANY, GAP) or (head.endswith("*") and len(head) - 1 < _SHORT_KEY):
        raise ValueError(f"phrase must start with a word or a 3+ letter prefix: {phrase!r}")
    return elements


def _compile_element(element: str) -> Element:
    """Compile one element: a word, a prefix, `_`, `...` or a choice `a|b*`."""
    if element in (ANY, GAP):
        return element
    if "|" not in element:
        return norm_word(element)
    options = [norm_word(o) for o in element.split("|") if o]
    return Choice(
        frozenset(o for o in options if not o.endswith("*")),
        tuple(o[:-1] for o in options if o.endswith("*")),
    )


def _match(elements: tuple[Element, ...], k: int, words: Sequence[str], i: int) -> int:
    """Match elements[k:] at words[i:]; return the end position or -1."""
    while k < len(elements):
        element = elements[k]
        if element == GAP:
            for skip in range(_MAX_GAP + 1):
                end = _match(elements, k + 1, words, i + skip)
                if end >= 0:
                    return end
            return -1
        if i >= len(words) or not _element_fits(element, words[i]):
            return -1
        k += 1
        i += 1
    return i


def _element_fits(element: Element, word: str) -> bool:
    """Tell whether one pattern element accepts one word."""
    if isinstance(element, Choice):
        return element.fits(word)
    if element == ANY:
        return True
    if element.endswith("*"):
        return word.startswith(element[:-1])
    return word == element


class TypoMender:
    """Maps a misspelt word to a key word at one edit (or one swap) of distance."""

    def __init__(self, key_words: Iterable[str], known: Iterable[str]) -> None:
        """Index key words by their one-letter deletions; never mend a known word."""
        self._known = frozenset(known)
        self._keys = frozenset(k for k in key_words if len(k) >= _MIN_KEY)
        self._deletes: dict[str, str] = {}
        for key in sorted(self._keys):
            for variant in _deletions(key):
                self._deletes.setdefault(variant, key)
        self.mend = functools.lru_cache(maxsize=4096)(self._mend)

    def _mend(self, word: str) -> str:
        """Return the key word this word is a typo of, or the word itself."""
        if len(word) < _MIN_MEND or word in self._known or word in self._keys:
            return word
        found = self._deletes.get(word)
        if found is not None:
            return found
        for variant in _deletions(word):
            if variant in self._keys:
                return variant
            found = self._deletes.get(variant)
            if found is not None:
                return found
        return word


def _deletions(word: str) -> list[str]:
    """Return the word with each single letter removed."""
    return [word[:i] + word[i + 1 :] for i in range(len(word))]
