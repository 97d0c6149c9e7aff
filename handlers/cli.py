"""The `coach-or-mentor` command line."""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Callable, Sequence

from handlers import ask, logs, programme_cli, sandbox
from handlers.mentoring import cli as mentoring_cli
from handlers.runtime import StartupError, load_settings, read_environment, require

log = logging.getLogger(__name__)

Command = Callable[[argparse.Namespace], int]


def _run(args: argparse.Namespace) -> int:
    settings = load_settings(read_environment())
    logs.configure(settings.log_level)
    if args.http:
        require(settings.missing_for_http_mode())
        from handlers.serve import run_http

        run_http(settings, host=args.host, port=args.port, workers=args.workers)
        return 0
    require(settings.missing_for_socket_mode())
    from handlers.serve import run_socket_mode

    run_socket_mode(settings)
    return 0


def _db_upgrade(args: argparse.Namespace) -> int:
    from storage import db

    settings = load_settings(read_environment())
    engine = db.make_engine(settings.database_url)
    try:
        before, after = db.upgrade(engine)
    except db.DatabaseUnavailableError as err:
        from bot.settings import mask_url

        raise StartupError(
            f"cannot reach the database at {mask_url(settings.database_url)}: {err}", 1
        ) from None
    finally:
        engine.dispose()
    print(f"database at {after} (was {before or 'empty'})")
    return 0


def build_parser() -> argparse.ArgumentParser:
    """The argument parser with every sub-command."""
    parser = argparse.ArgumentParser(
        prog="coach-or-mentor",
        description="A Slack bot for coaching, mentoring and consulting guidance at work.",
    )
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    commands.required = True

    run = commands.add_parser(
        "run",
        help="run the bot (Socket Mode by default, or HTTP mode with --http)",
        description="Run the bot. Applies pending database migrations first.",
    )
    run.add_argument("--http", action="store_true", help="serve Slack's requests over HTTP")
    run.add_argument("--host", default="0.0.0.0", help="HTTP mode: address to bind")  # noqa: S104
    run.add_argument("--port", type=int, default=3000, help="HTTP mode: port (default 3000)")
    run.add_argument("--workers", type=int, default=1, help="HTTP mode: worker processes")
    run.set_defaults(handler=_run)

    database = commands.add_parser("db", help="database maintenance", description="Database.")
    db_commands = database.add_subparsers(dest="db_command", metavar="DB_COMMAND")
    db_commands.required = True
    upgrade = db_commands.add_parser(
        "upgrade", help="apply pending migrations", description="Apply pending migrations."
    )
    upgrade.set_defaults(handler=_db_upgrade)

    for register in EXTRA_COMMANDS:
        register(commands)
    return parser


# Feature modules add their sub-commands here: each is `register(subparsers)`.
EXTRA_COMMANDS: tuple[
    Callable[[argparse._SubParsersAction[argparse.ArgumentParser]], None], ...
] = (ask.register, mentoring_cli.register, programme_cli.register, sandbox.register)


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point: parse, run, turn start-up problems into one line and an exit code."""
    args = build_parser().parse_args(argv)
    try:
        return int(args.handler(args))
    except StartupError as err:
        print(f"coach-or-mentor: {err}", file=sys.stderr)
        return err.exit_code
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
