"""The situation classifier: labels, reasons, bad input, the JSON contract and a quality gate."""

import json
from pathlib import Path

import pytest

from bot.guidance import (
    Classifier,
    Dimension,
    EscalateTopic,
    Practice,
    UnclearKind,
    classify,
    compare,
    help_text,
)
from bot.text import strip_slack_markup

DATA = Path(__file__).resolve().parents[2] / "bench" / "data"
LABELLED_SETS = ("situations.jsonl", "situations_holdout.jsonl", "situations_holdout2.jsonl")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param(
            "I ramble in stand-ups and want to be more concise by the end of the month.",
            Practice.COACHING,
            id="coaching-habit-and-deadline",
        ),
        pytest.param(
            "Need someone to hold me accountable while I learn to delegate this quarter.",
            Practice.COACHING,
            id="coaching-accountability",
        ),
        pytest.param(
            "I get nervous presenting to clients and want to practise before the pitch next week.",
            Practice.COACHING,
            id="coaching-practise",
        ),
        pytest.param(
            "I'd like to hear from someone who has moved from nursing into hospital management.",
            Practice.MENTORING,
            id="mentoring-someone-who-has-done-it",
        ),
        pytest.param(
            "Just started here as a graduate and I don't know how anything works yet.",
            Practice.MENTORING,
            id="mentoring-new-joiner",
        ),
        pytest.param(
            "Where do I want my career to be in ten years? No rush, just want a sounding board.",
            Practice.MENTORING,
            id="mentoring-long-term-no-deadline",
        ),
        pytest.param(
            "Our department's purchasing process is slow and we want it redesigned.",
            Practice.CONSULTING,
            id="consulting-process-redesign",
        ),
        pytest.param(
            "Should we merge the two support teams? We need an analysis and a recommendation.",
            Practice.CONSULTING,
            id="consulting-decision-to-analyse",
        ),
        pytest.param(
            "hello",
            Practice.UNCLEAR,
            id="unclear-greeting",
        ),
        pytest.param(
            "career",
            Practice.UNCLEAR,
            id="unclear-single-word",
        ),
        pytest.param(
            "The coffee machine on floor two is nice.",
            Practice.UNCLEAR,
            id="unclear-no-situation",
        ),
    ],
)
def test_classify_names_the_practice(text: str, expected: Practice) -> None:
    assert classify(text).practice is expected


@pytest.mark.parametrize(
    ("text", "topic"),
    [
        pytest.param(
            "my boss keeps touching my shoulder and it makes me uncomfortable",
            EscalateTopic.HARASSMENT,
            id="harassment-touching",
        ),
        pytest.param(
            "He puts his hand on my lower back every time he passes.",
            EscalateTopic.HARASSMENT,
            id="harassment-paraphrase",
        ),
        pytest.param(
            "I keep getting HARRASSED by a coworker",
            EscalateTopic.HARASSMENT,
            id="harassment-typo-and-case",
        ),
        pytest.param(
            "I'm not saying it's discrimination, but I was passed over because I'm a woman.",
            EscalateTopic.DISCRIMINATION,
            id="discrimination-negation-ish",
        ),
        pytest.param(
            "A supplier threatened me in the car park.",
            EscalateTopic.THREAT,
            id="threat",
        ),
        pytest.param(
            "The emergency exits are blocked with boxes again.",
            EscalateTopic.SAFETY,
            id="safety",
        ),
        pytest.param(
            "I don't want to be here anymore",
            EscalateTopic.SELF_HARM,
            id="self-harm-paraphrase",
        ),
        pytest.param(
            "Lately I think it would be easier if I wasn't around.",
            EscalateTopic.SELF_HARM,
            id="self-harm-indirect",
        ),
        pytest.param(
            "they pay the women on my team less",
            EscalateTopic.PAY_EQUITY,
            id="pay-equity",
        ),
        pytest.param(
            "My manager asked me to change the numbers in the audit report.",
            EscalateTopic.FRAUD,
            id="fraud",
        ),
        pytest.param(
            "We're told to ignore data protection and email patient records to personal accounts.",
            EscalateTopic.LEGAL,
            id="legal",
        ),
        pytest.param("he said he would hurt me", EscalateTopic.THREAT, id="threat-would-hurt"),
        pytest.param(
            "my colleague said he'll hurt me if I report him",
            EscalateTopic.THREAT,
            id="threat-before-legal",  # the most urgent topic decides who is named first
        ),
        pytest.param(
            "My manager is fudging the sales figures and lately I think about ending it all.",
            EscalateTopic.SELF_HARM,
            id="self-harm-before-fraud",
        ),
    ],
)
def test_escalate_topics(text: str, topic: EscalateTopic) -> None:
    answer = classify(text)
    assert answer.practice is Practice.ESCALATE
    assert answer.escalate_topic is topic
    assert answer.also is None


