"""Mixed Slack traffic for the replicas: commands, modals, buttons and events, all recorded."""

from __future__ import annotations

import itertools
import json
import random
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

from handlers import ids
from handlers.fakeslack import FakeSlack
from tests.resilience.cluster import Balancer, Outcome

SITUATIONS = (
    "I keep interrupting people in meetings and want to stop before my review",
    "I am a new manager and want someone experienced to learn from over the next year",
    "Our team's planning process is broken and we need to redesign how we work",
    "I want to get better at giving feedback to my peers this quarter",
    "hmm",
)
ANSWERS = ("on_track", "behind", "blocked", "done")


def goal_values(
    title: str,
    weekday: str = "wednesday",
    today: date | None = None,
    *,
    success: str = "My team says so",
    coach: str | None = None,
) -> dict[str, dict[str, Any]]:
    """The goal modal's state as Slack submits it (end date four weeks after today, UTC)."""
    end = ((today or datetime.now(UTC).date()) + timedelta(weeks=4)).isoformat()
    fields: dict[str, dict[str, Any]] = {
        "title": {"type": "plain_text_input", "value": title},
        "success": {"type": "plain_text_input", "value": success},
        "end_date": {"type": "datepicker", "selected_date": end},
        "cadence": {"type": "static_select", "selected_option": {"value": "weekly"}},
        "weekday": {"type": "static_select", "selected_option": {"value": weekday}},
        "local_time": {"type": "timepicker", "selected_time": "09:30"},
        "coach": {"type": "users_select", "selected_user": coach},
    }
    return {ids.goal_block(name): {ids.GOAL_FIELD_ACTION: state} for name, state in fields.items()}


def _multi(block: str, values: list[str], kind: str = "multi_static_select") -> dict[str, Any]:
    return {block: {block: {"type": kind, "selected_options": [{"value": v} for v in values]}}}


def _text(block: str, value: str, kind: str = "plain_text_input") -> dict[str, Any]:
    return {block: {block: {"type": kind, "value": value}}}


def signup_values(
    bio: str = "I led teams for ten years.", years: str = "15", team: str = "Platform"
) -> dict[str, Any]:
    """The mentor sign-up modal's state."""
    return {
        **_multi(ids.MENTORING_TOPICS_BLOCK, ["leadership", "feedback"]),
        **_multi(ids.MENTORING_OFFERS_BLOCK, ["advice", "support"], "checkboxes"),
        ids.MENTORING_CAPACITY_BLOCK: {
            ids.MENTORING_CAPACITY_BLOCK: {
                "type": "static_select",
                "selected_option": {"value": "3"},
            }
        },
        **_text(ids.MENTORING_YEARS_BLOCK, years, "number_input"),
        **_text(ids.MENTORING_TEAM_BLOCK, team),
        **_text(ids.MENTORING_BIO_BLOCK, bio),
    }


def request_values(
    goal: str = "Lead my first project", years: str = "2", team: str = "Payments"
) -> dict[str, Any]:
    """The mentor request modal's state."""
    return {
        **_multi(ids.MENTORING_TOPICS_BLOCK, ["leadership"]),
        **_multi(ids.MENTORING_WANTS_BLOCK, ["advice"], "checkboxes"),
        **_text(ids.MENTORING_GOAL_BLOCK, goal),
        **_text(ids.MENTORING_YEARS_BLOCK, years, "number_input"),
        **_text(ids.MENTORING_TEAM_BLOCK, team),
        **_multi(ids.MENTORING_PREFS_BLOCK, [], "checkboxes"),
    }


def json_arg(value: Any) -> Any:
    """A Web API argument as sent (JSON body) or as a form string holding JSON."""
    if isinstance(value, str):
        try:
            return json.loads(value)
        except ValueError:
            return None
    return value


def buttons(args: dict[str, Any]) -> list[tuple[str, str]]:
    """(action_id, value) of every button in a posted message."""
    found: list[tuple[str, str]] = []
    for block in json_arg(args.get("blocks")) or []:
        elements = [*(block.get("elements") or []), block.get("accessory") or {}]
        found.extend(
            (str(e.get("action_id")), str(e.get("value") or ""))
            for e in elements
            if e.get("type") == "button"
        )
    return found


