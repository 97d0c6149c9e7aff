"""The classifier: escalate first, then weigh dimension-tagged signals for each practice."""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass, replace

from bot.guidance import risk, wording
from bot.guidance.concerns import ConcernDetector
from bot.guidance.escalate import ESCALATE_KEY_WORDS, EscalateDetector, EscalateFinding
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
    SITUATION_WORDS,
    Signal,
)
from bot.guidance.matcher import Hit, PhraseIndex, Tokens, TypoMender, tokenize
from bot.guidance.model import (
    GUIDANCE_PRACTICES,
    Dimension,
    Evidence,
    Guidance,
    Practice,
    SplitPart,
    UnclearKind,
)
from bot.text import strip_slack_markup

MIN_WORDS = 3
MIN_SCORE = 2.0
NO_ORG_FACTOR = 0.6
FALLBACK_WORDS = 5
DIMENSION_CAP = 6.0
ALSO_RATIO = 0.45
ALSO_MIN = 4.5
MAX_REASONS = 4
STRONG = 2.5
_ASKS = (Dimension.WHAT_CHANGES, Dimension.BUILT_ON)
MAX_QUOTE = 80


@dataclass(frozen=True, slots=True)
class _Scored:
    """Evidence and the capped score of one practice."""

    practice: Practice
    score: float
    evidence: tuple[Evidence, ...]


class Classifier:
    """Holds the compiled lexicons; `classify` is pure and deterministic."""

    def __init__(self) -> None:
        """Compile every phrase list and the typo mender once."""
        self._escalate = EscalateDetector()
        self._concerns = ConcernDetector()
        self._practice = PhraseIndex(PRACTICE_PHRASES)
        known = self._escalate.vocabulary() | self._practice.vocabulary()
        self._mender = TypoMender((*ESCALATE_KEY_WORDS, *PRACTICE_KEY_WORDS), known)

    def classify(self, text: str) -> Guidance:
        """Name the practice that fits a described situation, with reasons."""
        clean = strip_slack_markup(text)
        tokens = tokenize(clean, self._mender.mend)
        if not tokens.words:
            return _unclear(UnclearKind.EMPTY if not clean.strip() else UnclearKind.NO_SITUATION)
        finding = self._escalate.detect(tokens) or self._concerns.detect(tokens)
        if finding is not None:
            return _escalate(finding, tokens)
        if risk.is_risky(clean):
            return _escalate_unnamed(risk.risk(clean))
        if _is_other_language(tokens):
            return _unclear(UnclearKind.OTHER_LANGUAGE)
        if all(w in GREETINGS for w in tokens.words):
            return _unclear(UnclearKind.GREETING)
        if len(tokens.words) < MIN_WORDS:
            return _unclear(UnclearKind.TOO_SHORT)
        scored = self._score(tokens)
        if scored[0].score >= MIN_SCORE:
            return _answer(scored, tokens)
        fallback = _fallback(tokens, scored)
        return fallback if fallback is not None else _unclear(UnclearKind.NO_SITUATION)

    def _score(self, tokens: Tokens) -> list[_Scored]:
        """Score each guidance practice, best first (ties keep the model's order)."""
        hits = _longest_only(self._practice.find(tokens))
        evidence = [_evidence(hit) for hit in hits]
        evidence.extend(_pronoun_evidence(tokens))
        scored = [_total(p, evidence) for p in GUIDANCE_PRACTICES]
        return sorted(scored, key=lambda s: -s.score)


def _longest_only(hits: list[Hit[Signal]]) -> list[Hit[Signal]]:
    """Drop a hit that lies inside a longer one (longest phrase wins)."""
    ordered = sorted(hits, key=lambda h: (h.start, -(h.end - h.start)))
    kept: list[Hit[Signal]] = []
    reach = -1
    for hit in ordered:
        if hit.end <= reach:
            continue
        reach = max(reach, hit.end)
        kept.append(hit)
    return kept


