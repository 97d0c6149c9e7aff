"""The learned safety net: stable features, sensible on situations written for this test."""

from __future__ import annotations

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.guidance import Practice, classify
from bot.guidance import _risk_weights as weights
from bot.guidance.risk import MAX_CHARS, features, is_risky, risk, stem, words
from bot.text import strip_slack_markup


@pytest.mark.parametrize(
    ("word", "expected"),
    [
        ("touching", "touch"),
        ("touched", "touch"),
        ("touches", "touch"),
        ("it's", "its"),
        ("bus", "bus"),
        ("meetings", "meet"),
    ],
    ids=["ing", "ed", "es", "apostrophe", "short-word-kept", "ings"],
)
def test_stem(word: str, expected: str) -> None:
    assert stem(word) == expected


def test_features_neutralise_slack_markup_and_cap_length() -> None:
    feats = features("Ping <@U0ABC123> about <https://x.example|the doc> " + "word " * 5000)
    assert "u0abc123" not in feats
    assert "someone" in feats
    assert len(feats) < 2 * 900


def _regex_words(text: str) -> list[str]:
    """The model's words as its regex defines them."""
    plain = strip_slack_markup(text[:MAX_CHARS]).lower()
    return re.findall(r"[a-z0-9]+(?:'[a-z]+)?", plain)


@pytest.mark.parametrize(
    "text",
    [
        "",
        "I'm fine, don't worry.",
        "rock'n'roll, 'til the 80's, the students' x'9 a''b ab'c9d x'y'z'w '",
        "Café naïve Ünïcode and the Kelvin sign \u212a",
        "<@U1> &amp; <https://x.example|the doc> it's",
        "word " * 1000,
    ],
    ids=["empty", "contractions", "apostrophe-edges", "non-ascii", "markup", "over-the-cap"],
)
def test_words_are_the_regex_words(text: str) -> None:
    assert words(text) == _regex_words(text)


@given(st.text(alphabet="aZ9 '’_-.,;\n\téßK\u212a<>&@|"))
def test_words_are_the_regex_words_for_any_text(text: str) -> None:
    assert words(text) == _regex_words(text)


def test_threshold_and_scores_are_probabilities() -> None:
    assert 0.0 < weights.THRESHOLD < 1.0
    assert 0.0 <= risk("") <= 1.0
    assert risk("x" * 100_000) <= 1.0


# Written for this test (not in any training file): hinted, no category words.
HINTED = [
    "the night supervisor keeps asking me to stay late alone with him and says I owe him",
    "we were told to sign the delivery notes as complete even though half the pallets never came",
    "my line manager said people who complain to HR tend to find their contracts not renewed",
    "honestly I've been sorting out who gets my cat and writing letters to my sisters",
    "the guard on the cutter has been taped open for a month so we go faster",
]
ORDINARY = [
    "I'd like to get better at running our weekly planning meeting, it always overruns",
    "Looking for someone senior in finance who moved into product to talk about career paths",
    "Our onboarding process takes three weeks and new starters feel lost; can someone review it?",
]


@pytest.mark.parametrize("text", HINTED, ids=range(len(HINTED)))
def test_hinted_situations_are_escalated(text: str) -> None:
    assert classify(text).practice is Practice.ESCALATE


@pytest.mark.parametrize("text", ORDINARY, ids=range(len(ORDINARY)))
def test_ordinary_requests_are_not_flagged(text: str) -> None:
    assert not is_risky(text)
    assert classify(text).practice is not Practice.ESCALATE


@pytest.mark.parametrize(
    "text",
    [*HINTED, *ORDINARY, "", "one", "the the the the", "Touching touched touches <@U1> & <b>"],
    ids=lambda t: t[:20] or "empty",
)
def test_fast_scoring_equals_scoring_the_feature_set(text: str) -> None:
    import math

    total = weights.BIAS + sum(weights.WEIGHTS.get(f, 0.0) for f in set(features(text)))
    assert risk(text) == pytest.approx(1.0 / (1.0 + math.exp(-max(-30.0, min(30.0, total)))))
