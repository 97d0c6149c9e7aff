"""The terminal renderer: Block Kit and mrkdwn as readable text, styled or plain."""

from __future__ import annotations

import io
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from handlers.terminal import ANSI, PLAIN, Renderer, Style, pick_style, visible_len

B, D, IT, U, S, R = "\x1b[1m", "\x1b[2m", "\x1b[3m", "\x1b[4m", "\x1b[9m", "\x1b[0m"
NAMES = {"U0ANA": "Ana"}
# 2026-01-07 09:30 UTC; 10:30 in Berlin.
TS = int(datetime(2026, 1, 7, 9, 30, tzinfo=UTC).timestamp())


def plain(**kwargs: Any) -> Renderer:
    return Renderer(style=PLAIN, names=NAMES, **kwargs)


def ansi(**kwargs: Any) -> Renderer:
    return Renderer(style=ANSI, names=NAMES, **kwargs)


@pytest.mark.parametrize(
    ("text", "as_plain", "as_ansi"),
    [
        ("*Why*", "Why", f"{B}Why{R}"),
        ("a *bold move* here", "a bold move here", f"a {B}bold move{R} here"),
        ("_soft_ words", "soft words", f"{IT}soft{R} words"),
        ("~gone~", "gone", f"{S}gone{R}"),
        ("goal_answer_on_track stays", "goal_answer_on_track stays", None),
        ("2 * 3 * 4", "2 * 3 * 4", None),
        ("<@U0ANA>, meet <@U0BEN>", "@Ana, meet @U0BEN", None),
        ("<@U0ZED|zed>", "@zed", None),
        ("in <#C123|general>", "in #general", None),
        ("<!here> look", "@here look", None),
        ("<https://hr.example.com|HR portal>", "HR portal (https://hr.example.com)", None),
        ("<https://example.com>", "https://example.com", None),
        ("&lt;!channel&gt; &amp; ship", "<!channel> & ship", None),
        (f"<!date^{TS}^{{date_long}} at {{time}}|soon>", "Wednesday 7 January 2026 at 09:30", None),
        (f"<!date^{TS}^{{date_num}}|soon>", "2026-01-07", None),
        ("<!date^oops^{date}|soon>", "soon", None),
        ("`code` kept", "`code` kept", None),
    ],
    ids=[
        "bold",
        "bold-words",
        "italic",
        "strike",
        "snake-case",
        "lone-stars",
        "mentions",
        "mention-label",
        "channel",
        "special",
        "link-label",
        "bare-link",
        "entities",
        "date-long",
        "date-num",
        "date-broken",
        "code",
    ],
)
def test_mrkdwn(text: str, as_plain: str, as_ansi: str | None) -> None:
    assert plain().mrkdwn(text) == as_plain
    assert ansi().mrkdwn(text) == (as_ansi if as_ansi is not None else as_plain)


def test_dates_are_shown_in_the_readers_zone() -> None:
    text = f"<!date^{TS}^{{time}}|soon>"
    assert plain(zone=ZoneInfo("Europe/Berlin")).mrkdwn(text) == "10:30"


def _button(label: str, style: str | None = None) -> dict[str, Any]:
    button: dict[str, Any] = {"type": "button", "text": {"type": "plain_text", "text": label}}
    if style:
        button["style"] = style
    return button


def _md(text: str) -> dict[str, str]:
    return {"type": "mrkdwn", "text": text}


