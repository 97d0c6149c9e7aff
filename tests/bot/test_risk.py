"""The learned safety net: stable features, sensible on situations written for this test."""

from __future__ import annotations

import pytest

from bot.guidance import Practice, classify
from bot.guidance import _risk_weights as weights
from bot.guidance.risk import features, is_risky, probabilities, probability, risk, stem


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


def test_probabilities_are_probability_of_each_score() -> None:
    scores = [-1e308, -31.0, -30.0, -2.5, -0.0, 0.0, 1e-9, 0.7, 29.9, 30.0, 45.0, float("inf")]
    scores += [k / 7 - 40.0 for k in range(560)]
    assert probabilities(scores) == [probability(z) for z in scores]
    assert probabilities([]) == []


def test_features_neutralise_slack_markup_and_cap_length() -> None:
    # The words are cut as the classifier cuts them: at most 6,000 characters are read.
    feats = features("Ping <@U0ABC123> about <https://x.example|the doc> " + "word " * 5000)
    assert "u0abc123" not in feats
    assert "someone" in feats
    assert len(feats) < 2 * 1250


def test_threshold_is_log_odds_and_scores_are_probabilities() -> None:
    assert -10.0 < weights.THRESHOLD < 10.0
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

    words = len([f for f in features(text) if " " not in f])
    total = weights.BIAS + weights.LENGTH_WEIGHT * math.log1p(words)
    total += sum(weights.WEIGHTS.get(f, 0.0) for f in set(features(text)))
    assert risk(text) == pytest.approx(1.0 / (1.0 + math.exp(-max(-30.0, min(30.0, total)))))
