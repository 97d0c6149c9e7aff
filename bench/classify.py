"""Accuracy, confusion matrix, speed and memory of the situation classifier.

Run from the repository root: `python bench/classify.py [--errors] [FILE.jsonl ...]`.
Timing: per set, texts answered again (the median the speed target has been quoted on), a first
pass on a fresh classifier, and unseen texts (a first pass after every other set: the figure
closest to production). `--errors` lists the misses of the sets that may be studied; the
evaluation-only blind sets (bench/datasets.py) only ever show aggregate figures.
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import subprocess
import sys
import time
import tracemalloc
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.datasets import DATA, is_eval_only, leave_one_out  # noqa: E402
from bot.guidance import Classifier, Practice  # noqa: E402

DEFAULT_FILES = (
    DATA / "situations.jsonl",
    DATA / "situations_holdout.jsonl",
    DATA / "situations_holdout2.jsonl",
    DATA / "situations_blind1.jsonl",
    DATA / "situations_blind2.jsonl",
    DATA / "situations_blind3.jsonl",
    DATA / "situations_blind4.jsonl",
    DATA / "situations_blind5.jsonl",
)
LABELS = [p.value for p in Practice]
TIMING_ROUNDS = 20


def load(path: Path) -> list[dict[str, str | None]]:
    """Read one labelled situation per line."""
    with path.open(encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def evaluate(classifier: Classifier, rows: list[dict[str, str | None]], show_errors: bool) -> None:
    """Print per-label accuracy, overall accuracy, escalate recall and the confusion matrix."""
    confusion: Counter[tuple[str, str]] = Counter()
    pair_hits = 0
    pair_total = 0
    for row in rows:
        text, gold, gold_also = str(row["text"]), str(row["practice"]), row.get("also")
        answer = classifier.classify(text)
        predicted = answer.practice.value
        confusion[(gold, predicted)] += 1
        if gold_also:
            pair_total += 1
            got = {predicted, answer.also.value if answer.also else None}
            pair_hits += got == {gold, gold_also}
        if show_errors and predicted != gold:
            also = answer.also.value if answer.also else "-"
            print(f"  MISS gold={gold}/{gold_also or '-'} got={predicted}/{also}: {text[:110]}")
    total = len(rows)
    correct = sum(n for (g, p), n in confusion.items() if g == p)
    print(f"  situations: {total}   overall accuracy: {correct / total:.3f}")
    for label in LABELS:
        n = sum(v for (g, _), v in confusion.items() if g == label)
        if n:
            hit = confusion[(label, label)]
            print(f"    {label:<11} {hit / n:.3f}  ({hit}/{n})")
    escalate_n = sum(v for (g, _), v in confusion.items() if g == "escalate")
    if escalate_n:
        recall = confusion[("escalate", "escalate")] / escalate_n
        print(f"  escalate recall: {recall:.3f}")
    false_escalations = sum(v for (g, p), v in confusion.items() if p == "escalate" != g)
    print(f"  false escalations: {false_escalations}/{total - escalate_n}")
    if pair_total:
        print(f"  two-practice situations with both practices named: {pair_hits}/{pair_total}")
    print("  confusion (rows = gold, columns = predicted):")
    print("    " + " " * 11 + "".join(f"{c[:10]:>11}" for c in LABELS))
    for g in LABELS:
        print("    " + f"{g:<11}" + "".join(f"{confusion[(g, p)]:>11}" for p in LABELS))


def time_it(classifier: Classifier, texts: list[str]) -> None:
    """Print the median and p99 time per situation in microseconds."""
    samples: list[float] = []
    for _ in range(TIMING_ROUNDS):
        for text in texts:
            start = time.perf_counter_ns()
            classifier.classify(text)
            samples.append((time.perf_counter_ns() - start) / 1000)
    samples.sort()
    p99 = samples[min(len(samples) - 1, int(len(samples) * 0.99))]
    print(f"  time per situation: median {statistics.median(samples):.1f} µs, p99 {p99:.1f} µs")
    long_text = " ".join(texts) * 3
    start = time.perf_counter_ns()
    classifier.classify(long_text)
    print(
        f"  one {len(long_text):,}-character text: "
        f"{(time.perf_counter_ns() - start) / 1000:.0f} µs (capped work)"
    )


def first_pass(name: str, texts: list[str]) -> None:
    """Print the median time of one pass over the texts with a freshly built classifier."""
    fresh = Classifier()
    samples: list[float] = []
    for text in texts:
        start = time.perf_counter_ns()
        fresh.classify(text)
        samples.append((time.perf_counter_ns() - start) / 1000)
    print(f"{name}: first pass on a fresh classifier: median {statistics.median(samples):.1f} µs")


def unseen_pass(name: str, texts: list[str], others: list[str]) -> None:
    """Print the median time of the first pass over the texts by a classifier that has answered
    every other set first: texts it has never seen, words it mostly has, as in production once
    the bot has been running a while."""
    warm = Classifier()
    for text in others:
        warm.classify(text)
    samples: list[float] = []
    for text in texts:
        start = time.perf_counter_ns()
        warm.classify(text)
        samples.append((time.perf_counter_ns() - start) / 1000)
    print(
        f"{name}: unseen texts (first pass after the other sets): "
        f"median {statistics.median(samples):.1f} µs"
    )


def serving_rss(paths: list[Path]) -> float:
    """Max RSS in MB of a fresh process that imports the classifier, builds one and answers
    every text of the sets once, as the bot's process holds it (the interpreter included)."""
    script = (
        "import json, resource, sys\n"
        f"sys.path.insert(0, {str(ROOT)!r})\n"
        "from bot.guidance import Classifier\n"
        "c = Classifier()\n"
        "for path in sys.argv[1:]:\n"
        "    for line in open(path, encoding='utf-8'):\n"
        "        if line.strip():\n"
        "            c.classify(json.loads(line)['text'])\n"
        # The peak of this process's own memory (VmHWM): ru_maxrss would carry over the
        # benchmark's peak, which a child inherits at fork and keeps across exec on Linux.
        "try:\n"
        "    status = open('/proc/self/status', encoding='ascii').read().split('VmHWM:')[1]\n"
        "    print(int(status.split()[0]))\n"
        "except OSError:\n"
        "    print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)\n"
    )
    run = subprocess.run(
        [sys.executable, "-c", script, *map(str, paths)], capture_output=True, text=True, check=True
    )
    return int(run.stdout.strip()) / 1024