def _evidence(hit: Hit[Signal]) -> Evidence:
    """Turn a phrase hit into evidence; the quote is filled in only if it is shown."""
    signal = hit.payload
    return Evidence(
        signal.practice, signal.dimension, "", signal.weight, signal.gloss, hit.start, hit.end
    )


def _quoted(scored: _Scored, tokens: Tokens) -> _Scored:
    """Fill in the user's words for each piece of evidence of a practice that is shown."""
    evidence = tuple(_with_quote(e, tokens) for e in scored.evidence)
    return _Scored(scored.practice, scored.score, evidence)


def _with_quote(e: Evidence, tokens: Tokens) -> Evidence:
    """Quote the words behind one piece of evidence (a lone word keeps a neighbour each side)."""
    if e.quote:
        return e
    end = min(e.end, len(tokens.words))
    reach = 1 if end - e.position == 1 else 0
    quote = _short(tokens.context_quote(e.position, end, reach))
    return replace(e, quote=quote)


def _pronoun_evidence(tokens: Tokens) -> Iterable[Evidence]:
    """Weigh "I/my" against "we/our" for the whose-change dimension."""
    singular = [i for i, w in enumerate(tokens.words) if w in SINGULAR]
    plural = [i for i, w in enumerate(tokens.words) if w in PLURAL]
    if len(plural) > len(singular):
        weight = min(4.0, 1.5 * (len(plural) - len(singular)) + 0.5)
        yield Evidence(
            Practice.CONSULTING, Dimension.WHOSE_CHANGE, "", weight, ORG.gloss, *_around(plural[0])
        )
        return
    if singular and len(singular) > len(plural):
        weight = min(1.5, 0.3 * (len(singular) - len(plural)))
        span = _around(singular[0])
        for practice, gloss in ((Practice.COACHING, SELF.gloss), (Practice.MENTORING, PERSONAL)):
            yield Evidence(practice, Dimension.WHOSE_CHANGE, "", weight, gloss, *span)


def _around(index: int) -> tuple[int, int]:
    """A pronoun is quoted with the two words after it ("I keep", "our team's process")."""
    return index, index + 3


def _total(practice: Practice, evidence: list[Evidence]) -> _Scored:
    """Sum a practice's evidence, capping each dimension so that breadth beats repetition."""
    mine = tuple(e for e in evidence if e.practice is practice)
    per_dimension: dict[Dimension, float] = {}
    for e in mine:
        per_dimension[e.dimension] = per_dimension.get(e.dimension, 0.0) + e.weight
    score = sum(min(DIMENSION_CAP, v) for v in per_dimension.values())
    if practice is Practice.CONSULTING and Dimension.WHOSE_CHANGE not in per_dimension:
        # Consulting changes an organisation; with no team or "we" in sight it fits less.
        score *= NO_ORG_FACTOR
    return _Scored(practice, score, mine)


def _fallback(tokens: Tokens, scored: list[_Scored]) -> Guidance | None:
    """Lean on "I" versus "we" when a real situation carries only faint signals."""
    if len(tokens.words) < FALLBACK_WORDS or not any(w in SITUATION_WORDS for w in tokens.words):
        return None
    weak = [s for s in scored if s.evidence]
    if not weak:
        return None
    best = _quoted(weak[0], tokens)
    return Guidance(
        practice=best.practice,
        confidence=0.3,
        confidence_label="mixed",
        reasons=_reasons(best, 2),
        evidence=best.evidence,
    )


def _answer(scored: list[_Scored], tokens: Tokens) -> Guidance:
    """Build the answer for one or two fitting practices."""
    first, second = _quoted(scored[0], tokens), _quoted(scored[1], tokens)
    two = second.score >= ALSO_MIN and second.score >= ALSO_RATIO * first.score
    if two and _first_said(second) < _first_said(first):
        # Both fit strongly: name them in the order the person brought them up.
        first, second = second, first
    confidence = _confidence(scored[0].score, scored[1].score, scored[2].score)
    label = "mixed" if two else _label(confidence)
    reasons = _reasons(first, MAX_REASONS - (1 if two else 0))
    split: tuple[SplitPart, ...] = ()
    if two:
        reasons = (*reasons, *_reasons(second, 1))
        split = (_split_part(first), _split_part(second))
    return Guidance(
        practice=first.practice,
        also=second.practice if two else None,
        confidence=confidence,
        confidence_label=label,
        reasons=reasons,
        split=split,
        evidence=first.evidence + (second.evidence if two else ()),
    )


