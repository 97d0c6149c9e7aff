"""The fake Slack server behaves like Slack towards the real slack_sdk WebClient."""

from __future__ import annotations

import time

import pytest
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_handlers import (
    RateLimitErrorRetryHandler,
    ServerErrorRetryHandler,
)

from handlers.fakeslack import FakeSlack


def client(fake: FakeSlack, token: str = "xoxb-t", **kwargs: object) -> WebClient:
    return WebClient(token=token, base_url=fake.api_url, **kwargs)  # type: ignore[arg-type]


def test_records_calls_with_arguments(fake_slack: FakeSlack) -> None:
    client(fake_slack).chat_postMessage(
        channel="U0A", text="hi", metadata={"event_type": "checkin", "event_payload": {"id": 7}}
    )
    [call] = fake_slack.calls("chat.postMessage")
    assert call.args["channel"] == "U0A"
    assert call.args["text"] == "hi"
    history = client(fake_slack).conversations_history(channel="U0A", include_all_metadata=True)
    assert history["messages"][0]["metadata"]["event_payload"] == {"id": 7}


@pytest.mark.parametrize(
    ("method", "kwargs", "error"),
    [
        ("chat.postMessage", {"channel": "U0A"}, "no_text"),
        ("chat.postMessage", {"text": "x"}, "invalid_arguments"),
        ("users.info", {}, "invalid_arguments"),
        ("views.publish", {"view": {"type": "home", "blocks": []}}, "invalid_arguments"),
        ("conversations.open", {}, "users_list_not_supplied"),
        ("views.open", {"view": {"type": "modal"}}, "invalid_arguments"),
    ],
    ids=["no-text", "no-channel", "no-user", "no-user-id", "no-users", "no-trigger"],
)
def test_missing_required_arguments_are_rejected(
    fake_slack: FakeSlack, method: str, kwargs: dict[str, object], error: str
) -> None:
    with pytest.raises(SlackApiError) as err:
        client(fake_slack).api_call(method, json=kwargs)
    assert err.value.response["error"] == error


def test_bad_or_missing_token(fake_slack: FakeSlack) -> None:
    with pytest.raises(SlackApiError) as err:
        client(fake_slack, token="xoxp-user").auth_test()
    assert err.value.response["error"] == "invalid_auth"


def test_429_with_retry_after_is_honoured_by_the_sdk(fake_slack: FakeSlack) -> None:
    fake_slack.rate_limit("chat.postMessage", times=1, retry_after=1)
    web = client(fake_slack, retry_handlers=[RateLimitErrorRetryHandler(max_retry_count=1)])
    started = time.monotonic()
    assert web.chat_postMessage(channel="U0A", text="hi")["ok"]
    assert time.monotonic() - started >= 1.0
    assert [c.status for c in fake_slack.calls("chat.postMessage")] == [429, 200]


def test_429_without_retry_handler_surfaces(fake_slack: FakeSlack) -> None:
    fake_slack.rate_limit("chat.postMessage", retry_after=7)
    with pytest.raises(SlackApiError) as err:
        client(fake_slack).chat_postMessage(channel="U0A", text="hi")
    assert err.value.response.status_code == 429
    assert err.value.response.headers["retry-after"] == "7"


def test_500_then_success_with_retry(fake_slack: FakeSlack) -> None:
    fake_slack.fail("chat.postMessage", status=500, times=1)
    web = client(fake_slack, retry_handlers=[ServerErrorRetryHandler(max_retry_count=1)])
    assert web.chat_postMessage(channel="U0A", text="hi")["ok"]
    assert [c.status for c in fake_slack.calls("chat.postMessage")] == [500, 200]


def test_slack_errors_and_gone_users(fake_slack: FakeSlack) -> None:
    fake_slack.add_user("U0GONE", deleted=True)
    with pytest.raises(SlackApiError) as err:
        client(fake_slack).chat_postMessage(channel="U0GONE", text="hi")
    assert err.value.response["error"] == "account_inactive"
    fake_slack.fail("chat.postMessage", error="cannot_dm_bot")
    with pytest.raises(SlackApiError) as err:
        client(fake_slack).chat_postMessage(channel="U0A", text="hi")
    assert err.value.response["error"] == "cannot_dm_bot"
    with pytest.raises(SlackApiError) as err:
        client(fake_slack).users_info(user="U0NOBODY")
    assert err.value.response["error"] == "user_not_found"


def test_slow_answers(fake_slack: FakeSlack) -> None:
    fake_slack.fail("auth.test", delay=0.3)
    started = time.monotonic()
    assert client(fake_slack).auth_test()["ok"]
    assert time.monotonic() - started >= 0.3


def test_group_dm_channel_is_stable_per_member_set(fake_slack: FakeSlack) -> None:
    web = client(fake_slack)
    a = web.conversations_open(users="U0A,U0B")["channel"]["id"]
    b = web.conversations_open(users=["U0B", "U0A"])["channel"]["id"]
    assert a == b
    assert a.startswith("G")
