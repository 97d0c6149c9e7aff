"""The classifier: escalate first, then weigh dimension-tagged signals for each practice.

Two learned nets back the hand-written lexicons up (both trained offline on situations written
by independent writers, both pure weight tables, scored together in one pass by `nets`): `risk`
escalates what the escalate rules miss (it never overrules them); `practice_net` adds its
log-odds to the lexicon's scores, decides between practices and "unclear" with them, and orders
two practices by where each one's words come. Reasons quote the lexicon's evidence, or the words
the net weighed most when the lexicon found none for the answer.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping, Sequence
from itertools import chain, pairwise, repeat
from operator import attrgetter
from typing import Any, NamedTuple

from bot.guidance import escalate, nets, practice_net, risk, wording
from bot.guidance.concerns import ConcernDetector
from bot.guidance.escalate import (
    CONCEPT_PHRASES,
    ESCALATE_KEY_WORDS,
    ESCALATE_PHRASES,
    EscalateFinding,
)
from bot.guidance.lexicon import (
    ENGLISH_FUNCTION_WORDS,
    GREETINGS,
    ORG,
    PERSONAL,
    PLURAL,
    PRACTICE_KEY_WORDS,
    PRACTICE_PHRASES,
    SELF,
    SINGULAR,
)
from bot.guidance.matcher import Hit, Memo, PhraseIndex, Tokens, TypoMender, norm_word, tokenize
from bot.guidance.model import (
    Dimension,
    EscalateTopic,
    Evidence,
    Guidance,
    Practice,
    SplitPart,
    UnclearKind,
)
from bot.guidance.practice_net import INDEX, LABELS, PracticeNet
from bot.guidance.risk import RiskNet
from bot.text import strip_slack_markup

MIN_WORDS = 3
NO_ORG_FACTOR = 0.6
DIMENSION_CAP = 6.0
MAX_REASONS = 4
MAX_QUOTE = 80
# How much one point of lexicon score adds to the practice net's log-odds (chosen by
# cross-validation held out by writer: bench/cv_guidance.py).
LEXICON_WEIGHT = 0.4
# A second practice is named when its log-odds (net plus lexicon) reach this.
ALSO_LOGIT = -0.2
LEARNED_QUOTES = 2
# How much each unit of the practice net's "unclear" log-odds (above 0) raises the bar for an
# escalation that only the escalate net sees (bench/cv_guidance.py --unclear-gate).
UNCLEAR_GATE = 2.0
_UNCLEAR = INDEX[Practice.UNCLEAR]
_GUIDANCE = (Practice.COACHING, Practice.MENTORING, Practice.CONSULTING)
_GUIDANCE_PLACES = tuple(INDEX[p] for p in _GUIDANCE)
# Distinct raw words whose normalised, mended form is remembered.
WORD_CACHE = 16384
# Distinct word pairs whose facts (_PairFacts) are remembered.
PAIR_CACHE = 32768


# A signal as the phrase index carries it (practice, dimension, weight, gloss), and one found in
# the text with its word span. Evidence objects (with quotes) are built only for what is shown.
_Signal = tuple[Practice, Dimension, float, str]
_Found = Hit[_Signal]


# What the stages need to know of a word and the next: the phrases that fit from the word
# (PhraseIndex.survivors), the concern walk's first steps (ConcernDetector.steps), the nets'
# numbers of the word's stem and of the stem pair, and the word's pronoun sign (_PRONOUN_SIGN).
_PairFacts = tuple[tuple[Any, ...], tuple[Any, ...], int, int, int]


# What a word pair needs of its first word: its stem, the nets' number of the stem, whether a
# phrase and a concern term start with it, its pronoun sign, and the nets' numbers of the stem
# pairs it starts (Nets.pairs_after).
_WordFacts = tuple[str, int, bool, bool, int, Mapping[str, int]]


class _Scored(NamedTuple):
    """The signals found for one practice and its capped score."""

    practice: Practice
    score: float
    found: tuple[_Found, ...]


_PRONOUN_SIGN = {**dict.fromkeys(SINGULAR, 1), **dict.fromkeys(PLURAL, -1)}

# Members read once: on Python 3.11 `Practice.X` goes through EnumType.__getattr__, which costs
# more than a global on the hot path.
_COACHING, _MENTORING, _CONSULTING = Practice.COACHING, Practice.MENTORING, Practice.CONSULTING
_WHOSE_CHANGE = Dimension.WHOSE_CHANGE

# A practice with no signals, scored exactly as summing nothing scores it.
_UNSCORED: dict[Practice, _Scored] = {
    _COACHING: _Scored(_COACHING, 0, ()),
    _MENTORING: _Scored(_MENTORING, 0, ()),
    _CONSULTING: _Scored(_CONSULTING, 0 * NO_ORG_FACTOR, ()),
}

# tuple.__new__(T, fields) builds the same named tuple as T(*fields) without T's Python-level
# __new__, at about half the cost: an answer builds several.
_new = tuple.__new__
# The answer's named tuple, built by calling its __new__ (keyword arguments and defaults as
# Guidance(...) takes them): calling the class itself packs the keyword arguments into a dict
# for __new__ and then runs __init__, about 6k instructions per answer (callgrind).
_guidance = functools.partial(Guidance.__new__, Guidance)


class Classifier:
    """Holds the compiled lexicons and the learned nets; `classify` is pure and deterministic."""

    def __init__(
        self, risk_net: RiskNet | None = None, practice: PracticeNet | None = None
    ) -> None:
        """Compile every phrase list and the typo mender once (nets default to the trained ones)."""
        self._concerns = ConcernDetector()
        if risk_net is None and practice is None:
            self._nets = nets.default()
        else:
            self._nets = nets.Nets(risk_net or risk.DEFAULT, practice or practice_net.DEFAULT)
        self._risk = self._nets.danger
        self._practice = self._nets.practice
        signals = [(p, (s.practice, s.dimension, s.weight, s.gloss)) for p, s in PRACTICE_PHRASES]
        # One index for all three lexicons: a text is searched once.
        self._index = PhraseIndex(ESCALATE_PHRASES, CONCEPT_PHRASES, signals)
        known = self._index.vocabulary()
        mender = TypoMender((*ESCALATE_KEY_WORDS, *PRACTICE_KEY_WORDS), known)
        words: Memo[str, str] = Memo(lambda w: mender.mend(norm_word(w)), WORD_CACHE)
        self._word = words.__getitem__
        # What each stage needs to know of a word and the next, remembered together: one lookup
        # per word pair of a text seen before, one call to work out a new pair.
        pairs: Memo[tuple[str, str], _PairFacts] = Memo(self._facts, PAIR_CACHE)
        self._pair_facts = pairs.__getitem__
        # What a new word pair needs of each of its words, remembered per word: a text not seen
        # before has many new pairs of words seen before.
        self._about: Memo[str, _WordFacts] = Memo(self._word_facts, WORD_CACHE)

    def _word_facts(self, word: str) -> _WordFacts:
        """What working out a word pair needs to know of its first word (see _WordFacts)."""
        stem = risk.stem(word)
        return (
            stem,
            self._nets.single_number(stem, 0),
            self._index.starts(word),
            self._concerns.starts(word),
            _PRONOUN_SIGN.get(word, 0),
            self._nets.pairs_after(stem),
        )

    def _facts(self, pair: tuple[str, str]) -> _PairFacts:
        """What the phrase index, the concern walk and the nets need to know of a word and the
        next one ("" after the last word)."""
        about = self._about
        _, single, phrases, concerns, sign, after = about[pair[0]]
        return (
            self._index.survivors(pair) if phrases else (),
            self._concerns.steps(pair) if concerns else (),
            single,
            after.get(about[pair[1]][0], 0) if after else 0,
            sign,
        )

    def _stages(self, tokens: Tokens) -> tuple[Any, ...]:
        """The facts of each of the text's word pairs, a sequence per stage (see _PairFacts)."""
        return tuple(zip(*map(self._pair_facts, tokens.pairs), strict=True))

    def classify(self, text: str) -> Guidance:
        """Name the practice that fits a described situation, with reasons."""
        clean = strip_slack_markup(text)
        tokens = tokenize(clean, self._word)
        if not tokens.words:
            return _unclear(UnclearKind.EMPTY if not clean.strip() else UnclearKind.NO_SITUATION)
        fits, steps, singles, pair_ids, signs = self._stages(tokens)
        escalate_hits, concept_hits, practice_hits = self._index.hits(tokens, fits)
        finding = escalate.detect(escalate_hits, concept_hits) or self._concerns.detect_steps(
            tokens, steps
        )
        if finding is not None:
            # A rule's escalation never depends on the nets: they are not scored.
            return _escalate(finding, tokens)
        # The nets read the words as tokenised (and typo-mended) here, stemmed: each word's and
        # word pair's features' numbers. The last pair (last word, "") is no feature: its number
        # is 0. Both are kept: a two-practice answer orders its practices by them.
        words = tokens.words
        features = (singles, pair_ids)
        danger, logits = self._nets.score_ids(chain(*features), len(words))
        # Text the practice net reads as no situation at all (chit-chat, a question about the
        # bot) lies outside what the escalate net learned from: it needs stronger evidence.
        margin = UNCLEAR_GATE * max(0.0, logits[_UNCLEAR])
        if self._risk.flags(danger - margin):
            return _escalate_unnamed(risk.probability(danger - margin - self._risk.threshold))
        if _is_other_language(tokens):
            return _unclear(UnclearKind.OTHER_LANGUAGE)
        if all(map(GREETINGS.__contains__, tokens.words)):
            return _unclear(UnclearKind.GREETING)
        if len(tokens.words) < MIN_WORDS:
            return _unclear(UnclearKind.TOO_SHORT)
        return self._decide(_score(practice_hits, signs), logits, tokens, features)

    def rule_topic(self, text: str) -> EscalateTopic | None:
        """What the hand-written escalate rules alone say, before any net (for training)."""
        tokens = tokenize(strip_slack_markup(text), self._word)
        if not tokens.words:
            return None
        fits, steps, *_ = self._stages(tokens)
        escalate_hits, concept_hits, _ = self._index.hits(tokens, fits)
        finding = escalate.detect(escalate_hits, concept_hits) or self._concerns.detect_steps(
            tokens, steps
        )
        return None if finding is None else finding.topic

    def _decide(
        self,
        scored: list[_Scored],
        logits: list[float],
        tokens: Tokens,
        features: tuple[Sequence[int], Sequence[int]],
    ) -> Guidance:
        """Add the lexicon's scores to the net's log-odds; name one or two practices, or ask.

        `features`: the nets' numbers of each word's stem and of each word pair, in text order.
        """
        by_practice = {s.practice: s for s in scored}
        for s in scored:
            logits[INDEX[s.practice]] += LEXICON_WEIGHT * s.score
        # The guidance practices' places in the logits, best first (a stable sort: ties keep the
        # model's order, which is theirs).
        best, runner_up, _ = sorted(_GUIDANCE_PLACES, key=logits.__getitem__, reverse=True)
        if logits[_UNCLEAR] > logits[best]:
            return _unclear(UnclearKind.NO_SITUATION)
        first, second = LABELS[best], LABELS[runner_up]
        two = logits[runner_up] >= ALSO_LOGIT
        confidence = _confidence(logits, best)
        if two and self._nets.lead(*features, best, runner_up) < 0:
            # Both fit: name them in the order the person brought them up.
            first, second = second, first
        evidence, reasons = _quoted(by_practice[first], tokens, MAX_REASONS - (1 if two else 0))
        if not reasons:
            reasons = (self._learned_reason(first, tokens),)
        if not two:
            return _guidance(
                practice=first,
                confidence=confidence,
                confidence_label=_label(confidence),
                reasons=reasons,
                evidence=evidence,
            )
        also, also_reasons = _quoted(by_practice[second], tokens, 1)
        if not also_reasons:
            also_reasons = (self._learned_reason(second, tokens),)
        first_part = self._split_part(first, evidence, tokens)
        second_part = self._split_part(second, also, tokens)
        return _guidance(
            practice=first,
            also=second,
            confidence=confidence,
            confidence_label="mixed",
            reasons=(*reasons, *also_reasons),
            split=(first_part, second_part) if first_part and second_part else (),
            evidence=evidence + also,
        )

    def _learned_quotes(self, practice: Practice, tokens: Tokens) -> list[str]:
        """The user's words behind the net's strongest features for a practice."""
        stems = list(map(risk.stem, tokens.words))  # risk.stem remembers its answers
        pairs = list(pairwise(stems))
        quotes: list[str] = []
        for name in self._practice.telling(stems, practice, 3 * LEARNED_QUOTES):
            # Where the stem (or stem pair) first occurs: the net names only stems of the text.
            first, _, second = name.partition(" ")
            size = 2 if second else 1
            at = pairs.index((first, second)) if second else stems.index(first)
            # A lone stem keeps two neighbours each side (within its clause), a pair one.
            quote = _short(tokens.context_quote(at, at + size, 3 - size))
            if any(quote in q or q in quote for q in quotes):
                continue
            quotes.append(quote)
            if len(quotes) == LEARNED_QUOTES:
                break
        return quotes

    def _learned_reason(self, practice: Practice, tokens: Tokens) -> str:
        """Why the net chose a practice the lexicon found no evidence for."""
        return wording.learned_reason(practice, tuple(self._learned_quotes(practice, tokens)))

    def _split_part(
        self, practice: Practice, evidence: tuple[Evidence, ...], tokens: Tokens
    ) -> SplitPart | None:
        """Which words fit this practice: the lexicon's strongest, else the net's (or None)."""
        if evidence:
            return _split_part(practice, evidence)
        quotes = self._learned_quotes(practice, tokens)
        if not quotes:
            return None
        sentence = wording.split(practice, quotes[0], wording.learned_gloss(practice))
        return SplitPart(practice, quotes[0], sentence)


