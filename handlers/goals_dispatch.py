"""The check-in dispatcher: one interval job per process sends what the database says is due.

A tick: refresh stale time zones of goals due soon, send due check-ins and wrap-ups (claimed in
batches under a lease, see storage/goals_queue.py), run the accountability rules (nudges, coach
notices, auto-pause), then send due coach digests.

Delivery and its one remaining window
-------------------------------------
`chat.postMessage` has no idempotency key. Every check-in, wrap-up and digest DM carries message
metadata with its key (e.g. `checkin:12:2026-01-07`); the ts Slack returns is recorded in the same
row, under a compare-and-set on the lease. A row whose earlier attempt may have posted (attempts
> 1 and no ts recorded: the worker crashed, its database write failed, the request timed out or
Slack answered 5xx) is first looked up in the DM's `conversations.history` (with
`include_all_metadata`) and the message found there is adopted instead of posting again. Before
posting, a worker checks that its lease has at least the HTTP timeout plus a margin left, so a
live worker never posts on a lease that another worker may already hold.

What can still go wrong, and only here: a worker passes that lease check and is then stalled (a
stop-the-world pause, a frozen VM, a request stuck in the network) for longer than the rest of its
lease, so that its `chat.postMessage` reaches Slack *after* another worker has claimed the row,
looked in the DM and found nothing: both post, and the person gets the check-in twice. A drop
needs a row to be given up on (after `MAX_ATTEMPTS` failures of Slack) or the person deleting
the DM between a crash and the look-up, which reads as "not sent" and re-sends (a duplicate
rather than a drop). Nudges, coach notices and pause notices are marked done before they are sent
(at most once: a crash in between drops that one notice, never repeats it).

Pacing: every send of every process takes a slot from its workspace's schedule in the database
(`GOALS_SENDS_PER_SECOND` for all replicas together; handlers/pacing.py). A sender waits for its
slot and then checks its lease again, so a long wait for a slot releases the row rather than
posting on a lease that may have run out. A 429 reschedules only the row it hit, at Retry-After;
the other sends carry on.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any
from urllib.error import URLError

from apscheduler.schedulers.background import BackgroundScheduler
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.models.blocks import Block
from sqlalchemy.orm import Session

from bot.goals import (
    CheckinAnswer,
    GoalStatus,
    NotifyCoach,
    PauseGoal,
    PauseReason,
    SendNudge,
    SetNeedsAttention,
    checkin_key,
    decide,
    next_review_at,
    wrapup_key,
)
from bot.goals.messages import (
    DigestEntry,
    LastAnswer,
    Message,
    checkin_message,
    coach_digest_message,
    coach_notice_message,
    nudge_message,
    pause_message,
    wrapup_message,
)
from bot.settings import GoalSettings, Settings
from handlers import goals_blocks, ids
from handlers.app import make_client
from handlers.deps import Deps
from handlers.pacing import SharedPacer
from storage import goals as repo
from storage import goals_queue as queue
from storage import people
from storage.goals import CheckinKind, CheckinStatus, DigestRow

log = logging.getLogger(__name__)

UNREACHABLE_ERRORS = frozenset({"user_not_found", "account_inactive", "cannot_dm_bot"})
SERVER_ERRORS = frozenset(
    {"internal_error", "fatal_error", "service_unavailable", "request_timeout"}
)
MAX_ATTEMPTS = 10
HTTP_TIMEOUT_S = 10
LEASE_MARGIN = timedelta(seconds=HTTP_TIMEOUT_S + 5)
ZONE_MAX_AGE = timedelta(days=1)
ZONE_HORIZON = timedelta(days=1)
ZONE_REFRESHES_PER_TICK = 20
HISTORY_LOOKBACK = 100
PACED_CLAIM_SECONDS = 15


def dispatch_client(settings: Settings) -> WebClient:
    """A client that never retries by itself: the dispatcher decides what to do with failures.

    Built by `make_client(..., retry_rate_limits=False)`; its server-error and connection retry
    handlers are removed too, because retrying a post whose request may have reached Slack is a
    duplicate, whereas the dispatcher's retry looks in the DM first. For the same reason it
    opens a connection per call rather than reuse one (a reused connection found closed is
    sent again).
    """
    client = make_client(settings, retry_rate_limits=False, keep_alive=False)
    client.retry_handlers = []
    return client


@dataclass(frozen=True)
class Delivery:
    """One DM to deliver with its bookkeeping facts."""

    key: str
    team_id: str
    user_id: str
    channel_hint: str | None
    attempts: int
    lease_expires_at: datetime
    text: str
    blocks: list[Block]


@dataclass(frozen=True)
class Result:
    """What happened to a delivery."""

    kind: str  # sent | adopted | retry | unreachable | failed | released
    channel: str | None = None
    ts: str | None = None
    retry_in: timedelta | None = None
    error: str | None = None


@dataclass
class TickStats:
    """What one tick did (for logs, tests and the benchmark)."""

    claimed: int = 0
    sent: int = 0
    adopted: int = 0
    retried: int = 0
    unreachable: int = 0
    failed: int = 0
    cancelled: int = 0
    released: int = 0
    nudges: int = 0
    coach_notices: int = 0
    paused: int = 0
    digests: int = 0
    zones_checked: int = 0
    bookkeeping_s: float = 0.0
    """Time spent on the database side: every claim, write-back, review, digest and zone
    transaction of the tick, with the Python that prepares and reads it."""
    composing_s: float = 0.0
    """Time spent building check-in DMs (neither bookkeeping nor Slack)."""
    results: dict[str, int] = field(default_factory=dict)


class Sender:
    """Posts DMs to user ids (no conversations.open), paced, adopting earlier posts on retry."""

    def __init__(
        self, client: WebClient, pacer: SharedPacer, clock: Callable[[], datetime]
    ) -> None:
        self.client = client
        self.pacer = pacer
        self.clock = clock

    def deliver(self, item: Delivery) -> Result:
        """Post one DM unless an earlier attempt already did; classify any failure."""
        if item.attempts > 1:
            found = self._find_earlier(item)
            if found is not None:
                return found
        if self._lease_short(item):
            return Result("released")
        self.pacer.acquire(item.team_id)
        if self._lease_short(item):  # the wait for a slot may have been long
            return Result("released")
        try:
            response = self.client.chat_postMessage(
                channel=item.user_id,
                text=item.text,
                blocks=item.blocks,
                metadata={
                    "event_type": ids.GOAL_METADATA_EVENT,
                    "event_payload": {"key": item.key},
                },
                unfurl_links=False,
            )
        except SlackApiError as err:
            return _classify(err, item.attempts)
        except (TimeoutError, URLError, OSError) as err:
            return _backoff(type(err).__name__, item.attempts)
        return Result("sent", str(response.get("channel") or ""), str(response.get("ts") or ""))

    def _lease_short(self, item: Delivery) -> bool:
        """Whether too little of the lease is left to post safely."""
        return self.clock() > item.lease_expires_at - LEASE_MARGIN

    def _find_earlier(self, item: Delivery) -> Result | None:
        """The message an earlier attempt posted, if the DM holds one with this key."""
        try:
            history = self.client.conversations_history(
                channel=item.channel_hint or item.user_id,
                include_all_metadata=True,
                limit=HISTORY_LOOKBACK,
            )
        except SlackApiError as err:
            if err.response.status_code == 429 or err.response.status_code >= 500:
                return _classify(err, item.attempts)
            return None  # no readable DM yet: nothing can have been posted into it
        except (TimeoutError, URLError, OSError) as err:
            return _backoff(type(err).__name__, item.attempts)
        channel = str(history.get("channel") or item.channel_hint or "") or None
        for message in history.get("messages") or []:
            metadata = message.get("metadata") or {}
            payload = metadata.get("event_payload") or {}
            if (
                metadata.get("event_type") == ids.GOAL_METADATA_EVENT
                and payload.get("key") == item.key
            ):
                log.info("adopted an earlier post key=%s", item.key)
                return Result("adopted", channel or item.channel_hint, str(message.get("ts")))
        return None


def _classify(err: SlackApiError, attempts: int) -> Result:
    """Turn a Slack error into retry (429, 5xx), unreachable or failed."""
    status = err.response.status_code
    error = str(err.response.get("error") or f"http_{status}")
    if status == 429:
        retry_after = int(err.response.headers.get("Retry-After") or 1)
        return Result("retry", retry_in=timedelta(seconds=max(1, retry_after)), error="ratelimited")
    if status >= 500 or error in SERVER_ERRORS:
        return _backoff(error, attempts)
    if error in UNREACHABLE_ERRORS:
        return Result("unreachable", error=error)
    return Result("failed", error=error)


def _backoff(error: str, attempts: int) -> Result:
    """Retry later, a little later each time (30 s doubling, at most an hour)."""
    seconds = min(3600, 30 * 2 ** max(0, attempts - 1))
    return Result("retry", retry_in=timedelta(seconds=seconds), error=error[:64])


class Dispatcher:
    """Sends what is due; one per process, driven by an APScheduler interval job."""

    def __init__(
        self,
        deps: Deps,
        client: WebClient,
        *,
        owner: str | None = None,
        pacer: SharedPacer | None = None,
    ) -> None:
        self.deps = deps
        self.client = client
        self.config: GoalSettings = deps.settings.goals
        self.limits = self.config.limits
        self.owner = owner or f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"
        self.pacer = pacer or SharedPacer(deps.sessions, self.config.sends_per_second)
        self.sender = Sender(client, self.pacer, deps.clock)
        self.lease = timedelta(seconds=self.config.lease_s)
        self._lock = threading.Lock()

    # the job -----------------------------------------------------------------------------------
    def tick(self) -> TickStats:
        """One pass: zones, check-ins, accountability, digests. Never runs twice at once."""
        stats = TickStats()
        if not self._lock.acquire(blocking=False):
            return stats
        try:
            self.refresh_zones(stats)
            self.dispatch_checkins(stats)
            self.review(stats)
            self.dispatch_digests(stats)
        finally:
            self._lock.release()
        if stats.claimed or stats.nudges or stats.digests or stats.paused:
            log.info("goals tick %s", stats)
        return stats

    @contextmanager
    def _bookkeeping(self, stats: TickStats) -> Iterator[None]:
        """Count the enclosed time as bookkeeping (see `TickStats.bookkeeping_s`)."""
        started = time.perf_counter()
        try:
            yield
        finally:
            stats.bookkeeping_s += time.perf_counter() - started

    def batch_limit(self) -> int:
        """Rows per claim: a few seconds of sends at the pace, and at most half a lease's worth.

        The pace is shared by every replica, so a process may get only a share of it: small
        claims leave the rest of the due rows to the others instead of running out the lease.
        """
        if self.pacer.rate <= 0:
            return self.config.batch_size
        seconds = min(PACED_CLAIM_SECONDS, self.config.lease_s / 2)
        return max(1, min(self.config.batch_size, int(self.pacer.rate * seconds)))

    # check-ins ---------------------------------------------------------------------------------
    def claim_checkins(self) -> list[queue.Claimed]:
        """Claim a batch of due check-ins for this worker."""
        with self.deps.sessions.begin() as session:
            return self._claim_checkins(session)

    def _claim_checkins(self, session: Session) -> list[queue.Claimed]:
        return queue.claim_checkins(
            session,
            owner=self.owner,
            now=self.deps.clock(),
            lease=self.lease,
            limit=self.batch_limit(),
        )

    def dispatch_checkins(self, stats: TickStats) -> None:
        """Claim, send and record batches until nothing more is due.

        A full batch's write-back claims the next batch in the same transaction: one commit (one
        wait for the disk) a batch rather than two.
        """
        limit = self.batch_limit()
        with self._bookkeeping(stats):
            claimed = self.claim_checkins()
        while claimed:
            stats.claimed += len(claimed)
            started = time.perf_counter()
            deliveries = [self._checkin_delivery(c) for c in claimed]
            stats.composing_s += time.perf_counter() - started
            results = self._deliver_all(deliveries)
            with self._bookkeeping(stats):
                claimed = self.record_checkins(
                    claimed, results, stats, claim_next=len(claimed) == limit
                )

    def _checkin_delivery(self, claimed: queue.Claimed) -> Delivery | None:
        """The DM of a claimed row, or None when its goal is no longer active."""
        goal = claimed.goal
        if goal.status is not GoalStatus.ACTIVE:
            return None
        now = self.deps.clock()
        if claimed.kind is CheckinKind.WRAPUP:
            message = wrapup_message(goal.spec)
            blocks = goals_blocks.wrapup_blocks(message, goal.id)
            key = wrapup_key(goal.id)
        else:
            last = _last_answer(claimed.last_answer)
            message = checkin_message(goal.spec, now, goal.tz_name, last)
            blocks = goals_blocks.checkin_blocks(message, claimed.id)
            key = checkin_key(goal.id, claimed.period)
        return Delivery(
            key=key,
            team_id=goal.team_id,
            user_id=goal.user_id,
            channel_hint=goal.dm_channel,
            attempts=claimed.attempts,
            lease_expires_at=claimed.lease_expires_at,
            text=goals_blocks.escape(message.summary),
            blocks=blocks,
        )

    def _deliver_all(self, items: Sequence[Delivery | None]) -> list[Result | None]:
        """Deliver a batch concurrently (pacing still applies per workspace)."""
        todo = [item for item in items if item is not None]
        if len(todo) <= 1:
            return [self.sender.deliver(item) if item else None for item in items]
        threads = min(self.config.send_threads, len(todo))
        with ThreadPoolExecutor(max_workers=threads, thread_name_prefix="goals-send") as pool:
            futures = [pool.submit(self.sender.deliver, item) if item else None for item in items]
            return [future.result() if future else None for future in futures]

    def record_checkins(
        self,
        claimed: Sequence[queue.Claimed],
        results: Sequence[Result | None],
        stats: TickStats,
        *,
        claim_next: bool = False,
    ) -> list[queue.Claimed]:
        """Write back a batch: sent rows move their goals on; failures retry, pause or stop.

        With `claim_next`, the same transaction then claims the next batch, which is returned.
        """
        now = self.deps.clock()
        outcomes: list[queue.Outcome] = []
        sent: list[tuple[queue.Claimed, queue.Outcome]] = []
        unreachable: list[int] = []
        for item, result in zip(claimed, results, strict=True):
            outcome = self._outcome(item.id, item.due_at, item.attempts, result, now, stats)
            outcomes.append(outcome)
            if outcome.status == CheckinStatus.SENT.value:
                sent.append((item, outcome))
            if result is not None and result.kind == "unreachable":
                unreachable.append(item.goal.id)
        coaches = {
            (c.goal.team_id, c.goal.spec.coach_id)
            for c, _ in sent
            if c.goal.spec.coach_id is not None
        }
        with self.deps.sessions.begin() as session:
            zones = people.zones_of(session, coaches)
            queue.write_back(
                session,
                outcomes,
                sent,
                owner=self.owner,
                now=now,
                limits=self.limits,
                coach_zones=zones,
            )
            for goal_id in unreachable:
                repo.pause_goal(session, goal_id, PauseReason.USER_UNREACHABLE, now)
            return self._claim_checkins(session) if claim_next else []

    def _outcome(  # noqa: PLR0917
        self,
        row_id: int,
        due_at: datetime,
        attempts: int,
        result: Result | None,
        now: datetime,
        stats: TickStats,
    ) -> queue.Outcome:
        """The row's new state for a delivery result."""
        stats.results[result.kind if result else "cancelled"] = (
            stats.results.get(result.kind if result else "cancelled", 0) + 1
        )
        if result is None:
            stats.cancelled += 1
            return queue.Outcome(row_id, CheckinStatus.CANCELLED.value, due_at)
        if result.kind in ("sent", "adopted"):
            stats.sent += result.kind == "sent"
            stats.adopted += result.kind == "adopted"
            return queue.Outcome(
                row_id, CheckinStatus.SENT.value, due_at, result.channel, result.ts
            )
        if result.kind == "released":
            stats.released += 1
            return queue.Outcome(row_id, CheckinStatus.PENDING.value, due_at, attempted=False)
        if result.kind == "retry" and attempts < MAX_ATTEMPTS:
            stats.retried += 1
            when = now + (result.retry_in or timedelta(seconds=30))
            return queue.Outcome(row_id, CheckinStatus.PENDING.value, when, error=result.error)
        if result.kind == "unreachable":
            stats.unreachable += 1
            return queue.Outcome(row_id, CheckinStatus.CANCELLED.value, due_at, error=result.error)
        stats.failed += 1
        log.warning("giving up on a DM row=%s error=%s", row_id, result.error)
        return queue.Outcome(row_id, CheckinStatus.FAILED.value, due_at, error=result.error)

    # accountability ----------------------------------------------------------------------------
    def review(self, stats: TickStats) -> None:
        """Run the accountability rules for goals due a review; send what they decide."""
        while True:
            now = self.deps.clock()
            notices: list[tuple[str, str, Message, list[Block]]] = []
            with self._bookkeeping(stats), self.deps.sessions.begin() as session:
                reviews = queue.due_reviews(session, now, self.config.batch_size)
                for item in reviews:
                    notices.extend(self._apply(session, item, now, stats))
            for team_id, user_id, message, blocks in notices:
                self._notify(team_id, user_id, message, blocks)
            if len(reviews) < self.config.batch_size:
                return

    def _apply(
        self, session: Any, item: queue.Review, now: datetime, stats: TickStats
    ) -> list[tuple[str, str, Message, list[Block]]]:
        """Carry out what `decide` says for one goal; return the DMs to send after commit."""
        goal = item.goal
        state = goal.state
        history = list(item.history)
        out: list[tuple[str, str, Message, list[Block]]] = []
        paused = False
        for action in decide(state, history, now, self.limits):
            if isinstance(action, SendNudge) and item.newest_checkin_id is not None:
                if queue.mark_nudged(session, item.newest_checkin_id, now):
                    stats.nudges += 1
                    message = nudge_message(goal.spec)
                    blocks = goals_blocks.checkin_blocks(message, item.newest_checkin_id)
                    out.append((goal.team_id, goal.user_id, message, blocks))
                    history[-1] = replace(history[-1], nudged_at=now)
            elif isinstance(action, SetNeedsAttention):
                queue.set_needs_attention(session, goal.id, action.on, now)
                state = replace(state, needs_attention=action.on)
            elif isinstance(action, NotifyCoach) and goal.spec.coach_id:
                stats.coach_notices += 1
                message = coach_notice_message(goal.user_id, goal.spec.title, action.misses)
                out.append(
                    (goal.team_id, goal.spec.coach_id, message, goals_blocks.render(message))
                )
            elif isinstance(action, PauseGoal) and repo.pause_goal(
                session, goal.id, action.reason, now
            ):
                stats.paused += 1
                paused = True
                message = pause_message(goal.spec.title, action.reason, action.misses)
                blocks = goals_blocks.render(message, goals_blocks.goal_actions(goal.id))
                out.append((goal.team_id, goal.user_id, message, blocks))
        review_at = None if paused else next_review_at(state, history, now, self.limits)
        queue.set_review(session, goal.id, review_at)
        return out

    def _notify(self, team_id: str, user_id: str, message: Message, blocks: list[Block]) -> None:
        """Send a notice at most once: it was marked done before; a failure is only logged."""
        self.pacer.acquire(team_id)
        try:
            self.client.chat_postMessage(
                channel=user_id, text=goals_blocks.escape(message.summary), blocks=blocks
            )
        except SlackApiError as err:
            log.warning("notice not delivered user=%s error=%s", user_id, err.response.get("error"))
        except (URLError, OSError) as err:
            log.warning("notice not delivered user=%s error=%s", user_id, type(err).__name__)

    # digests -----------------------------------------------------------------------------------
    def dispatch_digests(self, stats: TickStats) -> None:
        """Send due coach digests: one DM per coach per cadence day."""
        while True:
            now = self.deps.clock()
            with self._bookkeeping(stats), self.deps.sessions.begin() as session:
                row_ids = queue.claim_due(
                    session,
                    DigestRow,
                    owner=self.owner,
                    now=now,
                    lease=self.lease,
                    limit=self.batch_limit(),
                )
                digests = queue.load_digests(session, row_ids)
                lines = {d.id: queue.digest_lines(session, d) for d in digests}
            if not digests:
                return
            items = [self._digest_delivery(d, lines[d.id]) for d in digests]
            results = self._deliver_all(items)
            with self._bookkeeping(stats):
                outcomes = [
                    self._outcome(d.id, d.due_at, d.attempts, r, now, TickStats())
                    for d, r in zip(digests, results, strict=True)
                ]
                stats.digests += sum(o.status == CheckinStatus.SENT.value for o in outcomes)
                with self.deps.sessions.begin() as session:
                    queue.complete(session, DigestRow, outcomes, owner=self.owner, now=now)
            if len(digests) < self.batch_limit():
                return

    def _digest_delivery(
        self, digest: queue.ClaimedDigest, lines: list[queue.DigestLine]
    ) -> Delivery | None:
        """A coach's digest DM, or None when none of their coachees' goals is open any more."""
        if not lines:
            return None
        entries = [
            DigestEntry(
                coach_id=digest.coach_id,
                coachee_id=line.coachee_id,
                goal_title=line.goal_title,
                answer=CheckinAnswer(line.answer) if line.answer else None,
                note=line.note,
            )
            for line in lines
        ]
        message = coach_digest_message(digest.day, entries)
        return Delivery(
            key=f"digest:{digest.id}",
            team_id=digest.team_id,
            user_id=digest.coach_id,
            channel_hint=digest.channel,
            attempts=digest.attempts,
            lease_expires_at=digest.lease_expires_at,
            text=goals_blocks.escape(message.summary),
            blocks=goals_blocks.render(message),
        )

    # time zones --------------------------------------------------------------------------------
    def refresh_zones(self, stats: TickStats) -> None:
        """Ask Slack again for the zone of people whose check-in is near and zone is stale."""
        now = self.deps.clock()
        with self._bookkeeping(stats), self.deps.sessions.begin() as session:
            stale = queue.goals_needing_zone(
                session,
                now,
                max_age=ZONE_MAX_AGE,
                horizon=ZONE_HORIZON,
                limit=ZONE_REFRESHES_PER_TICK,
            )
        for goal_id, team_id, user_id in stale:
            tz_name = self._slack_zone(team_id, user_id, now, stats)
            if isinstance(tz_name, bool):
                return
            with self._bookkeeping(stats), self.deps.sessions.begin() as session:
                if repo.change_zone(session, goal_id, tz_name, now, self.limits):
                    log.info("goal %s follows a new time zone", goal_id)
            stats.zones_checked += 1

    def _slack_zone(
        self, team_id: str, user_id: str, now: datetime, stats: TickStats
    ) -> str | bool | None:
        """The user's zone from users.info (None: unknown; False: rate-limited, stop for now)."""
        try:
            info = self.client.users_info(user=user_id)
        except SlackApiError as err:
            if err.response.status_code == 429:
                return False
            return None
        user: dict[str, Any] = info.get("user") or {}
        tz_name = user.get("tz") or None
        with self._bookkeeping(stats), self.deps.sessions.begin() as session:
            people.upsert_person(
                session,
                team_id=team_id,
                user_id=user_id,
                tz_name=tz_name,
                is_bot=bool(user.get("is_bot")),
                deleted=bool(user.get("deleted")),
                now=now,
            )
        return tz_name


def _last_answer(row: queue.LastAnswerRow | None) -> LastAnswer | None:
    """The previous answer shown in a check-in."""
    if row is None:
        return None
    return LastAnswer(CheckinAnswer(row.answer), row.answered_at, row.note)


def add_jobs(scheduler: BackgroundScheduler, deps: Deps, client: WebClient) -> None:
    """Register this process's dispatch job (one interval job; the database says what is due)."""
    dispatcher = Dispatcher(deps, dispatch_client(deps.settings))
    scheduler.add_job(
        dispatcher.tick,
        "interval",
        seconds=deps.settings.goals.dispatch_interval_s,
        id="goals-dispatch",
        coalesce=True,
        max_instances=1,
        next_run_time=deps.clock(),
    )
