"""The two run modes: Socket Mode (default) and HTTP mode behind gunicorn."""

from __future__ import annotations

import gc
import logging
import threading

from slack_sdk.errors import SlackApiError

from bot.settings import Settings
from handlers.app import build_app, make_client
from handlers.jobs import start_scheduler
from handlers.runtime import StartupError, open_deps
from handlers.server import SlackWsgi, serve_gunicorn
from storage import db

log = logging.getLogger(__name__)


def _check_token(settings: Settings) -> None:
    """Fail fast, in one line, when Slack refuses the bot token."""
    try:
        make_client(settings).auth_test()
    except SlackApiError as err:
        raise StartupError(
            f"Slack refused SLACK_BOT_TOKEN ({err.response.get('error')}): copy the Bot User"
            " OAuth Token from the app's 'OAuth & Permissions' page.",
            2,
        ) from None


def run_socket_mode(settings: Settings) -> None:
    """Connect to Slack over Socket Mode and serve until interrupted."""
    from slack_bolt.adapter.socket_mode import SocketModeHandler

    deps = open_deps(settings)
    _check_token(settings)
    client = make_client(settings)
    app = build_app(deps, client=client, socket_mode=True)
    scheduler = start_scheduler(deps, client)
    freeze_startup_heap()
    log.info("connecting to Slack in Socket Mode, database %s", deps.engine.dialect.name)
    handler = SocketModeHandler(app, settings.slack_app_token.reveal())
    try:
        handler.connect()
    except SlackApiError as err:
        raise StartupError(
            f"Slack refused SLACK_APP_TOKEN ({err.response.get('error')}): create an app-level"
            " token with the connections:write scope on the app's 'Basic Information' page.",
            2,
        ) from None
    log.info("connected to Slack")
    try:
        threading.Event().wait()
    finally:
        if scheduler:
            scheduler.shutdown(wait=False)


def freeze_startup_heap() -> None:
    """Keep what start-up built (modules, the Bolt app, the guidance tables) out of every
    full garbage collection from now on.

    Those 120,000-odd objects live as long as the process, yet each full collection walked them
    all: 100-200 ms with the GIL held, every few seconds under load, during which no request
    moved. Frozen, a full collection walks only what came later (13-35 ms under the same load).
    """
    gc.collect()
    gc.freeze()


def make_wsgi(settings: Settings, *, migrate: bool) -> SlackWsgi:
    """One worker's WSGI application, with its own engine and scheduler."""
    deps = open_deps(settings, migrate=migrate)
    client = make_client(settings)
    app = build_app(deps, client=client)
    start_scheduler(deps, client)
    wsgi = SlackWsgi(app, settings.slack_signing_secret.reveal(), lambda: db.ping(deps.engine))
    freeze_startup_heap()
    return wsgi


def run_http(settings: Settings, *, host: str, port: int, workers: int) -> None:
    """Serve Slack's HTTP requests at /slack/events with gunicorn."""
    if not 1 <= workers <= 64:
        raise StartupError("--workers must be between 1 and 64", 2)
    if not 0 < port < 65536:
        raise StartupError("--port must be between 1 and 65535", 2)
    # Migrate once before forking, so a bad database is one clear line, not one per worker.
    open_deps(settings).engine.dispose()
    _check_token(settings)
    log.info("serving HTTP on %s:%d with %d worker(s)", host, port, workers)
    serve_gunicorn(
        lambda: make_wsgi(settings, migrate=False),
        host=host,
        port=port,
        workers=workers,
        threads=8,
    )
