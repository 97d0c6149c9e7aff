"""`coach-or-mentor ask`: the human answer and the JSON-lines contract."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _ask(*args: str, stdin: str | bytes = b"", **env: str) -> subprocess.CompletedProcess[bytes]:
    data = stdin.encode() if isinstance(stdin, str) else stdin
    return subprocess.run(
        [sys.executable, "-m", "handlers.cli", "ask", *args],
        input=data,
        env={**os.environ, "PYTHONPATH": str(ROOT), **env},
        capture_output=True,
        timeout=60,
        check=False,
    )


def test_human_answer() -> None:
    result = _ask("I want to stop interrupting people in meetings by my review in March")
    assert result.returncode == 0
    out = result.stdout.decode()
    assert out.startswith("Coaching")
    assert "Why:" in out and "Next step:" in out


def test_configured_resources_are_drawn_without_their_mrkdwn() -> None:
    """An admin's mrkdwn (bold, a labelled link) reads as text, as the sandbox draws it."""
    result = _ask(
        "My manager keeps making comments about my body in our 1:1s",
        ESCALATION_PEOPLE_TEAM="*People team*: write to <mailto:people@example.com|People>",
        NO_COLOR="1",
    )
    assert result.returncode == 0, result.stderr
    out = result.stdout.decode()
    assert "  - People team: write to People (mailto:people@example.com)" in out
    assert "*" not in out and "<" not in out


def test_json_lines_contract_including_blank_lines() -> None:
    lines = [
        "I keep interrupting people in meetings and want to stop by the end of the quarter",
        "",
        "My colleague threatened to hurt me after the meeting",
        "Our team's release process is chaos and we need someone to redesign it",
        "   ",
    ]
    result = _ask("--json", "-", stdin="\n".join(lines) + "\n")
    assert result.returncode == 0, result.stderr
    answers = [json.loads(line) for line in result.stdout.decode().splitlines()]
    assert len(answers) == len(lines)
    for answer in answers:
        assert set(answer) >= {"practice", "also", "confidence", "reasons"}
        assert answer["practice"] in {"coaching", "mentoring", "consulting", "escalate", "unclear"}
        assert answer["also"] is None or isinstance(answer["also"], str)
        assert 0.0 <= answer["confidence"] <= 1.0
        assert isinstance(answer["reasons"], list)
    assert answers[1]["practice"] == "unclear"
    assert answers[2]["practice"] == "escalate"
    assert answers[4]["practice"] == "unclear"


def test_invalid_utf8_and_control_characters_do_not_crash() -> None:
    result = _ask("--json", "-", stdin=b"I want to stop \xff\xfe interrupting \x1b[31m people\n")
    assert result.returncode == 0
    assert json.loads(result.stdout.decode().splitlines()[0])["practice"]


def test_no_situation_is_a_one_line_error() -> None:
    result = _ask()
    assert result.returncode == 2
    assert result.stderr.decode().count("\n") == 1
