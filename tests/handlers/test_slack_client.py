"""KeepAliveWebClient: one connection per thread reused between calls, errors as slack_sdk's."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_handlers import (
    ConnectionErrorRetryHandler,
    RateLimitErrorRetryHandler,
    ServerErrorRetryHandler,
)

from handlers import slack_client
from handlers.fakeslack import FakeSlack
from handlers.slack_client import KeepAliveWebClient
from tests.conftest import RunningBot


class CountingServer:
    """A tiny Web API answering {"ok": true}; counts connections and requests."""

    def __init__(self, *, close_after_each: bool = False) -> None:
        self.connections: set[tuple[str, int]] = set()
        self.requests = 0
        self.lock = threading.Lock()
        outer = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: Any) -> None:
                pass

            def do_POST(self) -> None:
                self.rfile.read(int(self.headers.get("Content-Length") or 0))
                with outer.lock:
                    outer.connections.add(self.client_address)
                    outer.requests += 1
                data = json.dumps({"ok": True}).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json; charset=utf-8")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)
                # A server dropping an idle connection: no "Connection: close" was announced.
                self.close_connection = close_after_each

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    @property
    def api_url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/api/"

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def counting() -> Iterator[CountingServer]:
    server = CountingServer()
    yield server
    server.stop()


def _client(api_url: str, **kwargs: Any) -> KeepAliveWebClient:
    return KeepAliveWebClient(token="xoxb-test", base_url=api_url, **kwargs)


def test_calls_from_one_thread_share_one_connection(counting: CountingServer) -> None:
    client = _client(counting.api_url)
    for _ in range(5):
        assert client.api_call("auth.test")["ok"]
    assert counting.requests == 5
    assert len(counting.connections) == 1


def test_each_thread_has_its_own_connection(counting: CountingServer) -> None:
    client = _client(counting.api_url)

    def calls() -> None:
        for _ in range(3):
            client.api_call("auth.test")

    threads = [threading.Thread(target=calls) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert counting.requests == 9
    assert len(counting.connections) == 3


def test_a_connection_idle_too_long_is_not_reused(
    counting: CountingServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(slack_client, "IDLE_REUSE_S", 0.0)
    client = _client(counting.api_url)
    client.api_call("auth.test")
    client.api_call("auth.test")
    assert len(counting.connections) == 2


def test_a_connection_the_server_closed_is_replaced_and_the_call_sent_once() -> None:
    server = CountingServer(close_after_each=True)
    try:
        client = _client(server.api_url, retry_handlers=[])  # no handler to hide a failure
        for _ in range(3):
            assert client.api_call("auth.test")["ok"]
        assert server.requests == 3
        assert len(server.connections) == 3
    finally:
        server.stop()


@pytest.fixture
def slack() -> Iterator[FakeSlack]:
    with FakeSlack() as fake:
        fake.add_user("U0ALICE", tz="Europe/Paris")
        yield fake


def _retrying(fake: FakeSlack) -> KeepAliveWebClient:
    return _client(
        fake.api_url,
        retry_handlers=[
            ConnectionErrorRetryHandler(),
            ServerErrorRetryHandler(max_retry_count=2),
            RateLimitErrorRetryHandler(max_retry_count=2),
        ],
    )


def test_answers_and_slack_errors_are_as_with_slack_sdk(slack: FakeSlack) -> None:
    client = _retrying(slack)
    assert client.users_info(user="U0ALICE")["user"]["tz"] == "Europe/Paris"
    with pytest.raises(SlackApiError) as err:
        client.users_info(user="U0NOBODY")
    assert err.value.response["error"] == "user_not_found"
    assert client.chat_postMessage(channel="U0ALICE", text="hi")["ok"]


def test_rate_limits_and_server_errors_are_retried_by_the_handlers(slack: FakeSlack) -> None:
    client = _retrying(slack)
    slack.rate_limit("users.info", times=1, retry_after=1)
    assert client.users_info(user="U0ALICE")["ok"]
    slack.fail("users.info", times=1, status=500)
    assert client.users_info(user="U0ALICE")["ok"]
    statuses = [c.status for c in slack.calls("users.info")]
    assert statuses == [429, 200, 500, 200]


def test_a_server_error_without_retries_is_raised(slack: FakeSlack) -> None:
    client = _client(slack.api_url, retry_handlers=[])
    slack.fail("chat.postMessage", times=1, status=500)
    with pytest.raises(SlackApiError):
        client.chat_postMessage(channel="U0ALICE", text="hi")
    assert client.chat_postMessage(channel="U0ALICE", text="hi")["ok"]  # the connection recovers


def test_an_unreachable_slack_is_a_url_error() -> None:
    from urllib.error import URLError

    client = _client("http://127.0.0.1:9/api/", retry_handlers=[])
    with pytest.raises(URLError):
        client.api_call("auth.test")


def test_listeners_reuse_the_apps_connections(bot: RunningBot) -> None:
    """Bolt makes a client per request; ours is a sibling sharing the app's open connections."""
    app_client = bot.app.client
    assert isinstance(app_client, KeepAliveWebClient)
    bot.slack.add_user("U0ALICE")
    for n in range(1, 4):
        assert bot.http.command("U0ALICE", "goal").status == 200
        # The listener opens the modal, then asks for the zone (its last call).
        assert bot.slack.wait_for(lambda s, n=n: len(s.ok_calls("users.info")) == n)
    assert bot.slack.wait_for(lambda _: bool(app_client._idle))
    # The listener threads' connections are back in the app's store, open for the next call.
    assert all(conn.sock is not None for conn, _ in app_client._idle.values())


