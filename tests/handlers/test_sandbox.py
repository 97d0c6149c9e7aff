"""`coach-or-mentor sandbox`: the scripted tour runs end to end, offline, and fails in one line."""

from __future__ import annotations

import io
import os
import re
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from handlers import ids, sandbox
from handlers.cli import build_parser
from handlers.sandbox import TourError, fill, run_sandbox, start_time
from handlers.terminal import PLAIN

ROOT = Path(__file__).resolve().parents[2]


def _run_cli(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    """The command as a person runs it: no Slack variables, no database URL, a fresh folder."""
    clean = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("SLACK_", "DATABASE_URL", "NO_COLOR"))
    }
    return subprocess.run(
        [sys.executable, "-m", "handlers.cli", "sandbox", *args],
        env={**clean, "PYTHONPATH": str(ROOT)},
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def _sections(out: str) -> dict[str, str]:
    """Each step's output by its title."""
    parts = re.split(r"^== \d+/\d+ · (.+?) =+$", out, flags=re.MULTILINE)
    return dict(zip(parts[1::2], parts[2::2], strict=True))


def _seen_by(step: str, who: str) -> str:
    """Everything the step shows under '— what <who> sees —' (each up to the next person)."""
    found = re.findall(rf"^— what {who} sees? —$\n(.*?)(?=^— what |\Z)", step, re.M | re.S)
    assert found, f"nothing shown to {who} in:\n{step}"
    return "".join(found)


def _words(text: str) -> str:
    """The text without the card's bars and line breaks, so wrapped sentences read whole."""
    return " ".join(text.replace("│", " ").split())


@pytest.fixture(scope="module")
def tour(tmp_path_factory: pytest.TempPathFactory) -> subprocess.CompletedProcess[str]:
    return _run_cli(cwd=tmp_path_factory.mktemp("sandbox"))


def test_the_tour_exits_zero_in_plain_text(tour: subprocess.CompletedProcess[str]) -> None:
    assert tour.returncode == 0, tour.stderr
    assert "Traceback" not in tour.stderr
    assert "\x1b[" not in tour.stdout  # a pipe gets plain text
    assert "Tour finished" in tour.stdout
    assert re.search(r"at http://127\.0\.0\.1:\d+/slack/events", tour.stdout)


def test_every_step_of_the_tour_is_shown(tour: subprocess.CompletedProcess[str]) -> None:
    steps = _sections(tour.stdout)
    assert list(steps) == [title for title, _, _ in sandbox.PLAN]

    answer = _seen_by(steps["Ana asks which practice fits"], "Ana")
    assert "Mentoring fits best" in answer
    assert "[ Find a mentor ]" in answer

    signup = _seen_by(steps["Ben signs up as a mentor"], "Ben")
    assert "┌ modal" in signup and "┌ the modal now shows" in signup
    assert "signed up as a mentor" in _words(signup)

    request = _seen_by(steps["Ana asks for a mentor"], "Ana")
    assert "┌ modal" in request and "┌ the modal now shows" in request

    proposal = _seen_by(steps["Ben gets a proposal"], "Ben")
    assert "Grow from senior to staff engineer" in _words(proposal)  # Ana's words
    assert "[ Accept ]  [ Decline ]" in proposal

    intro = _seen_by(steps["Ben accepts: the intro group DM"], "Ben and Ana")
    assert "┌ group DM" in intro and "@Ana" in intro and "@Ben" in intro

    goal = steps["Ana sets a coaching goal, with Cleo as her coach"]
    assert "Coaching fits best" in goal
    assert "Let people finish before I speak in meetings" in _words(_seen_by(goal, "Cleo"))

    answers = []
    for week in (1, 2, 3):
        text = steps[f"Week {week} of the goal: a check-in arrives, Ana answers"]
        assert "[ On track ]  [ Behind ]" in text
        answers += re.findall(r"^Ana clicks \[ (.+?) \]$", text, re.M)
        assert "┌ only you can see this" in _seen_by(text, "Ana")
        digest = _words(_seen_by(text, "Cleo"))
        assert "Let people finish before I speak in meetings" in digest
    assert answers == ["On track", "Behind", "On track"]

    wrapup = steps["The end date: Ana wraps up her goal"]
    assert "Ana clicks [ Partly ]" in wrapup

    homes = steps["Everyone opens the bot's App Home"]
    for name in ("Ana", "Ben", "Cleo"):
        assert _seen_by(homes, name).count("┌ App Home\n") == 1  # the latest view, once


def test_a_home_tab_is_drawn_only_when_its_person_opens_it(
    tour: subprocess.CompletedProcess[str],
) -> None:
    """The bot refreshes App Home as things change; before anyone opens it, that is one line."""
    steps = _sections(tour.stdout)
    last = sandbox.PLAN[-1][0]
    refreshed = 0
    for title, text in steps.items():
        if title != last:
            assert "┌ App Home\n" not in text, title
            refreshed += text.count(f"┌ {sandbox.HOME_REFRESHED}\n")
    assert refreshed > 0


def test_a_reader_that_stops_early_ends_the_tour_quietly(tmp_path: Path) -> None:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "DATABASE_URL"))}
    with subprocess.Popen(
        [sys.executable, "-m", "handlers.cli", "sandbox"],
        env={**clean, "PYTHONPATH": str(ROOT)},
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    ) as process:
        assert process.stdout is not None and process.stderr is not None
        assert process.stdout.readline().startswith("coach-or-mentor sandbox")
        process.stdout.close()  # as `| head -1` does
        assert process.wait(timeout=60) == 141
        assert process.stderr.read() == ""