@dataclass
class Op:
    """One user action and every delivery of it."""

    kind: str
    key: str
    user: str
    outcomes: list[Outcome] = field(default_factory=list)


@dataclass
class Traffic:
    """Threads sending a weighted mix of Slack requests through the balancer until stopped."""

    lb: Balancer
    fake: FakeSlack
    threads: int = 5
    ops: list[Op] = field(default_factory=list)
    _stop: threading.Event = field(default_factory=threading.Event)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _numbers: itertools.count[int] = field(default_factory=lambda: itertools.count(1))
    _seen: int = 0
    _proposals: list[tuple[str, str]] = field(default_factory=list)
    _checkins: list[tuple[str, str]] = field(default_factory=list)
    _workers: list[threading.Thread] = field(default_factory=list)
    started: float = 0.0

    # lifecycle ---------------------------------------------------------------------------------
    def start(self) -> None:
        self.started = time.monotonic()
        for n in range(self.threads):
            worker = threading.Thread(target=self._loop, args=(n,), daemon=True)
            worker.start()
            self._workers.append(worker)

    def stop(self) -> None:
        self._stop.set()
        for worker in self._workers:
            worker.join(timeout=60)

    def of(self, kind: str) -> list[Op]:
        with self._lock:
            return [op for op in self.ops if op.kind == kind]

    def outcomes(self) -> list[Outcome]:
        with self._lock:
            return [o for op in self.ops for o in op.outcomes]

    def _loop(self, seed: int) -> None:
        rng = random.Random(seed)
        mix: list[tuple[Callable[[random.Random], None], int]] = [
            (self.guidance, 3),
            (self.goal_command, 1),
            (self.mentor_command, 1),
            (self.goals_list, 1),
            (self.submit_goal, 3),
            (self.sign_up, 1),
            (self.ask_for_mentor, 2),
            (self.accept, 2),
            (self.answer_checkin, 3),
            (self.open_home, 2),
        ]
        actions, weights = zip(*mix, strict=True)
        while not self._stop.is_set():
            rng.choices(actions, weights)[0](rng)
            time.sleep(0.005)

    def _record(self, kind: str, key: str, user: str, *outcomes: Outcome) -> Op:
        op = Op(kind, key, user, list(outcomes))
        with self._lock:
            self.ops.append(op)
        return op

    def _n(self) -> int:
        return next(self._numbers)

    # requests ----------------------------------------------------------------------------------
    def guidance(self, rng: random.Random) -> None:
        user = f"UC{self._n():05d}"
        text = rng.choice(SITUATIONS)
        self._record("guidance", text, user, self.lb.send(lambda c: c.command(user, text)))

    def goal_command(self, rng: random.Random) -> None:
        user = f"UGC{self._n():05d}"
        self._record("goal_command", "", user, self.lb.send(lambda c: c.command(user, "goal")))

    def mentor_command(self, rng: random.Random) -> None:
        user = f"UMC{self._n():05d}"
        self.fake.add_user(user)
        self._record("mentor_command", "", user, self.lb.send(lambda c: c.command(user, "mentor")))

    def goals_list(self, rng: random.Random) -> None:
        user = f"UGL{self._n():05d}"
        self._record("goals_list", "", user, self.lb.send(lambda c: c.command(user, "goals")))

    def submit_goal(self, rng: random.Random) -> None:
        n = self._n()
        user, title = f"UG{n:05d}", f"Resilience goal {n}"
        values = goal_values(title, rng.choice(["monday", "wednesday", "friday"]))
        self.fake.add_user(user, tz=rng.choice(["Europe/London", "America/New_York", "UTC"]))
        self._record(
            "goal",
            title,
            user,
            self.lb.send(lambda c: c.view_submission(user, ids.GOAL_MODAL_VIEW, values)),
        )

    def sign_up(self, rng: random.Random) -> None:
        user = f"UM{self._n():05d}"
        self.fake.add_user(user, tz="Europe/Paris")
        first = self.lb.send(
            lambda c: c.view_submission(user, ids.MENTOR_SIGNUP_VIEW, signup_values())
        )
        outcomes = [first]
        if rng.random() < 0.3:  # an edit of the profile, arriving at another replica
            outcomes.append(
                self.lb.send(
                    lambda c: c.view_submission(
                        user, ids.MENTOR_SIGNUP_VIEW, signup_values(bio="Edited bio.")
                    ),
                    avoid=first.replica,
                )
            )
        self._record("signup", user, user, *outcomes)

    def ask_for_mentor(self, rng: random.Random) -> None:
        user = f"UR{self._n():05d}"
        self.fake.add_user(user, tz="Europe/Berlin")
        self._record(
            "request",
            user,
            user,
            self.lb.send(
                lambda c: c.view_submission(user, ids.MENTOR_REQUEST_VIEW, request_values())
            ),
        )

    def _double_click(
        self, kind: str, user: str, action_id: str, value: str, key: str
    ) -> list[Outcome]:
        """The same click delivered twice at once, to two different replicas."""
        first = self.lb.pick()
        second = self.lb.pick(avoid=first)
        results: list[Outcome] = []

        def click(index: int, suffix: str) -> None:
            outcome = self.lb.send(
                lambda c: c.block_action(user, action_id, value=value),
                response_key=f"{key}-{suffix}",
                index=index,
            )
            with self._lock:
                results.append(outcome)

        other = threading.Thread(target=click, args=(second, "b"))
        other.start()
        click(first, "a")
        other.join()
        return results

    def accept(self, rng: random.Random) -> None:
        self._harvest()
        with self._lock:
            picked = self._proposals.pop(0) if self._proposals else None
        if picked is None:
            self.guidance(rng)
            return
        mentor, proposal_id = picked
        key = f"acc-{proposal_id}"
        outcomes = self._double_click("accept", mentor, ids.MENTOR_ACCEPT_ACTION, proposal_id, key)
        self._record("accept", proposal_id, mentor, *outcomes)

    def answer_checkin(self, rng: random.Random) -> None:
        self._harvest()
        with self._lock:
            picked = (
                self._checkins.pop(rng.randrange(len(self._checkins))) if self._checkins else None
            )
        if picked is None:
            self.guidance(rng)
            return
        user, checkin_id = picked
        action_id = ids.GOAL_ANSWER_PREFIX + rng.choice(ANSWERS)
        key = f"ans-{checkin_id}"
        outcomes = self._double_click("answer", user, action_id, checkin_id, key)
        self._record("answer", checkin_id, user, *outcomes)

    def open_home(self, rng: random.Random) -> None:
        n = self._n()
        user, event_id = f"UH{n:05d}", f"EvRES{n:07d}"
        self.fake.add_user(user, tz="Asia/Tokyo")
        event = {"type": "app_home_opened", "user": user, "tab": "home"}
        first = self.lb.send(lambda c: c.event(event, event_id=event_id))
        retry = self.lb.send(
            lambda c: c.event(event, event_id=event_id, retry_num=1), avoid=first.replica
        )
        self._record("home", event_id, user, first, retry)

    # what the bot sent, to click on --------------------------------------------------------------
    def _harvest(self) -> None:
        """Collect Accept buttons of proposals and answer buttons of check-ins posted so far."""
        with self._lock:
            calls = self.fake.calls("chat.postMessage")
            fresh, self._seen = calls[self._seen :], len(calls)
            for call in fresh:
                if call.status != 200 or call.error is not None:
                    continue
                channel = str(call.args.get("channel") or "")
                found = dict(buttons(call.args))
                if ids.MENTOR_ACCEPT_ACTION in found:
                    self._proposals.append((channel, found[ids.MENTOR_ACCEPT_ACTION]))
                answer = ids.GOAL_ANSWER_PREFIX + "on_track"
                if answer in found and json_arg(call.args.get("metadata")):
                    self._checkins.append((channel, found[answer]))
