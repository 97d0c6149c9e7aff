"""Freeze the classifier's full answers into bench/data/golden.jsonl (the speed-work safety net).

Run from the repository root: `python bench/golden.py`. Every situation in bench/data/*.jsonl is
classified as written, cut to its first and second half, with a letter dropped from each long
word (to exercise typo mending), and all situations of a file joined (to pass the length cap).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bot.guidance import Classifier, Guidance  # noqa: E402

DATA = ROOT / "bench" / "data"
GOLDEN = DATA / "golden.jsonl"
LONG_WORD = 8
JOINED_CHARS = 7000


def variants(text: str) -> list[tuple[str, str]]:
    """Return the text and its deterministic variants, each with a short name."""
    words = text.split(" ")
    half = len(words) // 2
    typo = " ".join(w[:3] + w[4:] if len(w) >= LONG_WORD else w for w in words)
    return [
        ("as-is", text),
        ("head", " ".join(words[:half])),
        ("tail", " ".join(words[half:])),
        ("typo", typo),
    ]


def record(guidance: Guidance) -> dict[str, object]:
    """Return everything an answer carries, evidence and its quotes included."""
    return {
        **guidance.to_json_dict(),
        "unclear_kind": guidance.unclear_kind.value if guidance.unclear_kind else None,
        "evidence": [
            [e.practice.value, e.dimension.value, e.quote, e.weight, e.gloss, e.position, e.end]
            for e in guidance.evidence
        ],
    }


def sources() -> list[Path]:
    """Return the labelled situation files (never the golden file itself)."""
    return sorted(p for p in DATA.glob("*.jsonl") if p != GOLDEN)


def cases() -> list[tuple[str, str]]:
    """Return (id, text) for every frozen case."""
    out: list[tuple[str, str]] = []
    for path in sources():
        with path.open(encoding="utf-8") as f:
            texts = [str(json.loads(line)["text"]) for line in f if line.strip()]
        for n, text in enumerate(texts):
            out.extend((f"{path.stem}-{n}-{name}", v) for name, v in variants(text))
        # Past the matcher's 6,000-character cap, so the cut is frozen too.
        out.append((f"{path.stem}-all-joined", (" ".join(texts) * 3)[:JOINED_CHARS]))
    return out


def main() -> None:
    """Write one line per case: its id, its text and the full answer."""
    classifier = Classifier()
    with GOLDEN.open("w", encoding="utf-8") as f:
        for case_id, text in cases():
            row = {"id": case_id, "text": text, "answer": record(classifier.classify(text))}
            f.write(json.dumps(row, ensure_ascii=False, sort_keys=True) + "\n")
    print(f"wrote {GOLDEN.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
