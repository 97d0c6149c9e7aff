"""The programme CLI as an admin meets it: imports by line number, and the dry-run contract."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import func, select

from storage import db
from storage.mentoring import MentorRow, ProposalRow, RequestRow

ROOT = Path(__file__).resolve().parents[3]
TEAM = "T0FAKE"

MENTORS = """slack_user_id,name,topics,offers,capacity,timezone,team,years
U0MENTOR1,Ann Lee,Leadership;Giving and receiving feedback,advice;support,2,Europe/Paris,Platform,15
U0MENTOR2,Bo Chen,public-speaking,introductions,1,America/New_York,Sales,9
"""

MENTEES = """slack_user_id,name,topics,wants,timezone,team,years
U0MENTEE1,Cy Diaz,leadership,advice,Europe/London,Payments,2
U0MENTEE2,Di Evans,public-speaking,introductions,America/Chicago,Sales,3
U0MENTEE3,Ed Fox,data-skills,advice,Asia/Tokyo,Data,1
"""


def cli(*args: str, database_url: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "DATABASE_URL"))}
    return subprocess.run(
        [sys.executable, "-m", "handlers.cli", *args],
        env={**clean, "PYTHONPATH": str(ROOT), "DATABASE_URL": database_url},
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def rows(database_url: str, model: type) -> int:
    engine = db.make_engine(database_url)
    try:
        with engine.connect() as conn:
            return int(conn.execute(select(func.count()).select_from(model)).scalar_one())
    finally:
        engine.dispose()


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_import_mentors_then_again_changes_nothing(db_url: str, tmp_path: Path) -> None:
    path = write(tmp_path, "mentors.csv", MENTORS)
    first = cli("import", "mentors", str(path), "--team", TEAM, database_url=db_url, cwd=tmp_path)
    assert first.returncode == 0, first.stderr
    assert f"imported 2 mentors from {path} into {TEAM}: 2 new, 0 updated" in first.stdout
    again = cli("import", "mentors", str(path), "--team", TEAM, database_url=db_url, cwd=tmp_path)
    assert again.returncode == 0, again.stderr
    assert "0 new, 2 updated" in again.stdout
    assert rows(db_url, MentorRow) == 2


def test_invalid_rows_are_reported_by_line_and_nothing_is_written(
    sqlite_url: str, tmp_path: Path
) -> None:
    bad = MENTORS + (
        "U0MENTOR3,Cy,leadership,advice,9,Europe/Paris,,20\n"
        '"U0MENTOR4","Di, ""the"" mentor",astrology,advice,1,Europe/Paris,,20\n'
        "U0MENTOR5,Ed,leadership,advice,1,Mars/Olympus,,20\n"
    )
    path = write(tmp_path, "mentors.csv", bad)
    result = cli(
        "import", "mentors", str(path), "--team", TEAM, database_url=sqlite_url, cwd=tmp_path
    )
    assert result.returncode == 1
    lines = result.stderr.strip().splitlines()
    assert f"{path}:4: capacity must be a whole number from 0 to 5, not '9'." in lines
    assert f"{path}:5: Unknown topics: astrology." in lines
    assert any(line.startswith(f"{path}:6: 'Mars/Olympus'") for line in lines)
    assert lines[-1] == (
        f"coach-or-mentor: 3 invalid rows in {path}; nothing imported"
        " (fix them, or pass --skip-invalid to import only the valid rows)"
    )
    assert rows(sqlite_url, MentorRow) == 0

    skipped = cli(
        "import",
        "mentors",
        str(path),
        "--team",
        TEAM,
        "--skip-invalid",
        database_url=sqlite_url,
        cwd=tmp_path,
    )
    assert skipped.returncode == 0, skipped.stderr
    assert "2 new, 0 updated, 3 invalid skipped" in skipped.stdout
    assert rows(sqlite_url, MentorRow) == 2


@pytest.mark.parametrize(
    ("args", "code", "words"),
    [
        (("import", "mentees", "missing.csv", "--team", TEAM), 1, "cannot read missing.csv"),
        (("import", "mentees", "mentors.csv", "--team", TEAM), 1, "Missing columns: wants"),
        (("import", "mentors", "mentors.csv", "--team", "nope"), 2, "--team expects"),
        (("import", "mentors", "mentors.csv"), 2, "pass --team"),
        (("match",), 2, "add --dry-run"),
        (("import", "mentors", "latin1.csv", "--team", TEAM), 1, "not UTF-8"),
    ],
    ids=["no-file", "wrong-columns", "bad-team", "no-team-known", "match-needs-dry-run", "latin1"],
)
def test_failures_are_one_line_with_a_non_zero_exit(
    sqlite_url: str, tmp_path: Path, args: tuple[str, ...], code: int, words: str
) -> None:
    write(tmp_path, "mentors.csv", MENTORS)
    (tmp_path / "latin1.csv").write_bytes(MENTORS.replace("Ann", "Ann\xe9").encode("latin-1"))
    result = cli(*args, database_url=sqlite_url, cwd=tmp_path)
    assert result.returncode == code
    last = result.stderr.strip().splitlines()[-1]
    assert last.startswith("coach-or-mentor: ")
    assert words in last
    assert rows(sqlite_url, MentorRow) == 0


def test_import_mentees_and_preview_the_round_as_json(db_url: str, tmp_path: Path) -> None:
    mentors = write(tmp_path, "mentors.csv", MENTORS)
    mentees = write(tmp_path, "mentees.csv", MENTEES)
    assert (
        cli(
            "import", "mentors", str(mentors), "--team", TEAM, database_url=db_url, cwd=tmp_path
        ).returncode
        == 0
    )
    # The workspace is now known, so --team is optional.
    imported = cli("import", "mentees", str(mentees), database_url=db_url, cwd=tmp_path)
    assert imported.returncode == 0, imported.stderr
    assert "imported 3 mentees" in imported.stdout

    result = cli("match", "--dry-run", "--json", database_url=db_url, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "matching 3 open requests with 2 mentors" in result.stderr
    records = [json.loads(line) for line in result.stdout.splitlines()]
    assert all(set(r) == {"mentee", "mentor", "score", "reasons"} for r in records)
    by_mentee = {r["mentee"]: r for r in records}
    assert list(by_mentee) == ["U0MENTEE1", "U0MENTEE2", "U0MENTEE3"]
    assert by_mentee["U0MENTEE1"]["mentor"] == "U0MENTOR1"
    assert by_mentee["U0MENTEE2"]["mentor"] == "U0MENTOR2"
    assert 0 < by_mentee["U0MENTEE1"]["score"] <= 1
    assert by_mentee["U0MENTEE1"]["reasons"][0] == "1 shared topic: Leadership"
    assert by_mentee["U0MENTEE3"] == {
        "mentee": "U0MENTEE3",
        "mentor": None,
        "score": 0,
        "reasons": ["No mentor covers these topics yet."],
    }
    assert rows(db_url, ProposalRow) == 0
    assert rows(db_url, RequestRow) == 3

    text = cli("match", "--dry-run", database_url=db_url, cwd=tmp_path)
    assert text.returncode == 0, text.stderr
    lines = text.stdout.splitlines()
    assert lines[0].startswith("U0MENTEE1 (Cy Diaz) -> U0MENTOR1 (Ann Lee)  score ")
    assert lines[2] == "U0MENTEE3 (Ed Fox): unmatched. No mentor covers these topics yet."
    assert lines[3].startswith("2 would be proposed (total score ")
    assert rows(db_url, ProposalRow) == 0