@pytest.mark.parametrize(
    ("block", "width", "as_plain", "as_ansi"),
    [
        (
            {"type": "header", "text": {"type": "plain_text", "text": "Your goals"}},
            40,
            ["Your goals", "=========="],
            [f"{B}{U}Your goals{R}"],
        ),
        (
            {"type": "section", "text": _md("*Next* step is short")},
            40,
            ["Next step is short"],
            [f"{B}Next{R} step is short"],
        ),
        (
            {"type": "section", "text": _md("one two three four five six seven")},
            14,
            ["one two three", "four five six", "seven"],
            None,
        ),
        (
            {"type": "section", "text": _md("*Why*\n• alpha beta gamma delta")},
            14,
            ["Why", "• alpha beta", "  gamma delta"],
            [f"{B}Why{R}", "• alpha beta", "  gamma delta"],
        ),
        (
            {"type": "section", "text": _md("1. first step to take")},
            14,
            ["1. first step", "   to take"],
            None,
        ),
        (
            {"type": "section", "text": _md("Pick"), "accessory": _button("Open")},
            40,
            ["Pick", "[ Open ]"],
            None,
        ),
        (
            {
                "type": "section",
                "fields": [_md("*Topics*\nLeadership"), _md("*Team*\nPayments"), _md("Solo")],
            },
            40,
            ["Topics               Team", "Leadership           Payments", "Solo"],
            [f"{B}Topics{R}{' ' * 15}{B}Team{R}", "Leadership           Payments", "Solo"],
        ),
        (
            {"type": "context", "elements": [_md("Only *you* see this"), _md("Thanks")]},
            60,
            ["Only you see this  Thanks"],
            [f"{D}Only you see this  Thanks{R}"],
        ),
        ({"type": "divider"}, 6, ["------"], [f"{D}──────{R}"]),
        (
            {"type": "actions", "elements": [_button("Accept", "primary"), _button("Decline")]},
            40,
            ["[ Accept ]  [ Decline ]"],
            [f"{B}[ Accept ]{R}  [ Decline ]"],
        ),
        (
            {
                "type": "actions",
                "elements": [
                    {"type": "overflow"},
                    {"type": "datepicker", "initial_date": "2026-02-01"},
                ],
            },
            40,
            ["[ … ]  [ 2026-02-01 ▾ ]"],
            None,
        ),
        (
            {
                "type": "input",
                "label": {"type": "plain_text", "text": "Team"},
                "optional": True,
                "element": {
                    "type": "plain_text_input",
                    "placeholder": {"type": "plain_text", "text": "e.g. Payments"},
                },
                "hint": {"type": "plain_text", "text": "Shown to mentors."},
            },
            40,
            ["Team (optional)", "  [ e.g. Payments ]", "  Shown to mentors."],
            [
                f"{B}Team{R}{D} (optional){R}",
                f"  [ {D}e.g. Payments{R} ]",
                f"{D}  Shown to mentors.{R}",
            ],
        ),
        (
            {
                "type": "input",
                "label": {"type": "plain_text", "text": "Cadence"},
                "element": {
                    "type": "static_select",
                    "initial_option": {
                        "text": {"type": "plain_text", "text": "Every week"},
                        "value": "weekly",
                    },
                },
            },
            40,
            ["Cadence", "  [ Every week ▾ ]"],
            [f"{B}Cadence{R}", "  [ Every week ▾ ]"],
        ),
        (
            {
                "type": "input",
                "label": {"type": "plain_text", "text": "Coach"},
                "element": {"type": "users_select", "initial_user": "U0ANA"},
            },
            40,
            ["Coach", "  [ @Ana ▾ ]"],
            [f"{B}Coach{R}", "  [ @Ana ▾ ]"],
        ),
        (
            {
                "type": "input",
                "label": {"type": "plain_text", "text": "Offer"},
                "element": {
                    "type": "checkboxes",
                    "options": [
                        {"text": {"type": "plain_text", "text": "Advice"}, "value": "a"},
                        {"text": {"type": "plain_text", "text": "Support"}, "value": "s"},
                    ],
                    "initial_options": [
                        {"text": {"type": "plain_text", "text": "Support"}, "value": "s"}
                    ],
                },
            },
            40,
            ["Offer", "  [ ] Advice  [x] Support"],
            [f"{B}Offer{R}", "  [ ] Advice  [x] Support"],
        ),
        (
            {
                "type": "rich_text",
                "elements": [
                    {
                        "type": "rich_text_section",
                        "elements": [
                            {"type": "text", "text": "Hello "},
                            {"type": "text", "text": "there"},
                        ],
                    }
                ],
            },
            40,
            ["Hello there"],
            None,
        ),
        ({"type": "image", "alt_text": "a chart"}, 40, ["[image: a chart]"], None),
        ({"type": "video"}, 40, ["[video]"], [f"{D}[video]{R}"]),
    ],
    ids=[
        "header",
        "section-bold",
        "section-wraps",
        "bullets-hang",
        "numbered-hang",
        "accessory",
        "fields-two-columns",
        "context-dim",
        "divider",
        "buttons",
        "overflow-datepicker",
        "input-placeholder-hint",
        "input-select",
        "input-user",
        "input-checkboxes",
        "rich-text",
        "image",
        "unknown",
    ],
)
def test_blocks(
    block: dict[str, Any], width: int, as_plain: list[str], as_ansi: list[str] | None
) -> None:
    assert plain(width=width).block(block) == as_plain
    assert ansi(width=width).block(block) == (as_ansi if as_ansi is not None else as_plain)


