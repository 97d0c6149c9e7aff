"""Train the learned "not a guidance matter" net and write bot/guidance/_risk_weights.py.

Run: python bench/train_risk.py [--recall 0.99]
Needs scikit-learn (a development dependency). Training data: every labelled file in bench/data
and bench/data/train except the evaluation-only ones (escalate against everything else).

Everything is chosen by cross-validation that holds out one file (one writer) at a time, so a
writer's style cannot leak. Held-out naive-Bayes log-odds are calibrated with the text's length
(logistic regression); the threshold is the highest score at which the hand-written rules and the
net together still catch `--recall` of the held-out escalations. (The classifier also asks for
more evidence when its practice net reads a text as no situation at all; bench/cv_guidance.py
measures that together with everything else.)
"""

from __future__ import annotations

import argparse
import math
import sys
from collections import Counter
from pathlib import Path

import numpy as np
from sklearn.linear_model import LogisticRegression

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.learn import (  # noqa: E402
    NB_ALPHA,
    NB_MIN_COUNT,
    NB_MIN_FILES,
    Calibration,
    Row,
    fit_risk,
    groups,
    key,
    load_training,
    write_module,
)
from bot.guidance import Classifier  # noqa: E402
from bot.guidance.risk import RiskNet, grams  # noqa: E402

OUT = ROOT / "bot" / "guidance" / "_risk_weights.py"


def held_out_scores(rows: list[Row], alpha: float, min_count: int, min_files: int) -> list[float]:
    """Each row's raw naive-Bayes log-odds from a net trained on every other file."""
    scores = [0.0] * len(rows)
    for held in groups(rows):
        bias, table = fit_risk([r for r in rows if r.file != held], alpha, min_count, min_files)
        net = RiskNet(bias, table, 0.0)
        for i, row in enumerate(rows):
            if row.file == held:
                scores[i] = net.log_odds(grams(row.text))
    return scores


def calibrate(rows: list[Row], raw: list[float]) -> Calibration:
    """Logistic regression of the label on the held-out log-odds and log(1 + words)."""
    lengths = [math.log1p(len(grams(r.text).words)) for r in rows]
    x = np.c_[raw, lengths]
    fitted = LogisticRegression(C=1.0, max_iter=1000).fit(x, [r.escalate for r in rows])
    scale, length_weight = (float(v) for v in fitted.coef_[0])
    return Calibration(
        round(scale, 4), round(float(fitted.intercept_[0]), 4), round(length_weight, 4)
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--recall", type=float, default=0.99, help="held-out recall to keep")
    parser.add_argument("--alpha", type=float, default=NB_ALPHA, help="naive Bayes smoothing")
    parser.add_argument("--min-count", type=int, default=NB_MIN_COUNT, help="rows a feature needs")
    parser.add_argument("--min-files", type=int, default=NB_MIN_FILES, help="files a feature needs")
    args = parser.parse_args()
    rows = load_training()
    escalations = sum(r.escalate for r in rows)
    print(f"training rows: {len(rows)} ({escalations} escalate) from {len(groups(rows))} files")
    classifier = Classifier()
    topics = [classifier.rule_topic(r.text) for r in rows]
    raw = held_out_scores(rows, args.alpha, args.min_count, args.min_files)
    calibration = calibrate(rows, raw)
    scores = [
        calibration.scale * z
        + calibration.offset
        + calibration.length_weight * math.log1p(len(grams(r.text).words))
        for z, r in zip(raw, rows, strict=True)
    ]

    def escalated(i: int, threshold: float) -> bool:
        return topics[i] is not None or scores[i] >= threshold

    # The highest threshold that keeps the recall: try each escalation's own score.
    candidates = sorted({s for s, r in zip(scores, rows, strict=True) if r.escalate}, reverse=True)
    threshold = candidates[-1]
    for t in candidates:
        if (
            sum(escalated(i, t) for i, r in enumerate(rows) if r.escalate)
            >= args.recall * escalations
        ):
            threshold = t
            break
    threshold = math.floor(threshold * 1000) / 1000
    ruled = [t is not None for t in topics]
    ruled_right = sum(1 for t, r in zip(ruled, rows, strict=True) if t and r.escalate)
    ruled_wrong = sum(1 for t, r in zip(ruled, rows, strict=True) if t and not r.escalate)
    print(f"rules alone: recall {ruled_right / escalations:.3f}, false alarms {ruled_wrong}")
    print(f"calibration: {calibration}")
    print(f"held out by file, threshold {threshold}:")
    missed: Counter[str] = Counter()
    false: Counter[str] = Counter()
    for i, row in enumerate(rows):
        hit = escalated(i, threshold)
        missed[row.file] += row.escalate and not hit
        false[row.file] += not row.escalate and hit
    for name in groups(rows):
        n = sum(r.file == name for r in rows)
        e = sum(r.escalate for r in rows if r.file == name)
        print(
            f"  {name:26} escalate caught {e - missed[name]:>3}/{e:<3}  "
            f"false escalations {false[name]:>3}/{n - e:<3}"
        )
    others = len(rows) - escalations
    print(
        f"  all: recall {(escalations - missed.total()) / escalations:.3f}, "
        f"false escalations {false.total()}/{others} ({false.total() / others:.3f})"
    )
    raw_bias, raw_table = fit_risk(rows, args.alpha, args.min_count, args.min_files)
    bias, table = calibration.bias(raw_bias), calibration.table(raw_table)
    write_module(
        OUT,
        "bench/train_risk.py",
        [
            "# Score = BIAS + LENGTH_WEIGHT * log(1 + words) + weights of the features present",
            "# (naive-Bayes log-odds times NB_SCALE plus NB_OFFSET: bench/learn.py Calibration).",
            f"NB_SCALE = {calibration.scale}",
            f"NB_OFFSET = {calibration.offset}",
            f"BIAS = {bias:.4f}",
            f"LENGTH_WEIGHT = {calibration.length_weight}",
            f"THRESHOLD = {threshold}",
        ],
        "WEIGHTS: dict[str, float]",
        (f"{key(name)}: {w:.4f}" for name, w in sorted(table.items())),
    )
    print(f"wrote {OUT.relative_to(ROOT)}: {len(table)} weights")
    return 0


if __name__ == "__main__":
    sys.exit(main())
