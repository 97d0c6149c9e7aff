"""Token phrase matching: precompiled, typo-tolerant for key words, linear in the text."""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from itertools import accumulate, compress, pairwise
from typing import Any, NamedTuple, TypeAlias, TypeVar

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
_WINDOW_CACHE = 32768
# The capturing group makes re.split alternate gap, word, gap, ..., word, gap.
_TOKEN_SPLIT = re.compile(r"([^\W_]+(?:['’][^\W_]+)*)")
# For ASCII text: bytes that can be inside a word (a word character or an apostrophe) stay,
# every other byte becomes a space, so that str.split finds the same words as the regex.
_ASCII_MARKS = bytes(
    b if re.fullmatch(r"[^\W_]|'", chr(b)) else ord(" ") if b < 128 else b for b in range(256)
)
# The same text with each gap a run of "x" between spaces (a space becomes "x", any other byte a
# space), so that bytes.split finds the gaps.
_GAP_MARKS = bytes(ord("x") if b == ord(" ") else ord(" ") for b in range(256))
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


_END = ""  # stands for "no next word"; a token is never empty
_new = tuple.__new__


class Tokens(NamedTuple):
    """The words of a text, lower-cased for matching, with their character spans.

    `pairs` holds each word with the next one ("" after the last): the phrase index, the concern
    walk and the learned nets all look their first steps up by word pair, from these tuples.
    """

    text: str
    words: tuple[str, ...]
    starts: tuple[int, ...]
    ends: tuple[int, ...]
    pairs: tuple[tuple[str, str], ...]

    def quote(self, start: int, end: int) -> str:
        """Return the raw text covered by tokens start..end-1."""
        return self.text[self.starts[start] : self.ends[end - 1]]

    def context_quote(self, start: int, end: int, reach: int = 2) -> str:
        """Return the hit widened by a few words inside the same clause."""
        text, starts, ends = self.text, self.starts, self.ends
        lo, hi = start, end
        # Widen while the gap to the next word out is not a clause boundary (mostly one space).
        while start - lo < reach and lo > 0 and _one_clause(text[ends[lo - 1] : starts[lo]]):
            lo -= 1
        while (
            hi - end < reach
            and hi < len(self.words)
            and _one_clause(text[ends[hi - 1] : starts[hi]])
        ):
            hi += 1
        return text[starts[lo] : ends[hi - 1]]


def _one_clause(gap: str) -> bool:
    """Tell whether the text between two words leaves them in one clause (no clause break)."""
    return gap == " " or not _CLAUSE_BREAK.search(gap)


# Contractions whose apostrophe-free spelling is another word ("we're" is not "were").
_CONTRACTIONS = {"we're": "we", "we'll": "we", "we've": "weve", "we'd": "wed", "let's": "lets"}


def norm_word(word: str) -> str:
    """Lower-case a word and drop apostrophes so that "don't" and "dont" agree."""
    lowered = word.lower().replace("’", "'")
    return _CONTRACTIONS.get(lowered, lowered).replace("'", "")


def tokenize(text: str, word: Callable[[str], str] = norm_word) -> Tokens:
    """Split text into words (capped), each normalised by `word` (which may also mend typos)."""
    capped = text[:MAX_CHARS]
    raw, starts, ends = _ascii_spans(capped) or _regex_spans(capped)
    words = tuple(map(word, raw))
    # Tokens(...) without its Python-level __new__ (tuple.__new__ builds the same named tuple).
    return _new(Tokens, (text, words, starts, ends, tuple(pairwise((*words, _END)))))


_Spans = tuple[tuple[str, ...], tuple[int, ...], tuple[int, ...]]


def _regex_spans(text: str) -> _Spans:
    """Return the raw words of a text with their start and end offsets."""
    pieces = _TOKEN_SPLIT.split(text)
    # Pieces alternate gap, word, gap, ..., word, gap; a piece starts where the ones before end.
    offsets = tuple(accumulate(map(len, pieces), initial=0))
    return tuple(pieces[1::2]), offsets[1:-1:2], offsets[2::2]


def _ascii_spans(text: str) -> _Spans | None:
    """Cut plain ASCII text the way the regex does, with C-level string calls (else None)."""
    if not text.isascii():
        return None
    marked = text.encode().translate(_ASCII_MARKS)
    words = marked.decode()
    if "'" in words and _loose_apostrophe(words):
        return None
    raw = words.split()
    # The length of the gap before each word (0 before a first word at the very start), then
    # of the word, summed up: the even places hold where words start, the odd ones where they end.
    gaps = list(map(len, marked.translate(_GAP_MARKS).split()))
    if marked[:1] != b" ":
        gaps.insert(0, 0)
    lengths = [0] * (2 * len(raw))
    lengths[::2] = gaps[: len(raw)]
    lengths[1::2] = map(len, raw)
    offsets = list(accumulate(lengths))
    return tuple(raw), tuple(offsets[::2]), tuple(offsets[1::2])