def test_wrapping_counts_only_visible_characters() -> None:
    text = " ".join(f"*w{n}*" for n in range(12))
    lines = ansi(width=20).wrap(ansi().mrkdwn(text))
    assert len(lines) > 1
    assert all(visible_len(line) <= 20 for line in lines)
    assert [visible_len(line) for line in lines] == [
        len(line) for line in plain(width=20).wrap(plain().mrkdwn(text))
    ]


def test_a_word_longer_than_the_width_is_not_cut() -> None:
    assert plain(width=10).wrap("see https://example.com/a/long/path now") == [
        "see",
        "https://example.com/a/long/path",
        "now",
    ]


def test_blocks_are_spaced_like_slack() -> None:
    blocks = [
        {"type": "section", "text": _md("One")},
        {"type": "section", "text": _md("Two")},
        {"type": "actions", "elements": [_button("Go")]},
        {"type": "context", "elements": [_md("small")]},
    ]
    assert plain().blocks(blocks) == ["One", "", "Two", "[ Go ]", "small"]


@pytest.mark.parametrize(
    ("text", "blocks", "expected"),
    [
        ("Hello *you*", [], ["Hello you"]),
        ("fallback", [{"type": "section", "text": _md("Shown")}], ["Shown"]),
    ],
    ids=["text-only", "blocks-win"],
)
def test_message(text: str, blocks: list[dict[str, Any]], expected: list[str]) -> None:
    assert plain().message(text, blocks) == expected


def test_a_modal_shows_its_title_and_buttons() -> None:
    view = {
        "type": "modal",
        "title": {"type": "plain_text", "text": "New goal"},
        "submit": {"type": "plain_text", "text": "Save"},
        "close": {"type": "plain_text", "text": "Cancel"},
        "blocks": [{"type": "section", "text": _md("Hi")}],
    }
    lines = plain(width=30).view(view)
    assert lines[0] == "New goal"
    assert lines[1] == "-" * 30
    assert lines[2] == "Hi"
    assert lines[-2] == "-" * 30
    assert lines[-1] == "[ Cancel ]  [ Save ]".rjust(30)


def test_a_home_tab_has_no_title_or_buttons() -> None:
    view = {"type": "home", "blocks": [{"type": "section", "text": _md("Welcome")}]}
    assert plain().view(view) == ["Welcome"]


class _Stream(io.StringIO):
    def __init__(self, tty: bool) -> None:
        super().__init__()
        self._tty = tty

    def isatty(self) -> bool:
        return self._tty


@pytest.mark.parametrize(
    ("tty", "env", "expected"),
    [
        (True, {}, ANSI),
        (False, {}, PLAIN),
        (True, {"NO_COLOR": "1"}, PLAIN),
        (True, {"NO_COLOR": ""}, ANSI),
    ],
    ids=["terminal", "pipe", "no-color", "no-color-empty"],
)
def test_pick_style(tty: bool, env: dict[str, str], expected: Style) -> None:
    assert pick_style(_Stream(tty), env) == expected
