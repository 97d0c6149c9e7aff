"""Instructions per call of the guidance classifier and of each of its stages, by callgrind.

Run from the repository root: `python bench/callgrind.py [STAGE ...]` (default: every stage).
Each stage runs in its own child process under valgrind's callgrind, which counts instructions
only inside the measured loop (`deque(map(stage, inputs))`, collected on entry to deque_init):
building the classifier, reading the data and a warm-up pass (which fills the per-word memos)
are not counted. Instruction counts do not depend on the machine's load, unlike timings.

Stages: classify (the whole answer), tokenize (markup stripped, words cut and mended), pairs
(what each stage needs of each word pair, remembered per pair), find (phrase index), escalate
(the escalate rules on the found hits), concerns (concern detector), nets (both nets' scores),
score (lexicon scores) and decide (reasons, quotes, the answer): score and decide only over the
situations that reach them.

`unseen` counts the classifier on texts it has not answered before: per data set, a fresh
classifier answers every other set first (not counted), then the set once (counted), as
bench/classify.py's "unseen texts" pass; instructions per text over all the sets.

Two more stages, not run by default, count a whole in-process dispatch of a signed
`/coach-or-mentor <situation>` (bench/ack.py's requests, bench/data/situations.jsonl):
`dispatch` through the bot's app and `bare` through a bare Bolt app that acks a static text
(their difference is the bot's own work: the answer and its reply).
"""

from __future__ import annotations

import contextlib
import importlib
import json
import re
import subprocess
import sys
from collections import deque
from collections.abc import Callable
from itertools import chain, dropwhile
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

STAGES = (
    "classify",
    "tokenize",
    "pairs",
    "find",
    "escalate",
    "concerns",
    "nets",
    "score",
    "decide",
)
DISPATCH_STAGES = ("dispatch", "bare")
UNSEEN = "unseen"
# Keeps the dispatch stages' fake Slack server and database open while they are measured.
_OPEN = contextlib.ExitStack()


def _dispatch_stage(name: str) -> tuple[Callable[[Any], object], list[Any]]:
    """One app's dispatch of bench/ack.py's signed requests (the app warmed up as ack.py does)."""
    import logging
    import tempfile

    from slack_sdk.signature import SignatureVerifier

    from bench import ack as ack_bench
    from handlers.fakeslack import FakeSlack

    logging.disable(logging.INFO)
    fake = _OPEN.enter_context(FakeSlack())
    if name == "bare":
        app = ack_bench.bare_app(fake.api_url)
    else:
        app, engine = ack_bench.our_app(
            fake.api_url, _OPEN.enter_context(tempfile.TemporaryDirectory())
        )
        _OPEN.callback(engine.dispose)
    texts = [
        json.loads(line)["text"]
        for line in ack_bench.DATA.read_text(encoding="utf-8").splitlines()
        if line.strip()
    ]
    verifier = SignatureVerifier(ack_bench.SECRET)
    requests = [ack_bench.signed_request(verifier, text) for text in texts]
    for request in requests[:50]:  # the first request authorizes via auth.test
        assert app.dispatch(request).status == 200
    return app.dispatch, requests


