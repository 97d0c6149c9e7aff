"""`coach-or-mentor ask`: the same classifier as the slash command, for people and for tools."""

from __future__ import annotations

import argparse
import io
import json
import sys
from collections.abc import Iterable
from typing import Any, TextIO

from bot.guidance import Guidance, Practice, classify
from bot.resources import GuidanceResources, parse_resources
from handlers.runtime import StartupError, read_environment
from handlers.terminal import PLAIN, Renderer, Style, pick_style

_NEXT = {
    Practice.COACHING: "set a coaching goal (`/coach-or-mentor goal` in Slack).",
    Practice.MENTORING: "find a mentor (`/coach-or-mentor find-mentor` in Slack).",
}


def _printable(text: str) -> str:
    """Drop control characters so echoed words cannot drive the terminal."""
    return "".join(ch if ch.isprintable() else " " for ch in text)


def render(g: Guidance, resources: GuidanceResources, style: Style = PLAIN) -> str:
    """The answer for a person reading a terminal.

    The resources are Slack mrkdwn (an admin's `*bold*` and `<https://…|links>`): they are drawn
    as the sandbox draws messages, not printed with their markup.
    """
    mrkdwn = Renderer(style=style).mrkdwn
    if g.practice is Practice.UNCLEAR:
        return _printable(g.question or "Could you tell me a bit more?")
    if g.practice is Practice.ESCALATE:
        lines = ["This is not a coaching, mentoring or consulting matter. Please talk to:"]
        lines += [
            f"  - {mrkdwn(text)}"
            for text in resources.for_topic(g.escalate_topic.value if g.escalate_topic else None)
        ]
        return "\n".join(lines)
    head = f"{g.practice.value.capitalize()} ({g.confidence_label}, {g.confidence:.2f})"
    lines = [head if g.also is None else f"{head}, then {g.also.value}"]
    lines += [f"  {part.practice.value}: “{_printable(part.quote)}”" for part in g.split]
    if g.reasons:
        lines.append("Why:")
        lines += [f"  - {_printable(reason)}" for reason in g.reasons]
    for practice in (g.practice, g.also):
        if practice is None:
            continue
        lines.append("Next step: " + _NEXT.get(practice, mrkdwn(resources.consulting_contact)))
    return "\n".join(lines)


def _situations(stream: TextIO) -> Iterable[str]:
    for line in stream:
        yield line.rstrip("\r\n")


def run_ask(
    args: argparse.Namespace, stdin: TextIO | None = None, out: TextIO | None = None
) -> int:
    """Answer one situation, or one per line from standard input."""
    out = out or sys.stdout
    words: list[str] = args.situation
    if not words:
        raise StartupError("give a situation in quotes, or - to read one per line from stdin", 2)
    environment = read_environment()
    resources = parse_resources(environment)
    style = pick_style(out, environment)
    if words == ["-"]:
        stream = stdin or io.TextIOWrapper(sys.stdin.buffer, encoding="utf-8", errors="replace")
        texts: Iterable[str] = _situations(stream)
    else:
        texts = [" ".join(words)]
    for index, text in enumerate(texts):
        guidance = classify(text)
        if args.json:
            payload: dict[str, Any] = guidance.to_json_dict()
            out.write(json.dumps(payload, ensure_ascii=False) + "\n")
        else:
            out.write(("\n" if index else "") + render(guidance, resources, style) + "\n")
        out.flush()
    return 0


def register(commands: Any) -> None:
    """Add `ask` to the CLI."""
    ask = commands.add_parser(
        "ask",
        help="name the practice that fits a situation (no Slack needed)",
        description=(
            "Name the practice that fits a described situation. Give the situation as"
            " arguments, or - to read one situation per line from standard input."
        ),
    )
    ask.add_argument("situation", nargs="*", help="the situation, or - for standard input")
    ask.add_argument(
        "--json",
        action="store_true",
        help='one JSON object per line: {"practice", "also", "confidence", "reasons", ...}',
    )
    ask.set_defaults(handler=run_ask)
