"""The request thread waits for its listener's ack on an event, not by Bolt's 10 ms polling."""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any
from urllib.parse import urlencode

import pytest
from slack_bolt import Ack, App, BoltRequest
from slack_sdk import WebClient

from handlers.app import AckWaitingExecutor, KeptAck, dispatching
from handlers.fakeslack import FakeSlack


@pytest.fixture
def pool() -> Any:
    executor = ThreadPoolExecutor(max_workers=2)
    yield executor
    executor.shutdown(wait=True)


def test_submit_returns_as_soon_as_the_listener_acks(pool: ThreadPoolExecutor) -> None:
    ack, release = KeptAck(), threading.Event()

    def listener() -> None:
        ack()
        release.wait(5)  # still working after the ack

    dispatching(ack)
    future = AckWaitingExecutor(pool).submit(listener)
    assert ack.response is not None
    assert not future.done()
    release.set()
    future.result(timeout=5)


def test_a_listener_that_ends_without_an_ack_is_not_waited_out(pool: ThreadPoolExecutor) -> None:
    ack = KeptAck()

    def listener() -> None:
        raise RuntimeError("failed before its ack")

    dispatching(ack)
    began = time.monotonic()
    future = AckWaitingExecutor(pool, ack_wait_s=5).submit(listener)
    assert time.monotonic() - began < 2
    assert isinstance(future.exception(timeout=1), RuntimeError)
    assert ack.response is None


def test_a_listener_that_never_acks_is_waited_for_until_the_limit(
    pool: ThreadPoolExecutor,
) -> None:
    ack, release = KeptAck(), threading.Event()
    dispatching(ack)
    began = time.monotonic()
    AckWaitingExecutor(pool, ack_wait_s=0.2).submit(release.wait, 5)
    assert 0.15 < time.monotonic() - began < 2
    release.set()


def test_a_submit_from_elsewhere_does_not_wait(pool: ThreadPoolExecutor) -> None:
    ack = KeptAck()
    dispatching(ack)
    executor = AckWaitingExecutor(pool, ack_wait_s=5)
    executor.submit(lambda: None).result(timeout=1)  # takes (and forgets) the pending ack
    began = time.monotonic()
    executor.submit(time.sleep, 0.5)  # no request waits on this one
    assert time.monotonic() - began < 0.3


def test_bolt_answers_with_the_ack_without_polling(
    pool: ThreadPoolExecutor, monkeypatch: pytest.MonkeyPatch, fake_slack: FakeSlack
) -> None:
    """Through Bolt: the ack comes back while the listener still runs, and the request thread
    never sleeps in Bolt's polling loop."""
    from slack_bolt.listener import thread_runner

    from handlers.app import InjectDeps

    release = threading.Event()
    dispatcher = threading.current_thread()
    naps: list[float] = []
    real_sleep = time.sleep

    def watched_sleep(seconds: float) -> None:
        if threading.current_thread() is dispatcher:
            naps.append(seconds)
        real_sleep(seconds)

    monkeypatch.setattr(thread_runner.time, "sleep", watched_sleep)
    app = App(
        client=WebClient(token="xoxb-test", base_url=fake_slack.api_url),
        signing_secret="secret",
        token_verification_enabled=False,
        request_verification_enabled=False,
        listener_executor=AckWaitingExecutor(pool),
    )
    app.use(InjectDeps(deps=None))  # type: ignore[arg-type]

    @app.command("/coach-or-mentor")
    def listener(ack: Ack) -> None:
        real_sleep(0.05)  # some work before the ack
        ack(text="noted")
        release.wait(5)

    body = urlencode(
        {"command": "/coach-or-mentor", "text": "hi", "team_id": "T1", "user_id": "U1"}
    )
    response = app.dispatch(BoltRequest(body=body, headers={}))
    assert response.status == 200
    assert "noted" in response.body
    assert not naps
    release.set()


def test_settling_twice_is_harmless() -> None:
    ack = KeptAck()
    ack.settle()
    ack.settle()
    assert ack.wait(0)
    assert ack.wait(0)  # settled it stays


def test_a_settle_that_loses_the_race_to_another_thread_is_harmless() -> None:
    """Between `locked()` and `release()` another thread may release the lock first."""

    class RacedLock:
        def locked(self) -> bool:
            return True

        def release(self) -> None:
            raise RuntimeError("release unlocked lock")

    ack = KeptAck()
    ack._unsettled = RacedLock()  # type: ignore[assignment]
    ack.settle()
