"""Train the learned practice net and write bot/guidance/_practice_weights.py.

Run: python bench/train_practice.py [--c 3]
Needs scikit-learn (a development dependency). Training data: the practice-labelled rows
(`{"text", "practice", "also"}`) of every file in bench/data and bench/data/train except the
evaluation-only ones; escalate rows are left to the escalate rules and net.

Prints the net's own figures under cross-validation that holds out one file (one writer) at a
time: per label, how often it is the net's top answer when it is the gold one. The whole
classifier (rules, both nets and the lexicon together) is cross-validated by
bench/cv_guidance.py.
"""

from __future__ import annotations

import argparse
import sys
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.learn import (  # noqa: E402
    PRACTICE_C,
    PRACTICE_LABELS,
    PRACTICE_MIN_WEIGHT,
    fit_practice,
    groups,
    key,
    load_training,
    practice_net,
    practice_rows,
    write_module,
)
from bot.guidance.risk import grams  # noqa: E402

OUT = ROOT / "bot" / "guidance" / "_practice_weights.py"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--c", type=float, default=PRACTICE_C, help="inverse regularisation")
    parser.add_argument("--min-weight", type=float, default=PRACTICE_MIN_WEIGHT)
    args = parser.parse_args()
    rows = practice_rows(load_training())
    print(f"practice-labelled rows: {len(rows)} from {len(groups(rows))} files")
    hits: Counter[tuple[str, str]] = Counter()
    totals: Counter[tuple[str, str]] = Counter()
    for held in groups(rows):
        net = practice_net(
            *fit_practice([r for r in rows if r.file != held], args.c, args.min_weight)
        )
        for row in rows:
            if row.file != held:
                continue
            logits = net.logits(grams(row.text))
            top = PRACTICE_LABELS[max(range(len(logits)), key=logits.__getitem__)]
            gold = str(row.practice)
            for name in (held, "all"):
                totals[(name, gold)] += 1
                hits[(name, gold)] += top == gold
    print("net alone, held out by file: top answer = gold practice")
    for name in [*groups(rows), "all"]:
        n = sum(totals[(name, label)] for label in PRACTICE_LABELS)
        right = sum(hits[(name, label)] for label in PRACTICE_LABELS)
        per_label = "  ".join(
            f"{label} {hits[(name, label)]}/{totals[(name, label)]}" for label in PRACTICE_LABELS
        )
        print(f"  {name:26} {right / n:.3f}  {per_label}")
    bias, table = fit_practice(rows, args.c, args.min_weight)
    write_module(
        OUT,
        "bench/train_practice.py",
        [
            "# Log-odds per label, in order: coaching, mentoring, consulting, unclear.",
            f"BIAS = {bias}",
        ],
        "WEIGHTS: dict[str, tuple[float, float, float, float]]",
        (f"{key(name)}: {w}" for name, w in sorted(table.items())),
    )
    print(f"wrote {OUT.relative_to(ROOT)}: {len(table)} features")
    return 0


if __name__ == "__main__":
    sys.exit(main())
