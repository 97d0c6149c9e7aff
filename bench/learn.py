"""Fitting the two learned parts of the classifier (shared by the bench training scripts).

- The "not a guidance matter" net (bot/guidance/risk.py): Bernoulli naive Bayes over word stems
  and stem bigrams, escalate against everything else. Its log-odds are a bias plus one weight per
  feature present, the same form the classifier scores.
- The practice net (bot/guidance/practice_net.py): one logistic regression per label (coaching,
  mentoring, consulting, unclear; one-vs-rest over the same features), trained on the
  practice-labelled rows. A row's second practice ("also") counts as present too, so the net
  says which practices fit, and the classifier orders two by where their words come.

Needs scikit-learn (a development dependency). Nothing here reads an evaluation-only file.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from sklearn.feature_extraction import DictVectorizer
from sklearn.linear_model import LogisticRegression

from bench.datasets import escalate_label, load_rows, training_files
from bot.guidance.practice_net import LABELS, PracticeNet
from bot.guidance.risk import RiskNet, features

PRACTICE_LABELS = tuple(p.value for p in LABELS)
NB_ALPHA = 0.5
NB_MIN_COUNT = 2
NB_MIN_FILES = 1
PRACTICE_C = 3.0
PRACTICE_MIN_WEIGHT = 0.1
# Weights smaller than this are left out of the generated tables (they change no answer).
MIN_WEIGHT = 0.005


@dataclass(frozen=True)
class Row:
    """One labelled situation and the file (writer) it came from."""

    text: str
    file: str
    escalate: int
    practice: str | None
    also: str | None


def load_training() -> list[Row]:
    """Every row of every file that may be trained on (evaluation-only files never)."""
    rows: list[Row] = []
    for path in training_files():
        for row in load_rows(path):
            practice = row.get("practice")
            rows.append(
                Row(str(row["text"]), path.name, escalate_label(row), practice, row.get("also"))
            )
    return rows


def groups(rows: Sequence[Row]) -> list[str]:
    """The files in a stable order: cross-validation holds out one file (one writer) at a time."""
    return sorted({r.file for r in rows})


# --- the escalate net ---------------------------------------------------------------------


def fit_risk(
    rows: Sequence[Row],
    alpha: float = NB_ALPHA,
    min_count: int = NB_MIN_COUNT,
    min_files: int = NB_MIN_FILES,
) -> tuple[float, dict[str, float]]:
    """Bernoulli naive Bayes with equal class priors, as a bias and per-feature log-odds.

    Features seen in fewer than `min_count` rows, or written by fewer than `min_files` writers
    (files), are left out: a phrase only one writer used says more about that writer than about
    the situation, and a smaller table is faster to search.
    """
    counts: tuple[dict[str, int], dict[str, int]] = ({}, {})
    writers: dict[str, set[str]] = {}
    sizes = [0, 0]
    for row in rows:
        sizes[row.escalate] += 1
        seen = counts[row.escalate]
        for f in set(features(row.text)):
            seen[f] = seen.get(f, 0) + 1
            writers.setdefault(f, set()).add(row.file)
    bias = 0.0
    weights: dict[str, float] = {}
    for f in sorted(counts[0].keys() | counts[1].keys()):
        if counts[0].get(f, 0) + counts[1].get(f, 0) < min_count or len(writers[f]) < min_files:
            continue
        p1 = (counts[1].get(f, 0) + alpha) / (sizes[1] + 2 * alpha)
        p0 = (counts[0].get(f, 0) + alpha) / (sizes[0] + 2 * alpha)
        absent = math.log((1 - p1) / (1 - p0))
        bias += absent
        weights[f] = math.log(p1 / p0) - absent
    return bias, {f: w for f, w in weights.items() if abs(w) >= MIN_WEIGHT}


@dataclass(frozen=True)
class Calibration:
    """How raw naive-Bayes log-odds z become the net's score: scale * z + length term + offset.

    Fitted by logistic regression on held-out scores, so that short texts (whose naive-Bayes
    log-odds stay near the prior whatever they say) are judged on the same scale as long ones.
    """

    scale: float = 1.0
    offset: float = 0.0
    length_weight: float = 0.0

    def bias(self, bias: float) -> float:
        """The calibrated bias."""
        return self.scale * bias + self.offset

    def table(self, weights: dict[str, float]) -> dict[str, float]:
        """The calibrated per-feature weights."""
        return {f: self.scale * w for f, w in weights.items()}

    def net(self, bias: float, weights: dict[str, float], threshold: float) -> RiskNet:
        """The classifier's net for raw naive-Bayes weights under this calibration."""
        return RiskNet(self.bias(bias), self.table(weights), threshold, self.length_weight)


# --- the practice net ---------------------------------------------------------------------


def practice_rows(rows: Sequence[Row]) -> list[Row]:
    """Rows with a practice label that the practice net learns (not escalate)."""
    return [r for r in rows if r.practice in PRACTICE_LABELS]


def fit_practice(
    rows: Sequence[Row], c: float = PRACTICE_C, min_weight: float = PRACTICE_MIN_WEIGHT
) -> tuple[tuple[float, ...], dict[str, tuple[float, ...]]]:
    """One-vs-rest logistic regression per label; a row's "also" practice counts as present.

    A feature whose weights are all below `min_weight` is left out (a smaller, faster table).
    """
    rows = practice_rows(rows)
    vec = DictVectorizer()
    x = vec.fit_transform([dict.fromkeys(features(r.text), 1.0) for r in rows])
    names = vec.get_feature_names_out()
    coef = np.zeros((len(names), len(PRACTICE_LABELS)))
    bias: list[float] = []
    for k, label in enumerate(PRACTICE_LABELS):
        y = np.array([label in (r.practice, r.also) for r in rows], dtype=int)
        fitted = LogisticRegression(C=c, max_iter=5000).fit(x, y)
        coef[:, k] = fitted.coef_[0]
        bias.append(float(fitted.intercept_[0]))
    weights = {
        str(name): tuple(round(float(w), 4) for w in coef[j])
        for j, name in enumerate(names)
        if np.abs(coef[j]).max() >= min_weight
    }
    return tuple(round(b, 4) for b in bias), weights


def practice_net(bias: Sequence[float], weights: dict[str, tuple[float, ...]]) -> PracticeNet:
    """Build the classifier's practice net from fitted weights."""
    return PracticeNet(tuple(bias), weights)


# --- generated modules --------------------------------------------------------------------


def write_module(
    path: Path, script: str, header: Iterable[str], table: str, items: Iterable[str]
) -> None:
    """Write a generated weights module: a docstring, constants, then one sorted table."""
    lines = [
        f'"""Generated by {script}: do not edit by hand."""',
        "",
        *header,
        f"{table} = {{",
        *(f"    {item}," for item in items),
        "}",
        "",
    ]
    path.write_text("\n".join(lines), encoding="utf-8")


def key(name: str) -> str:
    """A feature name as a Python string literal."""
    return json.dumps(name, ensure_ascii=False)
