"""Plain-text helpers for user text that travels into or out of Slack."""

from __future__ import annotations

import re

# Slack wraps mentions, channel links, special mentions and URLs in angle brackets.
_SLACK_MARKUP = re.compile(r"<([^<>]*)>")
_URL_LIKE = re.compile(r"(?i)(?:[a-z][a-z0-9+.-]*:|www\.)\S*|\S+@\S+\.\S+")
_SPECIAL_WORDS = {"here": "here", "channel": "channel", "everyone": "everyone"}


def escape_mrkdwn(s: str) -> str:
    """Escape the three characters Slack treats as control characters in mrkdwn."""
    return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def strip_slack_markup(s: str) -> str:
    """Turn Slack's mentions and links into harmless plain words and unescape the rest."""
    if "<" not in s and "&" not in s:
        return s  # no markup and no entities: most situations
    plain = _SLACK_MARKUP.sub(_replace_markup, s)
    # Slack sends a user's own &, < and > as entities; after the markup is gone they are text.
    return plain.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def _replace_markup(match: re.Match[str]) -> str:
    """Return the plain word for one `<...>` span."""
    inner = match.group(1)
    if not inner.strip():
        return ""
    target, _, label = inner.partition("|")
    if target.startswith("@"):
        return "@someone"
    if target.startswith("#"):
        return f"#{_plain_label(label) or 'a-channel'}"
    if target.startswith("!"):
        return _special_word(target[1:], label)
    if label:
        return _plain_label(label) or "a link"
    return "a link"


def _special_word(name: str, label: str) -> str:
    """Name a special mention (`<!here>`, `<!subteam^…>`, `<!date^…|…>`) without its ping."""
    head = name.split("^", 1)[0].lower()
    if head in _SPECIAL_WORDS:
        return _SPECIAL_WORDS[head]
    if head == "subteam":
        return "a group"
    if head == "date" and label:
        return _plain_label(label) or "a date"
    return "someone"


def _plain_label(label: str) -> str:
    """Keep a link label only when it is words, never an address Slack would link."""
    cleaned = label.strip().lstrip("@!#")
    if not cleaned or _URL_LIKE.fullmatch(cleaned) or "<" in cleaned or ">" in cleaned:
        return ""
    if _URL_LIKE.search(cleaned):
        return _URL_LIKE.sub("a link", cleaned)
    return cleaned