@pytest.mark.parametrize(
    "text",
    [
        pytest.param(
            "I want coaching on giving feedback by my review, but my lead makes sexual comments "
            "whenever I present.",
            id="coaching-goal-with-harassment",
        ),
        pytest.param(
            "Help me get better at running meetings this quarter; the director screams at me "
            "in every one.",
            id="coaching-goal-with-bullying",
        ),
        pytest.param(
            "Our team needs a new process, and our manager is fudging the sales figures.",
            id="consulting-with-fraud",
        ),
        pytest.param(
            "I'd like a mentor for my career, and I've been having suicidal thoughts.",
            id="mentoring-with-self-harm",
        ),
    ],
)
def test_escalate_takes_precedence(text: str) -> None:
    assert classify(text).practice is Practice.ESCALATE


@pytest.mark.parametrize(
    "text",
    [
        pytest.param("Can we touch base about our team's onboarding process?", id="touch-base"),
        pytest.param(
            "Our security team wants a better threat modelling process.", id="threat-model"
        ),
        pytest.param(
            "I want to improve psychological safety in our team's retros.", id="psych-safety"
        ),
        pytest.param("I'm growing as an engineer and want someone to learn from.", id="growing"),
        pytest.param(
            "It would hurt me to leave this team, but I want to grow into a staff role one day.",
            id="hurt-feelings",
        ),
    ],
)
def test_ordinary_phrases_do_not_escalate(text: str) -> None:
    assert classify(text).practice is not Practice.ESCALATE


def test_two_practices_named_in_order_with_split() -> None:
    answer = classify(
        "I need to get better at running one-on-ones this quarter, and in the long run I'd like "
        "advice from someone who has grown into a director role."
    )
    assert (answer.practice, answer.also) == (Practice.COACHING, Practice.MENTORING)
    assert answer.confidence_label == "mixed"
    assert [part.practice for part in answer.split] == [Practice.COACHING, Practice.MENTORING]
    assert all(part.quote in part.sentence for part in answer.split)


def test_reasons_are_tied_to_dimensions_and_quote_the_user() -> None:
    text = "I keep interrupting people in meetings and want to stop by my review."
    answer = classify(text)
    assert answer.practice is Practice.COACHING
    assert answer.reasons
    dimension_titles = ("Whose change", "What changes", "What it's built on", "Time")
    assert all(r.startswith(dimension_titles) for r in answer.reasons)
    assert {e.dimension for e in answer.evidence} >= {Dimension.WHAT_CHANGES, Dimension.TIME}
    assert all(e.quote in text for e in answer.evidence)


def test_unclear_asks_one_question_with_an_example() -> None:
    answer = classify("hi there")
    assert answer.practice is Practice.UNCLEAR
    assert answer.unclear_kind is UnclearKind.GREETING
    assert answer.question is not None
    assert answer.question.count("?") >= 1
    assert "For example" in answer.question


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        pytest.param("", UnclearKind.EMPTY, id="empty"),
        pytest.param("   \n\t  ", UnclearKind.EMPTY, id="whitespace-only"),
        pytest.param("🙂🙂🙂", UnclearKind.NO_SITUATION, id="emoji-only"),
        pytest.param("<@U123> <!channel>", UnclearKind.TOO_SHORT, id="mentions-only"),
        pytest.param("仕事のことで相談したいです", UnclearKind.OTHER_LANGUAGE, id="japanese"),
        pytest.param(
            "Necesito ayuda con mi equipo de trabajo, por favor",
            UnclearKind.OTHER_LANGUAGE,
            id="spanish",
        ),
        pytest.param("ok", UnclearKind.GREETING, id="ok"),
        pytest.param("<<<>>> &&& ***", UnclearKind.NO_SITUATION, id="markup-characters"),
    ],
)
def test_bad_input_is_unclear_not_a_crash(text: str, kind: UnclearKind) -> None:
    answer = classify(text)
    assert answer.practice is Practice.UNCLEAR
    assert answer.unclear_kind is kind


def test_other_language_with_an_escalate_signal_still_escalates() -> None:
    assert classify("Sufro acoso de mi jefe todos los días").practice is Practice.ESCALATE


def test_very_long_text_is_answered_and_still_escalates() -> None:
    filler = "We want to redesign our team's process for handling requests. " * 70
    assert len(filler) > 4000
    assert classify(filler).practice is Practice.CONSULTING
    assert classify(filler + " Also my manager harasses me.").practice is Practice.ESCALATE


