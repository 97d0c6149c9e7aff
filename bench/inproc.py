"""The bot's CPU per request, by request type, in one process: the production app (Bolt, the
listeners, their work after the ack) on PostgreSQL, its WSGI callable called directly (no HTTP
server), the fake Slack in a process of its own so that its CPU is not counted.

    .venv/bin/python bench/inproc.py [--requests 300] [--kinds answer,home] [--profile DIR]

Per kind it sends `--requests` signed requests of bench/load.py's shapes one after another and
waits for every listener to finish (the work after the ack included), then prints the process
CPU (user + system, every thread) per request. The kinds are measured interleaved, in rounds, so
that a busy machine disturbs them alike. `--profile DIR` instead runs every listener in the
request thread (the ack is given before the listener returns, as in production, only nothing
runs beside it) under cProfile (thread CPU clock) and writes DIR/<kind>.prof, then prints the top
entries by tottime and cumulative time; `--inline` runs listeners that way without cProfile (for
`py-spy record --gil`); `--trace` prints the SQL, BEGINs and COMMITs of one request of each kind.

CPU time is sensitive to what else the machine runs: compare two versions interleaved, in the
same minutes, rather than against a figure measured earlier.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import multiprocessing
import os
import pstats
import random
import sys
import time
from concurrent.futures import Executor, Future, ThreadPoolExecutor
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import load  # noqa: E402

from handlers.app import LISTENER_THREADS, build_app, make_client  # noqa: E402
from handlers.runtime import load_settings, open_deps  # noqa: E402
from handlers.serve import freeze_startup_heap  # noqa: E402
from handlers.server import SlackWsgi  # noqa: E402
from storage import db  # noqa: E402

KINDS = tuple(kind for kind, _ in load.MIX)


class Inline(Executor):
    """Run each submitted function at once, in the caller's thread (for the profiler)."""

    def submit(self, fn: Any, /, *args: Any, **kwargs: Any) -> Future[Any]:
        future: Future[Any] = Future()
        try:
            future.set_result(fn(*args, **kwargs))
        except BaseException as err:  # handed back, as a pool would
            future.set_exception(err)
        return future


class Counting(Executor):
    """A thread pool that can say when everything submitted so far has finished."""

    def __init__(self) -> None:
        self._pool = ThreadPoolExecutor(max_workers=LISTENER_THREADS, thread_name_prefix="l")
        self._pending: set[Future[Any]] = set()

    def submit(self, fn: Any, /, *args: Any, **kwargs: Any) -> Future[Any]:
        future = self._pool.submit(fn, *args, **kwargs)
        self._pending.add(future)
        return future

    def drain(self) -> None:
        for future in list(self._pending):
            future.exception()
        self._pending.clear()


def _fake_slack(queue: Any, stop: Any) -> None:
    from handlers.fakeslack import FakeSlack

    with FakeSlack(everyone_tz=load.ZONE, record=False) as fake:
        queue.put((fake.api_url, fake.response_url("load")))
        stop.wait()


def environ_of(body: bytes, content_type: str) -> dict[str, Any]:
    stamp = str(int(time.time()))
    signature = load.SIGNER.generate_signature(timestamp=stamp, body=body)
    return {
        "REQUEST_METHOD": "POST",
        "PATH_INFO": "/slack/events",
        "QUERY_STRING": "",
        "CONTENT_TYPE": content_type,
        "CONTENT_LENGTH": str(len(body)),
        "HTTP_HOST": "127.0.0.1",
        "HTTP_X_SLACK_REQUEST_TIMESTAMP": stamp,
        "HTTP_X_SLACK_SIGNATURE": signature,
        "wsgi.input": io.BytesIO(body),
    }


