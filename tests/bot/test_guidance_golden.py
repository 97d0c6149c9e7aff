"""The classifier answers exactly as frozen in bench/data/golden.jsonl (see bench/golden.py)."""

import json
from pathlib import Path

import pytest

from bot.guidance import Classifier, Guidance

GOLDEN = Path(__file__).resolve().parents[2] / "bench" / "data" / "golden.jsonl"


def _load() -> list[dict[str, object]]:
    """Read the frozen cases."""
    with GOLDEN.open(encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


CASES = _load()


def _record(guidance: Guidance) -> dict[str, object]:
    """Everything an answer carries, shaped as bench/golden.py writes it."""
    return {
        **guidance.to_json_dict(),
        "unclear_kind": guidance.unclear_kind.value if guidance.unclear_kind else None,
        "evidence": [
            [e.practice.value, e.dimension.value, e.quote, e.weight, e.gloss, e.position, e.end]
            for e in guidance.evidence
        ],
    }


@pytest.fixture(scope="module")
def classifier() -> Classifier:
    """One classifier for every case (construction compiles the lexicons)."""
    return Classifier()


def test_golden_covers_every_path() -> None:
    """The frozen cases reach every practice, mended typos and the length cap."""
    practices = {c["answer"]["practice"] for c in CASES}  # type: ignore[index]
    assert practices == {"coaching", "mentoring", "consulting", "escalate", "unclear"}
    assert sum(str(c["id"]).endswith("-typo") for c in CASES) >= 300
    assert any(len(str(c["text"])) > 6000 for c in CASES)


@pytest.mark.parametrize("case", CASES, ids=[str(c["id"]) for c in CASES])
def test_answer_matches_golden(classifier: Classifier, case: dict[str, object]) -> None:
    """The full answer, evidence and quotes included, is unchanged."""
    assert _record(classifier.classify(str(case["text"]))) == case["answer"]