def test_slack_markup_never_reaches_quotes() -> None:
    text = (
        "<!channel> <@U0G9QF9C6> and I want to redesign <https://wiki.example/p|our team's "
        "release process>, we need an expert recommendation"
    )
    answer = classify(text)
    assert answer.practice is Practice.CONSULTING
    shown = " ".join((*answer.reasons, *(e.quote for e in answer.evidence)))
    assert "<" not in shown
    assert "U0G9QF9C6" not in shown
    assert "wiki.example" not in shown
    assert all(e.quote in strip_slack_markup(text) for e in answer.evidence)


def test_escalate_quote_is_the_raw_user_substring() -> None:
    text = "My manager keeps making comments about my body & it's <b>gross</b>"
    answer = classify(text)
    assert answer.practice is Practice.ESCALATE
    assert "comments about my body" in answer.reasons[0]


@pytest.mark.parametrize(
    "text",
    [
        pytest.param("I want to get better at giving feedback by June.", id="coaching"),
        pytest.param("hello", id="unclear"),
        pytest.param("they pay the women on my team less", id="escalate"),
        pytest.param(
            "Our team needs a new process and I want to practise presenting it next week.",
            id="two-practices",
        ),
    ],
)
def test_deterministic_across_calls_and_instances(text: str) -> None:
    first = classify(text)
    assert classify(text) == first
    assert Classifier().classify(text) == first


@pytest.mark.parametrize(
    "text",
    [
        pytest.param("I want to stop interrupting people by my review.", id="one-practice"),
        pytest.param(
            "I need to get better at running one-on-ones this quarter, and in the long run I'd "
            "like advice from someone who has grown into a director role.",
            id="two-practices",
        ),
        pytest.param("   ", id="unclear"),
        pytest.param("I was threatened by a customer", id="escalate"),
    ],
)
def test_json_dict_contract(text: str) -> None:
    answer = classify(text)
    data = json.loads(json.dumps(answer.to_json_dict()))
    assert data["practice"] == answer.practice.value
    assert data["practice"] in {p.value for p in Practice}
    assert data["also"] is None or data["also"] in {"coaching", "mentoring", "consulting"}
    assert data["also"] == (answer.also.value if answer.also else None)
    assert isinstance(data["confidence"], float)
    assert 0.0 <= data["confidence"] <= 1.0
    assert isinstance(data["reasons"], list)
    assert data["reasons"]
    assert all(isinstance(r, str) for r in data["reasons"])


def test_confidence_labels_follow_strength() -> None:
    clear = classify(
        "Our department's approval workflow is a bottleneck; we need an expert to analyse it "
        "and recommend a redesign of the process."
    )
    assert clear.confidence_label == "clear fit"
    assert clear.confidence >= 0.7


def test_help_examples_are_answered_as_labelled() -> None:
    for example in help_text().examples:
        assert classify(example.situation).practice is example.practice, example.situation


def test_compare_covers_the_three_practices_on_all_dimensions() -> None:
    comparison = compare()
    assert [p.practice for p in comparison.profiles] == [
        Practice.COACHING,
        Practice.MENTORING,
        Practice.CONSULTING,
    ]
    for profile in comparison.profiles:
        assert [d for d, _ in profile.dimensions] == list(Dimension)


def _load(name: str) -> list[dict[str, str | None]]:
    with (DATA / name).open(encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


@pytest.mark.parametrize("name", LABELLED_SETS)
def test_labelled_set_quality_gate(name: str) -> None:
    rows = _load(name)
    classifier = Classifier()
    predicted = [
        (str(r["practice"]), classifier.classify(str(r["text"])).practice.value) for r in rows
    ]
    accuracy = sum(g == p for g, p in predicted) / len(predicted)
    escalate = [p for g, p in predicted if g == "escalate"]
    assert accuracy >= 0.90
    assert escalate
    assert all(p == "escalate" for p in escalate)


def test_main_labelled_set_is_large_and_covers_every_label() -> None:
    rows = _load("situations.jsonl")
    labels = [r["practice"] for r in rows]
    assert len(rows) >= 180
    assert labels.count("escalate") >= 30
    assert labels.count("unclear") >= 20
    assert sum(1 for r in rows if r.get("also")) >= 20
    assert set(labels) == {p.value for p in Practice}


def test_answers_are_immutable() -> None:
    """An answer and its evidence cannot be changed after the classifier built them."""
    answer = classify("I keep interrupting people in meetings and want to stop by March")
    assert answer.evidence
    with pytest.raises(AttributeError):
        answer.practice = Practice.ESCALATE  # type: ignore[misc]
    with pytest.raises(AttributeError):
        answer.evidence[0].quote = "changed"  # type: ignore[misc]
