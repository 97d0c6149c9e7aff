"""In-process dispatch of a signed `/coach-or-mentor <situation>` vs a bare Bolt app that acks a
static text, measured side by side (interleaved) with process_before_response=True.

Run: python bench/ack.py [--rounds N]

The ratio is quoted on texts answered before (bench/data/situations.jsonl, again and again); a
second figure dispatches every data set's texts once each to a classifier that has answered only
the other sets (texts it has never seen, as a typed situation is).
"""

from __future__ import annotations

import argparse
import json
import logging
import statistics
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlencode

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from slack_bolt import Ack, App
from slack_bolt.request import BoltRequest
from slack_sdk import WebClient
from slack_sdk.signature import SignatureVerifier
from sqlalchemy import Engine

from bench.datasets import leave_one_out, situation_sets
from bot.guidance import classify, default_classifier
from bot.settings import parse_settings
from handlers.app import build_app, make_client
from handlers.deps import Deps
from handlers.fakeslack import FakeSlack
from storage import db

SECRET = "bench-secret"
DATA = Path(__file__).resolve().parent / "data" / "situations.jsonl"


def signed_request(verifier: SignatureVerifier, text: str) -> BoltRequest:
    body = urlencode(
        {
            "command": "/coach-or-mentor",
            "text": text,
            "team_id": "T0FAKE",
            "user_id": "U0BENCH",
            "channel_id": "C0BENCH",
            "trigger_id": "1.2",
            "response_url": "http://127.0.0.1:9/r",
        }
    )
    ts = str(int(time.time()))
    headers = {
        "content-type": ["application/x-www-form-urlencoded"],
        "x-slack-request-timestamp": [ts],
        "x-slack-signature": [verifier.generate_signature(timestamp=ts, body=body) or ""],
    }
    return BoltRequest(body=body, headers=headers)


def bare_app(api_url: str) -> App:
    """A bare Bolt app that acks the slash command with a static text."""
    app = App(
        client=WebClient(token="xoxb-bench", base_url=api_url),
        signing_secret=SECRET,
        process_before_response=True,
        token_verification_enabled=False,
    )

    @app.command("/coach-or-mentor")
    def static(ack: Ack) -> None:
        ack("Thanks, noted.")

    return app


def our_app(api_url: str, tmp: str) -> tuple[App, Engine]:
    """The bot's production app on a SQLite database in `tmp` (its engine, to dispose of)."""
    settings = parse_settings(
        {
            "SLACK_BOT_TOKEN": "xoxb-bench",
            "SLACK_SIGNING_SECRET": SECRET,
            "SLACK_API_URL": api_url,
            "DATABASE_URL": f"sqlite:///{tmp}/bench.db",
        }
    )
    engine = db.make_engine(settings.database_url)
    db.upgrade(engine)
    deps = Deps(settings=settings, engine=engine, sessions=db.make_sessions(engine))
    return build_app(deps, client=make_client(settings), process_before_response=True), engine


def unseen_samples(
    bare: App, ours: App, verifier: SignatureVerifier
) -> tuple[list[float], list[float]]:
    """Both apps' dispatch times of texts our classifier has never answered: per data set, a
    fresh classifier answers every other set first, then each of the set's texts is dispatched
    once by each app, interleaved (bench/classify.py's "unseen texts")."""
    bare_us: list[float] = []
    ours_us: list[float] = []
    for texts, others in leave_one_out(situation_sets()):
        default_classifier.cache_clear()
        for text in others:
            classify(text)
        for req in [signed_request(verifier, text) for text in texts]:
            time_both(bare, ours, req, bare_us, ours_us)
    return bare_us, ours_us


def time_both(
    bare: App, ours: App, req: BoltRequest, bare_us: list[float], ours_us: list[float]
) -> None:
    """Dispatch one request through the bare app, then ours, adding each one's time in µs."""
    started = time.perf_counter_ns()
    bare.dispatch(req)
    bare_us.append((time.perf_counter_ns() - started) / 1000)
    started = time.perf_counter_ns()
    response = ours.dispatch(req)
    ours_us.append((time.perf_counter_ns() - started) / 1000)
    assert response.status == 200


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=3000)
    rounds = parser.parse_args().rounds
    logging.disable(logging.INFO)
    situations = [
        json.loads(line)["text"] for line in DATA.read_text().splitlines() if line.strip()
    ]
    verifier = SignatureVerifier(SECRET)
    with FakeSlack() as fake, tempfile.TemporaryDirectory() as tmp:
        bare = bare_app(fake.api_url)
        ours, engine = our_app(fake.api_url, tmp)

        requests = [signed_request(verifier, s) for s in situations]
        for app in (bare, ours):  # warm up: first request authorizes via auth.test
            for req in requests[:50]:
                assert app.dispatch(req).status == 200
        bare_us: list[float] = []
        ours_us: list[float] = []
        for i in range(rounds):
            time_both(bare, ours, requests[i % len(requests)], bare_us, ours_us)
        unseen_bare, unseen_ours = unseen_samples(bare, ours, verifier)
        engine.dispose()
    bare_median = statistics.median(bare_us)
    ours_median = statistics.median(ours_us)
    print(f"requests: {rounds} each, interleaved, {len(situations)} distinct situations")
    print(
        f"bare Bolt app, static ack:      median {bare_median:8.1f} µs  "
        f"p95 {statistics.quantiles(bare_us, n=20)[-1]:8.1f} µs"
    )
    print(
        f"coach-or-mentor guidance reply: median {ours_median:8.1f} µs  "
        f"p95 {statistics.quantiles(ours_us, n=20)[-1]:8.1f} µs"
    )
    print(f"ack ratio: {ours_median / bare_median:.2f} (target <= 2.00)")
    # The figures above dispatch the same texts again and again: after the first round the
    # classifier has answered each before. Typed situations are new text.
    unseen_ratio = statistics.median(unseen_ours) / statistics.median(unseen_bare)
    print(
        f"unseen texts ({len(unseen_ours)}, each dispatched once after the other sets): "
        f"bare median {statistics.median(unseen_bare):.1f} µs, "
        f"ours median {statistics.median(unseen_ours):.1f} µs, ratio {unseen_ratio:.2f}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
