"""`coach-or-mentor import mentors|mentees FILE.csv` and `coach-or-mentor match --dry-run`."""

from __future__ import annotations

import argparse
import json
import re
import sys
import time
from functools import partial
from pathlib import Path
from typing import Any, TextIO

from bot.settings import Settings
from handlers.runtime import StartupError, load_settings, read_environment

_TEAM_ID = re.compile(r"^[TE][A-Z0-9]{2,20}$")
KINDS = ("mentors", "mentees")


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add `import` and `match` to the command line."""
    importing = commands.add_parser(
        "import",
        help="import mentors or mentees from a spreadsheet (CSV)",
        description="Import a mentoring programme from CSV. Nothing is written unless every"
        " row is valid (or --skip-invalid); importing the same file again changes nothing.",
    )
    kinds = importing.add_subparsers(dest="import_kind", metavar="KIND")
    kinds.required = True
    columns = {
        "mentors": "slack_user_id,name,topics,offers,capacity,timezone,team,years",
        "mentees": "slack_user_id,name,topics,wants,timezone,team,years",
    }
    for kind in KINDS:
        sub = kinds.add_parser(
            kind,
            help=f"import {kind} from FILE.csv",
            description=f"Import {kind}. Columns: {columns[kind]} (topics and"
            f" {'offers' if kind == 'mentors' else 'wants'} separated by ';', timezone an"
            " IANA name such as Europe/Paris).",
        )
        sub.add_argument("file", metavar="FILE.csv", help="the CSV file (UTF-8)")
        sub.add_argument(
            "--skip-invalid", action="store_true", help="import the valid rows, skip the bad ones"
        )
        _team_option(sub)
        sub.set_defaults(handler=partial(_import, kind))

    matching = commands.add_parser(
        "match",
        help="preview the next matching round",
        description="Print the pairs the next matching round would propose, with scores and"
        " reasons, and who would stay unmatched and why. Nothing is stored or sent.",
    )
    matching.add_argument(
        "--dry-run", action="store_true", help="preview only (required: the bot runs the rounds)"
    )
    matching.add_argument(
        "--json",
        action="store_true",
        help='one JSON object per line: {"mentee", "mentor" (or null), "score", "reasons"}',
    )
    _team_option(matching)
    matching.set_defaults(handler=_match)


def _team_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--team",
        metavar="TEAM_ID",
        help="the Slack workspace id (T…); needed only when the database knows several or none",
    )


def _progress(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def _read(path: str) -> str:
    """The file's text (UTF-8, with or without a byte-order mark)."""
    try:
        return Path(path).read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise StartupError(f"cannot read {path}: no such file", 1) from None
    except UnicodeDecodeError:
        raise StartupError(
            f"cannot read {path}: it is not UTF-8 text (save it as CSV UTF-8)", 1
        ) from None
    except OSError as err:
        raise StartupError(f"cannot read {path}: {err.strerror}", 1) from None


def _team(args: argparse.Namespace, settings: Settings, sessions: Any) -> str:
    """The workspace: --team, else the only one the database knows, else Slack's answer."""
    from storage import mentoring as repo

    if args.team:
        if not _TEAM_ID.match(args.team):
            raise StartupError(
                f"--team expects a workspace id such as T0123ABCD, not {args.team!r}", 2
            )
        return str(args.team)
    with sessions() as session:
        teams = repo.known_teams(session)
    if len(teams) == 1:
        return teams[0]
    if teams:
        raise StartupError(
            f"the database knows several workspaces ({', '.join(teams)}): pass --team", 2
        )
    if settings.slack_bot_token:
        from handlers.app import make_client

        return str(make_client(settings).auth_test()["team_id"])
    raise StartupError(
        "no workspace is known yet: pass --team T0123ABCD (your workspace id)"
        " or set SLACK_BOT_TOKEN",
        2,
    )


def _taxonomy(settings: Settings) -> Any:
    """The topics in use: an admin's edit in Slack, else MENTORING_TOPICS."""
    from handlers import live
    from handlers.runtime import open_deps

    deps = open_deps(settings)
    try:
        return live.mentoring(deps).taxonomy
    finally:
        deps.engine.dispose()