def _score(hits: list[_Found], signs: Sequence[int]) -> list[_Scored]:
    """Score each guidance practice, best first (ties keep the model's order).

    `signs`: each word's pronoun sign, in text order (see _pronoun_found).
    """
    found: dict[Practice, list[_Found]] = {_COACHING: [], _MENTORING: [], _CONSULTING: []}
    # (A single hit lies inside no other: no call to find that out.)
    for hit in _longest_only(hits) if len(hits) > 1 else hits:
        found[hit[0][0]].append(hit)
    for hit in _pronoun_found(signs):
        found[hit[0][0]].append(hit)
    # A stable sort, so ties keep the model's order.
    return sorted(
        [_total(p, mine) if mine else _UNSCORED[p] for p, mine in found.items()],
        key=_SCORE,
        reverse=True,
    )


_SCORE = attrgetter("score")


def _longest_only(hits: list[_Found]) -> list[_Found]:
    """Drop a hit that lies inside a longer one (longest phrase wins, the first of equals)."""
    # Hits come in start order; of those sharing a start only the longest can be kept.
    kept: list[_Found] = []
    reach = -1
    best: _Found | None = None
    for hit in hits:
        if best is not None and hit[1] == best[1]:
            if hit[2] > best[2]:
                best = hit
            continue
        if best is not None and best[2] > reach:
            kept.append(best)
            reach = best[2]
        best = hit
    if best is not None and best[2] > reach:
        kept.append(best)
    return kept


