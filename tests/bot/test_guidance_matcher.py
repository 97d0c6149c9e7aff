"""The phrase matcher: the fast tokenizer and phrase lookups agree with plain reference versions."""

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.guidance.escalate import CONCEPT_PHRASES, ESCALATE_KEY_WORDS, ESCALATE_PHRASES
from bot.guidance.lexicon import PRACTICE_KEY_WORDS, PRACTICE_PHRASES
from bot.guidance.matcher import (
    _PREFIX_KEY,
    _SHORT_KEY,
    MAX_CHARS,
    Memo,
    PhraseIndex,
    TypoMender,
    _deletions,
    _match,
    norm_word,
    tokenize,
)

_TOKEN = re.compile(r"[^\W_]+(?:['’][^\W_]+)*")


def _reference_tokens(text: str) -> tuple[tuple[str, ...], tuple[int, ...], tuple[int, ...]]:
    """Words and spans found one regex match at a time (the original tokenizer)."""
    found = list(_TOKEN.finditer(text, 0, MAX_CHARS))
    return (
        tuple(norm_word(m.group()) for m in found),
        tuple(m.start() for m in found),
        tuple(m.end() for m in found),
    )


@pytest.mark.parametrize(
    "text",
    [
        pytest.param("", id="empty"),
        pytest.param("   \t\n ", id="blank"),
        pytest.param("I'm fine, don't worry.", id="inner-apostrophes"),
        pytest.param("'quoted' words", id="edge-apostrophes"),
        pytest.param("rock''n''roll", id="double-apostrophe"),
        pytest.param("it’s curly", id="curly-apostrophe"),
        pytest.param("snake_case and kebab-case", id="underscore-hyphen"),
        pytest.param("Q3 2024: 90 days, 1:1s", id="digits"),
        pytest.param("we're here.\nNew line;  two  spaces", id="contraction-and-breaks"),
        pytest.param("café naïve résumé", id="accents"),
        pytest.param("'", id="lone-apostrophe"),
        pytest.param("word'", id="trailing-apostrophe"),
        pytest.param("a" * (MAX_CHARS + 50), id="over-the-cap"),
        pytest.param("x " * (MAX_CHARS // 2) + "tail", id="cap-between-words"),
    ],
)
def test_tokenize_matches_reference(text: str) -> None:
    """Both tokenizer paths (ASCII and regex) cut words exactly like the original."""
    tokens = tokenize(text)
    assert (tokens.words, tokens.starts, tokens.ends) == _reference_tokens(text)


@given(st.text(alphabet="ab1 '’_-.,;\n\téß"))
def test_tokenize_matches_reference_on_any_text(text: str) -> None:
    """Random mixes of letters, apostrophes and separators cut the same way."""
    tokens = tokenize(text)
    assert (tokens.words, tokens.starts, tokens.ends) == _reference_tokens(text)


_BREAK = re.compile(r"[.;!?\n]|,\s|\s-\s|\s—\s")


def _reference_context_quote(text: str, start: int, end: int, reach: int) -> str:
    """Widen a word span one word at a time while no clause boundary lies in between."""
    tokens = tokenize(text)

    def breaks_before(index: int) -> bool:
        return _BREAK.search(text[tokens.ends[index - 1] : tokens.starts[index]]) is not None

    lo, hi = start, end
    for _ in range(reach):
        if lo == 0 or breaks_before(lo):
            break
        lo -= 1
    for _ in range(reach):
        if hi >= len(tokens.words) or breaks_before(hi):
            break
        hi += 1
    return text[tokens.starts[lo] : tokens.ends[hi - 1]]


@given(
    st.text(alphabet="ab ,.;-—\n", min_size=1),
    st.integers(0, 20),
    st.integers(1, 3),
    st.integers(0, 3),
)
def test_context_quote_matches_reference(text: str, start: int, size: int, reach: int) -> None:
    """A quote widens within its clause exactly like the one-word-at-a-time version."""
    tokens = tokenize(text)
    if start + size > len(tokens.words):
        return
    expected = _reference_context_quote(text, start, start + size, reach)
    assert tokens.context_quote(start, start + size, reach) == expected


def _reference_find(index: PhraseIndex, words: tuple[str, ...]) -> list[object]:
    """Try every candidate phrase at every position (the original search, one lexicon)."""
    hits: list[object] = []
    for i, word in enumerate(words):
        for table, key in (
            (index._exact, word),
            (index._prefix, word[:_PREFIX_KEY]),
            (index._prefix, word[:_SHORT_KEY]),
        ):
            for entry in table.get(key, ()):
                end = _match(entry.elements, 0, words, i)
                if end >= 0:
                    hits.append((entry.payload, i, end))
    return hits


_LEXICONS = {
    "escalate": ESCALATE_PHRASES,
    "concepts": CONCEPT_PHRASES,
    "practice": PRACTICE_PHRASES,
}
_INDEXES = {name: PhraseIndex(phrases) for name, phrases in _LEXICONS.items()}
_TOGETHER = PhraseIndex(*_LEXICONS.values())
_VOCABULARY = sorted(
    {
        w
        for phrases in (ESCALATE_PHRASES, CONCEPT_PHRASES, PRACTICE_PHRASES)
        for p, _ in phrases
        for w in re.split(r"[ |]", p.replace("*", ""))
        if w not in ("", "_", "...")
    }
)


@pytest.mark.parametrize("name", sorted(_INDEXES))
@given(st.lists(st.sampled_from([*_VOCABULARY, "the", "zz"]), max_size=12))
def test_find_matches_reference(name: str, words: list[str]) -> None:
    """Cached first-words filtering finds the same hits, in the same order, as trying them all."""
    index = _INDEXES[name]
    tokens = tokenize(" ".join(words))
    assert index.find(tokens) == [_reference_find(index, tokens.words)]


@given(st.lists(st.sampled_from([*_VOCABULARY, "the", "zz"]), max_size=12))
def test_lexicons_indexed_together_find_what_each_finds_alone(words: list[str]) -> None:
    """One index over all lexicons returns, per lexicon, exactly the hits of its own index."""
    tokens = tokenize(" ".join(words))
    alone = [_INDEXES[name].find(tokens)[0] for name in _LEXICONS]
    assert _TOGETHER.find(tokens) == alone


def _spelled_out(phrase: str) -> str:
    """Write a phrase as text that it matches: a prefix gets a suffix, `_` and `...` get words."""
    words = []
    for element in phrase.split():
        option = element.split("|")[0]
        words.append({"_": "some", "...": "one more"}.get(option, option.replace("*", "ing")))
    return " ".join(words)


@pytest.mark.parametrize("name", sorted(_INDEXES))
def test_find_matches_reference_on_every_phrase(name: str) -> None:
    """Each lexicon phrase, written out alone and inside a sentence, is found as before."""
    index = _INDEXES[name]
    for phrase, _ in _LEXICONS[name]:
        for text in (_spelled_out(phrase), f"so i want to {_spelled_out(phrase)} in the end"):
            tokens = tokenize(text)
            (hits,) = index.find(tokens)
            assert hits == _reference_find(index, tokens.words), text
            assert hits, text
            alone = [_INDEXES[n].find(tokens)[0] for n in _LEXICONS]
            assert _TOGETHER.find(tokens) == alone, text


@given(st.sampled_from([*_VOCABULARY, "the", "zz"]), st.sampled_from([*_VOCABULARY, "", "zz"]))
def test_a_word_no_phrase_starts_with_has_no_survivors(first: str, second: str) -> None:
    """`starts` is False only where every window from the word has no phrase to try."""
    window = (first, second, "zz")
    if not _TOGETHER.starts(first):
        assert _TOGETHER.survivors(window[:2]) == ()
        assert _TOGETHER.survivors(window) == ()


def test_every_head_word_starts_a_phrase() -> None:
    """Each phrase's first word (and a word its prefix head fits) starts a phrase."""
    for phrases in _LEXICONS.values():
        for phrase, _ in phrases:
            head = phrase.split()[0].split("|")[0]
            assert _TOGETHER.starts(norm_word(head.replace("*", "ing"))), phrase
    assert not _TOGETHER.starts("zz")


def test_memo_stays_bounded() -> None:
    """A memo computes each missing key once and never holds more than its limit."""
    calls: list[int] = []
    memo: Memo[int, int] = Memo(lambda k: calls.append(k) or k * 2, 3)
    assert [memo[k] for k in (1, 2, 1, 3, 4, 5)] == [2, 4, 2, 6, 8, 10]
    assert calls == [1, 2, 3, 4, 5]
    assert len(memo) <= 3


_KEY_WORDS = sorted({*ESCALATE_KEY_WORDS, *PRACTICE_KEY_WORDS})
_MENDER = TypoMender(_KEY_WORDS, _TOGETHER.vocabulary())


def _reference_mend(word: str) -> str:
    """Mend one word as the mender was first written: the word's own deletions, then each of
    its variants in order, a key word before a key word's deletion."""
    keys = frozenset(k for k in _KEY_WORDS if len(k) >= 8)
    deletes: dict[str, str] = {}
    for key in sorted(keys):
        for variant in _deletions(key):
            deletes.setdefault(variant, key)
    if len(word) < 7 or word in _TOGETHER.vocabulary() or word in keys:
        return word
    if word in deletes:
        return deletes[word]
    for variant in _deletions(word):
        if variant in keys:
            return variant
        if variant in deletes:
            return deletes[variant]
    return word


@given(
    st.sampled_from(_KEY_WORDS),
    st.integers(min_value=0, max_value=20),
    st.sampled_from(["", "a", "e", "s", "x", "ing"]),
    st.booleans(),
)
def test_mend_matches_reference(key: str, at: int, letters: str, drop: bool) -> None:
    """Key words with a letter dropped, added or replaced mend as the reference mends them."""
    at = min(at, len(key))
    word = key[:at] + letters + key[at + (1 if drop else 0) :]
    assert _MENDER.mend(word) == _reference_mend(word)