def _import(kind: str, args: argparse.Namespace) -> int:
    """Check every row, then write all of them (or the valid ones with --skip-invalid)."""
    from bot.mentoring.csv_import import parse_mentees_csv, parse_mentors_csv
    from handlers.deps import utc_now
    from handlers.runtime import open_deps
    from storage import mentoring as repo

    settings = load_settings(read_environment())
    text = _read(args.file)
    now = utc_now()
    parse = parse_mentors_csv if kind == "mentors" else parse_mentees_csv
    result = parse(text, now=now, taxonomy=_taxonomy(settings))
    if not result.rows and len(result.errors) == 1 and result.errors[0].line == 1:
        # The header (or the whole file) is unusable: that is the one reason to give.
        raise StartupError(f"{args.file}: {result.errors[0].reason} Nothing imported.", 1)
    _progress(f"checked {len(result.rows) + len(result.errors)} rows of {args.file}")
    for error in result.errors:
        print(f"{args.file}:{error.line}: {error.reason}", file=sys.stderr)
    bad = len(result.errors)
    if bad and not args.skip_invalid:
        raise StartupError(
            f"{bad} invalid row{'s' if bad != 1 else ''} in {args.file}; nothing imported"
            " (fix them, or pass --skip-invalid to import only the valid rows)",
            1,
        )
    if not result.rows:
        raise StartupError(f"no valid rows in {args.file}; nothing imported", 1)
    deps = open_deps(settings)
    try:
        team_id = _team(args, settings, deps.sessions)
        rows = [(r.value, r.name) for r in result.rows]
        with deps.sessions.begin() as session:
            if kind == "mentors":
                counts = repo.import_mentors(session, team_id=team_id, mentors=rows, now=now)
            else:
                counts = repo.import_requests(session, team_id=team_id, requests=rows, now=now)
    finally:
        deps.engine.dispose()
    parts = [f"{counts.new} new", f"{counts.updated} updated"]
    if counts.already_paired:
        parts.append(f"{counts.already_paired} already paired (left alone)")
    if bad:
        parts.append(f"{bad} invalid skipped")
    print(f"imported {len(rows)} {kind} from {args.file} into {team_id}: {', '.join(parts)}")
    return 0


def _match(args: argparse.Namespace) -> int:
    """Preview the next round: nothing is stored or sent."""
    from bot.mentoring import match
    from handlers import live
    from handlers.deps import utc_now
    from handlers.runtime import open_deps
    from storage import mentoring as repo

    if not args.dry_run:
        raise StartupError(
            "match only previews the next round: add --dry-run (the bot runs the rounds itself)", 2
        )
    settings = load_settings(read_environment())
    deps = open_deps(settings, migrate=False)
    cfg = live.mentoring(deps)
    try:
        team_id = _team(args, settings, deps.sessions)
        _progress(f"loading the programme of {team_id}")
        started = time.perf_counter()
        with deps.sessions() as session:  # read only: never committed
            inputs = repo.matching_inputs(session, team_id)
    finally:
        deps.engine.dispose()
    _progress(
        f"loaded in {time.perf_counter() - started:.2f} s; matching {len(inputs.requests)}"
        f" open requests with {len(inputs.mentors)} mentors"
    )
    started = time.perf_counter()
    result = match(
        inputs.requests,
        inputs.mentors,
        cfg.weights,
        inputs.excluded,
        load=inputs.load,
        now=utc_now(),
        taxonomy=cfg.taxonomy,
    )
    _progress(f"matched in {time.perf_counter() - started:.2f} s")
    write = _write_json if args.json else _write_text
    write(result, inputs.names, sys.stdout)
    return 0


def _rows(result: Any) -> list[tuple[str, str | None, float, list[str]]]:
    """(mentee, mentor or None, score, reasons) for everyone, by mentee id."""
    rows: list[tuple[str, str | None, float, list[str]]] = [
        (p.mentee_id, p.mentor_id, p.score, list(p.reasons)) for p in result.proposals
    ]
    rows += [(u.mentee_id, None, 0.0, [u.explanation]) for u in result.unmatched]
    return sorted(rows, key=lambda r: r[0])


def _write_json(result: Any, _names: dict[str, str], out: TextIO) -> None:
    for mentee, mentor, score, reasons in _rows(result):
        record = {"mentee": mentee, "mentor": mentor, "score": round(score, 4), "reasons": reasons}
        out.write(json.dumps(record, ensure_ascii=False) + "\n")


def _write_text(result: Any, names: dict[str, str], out: TextIO) -> None:
    def who(user_id: str) -> str:
        return f"{user_id} ({names[user_id]})" if user_id in names else user_id

    for mentee, mentor, score, reasons in _rows(result):
        if mentor is None:
            out.write(f"{who(mentee)}: unmatched. {reasons[0]}\n")
        else:
            out.write(f"{who(mentee)} -> {who(mentor)}  score {score:.3f}: {'; '.join(reasons)}\n")
    proposed, unmatched = len(result.proposals), len(result.unmatched)
    out.write(
        f"{proposed} would be proposed (total score {result.total_score:.3f}),"
        f" {unmatched} unmatched. Nothing was stored or sent.\n"
    )
