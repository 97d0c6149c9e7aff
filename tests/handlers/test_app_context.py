"""KeepAliveApp sets up a request's context as Bolt's App does, its client aside: the keep-alive
client's sibling for the token and workspace, instead of a new WebClient per request."""

from __future__ import annotations

import time
from typing import Any
from urllib.parse import urlencode

import pytest
from slack_bolt import Ack, App, BoltRequest
from slack_sdk import WebClient
from slack_sdk.signature import SignatureVerifier

from handlers.app import KeepAliveApp
from handlers.fakeslack import FakeSlack
from handlers.slack_client import KeepAliveWebClient

SECRET = "context-secret"
TOKEN = "xoxb-context"
FLAGS: dict[str, Any] = {
    "signing_secret": SECRET,
    "token_verification_enabled": False,
    "process_before_response": True,
}


def _request(text: str = "hello", *, team: str = "T0CTX") -> BoltRequest:
    """A signed slash command request, as Slack sends one."""
    body = urlencode(
        {"command": "/coach-or-mentor", "text": text, "team_id": team, "user_id": "U0CTX"}
    )
    ts = str(int(time.time()))
    signature = SignatureVerifier(SECRET).generate_signature(timestamp=ts, body=body) or ""
    headers = {
        "content-type": ["application/x-www-form-urlencoded"],
        "x-slack-request-timestamp": [ts],
        "x-slack-signature": [signature],
    }
    return BoltRequest(body=body, headers=headers)


def _keep_alive(fake: FakeSlack) -> KeepAliveWebClient:
    return KeepAliveWebClient(token=TOKEN, base_url=fake.api_url)


def test_the_context_is_bolts_with_the_sibling_as_client(fake_slack: FakeSlack) -> None:
    client = _keep_alive(fake_slack)
    ours = KeepAliveApp(client=client, attaching_function_token_enabled=False, **FLAGS)
    bolts = App(
        client=WebClient(token=TOKEN, base_url=fake_slack.api_url),
        attaching_function_token_enabled=False,
        **FLAGS,
    )
    mine, theirs = _request(), _request()
    ours._init_context(mine)
    bolts._init_context(theirs)
    # Bolt adding something to a request's context shows here.
    assert mine.context.keys() == theirs.context.keys()
    assert mine.context.token == theirs.context.token == TOKEN
    assert mine.context.logger.name == ours.name
    assert mine.context.listener_runner is ours.listener_runner
    assert mine.context.client is client.sibling(token=TOKEN, team_id="T0CTX")
    for attribute in ("token", "base_url", "default_params", "timeout", "proxy"):
        assert getattr(mine.context.client, attribute) == getattr(theirs.context.client, attribute)
    # The next request of the workspace has the same client; another workspace has its own.
    again, elsewhere = _request(), _request(team="T0OTHER")
    ours._init_context(again)
    ours._init_context(elsewhere)
    assert again.context.client is mine.context.client
    assert elsewhere.context.client is not mine.context.client
    assert elsewhere.context.client.default_params == {"team_id": "T0OTHER"}


@pytest.mark.parametrize(
    ("keep_alive", "attaching_function_token_enabled"),
    [(False, False), (True, True)],
    ids=["plain-client", "function-tokens"],
)
def test_other_apps_get_bolts_client_per_request(
    fake_slack: FakeSlack, keep_alive: bool, attaching_function_token_enabled: bool
) -> None:
    """A plain client, or function tokens (which change a request's client token): Bolt's way."""
    client = (
        _keep_alive(fake_slack)
        if keep_alive
        else WebClient(token=TOKEN, base_url=fake_slack.api_url)
    )
    app = KeepAliveApp(
        client=client, attaching_function_token_enabled=attaching_function_token_enabled, **FLAGS
    )
    first, second = _request(), _request()
    app._init_context(first)
    app._init_context(second)
    assert first.context.client is not second.context.client
    assert first.context.client is not client
    assert not isinstance(first.context.client, KeepAliveWebClient)


def test_a_signed_command_reaches_its_listener_with_the_sibling(fake_slack: FakeSlack) -> None:
    client = _keep_alive(fake_slack)
    app = KeepAliveApp(client=client, attaching_function_token_enabled=False, **FLAGS)
    seen: list[WebClient] = []

    @app.command("/coach-or-mentor")
    def answer(ack: Ack, client: WebClient) -> None:
        seen.append(client)
        ack("noted")

    for text in ("one", "two"):
        response = app.dispatch(_request(text))
        assert response.status == 200
        assert response.body == "noted"
    assert seen == [client.sibling(token=TOKEN, team_id="T0CTX")] * 2
    assert seen[0] is seen[1]
    # A request with a bad signature is refused before any listener runs.
    forged = _request("three")
    forged.headers["x-slack-signature"] = ["v0=0"]
    assert app.dispatch(forged).status == 401
    assert len(seen) == 2
