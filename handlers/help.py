"""`/coach-or-mentor help` (and empty text): what the bot does, examples, every sub-command."""

from __future__ import annotations

from typing import Any

from slack_sdk.models.blocks import (
    Block,
    ContextBlock,
    HeaderBlock,
    MarkdownTextObject,
    SectionBlock,
)

from bot.guidance import help_text as guidance_help
from handlers import ids
from handlers.router import CommandCall, CommandRouter, Subcommand

INTRO = (
    "*coach-or-mentor* helps you find the right kind of guidance at work.\n"
    f"Describe what is going on after `{ids.COMMAND}` and I will tell you whether *coaching*,"
    " *mentoring* or *consulting* fits, why, and a next step. Only you see my answer."
)


def help_blocks(router: CommandRouter) -> list[Block]:
    """Help as Block Kit: intro, examples, and one line per sub-command."""
    content = guidance_help()
    examples = "\n".join(
        f"• `{ids.COMMAND} {example.situation}` → _{example.practice.value}_"
        for example in content.examples
    )
    lines = [f"`{ids.COMMAND} <your situation>` gets a suggestion."]
    lines += [f"`{ids.COMMAND} {sub.usage}` {sub.summary}" for sub in router.subcommands]
    return [
        HeaderBlock(text=content.title),
        SectionBlock(text=MarkdownTextObject(text=INTRO)),
        SectionBlock(text=MarkdownTextObject(text=f"*Examples*\n{examples}")),
        SectionBlock(text=MarkdownTextObject(text="*Commands*\n" + "\n".join(lines))),
        ContextBlock(elements=[MarkdownTextObject(text=content.privacy)]),
    ]


def help_text(router: CommandRouter) -> str:
    """Plain-text fallback of the help."""
    names = ", ".join(sub.name for sub in router.subcommands)
    return f"coach-or-mentor: describe a situation after {ids.COMMAND}, or use: {names}"


def register(router: CommandRouter) -> None:
    """Add the help sub-command."""

    # The help changes only when a sub-command is added: its blocks are serialised once per set
    # of sub-commands (slack_sdk's validating to_dict() cost ~1 ms an answer).
    rendered: dict[tuple[Subcommand, ...], tuple[str, list[dict[str, Any]]]] = {}

    def run(call: CommandCall) -> None:
        subcommands = router.subcommands
        if subcommands not in rendered:
            blocks = [b.to_dict() for b in help_blocks(router)]
            rendered[subcommands] = (help_text(router), blocks)
        text, blocks = rendered[subcommands]
        call.ack(response_type="ephemeral", text=text, blocks=blocks)

    router.add(Subcommand("help", "help", "shows this help.", run, aliases=("?", "--help")))
