"""`coach-or-mentor report [--json]` and `coach-or-mentor export DIR`: the admin numbers offline."""

from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path
from typing import Any

from handlers.runtime import StartupError, load_settings, read_environment

_TEAM_ID = re.compile(r"^[TE][A-Z0-9]{2,20}$")


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add `report` and `export` to the command line."""
    report = commands.add_parser(
        "report",
        help="print programme health (counts only)",
        description="Print programme health: mentors, capacity, requests, proposals, pairs,"
        " time to match, goals, check-in answer rate and outcomes, with the 12-week trend."
        " Counts only: no goal text, no notes.",
    )
    report.add_argument("--json", action="store_true", help="one JSON object")
    _team_option(report)
    report.set_defaults(handler=_report)

    export = commands.add_parser(
        "export",
        help="write matches.csv, aggregates.csv and trend.png to DIR",
        description="Write the programme export to DIR: matches.csv (every mentoring pair),"
        " aggregates.csv (the report's numbers) and trend.png (the 12-week chart)."
        " Goal text and check-in notes are never exported.",
    )
    export.add_argument("dir", metavar="DIR", help="the folder to write to (created if missing)")
    _team_option(export)
    export.set_defaults(handler=_export)


def _team_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--team",
        metavar="TEAM_ID",
        help="the Slack workspace id (T…); needed only when the database knows several",
    )


def _team(args: argparse.Namespace, session: Any) -> str:
    """--team, else the only workspace the database knows."""
    from storage.report import workspaces

    if args.team:
        if not _TEAM_ID.match(args.team):
            raise StartupError(
                f"--team expects a workspace id such as T0123ABCD, not {args.team!r}", 2
            )
        return str(args.team)
    teams = workspaces(session)
    if len(teams) == 1:
        return teams[0]
    if teams:
        raise StartupError(
            f"the database knows several workspaces ({', '.join(teams)}): pass --team", 2
        )
    raise StartupError("the database has no programme data yet (pass --team to see zeros)", 2)


def _load(args: argparse.Namespace) -> tuple[Any, list[Any]]:
    """The report and the pairs, read in one transaction that is never committed."""
    from handlers.deps import utc_now
    from handlers.runtime import open_deps
    from storage.report import load_report, match_rows

    deps = open_deps(load_settings(read_environment()), migrate=False)
    try:
        with deps.sessions() as session:
            team_id = _team(args, session)
            return load_report(session, team_id, utc_now()), match_rows(session, team_id)
    finally:
        deps.engine.dispose()


def _report(args: argparse.Namespace) -> int:
    from bot.programme import Metric, health_lines, report_dict

    report, _ = _load(args)
    if args.json:
        print(json.dumps(report_dict(report), ensure_ascii=False))
        return 0
    print(f"Programme health for {report.team_id} at {report.generated_at:%Y-%m-%d %H:%M} UTC")
    for label, value in health_lines(report):
        print(f"  {label}: {value}")
    print("Week starting  requests  pairs  goals  answered")
    rates = report.trend.answer_rates()
    for i, week in enumerate(report.trend.weeks):
        rate = "–" if rates[i] is None else f"{rates[i]:.0%}"
        print(
            f"  {week.isoformat()}  {report.trend.series(Metric.REQUESTS_OPENED)[i]:8d}"
            f"  {report.trend.series(Metric.PAIRS_STARTED)[i]:5d}"
            f"  {report.trend.series(Metric.GOALS_CREATED)[i]:5d}  {rate:>8}"
        )
    return 0


def _export(args: argparse.Namespace) -> int:
    from bot.programme import aggregates_csv, matches_csv
    from handlers.charts import trend_png

    report, pairs = _load(args)
    folder = Path(args.dir)
    try:
        folder.mkdir(parents=True, exist_ok=True)
        files = {
            "matches.csv": matches_csv(pairs).encode(),
            "aggregates.csv": aggregates_csv(report).encode(),
            "trend.png": trend_png(report.trend),
        }
        for name, content in files.items():
            (folder / name).write_bytes(content)
    except OSError as err:
        raise StartupError(f"cannot write to {folder}: {err.strerror}", 1) from None
    for name in files:
        print(folder / name)
    print(f"exported {len(pairs)} pairs and the aggregates of {report.team_id}", file=sys.stderr)
    return 0