def trace(engine: Any, kinds: list[str], send: Any, executor: Executor) -> int:
    """Print each statement (its first 100 characters, how it was compiled, whether it is
    ORM-enabled), BEGIN and COMMIT of one request of each kind."""
    from sqlalchemy import event

    seen: list[str] = []

    def on_execute(
        conn: Any, cursor: Any, statement: str, params: Any, context: Any, *_: Any
    ) -> None:
        # how SQLAlchemy got the compiled form: "[cached since ...]", "[generated in ...]" (a
        # cache miss: compiled on this execution) or "[no key ...]" (not cacheable)
        stats = context._get_cache_stats() if hasattr(context, "_get_cache_stats") else ""
        # "orm": an ORM-enabled statement (run through the ORM's execution and loading layer)
        compiled = getattr(context, "compiled", None)
        attrs = getattr(getattr(compiled, "statement", None), "_propagate_attrs", {})
        orm = "orm" if attrs.get("compile_state_plugin") == "orm" else ""
        seen.append(f"{stats[:14]:<14} {orm:<3}  " + " ".join(statement.split())[:100])

    def on_commit(conn: Any) -> None:
        seen.append("COMMIT")

    def on_begin(conn: Any) -> None:
        seen.append("BEGIN")

    event.listen(engine, "before_cursor_execute", on_execute)
    event.listen(engine, "commit", on_commit)
    event.listen(engine, "begin", on_begin)
    for kind in kinds:
        seen.clear()
        send(kind)
        if isinstance(executor, Counting):
            executor.drain()
        statements = sum(1 for s in seen if s not in ("BEGIN", "COMMIT"))
        print(f"== {kind}: {statements} statements, {seen.count('COMMIT')} commits")
        for line in seen:
            print("   ", line)
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=300, help="per kind")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--kinds", default=",".join(KINDS))
    parser.add_argument("--profile", type=Path, default=None)
    parser.add_argument(
        "--inline", action="store_true", help="run listeners in the request thread (for py-spy)"
    )
    parser.add_argument("--top", type=int, default=25)
    parser.add_argument(
        "--trace", action="store_true", help="print the SQL of one request of each kind"
    )
    args = parser.parse_args()
    kinds = [k.strip() for k in args.kinds.split(",")]

    ctx = multiprocessing.get_context("spawn")
    queue, stop = ctx.Queue(), ctx.Event()
    slack = ctx.Process(target=_fake_slack, args=(queue, stop), daemon=True)
    slack.start()
    api_url, response_url = queue.get(timeout=30)
    name, url = load.fresh_database()
    try:
        settings = load_settings(
            {
                "SLACK_BOT_TOKEN": "xoxb-load",
                "SLACK_SIGNING_SECRET": load.SECRET,
                "SLACK_API_URL": api_url,
                "DATABASE_URL": url,
                "LOG_LEVEL": "WARNING",
                "MENTORING_MODE": "instant",
            }
        )
        import logging

        logging.basicConfig(level=logging.WARNING)
        deps = open_deps(settings, migrate=False)
        executor: Executor = Inline() if args.profile or args.inline else Counting()
        app = build_app(deps, client=make_client(settings), listener_executor=executor)
        wsgi = SlackWsgi(app, settings.slack_signing_secret.reveal(), lambda: db.ping(deps.engine))
        freeze_startup_heap()
        requests = load.Requests(random.Random(7), 0, response_url)

        def send(kind: str) -> None:
            status: list[str] = []
            out = wsgi(environ_of(*requests.build(kind)), lambda s, h: status.append(s))
            body = b"".join(out)
            if not status[0].startswith("200") or load._apologised(body):
                raise SystemExit(f"{kind}: {status[0]} {body[:200]!r}")

        for kind in kinds:  # warm up: first-use imports, caches, the pool's connections
            for _ in range(20):
                send(kind)
        if isinstance(executor, Counting):
            executor.drain()

        if args.trace:
            return trace(deps.engine, kinds, send, executor)
        if args.profile:
            args.profile.mkdir(parents=True, exist_ok=True)
            for kind in kinds:
                profile = cProfile.Profile(time.thread_time)
                profile.enable()
                for _ in range(args.requests):
                    send(kind)
                profile.disable()
                path = args.profile / f"{kind}.prof"
                profile.dump_stats(path)
                stats = pstats.Stats(str(path))
                total = stats.total_tt  # type: ignore[attr-defined]
                per = 1000 * total / args.requests
                print(f"== {kind}: {per:.2f} ms thread CPU per request (profiled)")
                for order in ("tottime", "cumulative"):
                    buf = io.StringIO()
                    pstats.Stats(str(path), stream=buf).sort_stats(order).print_stats(args.top)
                    lines = buf.getvalue().splitlines()
                    start = next(i for i, line in enumerate(lines) if "ncalls" in line)
                    print("\n".join(lines[start : start + args.top + 1]))
            return 0

        used: dict[str, list[float]] = {k: [] for k in kinds}
        for _ in range(args.rounds):
            for kind in kinds:
                before = time.process_time()
                for _ in range(args.requests):
                    send(kind)
                if isinstance(executor, Counting):
                    executor.drain()
                used[kind].append(time.process_time() - before)
        print(
            f"bot CPU per request (process CPU, {args.rounds} rounds x {args.requests},"
            f" median round; load average {os.getloadavg()[0]:.2f})"
        )
        weights = dict(load.MIX)
        mixed = 0.0
        for kind in kinds:
            per = sorted(used[kind])[len(used[kind]) // 2] / args.requests * 1000
            mixed += per * weights[kind] / 100
            print(f"    {kind:<14} {per:6.2f} ms")
        if set(kinds) == set(KINDS):
            print(f"    {'mix':<14} {mixed:6.2f} ms (weighted as bench/load.py)")
        return 0
    finally:
        deps_engine = locals().get("deps")
        if deps_engine is not None:
            deps_engine.engine.dispose()
        stop.set()
        slack.join(timeout=10)
        load.drop_database(name)


if __name__ == "__main__":
    raise SystemExit(main())
