"""Block Kit rendered readably in a terminal: what a person would see in Slack, as text.

Bold, dim and underline use ANSI escapes when the output is a terminal; otherwise (a pipe, a
file, or NO_COLOR set) the same layout comes out as plain text.
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime, tzinfo
from typing import Any, TextIO

Block = Mapping[str, Any]

DEFAULT_WIDTH = 78
_ANSI = re.compile(r"\x1b\[[0-9;]*m")
_TOKEN = re.compile(r"<([^<>\s][^<>]*)>")
_BOLD = re.compile(r"(?<![\w*])\*(?=\S)([^*\n]*?\S)\*(?![\w*])")
_ITALIC = re.compile(r"(?<![\w_])_(?=\S)([^_\n]*?\S)_(?![\w_])")
_STRIKE = re.compile(r"(?<![\w~])~(?=\S)([^~\n]*?\S)~(?![\w~])")
_BULLET = re.compile(r"^(\s*(?:[•◦▪\-–]|\d+[.)])\s+)")


@dataclass(frozen=True)
class Style:
    """How emphasis looks: ANSI escapes, or nothing for plain text."""

    bold: str = ""
    dim: str = ""
    italic: str = ""
    underline: str = ""
    strike: str = ""
    reset: str = ""
    rule: str = "-"

    @property
    def plain(self) -> bool:
        """True when no escapes are written."""
        return not self.reset

    def wrap(self, text: str, *codes: str) -> str:
        """The text in the given escapes (unchanged in plain style)."""
        if self.plain or not text:
            return text
        return "".join(codes) + text + self.reset


PLAIN = Style()
ANSI = Style(
    bold="\x1b[1m",
    dim="\x1b[2m",
    italic="\x1b[3m",
    underline="\x1b[4m",
    strike="\x1b[9m",
    reset="\x1b[0m",
    rule="─",
)


def pick_style(stream: TextIO, env: Mapping[str, str]) -> Style:
    """ANSI for a terminal, plain text for a pipe, a file, or when NO_COLOR is set."""
    if env.get("NO_COLOR"):
        return PLAIN
    isatty = getattr(stream, "isatty", None)
    return ANSI if callable(isatty) and isatty() else PLAIN


def visible_len(text: str) -> int:
    """The width of the text on screen (escapes take no room)."""
    return len(_ANSI.sub("", text))


@dataclass(frozen=True)
class Renderer:
    """Turns blocks, messages and views into lines of text."""

    style: Style = PLAIN
    width: int = DEFAULT_WIDTH
    names: Mapping[str, str] | None = None
    zone: tzinfo = UTC

    # mrkdwn ------------------------------------------------------------------------------------
    def mrkdwn(self, text: str) -> str:
        """Slack mrkdwn as styled text: mentions named, dates spelled, emphasis applied."""
        text = _TOKEN.sub(self._token, text)
        text = _BOLD.sub(lambda m: self.style.wrap(m.group(1), self.style.bold), text)
        text = _ITALIC.sub(lambda m: self.style.wrap(m.group(1), self.style.italic), text)
        text = _STRIKE.sub(lambda m: self.style.wrap(m.group(1), self.style.strike), text)
        return html.unescape(text) if "&" in text else text

    def _token(self, match: re.Match[str]) -> str:
        """One `<...>` span: a mention, a channel, a special mention, a date or a link."""
        target, _, label = match.group(1).partition("|")
        if target.startswith("@"):
            return "@" + ((self.names or {}).get(target[1:]) or label or target[1:])
        if target.startswith("#"):
            return "#" + (label or target[1:])
        if target.startswith("!date^"):
            return self._date(target, label)
        if target.startswith("!"):
            return "@" + (label or target[1:].split("^", 1)[0])
        return f"{label} ({target})" if label and label != target else target

    def _date(self, target: str, fallback: str) -> str:
        """`<!date^ts^format|fallback>` in the reader's time zone, as Slack shows it."""
        parts = target.split("^")
        if len(parts) < 3 or not parts[1].isdigit():
            return fallback
        moment = datetime.fromtimestamp(int(parts[1]), UTC).astimezone(self.zone)
        day = f"{moment:%A} {moment.day} {moment:%B %Y}"
        time = f"{moment:%H:%M}"
        words = {
            "{date_long}": day,
            "{date_long_pretty}": day,
            "{date}": f"{moment.day} {moment:%B %Y}",
            "{date_pretty}": f"{moment.day} {moment:%B %Y}",
            "{date_short}": f"{moment.day} {moment:%b %Y}",
            "{date_short_pretty}": f"{moment.day} {moment:%b %Y}",
            "{date_num}": f"{moment:%Y-%m-%d}",
            "{time}": time,
            "{time_secs}": f"{moment:%H:%M:%S}",
        }
        text = parts[2]
        for token, value in words.items():
            text = text.replace(token, value)
        return text

    def plain_text(self, obj: Mapping[str, Any] | None) -> str:
        """A text object (plain_text or mrkdwn) as styled text."""
        if not obj:
            return ""
        text = str(obj.get("text") or "")
        return self.mrkdwn(text) if obj.get("type") == "mrkdwn" else html.unescape(text)

    # layout ------------------------------------------------------------------------------------
    def wrap(self, text: str, indent: str = "") -> list[str]:
        """Wrap styled text to the width; bullet lines get a hanging indent."""
        lines: list[str] = []
        for raw in text.split("\n"):
            bullet = _BULLET.match(raw)
            hang = " " * len(bullet.group(1)) if bullet else ""
            lines.extend(_fill(raw, self.width - len(indent), hang))
        return [indent + line if line else "" for line in lines]

    def rule(self) -> str:
        """A divider across the width."""
        return self.style.wrap(self.style.rule * self.width, self.style.dim)

    # blocks ------------------------------------------------------------------------------------
    def blocks(self, blocks: Iterable[Block]) -> list[str]:
        """Every block, one after another, separated by blank lines where Slack leaves room."""
        out: list[str] = []
        for block in blocks:
            lines = self.block(block)
            if not lines:
                continue
            if out and out[-1] != "" and block.get("type") not in ("context", "actions"):
                out.append("")
            out.extend(lines)
        return out

    def block(self, block: Block) -> list[str]:
        """One block as lines."""
        kind = str(block.get("type") or "")
        draw: Callable[[Block], list[str]] = getattr(self, "_b_" + kind, self._b_unknown)
        return draw(block)

    def _b_header(self, block: Block) -> list[str]:
        text = self.plain_text(block.get("text"))
        if self.style.plain:
            return [text, "=" * min(len(text), self.width)]
        return [self.style.wrap(text, self.style.bold, self.style.underline)]

    def _b_section(self, block: Block) -> list[str]:
        text = self.plain_text(block.get("text"))
        lines = self.wrap(text) if text else []
        lines.extend(self.fields(block.get("fields") or []))
        accessory = block.get("accessory")
        if accessory:
            lines.append(self.element(accessory))
        return lines

    def fields(self, fields: Sequence[Mapping[str, Any]]) -> list[str]:
        """A section's fields in two columns, as Slack lays them out."""
        column = (self.width - 2) // 2
        narrow = replace(self, width=column)
        lines: list[str] = []
        for start in range(0, len(fields), 2):
            first = narrow.wrap(self.plain_text(fields[start]))
            right = fields[start + 1] if start + 1 < len(fields) else None
            second = narrow.wrap(self.plain_text(right)) if right else []
            for n in range(max(len(first), len(second))):
                cell = first[n] if n < len(first) else ""
                pad = " " * (column + 2 - visible_len(cell))
                lines.append((cell + pad + (second[n] if n < len(second) else "")).rstrip())
        return lines

    def _b_context(self, block: Block) -> list[str]:
        parts = [self._context_part(element) for element in block.get("elements") or []]
        text = "  ".join(part for part in parts if part)
        return [self.style.wrap(line, self.style.dim) for line in self.wrap(text)]

    def _context_part(self, element: Mapping[str, Any]) -> str:
        if element.get("type") == "image":
            return f"[{element.get('alt_text') or 'image'}]"
        return _ANSI.sub("", self.plain_text(element))

    def _b_divider(self, _block: Block) -> list[str]:
        return [self.rule()]

    def _b_actions(self, block: Block) -> list[str]:
        elements = [self.element(e) for e in block.get("elements") or []]
        return _fill("  ".join(elements), self.width, "") if elements else []

    def _b_input(self, block: Block) -> list[str]:
        label = self.style.wrap(self.plain_text(block.get("label")), self.style.bold)
        if block.get("optional"):
            label += self.style.wrap(" (optional)", self.style.dim)
        lines = [label, "  " + self.element(block.get("element") or {})]
        hint = self.plain_text(block.get("hint"))
        if hint:
            lines.extend(self.style.wrap(line, self.style.dim) for line in self.wrap(hint, "  "))
        return lines

    def _b_image(self, block: Block) -> list[str]:
        return [f"[image: {block.get('alt_text') or block.get('image_url') or ''}]"]

    def _b_rich_text(self, block: Block) -> list[str]:
        words = _rich_text(block.get("elements") or [])
        return self.wrap(words)

    def _b_unknown(self, block: Block) -> list[str]:
        return [self.style.wrap(f"[{block.get('type') or 'block'}]", self.style.dim)]

    # elements ----------------------------------------------------------------------------------
    def element(self, element: Mapping[str, Any]) -> str:
        """An interactive element as a bracketed control: [ Label ], [ Pick one ▾ ], [x] …"""
        kind = str(element.get("type") or "")
        if kind == "button":
            label = self.plain_text(element.get("text"))
            box = f"[ {label} ]"
            return self.style.wrap(box, self.style.bold) if element.get("style") else box
        if kind in ("checkboxes", "radio_buttons"):
            return self._choices(element)
        if kind == "overflow":
            return "[ … ]"
        return f"[ {self._element_value(element)} ]"

    def _choices(self, element: Mapping[str, Any]) -> str:
        chosen = {str(o.get("value")) for o in element.get("initial_options") or []}
        if element.get("initial_option"):
            chosen.add(str(element["initial_option"].get("value")))
        marks = ("(•)", "( )") if element.get("type") == "radio_buttons" else ("[x]", "[ ]")
        return "  ".join(
            f"{marks[0] if str(o.get('value')) in chosen else marks[1]} "
            f"{self.plain_text(o.get('text'))}"
            for o in element.get("options") or []
        )

    def _element_value(self, element: Mapping[str, Any]) -> str:
        """What an input shows: its initial value, or its placeholder, or its kind."""
        kind = str(element.get("type") or "")
        initial = self._initial(element)
        if initial:
            shown = initial
        else:
            placeholder = self.plain_text(element.get("placeholder"))
            shown = self.style.wrap(placeholder, self.style.dim) if placeholder else " " * 12
        if kind.endswith("select") or kind in {"datepicker", "timepicker"}:
            return f"{shown} ▾"
        return shown

    def _initial(self, element: Mapping[str, Any]) -> str:
        if element.get("initial_option"):
            return self.plain_text(element["initial_option"].get("text"))
        if element.get("initial_options"):
            return ", ".join(self.plain_text(o.get("text")) for o in element["initial_options"])
        if element.get("initial_user"):
            user = str(element["initial_user"])
            return "@" + ((self.names or {}).get(user) or user)
        for key in ("initial_value", "initial_date", "initial_time"):
            if element.get(key):
                return str(element[key])
        return ""

    # surfaces ----------------------------------------------------------------------------------
    def message(self, text: str, blocks: Iterable[Block] | None) -> list[str]:
        """A message: its blocks, or its text when it has none."""
        blocks = list(blocks or [])
        return self.blocks(blocks) if blocks else self.wrap(self.mrkdwn(text))

    def view(self, view: Mapping[str, Any]) -> list[str]:
        """A modal (title, blocks, its Cancel and Submit buttons) or a home tab."""
        lines: list[str] = []
        title = self.plain_text(view.get("title"))
        if title:
            lines += [self.style.wrap(title, self.style.bold), self.rule()]
        lines += self.blocks(view.get("blocks") or [])
        buttons = [
            self.element({"type": "button", "text": view[key], "style": style})
            for key, style in (("close", None), ("submit", "primary"))
            if view.get(key)
        ]
        if buttons:
            lines += [self.rule(), " " * max(0, self.width - visible_len("  ".join(buttons)))]
            lines[-1] += "  ".join(buttons)
        return lines


def _rich_text(elements: Iterable[Mapping[str, Any]]) -> str:
    """The words of a rich_text block, without its styling."""
    out: list[str] = []
    for element in elements:
        if "text" in element and isinstance(element["text"], str):
            out.append(element["text"])
        if element.get("elements"):
            out.append(_rich_text(element["elements"]))
    return "".join(out)


def _fill(line: str, width: int, hang: str) -> list[str]:
    """Greedy word wrap by visible width; the first line keeps its own indent."""
    if visible_len(line) <= width:
        return [line.rstrip()]
    lead = line[: len(line) - len(line.lstrip(" "))]
    words = line.split()
    lines: list[str] = []
    current = lead
    for word in words:
        candidate = f"{current} {word}" if current.strip() else current + word
        if visible_len(candidate) <= width or not current.strip():
            current = candidate
            continue
        lines.append(current)
        current = hang + word
    lines.append(current)
    return lines
