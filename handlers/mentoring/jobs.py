"""Mentoring jobs: expire unanswered proposals, run matching rounds, send monthly check-ins."""

from __future__ import annotations

from apscheduler.schedulers.background import BackgroundScheduler
from slack_sdk import WebClient

from handlers.deps import Deps
from handlers.mentoring import flow

EXPIRY_EVERY_MINUTES = 5
CHECKINS_EVERY_MINUTES = 15


def add_jobs(scheduler: BackgroundScheduler, deps: Deps, client: WebClient) -> None:
    """Install the mentoring jobs; every one is safe to run in several processes at once."""
    cfg = flow.settings_of(deps)
    scheduler.add_job(
        flow.expire_proposals,
        "interval",
        minutes=EXPIRY_EVERY_MINUTES,
        args=(deps, client),
        id="mentoring-expire-proposals",
    )
    scheduler.add_job(
        flow.send_checkins,
        "interval",
        minutes=CHECKINS_EVERY_MINUTES,
        args=(deps, client),
        id="mentoring-checkins",
    )
    if cfg.rounds:
        scheduler.add_job(
            flow.run_rounds,
            "interval",
            hours=cfg.round_every_hours,
            args=(deps, client),
            id="mentoring-rounds",
        )