def _quoted(
    scored: _Scored, tokens: Tokens, limit: int
) -> tuple[tuple[Evidence, ...], tuple[str, ...]]:
    """Build the evidence of a practice that is shown, quoting the user's words, and at most
    `limit` reasons for it (see _reasons): the evidence is grouped by dimension as it is built."""
    text, starts, ends = tokens.text, tokens.starts, tokens.ends
    words = len(tokens.words)
    evidence = []
    groups: dict[Dimension, list[Evidence]] = {}
    totals: dict[Dimension, float] = {}
    for (practice, dimension, weight, gloss), start, end in scored.found:
        stop = end if end < words else words
        if stop - start == 1:
            # A lone word keeps a neighbour each side (within its clause).
            quote = tokens.context_quote(start, stop, 1)
        else:
            quote = text[starts[start] : ends[stop - 1]]
        if len(quote) > MAX_QUOTE:
            quote = _short(quote)
        e = _new(Evidence, (practice, dimension, quote, weight, gloss, start, end))
        evidence.append(e)
        items = groups.get(dimension)
        if items is None:
            groups[dimension] = [e]
            totals[dimension] = weight
        else:
            items.append(e)
            totals[dimension] += weight
    return tuple(evidence), _reasons(groups, totals, limit)


def _pronoun_found(signs: Sequence[int]) -> list[_Found]:
    """Weigh "I/my" against "we/our" for the whose-change dimension.

    `signs`: each word's sign (+1 singular, -1 plural, 0 neither), remembered per word pair:
    their sum says how many more singular than plural pronouns there are (only the difference
    is weighed), and the first pronoun of the side that leads is found in the same sequence
    (SINGULAR and PLURAL are disjoint).
    """
    lead = sum(signs)
    if lead < 0:
        weight = min(4.0, 1.5 * -lead + 0.5)
        start, end = _around(signs.index(-1))
        return [((_CONSULTING, _WHOSE_CHANGE, weight, ORG.gloss), start, end)]
    if lead > 0:
        weight = min(1.5, 0.3 * lead)
        start, end = _around(signs.index(1))
        return [
            ((_COACHING, _WHOSE_CHANGE, weight, SELF.gloss), start, end),
            ((_MENTORING, _WHOSE_CHANGE, weight, PERSONAL), start, end),
        ]
    return []


