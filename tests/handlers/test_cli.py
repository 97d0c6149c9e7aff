"""The command line as a person meets it: help, clear one-line errors, exit codes."""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from pathlib import Path

import pytest

from handlers.cli import build_parser, main

ROOT = Path(__file__).resolve().parents[2]


def _subparsers(
    parser: argparse.ArgumentParser, prefix: tuple[str, ...] = ()
) -> list[tuple[str, ...]]:
    found = []
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                found.append((*prefix, name))
                found.extend(_subparsers(sub, (*prefix, name)))
    return found


def test_help_lists_the_commands(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_:
        main(["--help"])
    assert exit_.value.code == 0
    out = capsys.readouterr().out
    assert "run" in out and "db" in out


@pytest.mark.parametrize("path", _subparsers(build_parser()), ids=" ".join)
def test_every_subcommand_has_help(
    path: tuple[str, ...], capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exit_:
        main([*path, "--help"])
    assert exit_.value.code == 0
    assert "usage: coach-or-mentor " + " ".join(path) in capsys.readouterr().out


def _cli(
    *args: str, env: dict[str, str] | None = None, cwd: Path | None = None, timeout: float = 30
) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "DATABASE_URL"))}
    return subprocess.run(
        [sys.executable, "-m", "handlers.cli", *args],
        env={**clean, "PYTHONPATH": str(ROOT), **(env or {})},
        cwd=cwd or ROOT,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def test_run_without_tokens_names_them_and_points_at_the_readme(tmp_path: Path) -> None:
    result = _cli("run", cwd=tmp_path)
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1
    assert "SLACK_BOT_TOKEN and SLACK_APP_TOKEN are not set" in lines[0]
    assert "app.yaml" in lines[0] and "README.md" in lines[0]


def test_http_mode_needs_the_signing_secret(tmp_path: Path) -> None:
    result = _cli("run", "--http", env={"SLACK_BOT_TOKEN": "xoxb-1"}, cwd=tmp_path)
    assert result.returncode == 2
    assert "SLACK_SIGNING_SECRET is not set" in result.stderr


def test_env_file_is_read(tmp_path: Path) -> None:
    (tmp_path / ".env").write_text("SLACK_BOT_TOKEN=xoxb-from-file\n")
    result = _cli("run", cwd=tmp_path)
    assert result.returncode == 2
    assert "SLACK_APP_TOKEN is not set" in result.stderr
    assert "SLACK_BOT_TOKEN" not in result.stderr


@pytest.mark.parametrize(
    ("env", "variable"),
    [
        ({"LOG_LEVEL": "chatty"}, "LOG_LEVEL"),
        ({"DATABASE_URL": "oracle://x"}, "DATABASE_URL"),
        ({"SLACK_BOT_TOKEN": "xoxp-user-token"}, "SLACK_BOT_TOKEN"),
    ],
    ids=["log-level", "database-url", "user-token"],
)
def test_bad_settings_exit_2_naming_the_variable(
    env: dict[str, str], variable: str, tmp_path: Path
) -> None:
    result = _cli("run", env=env, cwd=tmp_path)
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1
    assert variable in result.stderr
    assert "xoxp-user-token" not in result.stderr


def test_unreachable_database_masks_the_password(tmp_path: Path) -> None:
    result = _cli(
        "db",
        "upgrade",
        env={"DATABASE_URL": "postgresql+psycopg://bob:hunter2@127.0.0.1:1/x"},
        cwd=tmp_path,
    )
    assert result.returncode == 1
    assert (
        "cannot reach the database at postgresql+psycopg://bob:***@127.0.0.1:1/x" in result.stderr
    )
    assert "hunter2" not in result.stderr


def test_db_upgrade_creates_the_default_sqlite_file(tmp_path: Path) -> None:
    result = _cli("db", "upgrade", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "coach-or-mentor.db").exists()
    assert "was empty" in result.stdout
    again = _cli("db", "upgrade", cwd=tmp_path)
    assert again.returncode == 0
    assert "was empty" not in again.stdout
