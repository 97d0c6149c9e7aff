"""Cross-validate the whole classifier, holding out one file (one writer) at a time.

Run: python bench/cv_guidance.py [--lexicon-weight W] [--also-logit A] [--unclear-gate G]
                                  [--practice-c C]
For each training file, both learned nets are refitted on every other file and the full
classifier (rules, nets, lexicon) answers the held-out file's situations; the escalate net's
threshold is the one in bot/guidance/_risk_weights.py. Evaluation-only files are never read.

The lexicon and the rules were written while reading situations.jsonl, the two holdouts and
blind1, so their figures here are optimistic; the train_* files were never used to write them
(until noted in bench/data/README.md) and give the honest estimate.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.learn import (  # noqa: E402
    PRACTICE_C,
    Calibration,
    Row,
    fit_practice,
    fit_risk,
    groups,
    load_training,
    practice_net,
    practice_rows,
)
from bot.guidance import Classifier  # noqa: E402
from bot.guidance import _risk_weights as risk_weights  # noqa: E402

LABELS = ("coaching", "mentoring", "consulting", "escalate", "unclear")
# The module (the package re-exports a function under the same name).
classify_module = importlib.import_module("bot.guidance.classify")


def report(name: str, rows: list[Row], answers: list[tuple[str, str | None]]) -> None:
    """One line per file: accuracy (practice-labelled files), escalate recall, false escalations."""
    escalations = [a for r, a in zip(rows, answers, strict=True) if r.escalate]
    caught = sum(a[0] == "escalate" for a in escalations)
    false = sum(a[0] == "escalate" for r, a in zip(rows, answers, strict=True) if not r.escalate)
    line = f"  {name:26}"
    if all(r.practice is not None for r in rows):
        right = sum(r.practice == a[0] for r, a in zip(rows, answers, strict=True))
        per: Counter[str] = Counter()
        tot: Counter[str] = Counter()
        for r, a in zip(rows, answers, strict=True):
            tot[str(r.practice)] += 1
            per[str(r.practice)] += r.practice == a[0]
        pairs = [(r, a) for r, a in zip(rows, answers, strict=True) if r.also]
        both = sum({r.practice, r.also} == set(a) for r, a in pairs)
        labels = " ".join(f"{lab[:4]} {per[lab]}/{tot[lab]}" for lab in LABELS)
        line += f" accuracy {right / len(rows):.3f}  [{labels}]  pairs named {both}/{len(pairs)}"
    else:
        line += " (escalate/other only)"
    others = len(rows) - len(escalations)
    line += f"  escalate {caught}/{len(escalations)}  false escalations {false}/{others}"
    print(line, flush=True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--lexicon-weight", type=float, default=None)
    parser.add_argument("--also-logit", type=float, default=None)
    parser.add_argument("--unclear-gate", type=float, default=None)
    parser.add_argument("--practice-c", type=float, default=PRACTICE_C)
    args = parser.parse_args()
    if args.lexicon_weight is not None:
        classify_module.LEXICON_WEIGHT = args.lexicon_weight
    if args.also_logit is not None:
        classify_module.ALSO_LOGIT = args.also_logit
    if args.unclear_gate is not None:
        classify_module.UNCLEAR_GATE = args.unclear_gate
    rows = load_training()
    print(
        f"lexicon weight {classify_module.LEXICON_WEIGHT}, "
        f"also logit {classify_module.ALSO_LOGIT}, "
        f"unclear gate {classify_module.UNCLEAR_GATE}, risk threshold {risk_weights.THRESHOLD}"
    )
    calibration = Calibration(
        risk_weights.NB_SCALE, risk_weights.NB_OFFSET, risk_weights.LENGTH_WEIGHT
    )
    everything = practice_net(*fit_practice(rows, args.practice_c))
    totals: list[tuple[Row, tuple[str, str | None]]] = []
    for held in groups(rows):
        rest = [r for r in rows if r.file != held]
        net = calibration.net(*fit_risk(rest), risk_weights.THRESHOLD)
        mine = [r for r in rows if r.file == held]
        if practice_rows(mine):
            practice = practice_net(*fit_practice(rest, args.practice_c))
        else:
            practice = everything
        classifier = Classifier(net, practice)
        answers = []
        for row in mine:
            g = classifier.classify(row.text)
            answers.append((g.practice.value, g.also.value if g.also else None))
        report(held, mine, answers)
        totals.extend(zip(mine, answers, strict=True))
    labelled = [(r, a) for r, a in totals if r.practice is not None]
    report("practice-labelled, all", [r for r, _ in labelled], [a for _, a in labelled])
    report("every file, all", [r for r, _ in totals], [a for _, a in totals])
    return 0


if __name__ == "__main__":
    sys.exit(main())