def _around(index: int) -> tuple[int, int]:
    """A pronoun is quoted with the two words after it ("I keep", "our team's process")."""
    return index, index + 3


def _total(practice: Practice, mine: list[_Found]) -> _Scored:
    """Sum a practice's signals, capping each dimension so that breadth beats repetition."""
    if not mine:
        return _UNSCORED[practice]
    per_dimension: dict[Dimension, float] = {}
    for (_, dimension, weight, _), _, _ in mine:
        per_dimension[dimension] = per_dimension.get(dimension, 0.0) + weight
    score = sum(map(min, repeat(DIMENSION_CAP), per_dimension.values()))
    if practice is _CONSULTING and _WHOSE_CHANGE not in per_dimension:
        # Consulting changes an organisation; with no team or "we" in sight it fits less.
        score *= NO_ORG_FACTOR
    return _new(_Scored, (practice, score, tuple(mine)))


def _confidence(logits: list[float], best: int) -> float:
    """Blend how strongly the best practice fits with its share of all the labels' fit."""
    fits = risk.probabilities(logits)
    blend = 0.5 * fits[best] + 0.5 * fits[best] / sum(fits)
    blend = blend if blend < 1.0 else 1.0
    return round(blend if blend > 0.0 else 0.0, 3)


def _label(confidence: float) -> str:
    """Name the confidence in words a person can read."""
    if confidence >= 0.7:
        return "clear fit"
    if confidence >= 0.5:
        return "leaning"
    return "mixed"


