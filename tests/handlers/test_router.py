"""Which words are sub-commands and which are the start of a situation."""

from __future__ import annotations

import pytest
from slack_bolt import BoltRequest, BoltResponse

from handlers.router import CommandListener, CommandRouter, Subcommand


def _router() -> CommandRouter:
    router = CommandRouter()
    noop = lambda call: None  # noqa: E731
    router.add(Subcommand("help", "help", "help", noop, aliases=("?",)))
    router.add(Subcommand("mentor", "mentor [pause | resume | leave]", "m", noop))
    router.add(Subcommand("find-mentor", "find-mentor [withdraw]", "f", noop, aliases=("request",)))
    return router


@pytest.mark.parametrize(
    ("text", "name", "rest"),
    [
        ("help", "help", ""),
        ("  HELP  ", "help", ""),
        ("?", "help", ""),
        ("mentor", "mentor", ""),
        ("mentor pause", "mentor", "pause"),
        ("Mentor Leave", "mentor", "Leave"),
        ("request", "find-mentor", ""),
        ("find-mentor withdraw", "find-mentor", "withdraw"),
        (
            "help me stop interrupting people in meetings",
            None,
            "help me stop interrupting people in meetings",
        ),
        (
            "mentor wanted: I'd like someone senior in design",
            None,
            "mentor wanted: I'd like someone senior in design",
        ),
        (
            "request for advice on moving into product",
            None,
            "request for advice on moving into product",
        ),
        ("my team keeps missing deadlines", None, "my team keeps missing deadlines"),
        ("", None, ""),
    ],
    ids=[
        "help",
        "help-caps",
        "alias",
        "mentor",
        "mentor-arg",
        "arg-caps",
        "alias-no-arg",
        "withdraw",
        "help-me-situation",
        "mentor-situation",
        "request-situation",
        "situation",
        "empty",
    ],
)
def test_resolve(text: str, name: str | None, rest: str) -> None:
    sub, remainder = _router().resolve(text)
    assert (sub.name if sub else None) == name
    assert remainder == rest


def test_command_listener_matches_only_its_command() -> None:
    listener = CommandListener("/coach-or-mentor", lambda **_: None)
    ok = BoltResponse(status=200)

    def request(body: str) -> BoltRequest:
        return BoltRequest(
            body=body, headers={"content-type": ["application/x-www-form-urlencoded"]}
        )

    assert listener.matches(req=request("command=%2Fcoach-or-mentor&text=hi"), resp=ok)
    assert not listener.matches(req=request("command=%2Fsomething-else&text=hi"), resp=ok)
    assert not listener.matches(
        req=request("payload=%7B%22type%22%3A%22block_actions%22%7D"), resp=ok
    )
    assert not listener.matches(req=request(""), resp=ok)