def _stage(name: str) -> tuple[Callable[[Any], object], list[Any]]:
    """The function a stage measures and its inputs, with the classifier's memos warm."""
    from bench.datasets import situation_sets
    from bot.guidance import Classifier, escalate
    from bot.guidance.matcher import tokenize
    from bot.text import strip_slack_markup

    core = importlib.import_module("bot.guidance.classify")
    texts = list(chain.from_iterable(situation_sets()))
    c = Classifier()
    for text in texts:
        c.classify(text)
    tokens = [tokenize(strip_slack_markup(t), c._word) for t in texts]
    # Texts with words: an empty one never reaches the stages after tokenize.
    worded = [t for t in tokens if t.words]
    facts = [(t, c._stages(t)) for t in worded]
    said = {t.text: text for text, t in zip(texts, tokens, strict=True)}
    found = [c._index.hits(t, fits) for t, (fits, *_) in facts]

    def nets(f: Any) -> object:
        t, (_, _, singles, pairs, _) = f
        return c._nets.score_ids(chain(singles, pairs), len(t.words))

    reach = []
    for f, (esc, concepts, hits) in zip(facts, found, strict=True):
        t, (_, steps, singles, pairs, signs) = f
        if c.classify(said[t.text]).practice.value not in ("coaching", "mentoring", "consulting"):
            continue
        if escalate.detect(esc, concepts) or c._concerns.detect_steps(t, steps):
            continue
        reach.append((t, hits, nets(f).logits, core._score(hits, signs), (singles, pairs), signs))
    stages: dict[str, tuple[Callable[[Any], object], list[Any]]] = {
        "classify": (c.classify, texts),
        "tokenize": (lambda s: tokenize(strip_slack_markup(s), c._word), texts),
        "pairs": (c._stages, worded),
        "find": (lambda f: c._index.hits(f[0], f[1][0]), facts),
        "escalate": (lambda f: escalate.detect(f[0], f[1]), found),
        "concerns": (lambda f: c._concerns.detect_steps(f[0], f[1][1]), facts),
        "nets": (nets, facts),
        "score": (lambda r: core._score(r[1], r[5]), reach),
        # The logits are copied: _decide adds the lexicon's scores to them in place.
        "decide": (lambda r: c._decide(r[3], list(r[2]), r[0], r[4]), reach),
    }
    return stages[name]


def _always(function: Callable[[Any], object]) -> Callable[[Any], bool]:
    """The function as dropwhile's predicate: it runs, and every input is dropped."""

    def run(one: Any) -> bool:
        function(one)
        return True

    return run


def _unseen() -> int:
    """Per data set, a fresh classifier answers every other set (not counted), then the set
    itself once inside deque() (counted): texts it has never seen, as bench/classify.py's
    "unseen texts" pass. Return the number of texts counted."""
    from bench.datasets import leave_one_out, situation_sets
    from bot.guidance import Classifier

    counted = 0
    for texts, others in leave_one_out(situation_sets()):
        c = Classifier()
        for other in others:  # not counted: a plain loop
            c.classify(other)
        deque(map(c.classify, texts), maxlen=0)
        counted += len(texts)
    return counted


def child(name: str) -> None:
    """Warm the stage up, then run it once over its inputs inside deque() (the counted part)."""
    if name == UNSEEN:
        print(f"calls {_unseen()}", file=sys.stderr)
        return
    with _OPEN:
        function, inputs = _dispatch_stage(name) if name in DISPATCH_STAGES else _stage(name)
        for one in inputs:  # not counted: a plain loop
            function(one)
        if name in DISPATCH_STAGES:
            deque(dropwhile(_always(function), inputs), maxlen=0)
        else:
            deque(map(function, inputs), maxlen=0)
    print(f"calls {len(inputs)}", file=sys.stderr)


def measure(name: str) -> tuple[int, int]:
    """Instructions counted for one stage and its number of calls."""
    run = subprocess.run(
        [
            "valgrind",
            "--tool=callgrind",
            "--collect-atstart=no",
            # A dispatch creates deques of its own (threading), which would toggle collection
            # off: its stages are counted inside the one dropwhile call that runs them all.
            "--toggle-collect=" + ("dropwhile_next" if name in DISPATCH_STAGES else "deque_init"),
            "--callgrind-out-file=/dev/null",
            sys.executable,
            __file__,
            "--child",
            name,
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    collected = re.search(r"Collected : ([\d,]+)", run.stderr)
    calls = re.search(r"^calls (\d+)$", run.stderr, re.MULTILINE)
    if collected is None or calls is None:
        raise RuntimeError(run.stderr[-2000:])
    return int(collected.group(1).replace(",", "")), int(calls.group(1))


def main() -> None:
    """Measure the named stages (or all) and print instructions per call."""
    args = sys.argv[1:]
    if args[:1] == ["--child"]:
        child(args[1])
        return
    for name in args or STAGES:
        instructions, calls = measure(name)
        print(f"{name:<9} {instructions / calls:>9,.0f} instructions per call ({calls} calls)")


if __name__ == "__main__":
    main()