def test_a_bad_database_url_is_one_line(tmp_path: Path) -> None:
    result = _run_cli("--database", "mysql://nowhere/x", cwd=tmp_path)
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1
    assert lines[0].startswith("coach-or-mentor: invalid --database")


def test_a_failed_step_names_itself(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sandbox, "MENTORING_SITUATION", "I keep interrupting people by Friday")
    with pytest.raises(TourError, match=r"^step 1 \(Ana asks which practice fits\): expected"):
        run_sandbox(database_url=None, out=io.StringIO(), style=PLAIN, width=80)


def test_an_unexpected_error_is_one_line(monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(self: sandbox.Tour) -> None:
        raise RuntimeError("boom\nsecond line")

    monkeypatch.setattr(sandbox.Tour, "situation", broken)
    with pytest.raises(TourError) as failure:
        run_sandbox(database_url=None, out=io.StringIO(), style=PLAIN, width=80)
    assert str(failure.value) == (
        "step 1 (Ana asks which practice fits) failed with RuntimeError: boom"
    )


def test_a_given_database_takes_two_tours_and_step_mode_pauses(db_url: str) -> None:
    pauses: list[int] = []
    for _ in range(2):  # each run is a workspace of its own, so a second run starts clean
        out = io.StringIO()
        run_sandbox(
            database_url=db_url,
            out=out,
            style=PLAIN,
            width=80,
            pause=lambda: pauses.append(1),
        )
        assert "Tour finished" in out.getvalue()
        assert "SQLite (temporary)" not in out.getvalue()
    assert len(pauses) == 2 * (len(sandbox.PLAN) - 1)


@pytest.mark.parametrize(
    ("argv", "step", "database"),
    [
        (["sandbox"], False, None),
        (["sandbox", "--fast"], False, None),
        (["sandbox", "--step"], True, None),
        (["sandbox", "--database", "sqlite:///x.db"], False, "sqlite:///x.db"),
    ],
    ids=["default", "fast", "step", "database"],
)
def test_options(argv: list[str], step: bool, database: str | None) -> None:
    args = build_parser().parse_args(argv)
    assert (args.step, args.database) == (step, database)


def test_fast_and_step_exclude_each_other(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        build_parser().parse_args(["sandbox", "--fast", "--step"])
    assert "not allowed with" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("now", "start"),
    [
        (datetime(2026, 1, 5, 7, 0, tzinfo=UTC), datetime(2026, 1, 12, 8, 0, tzinfo=UTC)),
        (datetime(2026, 1, 7, 23, 0, tzinfo=UTC), datetime(2026, 1, 12, 8, 0, tzinfo=UTC)),
        (datetime(2026, 1, 11, 12, 0, tzinfo=UTC), datetime(2026, 1, 12, 8, 0, tzinfo=UTC)),
    ],
    ids=["monday", "wednesday", "sunday"],
)
def test_the_clock_starts_on_the_coming_monday(now: datetime, start: datetime) -> None:
    assert start_time(now) == start


VIEW = {
    "blocks": [
        {"type": "section", "text": {"type": "mrkdwn", "text": "Intro"}},
        {
            "type": "input",
            "block_id": "a",
            "element": {"type": "plain_text_input", "action_id": "x"},
        },
        {
            "type": "input",
            "block_id": "b",
            "element": {
                "type": "static_select",
                "action_id": "y",
                "initial_option": {"value": "2"},
            },
        },
        {"type": "input", "block_id": "c", "element": {"type": "checkboxes", "action_id": "z"}},
    ]
}


@pytest.mark.parametrize(
    ("answers", "expected"),
    [
        (
            {"a": sandbox.typed("hi")},
            {
                "a": {"x": {"type": "plain_text_input", "value": "hi"}},
                "b": {"y": {"type": "static_select", "selected_option": {"value": "2"}}},
                "c": {"z": {"type": "checkboxes", "selected_options": []}},
            },
        ),
        (
            {"b": sandbox.single("3"), "c": sandbox.checked(["k"])},
            {
                "a": {"x": {"type": "plain_text_input", "value": None}},
                "b": {"y": {"type": "static_select", "selected_option": {"value": "3"}}},
                "c": {"z": {"type": "checkboxes", "selected_options": [{"value": "k"}]}},
            },
        ),
    ],
    ids=["untouched-keep-initial", "answers-win"],
)
def test_fill_submits_every_input_as_slack_does(
    answers: dict[str, Any], expected: dict[str, Any]
) -> None:
    assert fill(VIEW, answers) == expected


def test_fill_refuses_a_field_the_modal_does_not_have() -> None:
    with pytest.raises(TourError, match="no field " + ids.goal_block("title")):
        fill(VIEW, {ids.goal_block("title"): sandbox.typed("x")})
