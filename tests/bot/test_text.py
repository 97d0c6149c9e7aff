"""Escaping and Slack-markup stripping for user text."""

import pytest

from bot.text import escape_mrkdwn, strip_slack_markup


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        pytest.param("plain words", "plain words", id="plain"),
        pytest.param("a & b", "a &amp; b", id="ampersand"),
        pytest.param("<@U123>", "&lt;@U123&gt;", id="mention-brackets"),
        pytest.param("<!channel>", "&lt;!channel&gt;", id="special-mention"),
        pytest.param("1 < 2 > 0", "1 &lt; 2 &gt; 0", id="comparison"),
        pytest.param("&amp;", "&amp;amp;", id="already-an-entity-is-escaped-again"),
        pytest.param("*bold* _it_ `code`", "*bold* _it_ `code`", id="formatting-untouched"),
        pytest.param("", "", id="empty"),
    ],
)
def test_escape_mrkdwn(raw: str, expected: str) -> None:
    assert escape_mrkdwn(raw) == expected


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        pytest.param("ask <@U024BE7LH> please", "ask @someone please", id="user-mention"),
        pytest.param("<@U024BE7LH|bob>", "@someone", id="user-mention-with-name"),
        pytest.param("hey <!channel>", "hey channel", id="channel"),
        pytest.param("<!here> now", "here now", id="here"),
        pytest.param("<!everyone>", "everyone", id="everyone"),
        pytest.param("<!subteam^S123|@eng>", "a group", id="user-group"),
        pytest.param("<!date^1392734382^{date}|Feb 18>", "Feb 18", id="date-fallback"),
        pytest.param("<#C123|general>", "#general", id="channel-link"),
        pytest.param("see <https://x.example|the doc>", "see the doc", id="link-with-label"),
        pytest.param("see <https://x.example>", "see a link", id="bare-link"),
        pytest.param("<https://a.example|https://b.example>", "a link", id="label-is-a-url"),
        pytest.param("<mailto:a@b.example|a@b.example>", "a link", id="mail-link"),
        pytest.param("a &lt;b&gt; &amp; c", "a <b> & c", id="entities-unescaped"),
        pytest.param("&amp;lt;", "&lt;", id="double-escaped-stays-literal"),
        pytest.param("no markup", "no markup", id="plain"),
        pytest.param("a <> b", "a  b", id="empty-brackets"),
    ],
)
def test_strip_slack_markup(raw: str, expected: str) -> None:
    assert strip_slack_markup(raw) == expected


@pytest.mark.parametrize(
    "raw",
    [
        pytest.param("<@U1> <!channel> <!here> <https://x|y>", id="all-kinds"),
        pytest.param("&lt;@U1&gt; typed by hand", id="typed-brackets"),
    ],
)
def test_stripped_then_escaped_text_cannot_ping_or_link(raw: str) -> None:
    safe = escape_mrkdwn(strip_slack_markup(raw))
    assert "<" not in safe
    assert ">" not in safe