def _loose_apostrophe(marked: str) -> bool:
    """Tell whether an apostrophe starts or ends a run, or two touch (the regex splits there)."""
    return (
        marked[0] == "'" or marked[-1] == "'" or " '" in marked or "' " in marked or "''" in marked
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
class Entry:
    """One compiled phrase, the payload it carries and which lexicon it belongs to."""

    elements: tuple[Element, ...]
    payload: Any
    lexicon: int


# Where a phrase matched: its payload, then its start and end in token positions.
Hit: TypeAlias = tuple[T, int, int]


# A phrase that fits the first words at a position: payload, elements, its length in words when
# those words settle the match (else 0), the element to go on matching from, and its lexicon.
_Survivor = tuple[Any, tuple[Element, ...], int, int, int]
# Phrases are filtered on the first two words, or three when a third decides some of them.
_DEEPEST = 3
_LAST_AFTER_GAP = -1  # a survivor's size when only "... last" remains to be matched
# Returned for a window that is too short to settle; never iterated.
_DEEPER: tuple[_Survivor, ...] = ((None, (), 0, 0, 0),)
# The phrases a word starts: by each word they may go on with (the phrases any next word may fit
# included), and those any next word may fit.
_Heads = tuple[dict[str, tuple["Entry", ...]], tuple["Entry", ...]]
_NO_HEADS: _Heads = ({}, ())


class PhraseIndex:
    """Phrase lists (lexicons) indexed together by first word (exact, or a 3- or 4-letter prefix).

    One pass over a text finds the phrases of every lexicon; the hits come back per lexicon.
    """

    def __init__(self, *lexicons: Iterable[tuple[str, Any]]) -> None:
        """Compile phrases written as words, `pre*` prefixes, `_` (any word) and `...` (gap)."""
        self._exact: dict[str, list[Entry]] = {}
        self._prefix: dict[str, list[Entry]] = {}
        self._lexicons = len(lexicons)
        for lexicon, phrases in enumerate(lexicons):
            self._compile_lexicon(lexicon, phrases)
        self._heads = Memo(self._heads_of, _HEAD_CACHE)
        self._survivors = Memo(self.survivors, _WINDOW_CACHE)

    def _compile_lexicon(self, lexicon: int, phrases: Iterable[tuple[str, Any]]) -> None:
        """Compile one lexicon's phrases, in order."""
        pairs: dict[tuple[str, Any], list[str]] = {}
        for phrase, payload in phrases:
            head, *rest = phrase.split(" ", 1)
            for alternative in head.split("|"):
                words = [alternative, *rest]
                if len(phrase.split()) == 2 and "|" not in rest[0] and rest[0] not in (ANY, GAP):
                    # Two-word phrases with one head and payload share one entry (fewer tries).
                    pairs.setdefault((alternative, payload), []).append(rest[0])
                    continue
                self._add(Entry(_compile(" ".join(words)), payload, lexicon))
        for (head, payload), seconds in pairs.items():
            self._add(Entry(_compile(f"{head} {'|'.join(seconds)}"), payload, lexicon))

    def _add(self, entry: Entry) -> None:
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

    def starts(self, word: str) -> bool:
        """Tell whether some phrase starts with this word (else `survivors` of any window that
        starts with it is empty)."""
        return self._heads[word] is not _NO_HEADS

    def find(self, tokens: Tokens) -> list[list[Hit[Any]]]:
        """Return every phrase occurrence per lexicon, in text order (then in lexicon order)."""
        # The phrases that fit each word and the next, looked up in C (a word that starts no
        # phrase has none).
        return self.hits(tokens, list(map(self._survivors.__getitem__, tokens.pairs)))

    def hits(self, tokens: Tokens, fits: Sequence[tuple[_Survivor, ...]]) -> list[list[Hit[Any]]]:
        """`find`, given what `survivors` says of each of the text's word pairs (`tokens.pairs`):
        a caller that remembers more per pair looks them up together."""
        words = tokens.words
        hits: list[list[Hit[Any]]] = [[] for _ in range(self._lexicons)]
        survivors = self._survivors
        # Only the positions where some phrases fit reach the Python loop.
        for i, fitting in compress(enumerate(fits), fits):
            found = survivors[_window(words, i, _DEEPEST)] if fitting is _DEEPER else fitting
            for payload, elements, size, k, lexicon in found:
                if size > 0:
                    end = i + size
                elif size == _LAST_AFTER_GAP:
                    end = _after_gap(elements[-1], words, i + k)
                else:
                    end = _match(elements, k, words, i + k)
                if end >= 0:
                    hits[lexicon].append((payload, i, end))
        return hits

    def _heads_of(self, word: str) -> _Heads:
        """Return the phrases that start with this word, in the order they are tried: by the
        next word they may go on with, and those that any next word may fit."""
        tried = (
            *self._exact.get(word, ()),
            *self._prefix.get(word[:_PREFIX_KEY], ()),
            *self._prefix.get(word[:_SHORT_KEY], ()),
        )
        heads = [e for e in tried if _element_fits(e.elements[0], word)]
        if not heads:
            return _NO_HEADS
        # A phrase goes on with a word or a choice of words only when the next word is one of
        # them; any other phrase (one word long, or going on with a prefix, `_` or `...`) is
        # tried whatever comes next.
        nexts = [_next_words(e.elements) for e in heads]
        by_next: dict[str, list[Entry]] = {
            following: [] for after in nexts if after is not None for following in after
        }
        for entry, after in zip(heads, nexts, strict=True):
            for following in by_next if after is None else after:
                by_next[following].append(entry)
        anyway = tuple(e for e, after in zip(heads, nexts, strict=True) if after is None)
        return {following: tuple(entries) for following, entries in by_next.items()}, anyway

    def survivors(self, window: tuple[str, ...]) -> tuple[_Survivor, ...]:
        """Return the phrases that fit these first words (two or three), or _DEEPER to look one
        word further (not remembered: `find` remembers them per window)."""
        by_next, anyway = self._heads[window[0]]
        entries = by_next.get(window[1], anyway)
        if not entries:
            return ()
        kept: list[_Survivor] = []
        for entry in entries:
            elements = entry.elements
            k = _fitting(elements, window)
            if k < 0:
                continue
            if k == len(elements):
                kept.append((entry.payload, elements, k, k, entry.lexicon))
            elif (
                (k < len(window) or elements[k] == GAP)
                and elements[k + 1 :] != (GAP,)
                and len(elements) == k + 2
            ):
                # A gap, then one last element: a plain scan of the next few words settles it.
                kept.append((entry.payload, elements, _LAST_AFTER_GAP, k, entry.lexicon))
            elif k < len(window) or elements[k] == GAP or len(window) == _DEEPEST:
                kept.append((entry.payload, elements, 0, k, entry.lexicon))
            else:
                return _DEEPER
        return tuple(kept)


def _next_words(elements: tuple[Element, ...]) -> frozenset[str] | None:
    """The words a phrase can go on with after its first, or None when it may go on with any
    (or is one word long)."""
    if len(elements) < 2:
        return None
    second = elements[1]
    if isinstance(second, Choice):
        return None if second.prefixes else second.words
    return None if second in (ANY, GAP) or second.endswith("*") else frozenset((second,))


def _window(words: tuple[str, ...], i: int, depth: int) -> tuple[str, ...]:
    """Return `depth` words from position i, padded past the end of the text."""
    window = words[i : i + depth]
    if len(window) < depth:
        window += (_END,) * (depth - len(window))
    return window


def _after_gap(last: Element, words: tuple[str, ...], i: int) -> int:
    """Match `... last` at words[i:]: the end after the first fitting word in reach, or -1."""
    reach = words[i : i + _MAX_GAP + 1]
    if isinstance(last, str) and last != ANY and not last.endswith("*"):
        return i + reach.index(last) + 1 if last in reach else -1
    for j, word in enumerate(reach, i):
        if _element_fits(last, word):
            return j + 1
    return -1


def _fitting(elements: tuple[Element, ...], window: tuple[str, ...]) -> int:
    """Count the leading elements the window's words settle (stopping at a gap), or -1."""
    k = 1  # the first element fitted when the phrase was picked for its head word
    while k < len(elements) and k < len(window):
        element = elements[k]
        if element == GAP:
            return k
        if window[k] == _END or not _element_fits(element, window[k]):
            return -1
        k += 1
    return k


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
        # What a variant of a word (one letter deleted) mends to: a key word itself, else the
        # key word it is a deletion of (a key word wins where a variant is both).
        self._variants = {**self._deletes, **{key: key for key in self._keys}}
        self.mend = functools.lru_cache(maxsize=4096)(self._mend)

    def _mend(self, word: str) -> str:
        """Return the key word this word is a typo of, or the word itself."""
        if len(word) < _MIN_MEND or word in self._known or word in self._keys:
            return word
        found = self._deletes.get(word)
        if found is not None:
            return found
        # The first variant, in deletion order, that is a key word or a deletion of one.
        return next(filter(None, map(self._variants.get, _deletions(word))), word)


def _deletions(word: str) -> list[str]:
    """Return the word with each single letter removed."""
    return [word[:i] + word[i + 1 :] for i in range(len(word))]