def _reasons(
    groups: dict[Dimension, list[Evidence]], totals: dict[Dimension, float], limit: int
) -> tuple[str, ...]:
    """One sentence per dimension, strongest first, quoting the user's words.

    `groups`: the evidence of each dimension, dimensions in the order they were found in;
    `totals`: each dimension's weights summed in that order.
    """
    # A stable sort: dimensions of equal weight keep the order they were found in.
    ranked = sorted(totals, key=totals.__getitem__, reverse=True)[:limit]
    # Each dimension's reason: what its strongest evidence shows, and up to two quotes, worded
    # as wording.py says a reason is (its opening remembered per dimension and gloss).
    reasons = []
    for dimension in ranked:
        items = groups[dimension]
        if len(items) == 1:
            e = items[0]
            reasons.append(_OPENINGS[dimension][e.gloss] + e.quote + wording.REASON_END)
        else:
            opening = _OPENINGS[dimension][_strongest(items).gloss]
            said = wording.QUOTES_BETWEEN.join(_quotes(items))
            reasons.append(opening + said + wording.REASON_END)
    return tuple(reasons)


# The opening of a reason (wording.reason_opening) by dimension, then gloss: the glosses are
# the lexicon's, a few dozen sentences.
_OPENINGS: dict[Dimension, Memo[str, str]] = {
    d: Memo(functools.partial(wording.reason_opening, d), 1024) for d in Dimension
}


