"""`/coach-or-mentor <sub-command | situation>`: one slash command; features add sub-commands."""

from __future__ import annotations

import functools
import logging
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, NamedTuple

from slack_bolt import Ack, App, BoltRequest, BoltResponse, Respond
from slack_bolt.listener import Listener
from slack_sdk import WebClient

from handlers import ids
from handlers.deps import Deps

log = logging.getLogger(__name__)
_ARGUMENTS = re.compile(r"\[([^\]]+)\]")


class CommandCall(NamedTuple):
    """One slash-command invocation, parsed at the edge (a named tuple: built on every command,
    several times cheaper than a frozen dataclass)."""

    ack: Ack
    respond: Respond
    client: WebClient
    deps: Deps
    team_id: str
    user_id: str
    trigger_id: str
    rest: str
    body: dict[str, Any]


Handler = Callable[[CommandCall], None]
# CommandCall(...) by its __new__: calling the class packs the keyword arguments into a dict for
# __new__ and runs __init__, several times the cost of the call itself (every command builds one).
_command_call = functools.partial(CommandCall.__new__, CommandCall)


@dataclass(frozen=True)
class Subcommand:
    """A word after the slash command, with the line it shows in help."""

    name: str
    usage: str
    summary: str
    run: Handler
    aliases: tuple[str, ...] = ()

    @property
    def arguments(self) -> frozenset[str]:
        """The words the usage allows after the name, e.g. `mentor [pause | resume | leave]`."""
        found = _ARGUMENTS.search(self.usage)
        return frozenset(w.strip() for w in found.group(1).split("|")) if found else frozenset()


class CommandRouter:
    """Routes the first word to a sub-command; anything else goes to the default handler."""

    def __init__(self) -> None:
        self._subcommands: dict[str, Subcommand] = {}
        self._ordered: list[Subcommand] = []
        self._default: Handler | None = None
        self._next_step_actions: frozenset[str] = frozenset()

    def add(self, sub: Subcommand) -> None:
        """Register a sub-command under its name and aliases."""
        for word in (sub.name, *sub.aliases):
            if word in self._subcommands:
                raise ValueError(f"sub-command {word!r} is registered twice")
            self._subcommands[word] = sub
        self._ordered.append(sub)

    def set_default(self, handler: Handler) -> None:
        """What runs when the text is not a sub-command (the guidance answer)."""
        self._default = handler

    def offer(self, action_id: str) -> None:
        """Declare that a next-step button with this action id has a listener."""
        self._next_step_actions |= {action_id}

    @property
    def next_step_actions(self) -> frozenset[str]:
        """Action ids of next-step buttons that some feature handles."""
        return self._next_step_actions

    @property
    def subcommands(self) -> tuple[Subcommand, ...]:
        """Sub-commands in registration order, for help."""
        return tuple(self._ordered)

    def resolve(self, text: str) -> tuple[Subcommand | None, str]:
        """The sub-command the text names (or None) and the rest of the text."""
        stripped = text.strip()
        word, _, rest = stripped.partition(" ")
        sub = self._subcommands.get(word.lower())
        rest = rest.strip()
        # "help me stop interrupting people" is a situation, not a request for help.
        if sub is None or (rest and rest.split()[0].lower() not in sub.arguments):
            return None, stripped
        return sub, rest

    def listener(
        self,
        ack: Ack,
        respond: Respond,
        client: WebClient,
        body: dict[str, Any],
        deps: Deps,
    ) -> None:
        """The Bolt listener for the slash command."""
        sub, rest = self.resolve(str(body.get("text") or ""))
        call = _command_call(
            ack=ack,
            respond=respond,
            client=client,
            deps=deps,
            team_id=str(body.get("team_id") or ""),
            user_id=str(body.get("user_id") or ""),
            trigger_id=str(body.get("trigger_id") or ""),
            rest=rest,
            body=body,
        )
        log.info(
            "command team=%s user=%s sub=%s",
            call.team_id,
            call.user_id,
            sub.name if sub else "situation",
        )
        if sub is not None:
            sub.run(call)
        elif self._default is not None and rest:
            self._default(call)
        else:
            self._subcommands["help"].run(call)

    def register(self, app: App) -> None:
        """Wire the slash command into the app (as the first listener Bolt tries)."""
        # Bolt has no public way to add a Listener object; `app.command` would wrap the function
        # in its generic listener, which this one replaces (see CommandListener).
        app._listeners.append(CommandListener(ids.COMMAND, self.listener))


class CommandListener(Listener):
    """The slash command's Bolt listener: matched on the command and called with what it uses.

    Bolt's generic listener (what `app.command` registers) builds every argument a listener could
    ask for, some thirty with the payload parsed eight ways, once to match the request and again
    to call the function: more work than the rest of a slash command's dispatch. This one reads
    the command to match and passes the five arguments. Bolt still runs it as any listener: global
    middleware first, then its listener runner, with its ack timeout and error handler.
    """

    def __init__(self, command: str, function: Callable[..., None]) -> None:
        self.command = command
        self.ack_function = function  # type: ignore[assignment]
        self.matchers = ()
        self.middleware = ()
        self.lazy_functions = ()
        self.auto_acknowledgement = False

    def matches(self, *, req: BoltRequest, resp: BoltResponse) -> bool:
        """The request is this slash command (what Bolt's `command` matcher checks)."""
        return req.body.get("command") == self.command

    def run_ack_function(self, *, request: BoltRequest, response: BoltResponse) -> None:
        """Call the listener with the request's ack, respond, client, body and deps."""
        context = request.context
        self.ack_function(
            ack=context.ack,
            respond=context.respond,
            client=context.client,
            body=request.body,
            deps=context["deps"],
        )
