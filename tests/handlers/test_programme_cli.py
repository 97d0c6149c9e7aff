"""`coach-or-mentor report` and `export`: the admin numbers from the command line."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime
from pathlib import Path

from storage import db
from tests.handlers.mentoring.test_cli import cli
from tests.programme_seed import TEAM, seed


def _seeded(db_url: str) -> None:
    engine = db.make_engine(db_url)
    try:
        with db.make_sessions(engine).begin() as session:
            seed(session, datetime.now(UTC))
    finally:
        engine.dispose()


def test_report_json_has_the_counts(db_url: str, tmp_path: Path) -> None:
    _seeded(db_url)
    done = cli("report", "--json", database_url=db_url, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert report["team_id"] == TEAM
    assert report["now"]["mentors"] == 3
    assert report["now"]["active_pairs"] == 2
    assert report["now"]["open_requests"] == 1
    assert report["window"]["pairs_started"] == 3
    assert report["window"]["goals_achieved"] == 1
    assert report["answer_rate"] == 1.0
    assert len(report["weeks"]) == 12


def test_report_text_and_export_files(db_url: str, tmp_path: Path) -> None:
    _seeded(db_url)
    text = cli("report", database_url=db_url, cwd=tmp_path)
    assert text.returncode == 0, text.stderr
    assert "Active pairs: 2" in text.stdout
    assert "Speak up" not in text.stdout
    out = tmp_path / "export"
    done = cli("export", str(out), database_url=db_url, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert sorted(p.name for p in out.iterdir()) == ["aggregates.csv", "matches.csv", "trend.png"]
    matches = list(csv.DictReader(io.StringIO((out / "matches.csv").read_text())))
    assert len(matches) == 3
    for name in ("aggregates.csv", "matches.csv"):
        content = (out / name).read_text()
        for private in ("Speak up", "my private note", "private hopes", "secret success"):
            assert private not in content
    assert (out / "trend.png").read_bytes().startswith(b"\x89PNG")


def test_report_on_an_empty_database_says_what_to_do(sqlite_url: str, tmp_path: Path) -> None:
    done = cli("report", database_url=sqlite_url, cwd=tmp_path)
    assert done.returncode == 2
    assert "no programme data yet" in done.stderr
    zeros = cli("report", "--json", "--team", TEAM, database_url=sqlite_url, cwd=tmp_path)
    assert zeros.returncode == 0, zeros.stderr
    assert json.loads(zeros.stdout)["now"]["mentors"] == 0