def _first_said(scored: _Scored) -> int:
    """Where the person first asks for this practice (what changes, what it's built on)."""
    asks = [e.position for e in scored.evidence if e.weight >= STRONG and e.dimension in _ASKS]
    return min(asks, default=min(e.position for e in scored.evidence))


def _confidence(top: float, runner_up: float, third: float) -> float:
    """Blend the margin over the others with the strength of the winning evidence."""
    share = top / (top + runner_up + third)
    strength = 1.0 - math.exp(-top / 5.0)
    return round(max(0.0, min(1.0, 0.6 * share + 0.4 * strength)), 3)


def _label(confidence: float) -> str:
    """Name the confidence in words a person can read."""
    if confidence >= 0.7:
        return "clear fit"
    if confidence >= 0.5:
        return "leaning"
    return "mixed"


def _reasons(scored: _Scored, limit: int) -> tuple[str, ...]:
    """One sentence per dimension, strongest first, quoting the user's words."""
    by_dimension: dict[Dimension, list[Evidence]] = {}
    for e in scored.evidence:
        by_dimension.setdefault(e.dimension, []).append(e)
    ranked = sorted(by_dimension.items(), key=lambda kv: -sum(e.weight for e in kv[1]))
    return tuple(
        wording.reason(dimension, max(items, key=lambda e: e.weight).gloss, _quotes(items))
        for dimension, items in ranked[:limit]
    )


def _quotes(items: list[Evidence]) -> tuple[str, ...]:
    """Pick up to two distinct quotes, strongest first."""
    quotes: list[str] = []
    for e in sorted(items, key=lambda e: -e.weight):
        if e.quote not in quotes and not any(e.quote in q for q in quotes):
            quotes.append(e.quote)
        if len(quotes) == 2:
            break
    return tuple(quotes)


def _split_part(scored: _Scored) -> SplitPart:
    """Say which words of the situation point to this practice."""
    strongest = max(scored.evidence, key=lambda e: e.weight)
    sentence = wording.split(scored.practice, strongest.quote, strongest.gloss)
    return SplitPart(scored.practice, strongest.quote, sentence)


def _escalate_unnamed(score: float) -> Guidance:
    """Answer a situation the learned safety net flags although no rule names it."""
    return Guidance(
        practice=Practice.ESCALATE,
        confidence=round(score, 3),
        confidence_label="leaning",
        reasons=(wording.ESCALATE_UNNAMED_REASON,),
    )


def _escalate(finding: EscalateFinding, tokens: Tokens) -> Guidance:
    """Answer a situation that is not a guidance matter."""
    quote = _short(tokens.quote(finding.start, finding.end))
    return Guidance(
        practice=Practice.ESCALATE,
        confidence=1.0,
        confidence_label="clear fit",
        reasons=(wording.escalate_reason(finding.topic, quote),),
        escalate_topic=finding.topic,
    )


def _unclear(kind: UnclearKind) -> Guidance:
    """Answer with one friendly question instead of a guess."""
    return Guidance(
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
    latin = sum(1 for w in words if w.isascii())
    if latin * 2 < len(words):
        return True
    english = sum(1 for w in words if w in ENGLISH_FUNCTION_WORDS)
    return len(words) >= 6 and english == 0


def _short(quote: str) -> str:
    """Keep quotes short enough to read at a glance."""
    if len(quote) <= MAX_QUOTE:
        return quote
    return quote[: MAX_QUOTE - 1].rstrip() + "…"
