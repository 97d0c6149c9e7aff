"""Handle each Events API event once, across retries and replicas (dedupe on `event_id`).

Requests carrying X-Slack-Retry-Num are not dropped blindly: a retry can be the only copy that
arrives. A delivery is skipped only when the same event was taken on moments ago (see
storage.events.claim_event for the one case that can still run twice).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import timedelta

from apscheduler.schedulers.background import BackgroundScheduler
from slack_bolt import BoltRequest, BoltResponse
from slack_bolt.middleware import Middleware
from slack_sdk import WebClient

from handlers.deps import Deps
from storage import events

log = logging.getLogger(__name__)

IN_FLIGHT = timedelta(seconds=30)  # Slack's first retry comes after ~1 s, the next after ~1 min
KEEP = timedelta(days=1)


class EventDedupe(Middleware):
    """Skip an event delivery that another replica handled or is handling."""

    def __init__(self, deps: Deps) -> None:
        self._deps = deps

    def process(
        self, *, req: BoltRequest, resp: BoltResponse, next: Callable[[], BoltResponse]
    ) -> BoltResponse | None:
        body = req.body
        event_id = body.get("event_id") if body.get("type") == "event_callback" else None
        if not event_id:
            return next()
        # A plain connection: the claim is one statement, and an ORM session costs more than it.
        with self._deps.engine.begin() as conn:
            first = events.claim_event(
                conn,
                event_id=str(event_id),
                team_id=str(body.get("team_id") or ""),
                now=self._deps.clock(),
                in_flight=IN_FLIGHT,
            )
        if not first:
            log.info("event %s is being handled already, retry skipped", event_id)
            return BoltResponse(status=200, body="")
        next()
        return resp


def add_jobs(scheduler: BackgroundScheduler, deps: Deps, client: WebClient) -> None:
    """Forget event ids after Slack's retry horizon, hourly."""
    del client

    def prune() -> None:
        with deps.sessions.begin() as session:
            gone = events.forget_events_before(session, deps.clock() - KEEP)
        log.info("pruned %d event ids", gone)

    scheduler.add_job(prune, "interval", hours=1, id="prune-event-ids")