def main() -> None:
    """Evaluate each file, then time it; memory is traced around accuracy runs only."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("files", nargs="*", type=Path, default=list(DEFAULT_FILES))
    parser.add_argument(
        "--errors",
        action="store_true",
        help="list misclassified situations (never those of an evaluation-only set)",
    )
    parser.add_argument("--no-timing", action="store_true", help="accuracy only")
    args = parser.parse_args()
    tracemalloc.start()
    classifier = Classifier()
    sets: list[tuple[str, list[dict[str, str | None]]]] = []
    for path in args.files:
        if not path.exists():
            print(f"{path.name}: missing, skipped")
            continue
        rows = load(path)
        sets.append((path.name, rows))
        print(path.name)
        hidden = args.errors and is_eval_only(path)
        if hidden:
            print("  (evaluation-only set: misses not listed)")
        evaluate(classifier, rows, args.errors and not hidden)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    if args.no_timing:
        return
    # Timing runs without tracemalloc, which would slow every allocation.
    for name, rows in sets:
        print(f"{name} speed")
        time_it(classifier, [str(r["text"]) for r in rows])
    # The classifier remembers per-word lookups; a fresh one shows the cost of unseen words.
    for name, rows in sets:
        first_pass(name, [str(r["text"]) for r in rows])
    # Measured before the unseen passes, which build a classifier each.
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    # The figures above time texts answered before (their words and word pairs remembered); a
    # typed situation is new text, whose new word pairs are worked out on first sight.
    texts = [[str(r["text"]) for r in rows] for _, rows in sets]
    for (name, _), (mine, others) in zip(sets, leave_one_out(texts), strict=True):
        unseen_pass(name, mine, others)
    print(
        f"memory: peak traced {peak / 1_048_576:.1f} MB (classifier + evaluation); "
        f"process max RSS {rss:.1f} MB (includes the interpreter)"
    )
    print(
        f"memory serving: max RSS {serving_rss([p for p in args.files if p.exists()]):.1f} MB "
        "(a fresh process: interpreter, one classifier, every text answered once)"
    )


if __name__ == "__main__":
    main()
