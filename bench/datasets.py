"""Which labelled files may be trained on, and which are evaluation-only (shared by bench scripts).

Evaluation-only files are never read for training or tuning, and `bench/classify.py` never prints
their rows (only aggregate figures).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from itertools import chain
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "bench" / "data"
TRAIN = DATA / "train"
GOLDEN = DATA / "golden.jsonl"
# Independent blind sets: aggregate figures only. blind4 and blind5 are listed before they are
# here, so that a copy dropped into bench/data is never trained on by accident.
EVAL_ONLY = frozenset(
    {
        "situations_blind2.jsonl",
        "situations_blind3.jsonl",
        "situations_blind4.jsonl",
        "situations_blind5.jsonl",
    }
)
GUIDANCE = ("coaching", "mentoring", "consulting")
PRACTICE_LABELS = (*GUIDANCE, "escalate", "unclear")


def is_eval_only(path: Path) -> bool:
    """Tell whether a file is kept for evaluation only."""
    return path.name in EVAL_ONLY


def load_rows(path: Path) -> list[dict[str, str | None]]:
    """Read one JSON object per non-empty line."""
    with path.open(encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def situation_sets() -> list[list[str]]:
    """The texts of each labelled situation set (bench/data/situations*.jsonl), in file order."""
    return [
        [str(row["text"]) for row in load_rows(p)] for p in sorted(DATA.glob("situations*.jsonl"))
    ]


def leave_one_out(sets: list[list[str]]) -> Iterator[tuple[list[str], list[str]]]:
    """Each set's texts with every other set's: the "unseen texts" passes answer the others
    first, so that the set's texts are new to the classifier and most of their words are not."""
    for k, texts in enumerate(sets):
        yield texts, list(chain.from_iterable(sets[:k] + sets[k + 1 :]))


def training_files() -> list[Path]:
    """Every labelled file that may be trained on, in a stable order."""
    files = sorted(DATA.glob("*.jsonl")) + sorted(TRAIN.glob("*.jsonl"))
    return [p for p in files if p != GOLDEN and not is_eval_only(p)]


def escalate_label(row: dict[str, str | None]) -> int:
    """1 when a row (practice-labelled or binary) is not a guidance matter."""
    return 1 if row.get("practice", row.get("label")) == "escalate" else 0
