"""`/coach-or-mentor help`: what the bot does and every sub-command."""

from __future__ import annotations

from slack_sdk.models.blocks import Block, ContextBlock, MarkdownTextObject, SectionBlock

from handlers import ids
from handlers.router import CommandCall, CommandRouter, Subcommand

INTRO = (
    "*coach-or-mentor* helps you find the right kind of guidance at work.\n"
    f"Describe what is going on, for example `{ids.COMMAND} I freeze when I present to the"
    " leadership team and my review is in March`, and I will tell you whether *coaching*,"
    " *mentoring* or *consulting* fits, why, and a next step. Only you see my answer."
)


def help_blocks(router: CommandRouter) -> list[Block]:
    """Help as Block Kit: the intro and one line per sub-command."""
    lines = [f"`{ids.COMMAND} {sub.usage}` {sub.summary}" for sub in router.subcommands]
    return [
        SectionBlock(text=MarkdownTextObject(text=INTRO)),
        SectionBlock(text=MarkdownTextObject(text="\n".join(lines))),
        ContextBlock(elements=[MarkdownTextObject(text="Your words are not stored.")]),
    ]


def help_text(router: CommandRouter) -> str:
    """Plain-text fallback of the help."""
    names = ", ".join(sub.name for sub in router.subcommands)
    return f"coach-or-mentor: describe a situation after {ids.COMMAND}, or use: {names}"


def register(router: CommandRouter) -> None:
    """Add the help sub-command."""

    def run(call: CommandCall) -> None:
        call.ack(
            response_type="ephemeral",
            text=help_text(router),
            blocks=[b.to_dict() for b in help_blocks(router)],
        )

    router.add(Subcommand("help", "help", "shows this help.", run, aliases=("?", "--help")))