def _strongest(items: list[Evidence] | tuple[Evidence, ...]) -> Evidence:
    """Return the heaviest evidence (the first of equals)."""
    if len(items) == 1:
        return items[0]
    return max(items, key=_WEIGHT)


def _quotes(items: list[Evidence]) -> tuple[str, ...]:
    """Pick up to two distinct quotes, strongest first (a quote inside another is not repeated)."""
    if len(items) == 2:
        first, second = items if items[1].weight <= items[0].weight else items[::-1]
        if second.quote in first.quote:
            return (first.quote,)
        return (first.quote, second.quote)
    quotes: list[str] = []
    # A stable sort: quotes of equal weight keep their order.
    for e in sorted(items, key=_WEIGHT, reverse=True):
        if not any(e.quote in q for q in quotes):
            quotes.append(e.quote)
        if len(quotes) == 2:
            break
    return tuple(quotes)


_WEIGHT = attrgetter("weight")


def _split_part(practice: Practice, evidence: tuple[Evidence, ...]) -> SplitPart:
    """Say which words of the situation point to this practice."""
    strongest = _strongest(evidence)
    sentence = wording.split(practice, strongest.quote, strongest.gloss)
    return SplitPart(practice, strongest.quote, sentence)


def _escalate_unnamed(score: float) -> Guidance:
    """Answer a situation the learned safety net flags although no rule names it."""
    return _guidance(
        practice=Practice.ESCALATE,
        confidence=round(score, 3),
        confidence_label="leaning",
        reasons=(wording.ESCALATE_UNNAMED_REASON,),
    )


def _escalate(finding: EscalateFinding, tokens: Tokens) -> Guidance:
    """Answer a situation that is not a guidance matter."""
    quote = _short(tokens.quote(finding.start, finding.end))
    return _guidance(
        practice=Practice.ESCALATE,
        confidence=1.0,
        confidence_label="clear fit",
        reasons=(wording.escalate_reason(finding.topic, quote),),
        escalate_topic=finding.topic,
    )


def _unclear(kind: UnclearKind) -> Guidance:
    """Answer with one friendly question instead of a guess."""
    return _guidance(
        practice=Practice.UNCLEAR,
        confidence=0.0,
        confidence_label="mixed",
        reasons=(wording.unclear_reason(kind),),
        question=wording.question(kind),
        unclear_kind=kind,
    )


def _is_other_language(tokens: Tokens) -> bool:
    """Tell whether the text reads as another language (few English words, or non-Latin)."""
    words = tokens.words
    # Words cut from ASCII text are all Latin; only other text needs counting.
    if not tokens.text.isascii() and sum(map(str.isascii, words)) * 2 < len(words):
        return True
    return len(words) >= 6 and ENGLISH_FUNCTION_WORDS.isdisjoint(words)


def _short(quote: str) -> str:
    """Keep quotes short enough to read at a glance."""
    if len(quote) <= MAX_QUOTE:
        return quote
    return quote[: MAX_QUOTE - 1].rstrip() + "…"
