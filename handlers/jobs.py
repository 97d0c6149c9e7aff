"""Background jobs: a few interval jobs per process; the database says what is due."""

from __future__ import annotations

import logging
from collections.abc import Callable

from apscheduler.schedulers.background import BackgroundScheduler
from slack_sdk import WebClient

from handlers import dedupe
from handlers.deps import Deps
from handlers.mentoring import jobs as mentoring_jobs

log = logging.getLogger(__name__)

# Each feature adds `add_jobs(scheduler, deps, client)`; jobs use coalesce and max_instances=1.
JobInstaller = Callable[[BackgroundScheduler, Deps, WebClient], None]


def _goal_jobs(scheduler: BackgroundScheduler, deps: Deps, client: WebClient) -> None:
    """The coaching-goals dispatch tick (imported late: it pulls in the whole Slack edge)."""
    from handlers import goals_dispatch

    goals_dispatch.add_jobs(scheduler, deps, client)


def _privacy_jobs(scheduler: BackgroundScheduler, deps: Deps, client: WebClient) -> None:
    """The daily note-retention job."""
    from handlers import privacy

    privacy.add_jobs(scheduler, deps, client)


INSTALLERS: tuple[JobInstaller, ...] = (
    dedupe.add_jobs,
    mentoring_jobs.add_jobs,
    _goal_jobs,
    _privacy_jobs,
)


def start_scheduler(deps: Deps, client: WebClient) -> BackgroundScheduler | None:
    """Start this process's scheduler with every feature's jobs (None when there are none)."""
    if not INSTALLERS:
        return None
    scheduler = BackgroundScheduler(
        timezone="UTC",
        job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": 60},
    )
    for install in INSTALLERS:
        install(scheduler, deps, client)
    scheduler.start()
    log.info("scheduler started with %d jobs", len(scheduler.get_jobs()))
    return scheduler
