"""The learned practice net and the joint scoring of both nets."""

from __future__ import annotations

import itertools

import pytest

from bot.guidance import Classifier, Practice, classify, nets, practice_net, risk
from bot.guidance import _practice_weights as weights
from bot.guidance.practice_net import LABELS, PracticeNet
from bot.guidance.risk import RiskNet, features, grams

TEXTS = [
    "I keep interrupting people in meetings and want to stop by my review.",
    "Looking for someone senior in finance who moved into product to talk about career paths",
    "Our onboarding process takes three weeks and new starters feel lost; can someone review it?",
    "hello",
    "",
    "the the the the",
    "Touching touched touches <@U1> & <b>",
]


@pytest.mark.parametrize("text", TEXTS, ids=lambda t: t[:20] or "empty")
def test_logits_equal_summing_the_feature_set(text: str) -> None:
    found = set(features(text))
    expected = [
        b + sum(weights.WEIGHTS[f][k] for f in found if f in weights.WEIGHTS)
        for k, b in enumerate(weights.BIAS)
    ]
    assert practice_net.DEFAULT.logits(grams(text)) == pytest.approx(expected)


def _joint_score(text: str) -> nets.Scores:
    """The joint nets' scores of a text, from its numbered features as the classifier gives them."""
    joint = nets.default()
    words = tuple(risk.stems(text))
    numbered = [
        *(joint.single_number(w, 0) for w in words),
        *(joint.pair_number(pair, 0) for pair in itertools.pairwise(words)),
    ]
    return joint.score_ids(numbered, len(words))


@pytest.mark.parametrize("text", TEXTS, ids=lambda t: t[:20] or "empty")
def test_joint_scoring_equals_each_net_alone(text: str) -> None:
    g = grams(text)
    danger, logits = _joint_score(text)
    assert danger == risk.DEFAULT.log_odds(g)
    assert logits == practice_net.DEFAULT.logits(g)


def test_pairs_after_numbers_every_stem_pair_as_pair_number_does() -> None:
    joint = nets.default()
    pairs = list(joint._pair_ids)
    assert pairs
    for first, second in pairs:
        assert joint.pairs_after(first).get(second, 0) == joint.pair_number((first, second), 0)
    # Pairs the nets do not weigh (a known first stem, an unknown second; an unknown first).
    first, _ = pairs[0]
    assert joint.pairs_after(first).get("zzzunknown", 0) == 0
    assert joint.pairs_after("zzzunknown") == {}
    assert sum(map(len, map(joint.pairs_after, {a for a, _ in pairs}))) == len(pairs)


def test_lead_says_which_practice_comes_first() -> None:
    net = PracticeNet((0.0, 0.0, 0.0, 0.0), {"skill": (1.0, 0, 0, 0), "career": (0, 1.0, 0, 0)})
    first = ("skill", "x", "x", "x", "career")
    assert net.lead(first, Practice.COACHING, Practice.MENTORING) > 0
    assert net.lead(first[::-1], Practice.COACHING, Practice.MENTORING) < 0
    assert net.lead(("x",), Practice.COACHING, Practice.MENTORING) == 0


def test_telling_names_the_heaviest_features_for_a_practice() -> None:
    net = PracticeNet(
        (0.0, 0.0, 0.0, 0.0),
        {"a": (0.5, 0, 0, 0), "b": (2.0, 0, 0, 0), "a b": (1.0, 0, 0, 0), "c": (-1.0, 0, 0, 0)},
    )
    assert net.telling(("c", "a", "b"), Practice.COACHING, 2) == ["b", "a b"]


def test_a_net_needs_one_weight_per_label() -> None:
    with pytest.raises(ValueError, match="per label"):
        PracticeNet((0.0, 0.0), {})
    with pytest.raises(ValueError, match="per label"):
        PracticeNet((0.0,) * len(LABELS), {"a": (1.0,)})


def test_the_net_decides_when_the_lexicon_finds_nothing() -> None:
    """A practice chosen without lexicon evidence is explained by the words the net weighed."""
    net = PracticeNet((-5.0, -5.0, -5.0, -5.0), {"zorbl": (0.0, 9.0, 0.0, 0.0)})
    quiet = RiskNet(0.0, {}, 100.0)
    answer = Classifier(quiet, net).classify("a zorbl wanted for tuesday")
    assert answer.practice is Practice.MENTORING
    assert answer.evidence == ()
    assert len(answer.reasons) == 1
    assert "zorbl" in answer.reasons[0]
    assert "mentoring" in answer.reasons[0]


def test_the_escalate_net_can_be_injected() -> None:
    alarmed = RiskNet(50.0, {}, 0.0)
    calm = PracticeNet((-5.0, -5.0, -5.0, -9.0), {})
    answer = Classifier(alarmed, calm).classify("I would like to present better at work")
    assert answer.practice is Practice.ESCALATE
    assert answer.escalate_topic is None


def test_two_practices_are_ordered_by_where_they_are_said() -> None:
    coaching_first = classify(
        "I want to stop rambling in stand-ups by next month. Separately, our team's release "
        "process needs an expert to redesign it."
    )
    consulting_first = classify(
        "Our team's release process needs an expert to redesign it. Separately, I want to stop "
        "rambling in stand-ups by next month."
    )
    assert (coaching_first.practice, coaching_first.also) == (
        Practice.COACHING,
        Practice.CONSULTING,
    )
    assert (consulting_first.practice, consulting_first.also) == (
        Practice.CONSULTING,
        Practice.COACHING,
    )