def test_a_sibling_is_built_once_per_token_and_workspace(slack: FakeSlack) -> None:
    client = _client(slack.api_url)
    first = client.sibling(token="xoxb-a", team_id="T1")
    assert client.sibling(token="xoxb-a", team_id="T1") is first
    other_team = client.sibling(token="xoxb-a", team_id="T2")
    other_token = client.sibling(token="xoxb-b", team_id="T1")
    assert len({id(first), id(other_team), id(other_token)}) == 3
    assert other_team.default_params["team_id"] == "T2"
    assert other_token.token == "xoxb-b"
    assert first._idle is client._idle
    assert first.chat_postMessage(channel="U0ALICE", text="hi")["ok"]
    assert client._idle  # the sibling's connection went back to the shared store


def test_the_siblings_kept_are_bounded(slack: FakeSlack, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(slack_client, "SIBLINGS_KEPT", 2)
    client = _client(slack.api_url)
    first = client.sibling(token="xoxb-a", team_id="T1")
    client.sibling(token="xoxb-a", team_id="T2")
    client.sibling(token="xoxb-a", team_id="T3")
    assert len(client._siblings) == 1
    assert client.sibling(token="xoxb-a", team_id="T1") is not first


def test_respond_posts_on_the_kept_connection(counting: CountingServer) -> None:
    """Bolt's respond opens a connection per post; ours reuses this thread's, same messages."""
    client = _client(counting.api_url)
    respond = client.respond_for(counting.api_url.replace("/api/", "/response/r1"))
    for n in range(3):
        answer = respond(text=f"note {n}", response_type="ephemeral", replace_original=False)
        assert answer.status_code == 200
        assert json.loads(answer.body) == {"ok": True}
    assert counting.requests == 3
    assert len(counting.connections) == 1


def test_respond_sends_what_bolts_respond_sends(slack: FakeSlack) -> None:
    client = _client(slack.api_url)
    respond = client.respond_for(slack.response_url("r2"))
    assert (
        respond(text="a <b>", response_type="ephemeral", replace_original=False).status_code == 200
    )
    assert respond({"text": "whole", "delete_original": True}).status_code == 200
    assert slack.responses() == [
        {"key": "r2", "text": "a <b>", "response_type": "ephemeral", "replace_original": False},
        {"key": "r2", "text": "whole", "delete_original": True},
    ]
