"""`coach-or-mentor sandbox`: the whole bot on loopback, against the fake Slack, in a guided tour.

The bot runs as in HTTP mode (the same WSGI app gunicorn serves) on SQLite, on 127.0.0.1 only.
Every step is a really signed request, as Slack would send it; the bot answers through the real
Web API client to the built-in fake Slack server, and the tour prints what each person would see.
Time runs on a fake clock, and check-ins are sent by calling the dispatcher's tick directly.
"""

from __future__ import annotations

import argparse
import logging
import os
import secrets
import shutil
import sys
import tempfile
import textwrap
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from functools import partial
from typing import Any, TextIO
from wsgiref.simple_server import WSGIServer
from zoneinfo import ZoneInfo

from bot.settings import Settings, SettingsError, mask_url, parse_settings
from handlers import ids, logs
from handlers.app import build_app, make_client
from handlers.deps import Deps
from handlers.fakeslack import FakeSlack
from handlers.goals_dispatch import Dispatcher, dispatch_client
from handlers.runtime import StartupError, open_deps
from handlers.server import EVENTS_PATH, SlackWsgi, serve_in_thread
from handlers.signed import Reply, SignedClient
from handlers.terminal import Renderer, Style, pick_style
from storage import db

log = logging.getLogger(__name__)

WAIT_S = 10.0
TICK_EVERY = timedelta(hours=3)
WEEKS = 3
BOT_NAME = "coach-or-mentor"
BOT_USER = "UBOT000001"  # the fake server's auth.test user


@dataclass(frozen=True)
class Person:
    """Someone in the fake workspace."""

    user_id: str
    name: str
    tz: str


ANA = Person("U0SBXANA01", "Ana", "Europe/London")
BEN = Person("U0SBXBEN02", "Ben", "Europe/Berlin")
CLEO = Person("U0SBXCLEO3", "Cleo", "Europe/Lisbon")
PEOPLE = (ANA, BEN, CLEO)

MENTORING_SITUATION = (
    "I want to grow into a staff engineer role over the next few years and would love to"
    " learn from someone who has been there"
)
COACHING_SITUATION = "I keep interrupting people in meetings and want to stop by my next review"
ANSWERS = ("on_track", "behind", "on_track")  # Ana's answer to each week's check-in


class TourError(RuntimeError):
    """A step of the tour did not go as it should: one line saying why."""


@dataclass
class SandboxClock:
    """The clock the bot and the dispatcher read; the tour moves it forward."""

    now: datetime

    def __call__(self) -> datetime:
        return self.now

    def advance(self, delta: timedelta) -> datetime:
        """Move time forward."""
        self.now += delta
        return self.now


def start_time(real_now: datetime) -> datetime:
    """Where the fake clock starts: the coming Monday, 08:00 UTC (a calm, readable week)."""
    days = (7 - real_now.weekday()) % 7 or 7
    monday = (real_now + timedelta(days=days)).date()
    return datetime(monday.year, monday.month, monday.day, 8, 0, tzinfo=UTC)


# the running bot ---------------------------------------------------------------------------------
@dataclass
class Sandbox:
    """The bot serving on loopback, its fake Slack, its database and its clock."""

    deps: Deps
    slack: FakeSlack
    clock: SandboxClock
    url: str
    database: str
    secret: str
    dispatcher: Dispatcher
    clients: dict[str, SignedClient] = field(default_factory=dict)

    def as_user(self, person: Person) -> SignedClient:
        """Slack's side of the connection, for clicks and commands by this person."""
        if person.user_id not in self.clients:
            self.clients[person.user_id] = SignedClient(
                self.url,
                self.secret,
                team_id=self.slack.team_id,
                response_url=self.slack.response_url(person.user_id),
            )
        return self.clients[person.user_id]


def sandbox_settings(slack: FakeSlack, database_url: str, secret: str) -> Settings:
    """Settings for the sandbox alone: fake tokens, the fake Slack, no pacing, no jitter."""
    return parse_settings(
        {
            "SLACK_BOT_TOKEN": "xoxb-sandbox-not-a-real-token",
            "SLACK_SIGNING_SECRET": secret,
            "SLACK_API_URL": slack.api_url,
            "DATABASE_URL": database_url,
            "LOG_LEVEL": "WARNING",
            "GOALS_JITTER_SECONDS": "0",
            "GOALS_SENDS_PER_SECOND": "0",
        }
    )


@contextmanager
def running(database_url: str | None, clock: SandboxClock) -> Iterator[Sandbox]:
    """Start fake Slack, the database and the bot on 127.0.0.1; stop them all afterwards."""
    scratch = None if database_url else tempfile.mkdtemp(prefix="coach-or-mentor-sandbox-")
    url = database_url or f"sqlite:///{scratch}/sandbox.db"
    # A workspace of its own on every run, so a --database used twice never mixes two tours.
    slack = FakeSlack(team_id="TSBX" + secrets.token_hex(4).upper()).start()
    server: WSGIServer | None = None
    deps: Deps | None = None
    try:
        for person in PEOPLE:
            slack.add_user(person.user_id, tz=person.tz, name=person.name)
        secret = secrets.token_hex(16)
        try:
            settings = sandbox_settings(slack, url, secret)
        except SettingsError as err:
            raise StartupError(f"invalid --database: {err}", 2) from None
        deps = replace(open_deps(settings), clock=clock)
        app = build_app(deps, client=make_client(settings))
        server = serve_in_thread(SlackWsgi(app, secret, lambda: db.ping(deps.engine)))
        yield Sandbox(
            deps=deps,
            slack=slack,
            clock=clock,
            url=f"http://127.0.0.1:{server.server_port}",
            database="SQLite (temporary)" if scratch else mask_url(url),
            secret=secret,
            dispatcher=Dispatcher(deps, dispatch_client(settings)),
        )
    finally:
        if server is not None:
            server.shutdown()
            server.server_close()
        if deps is not None:
            deps.engine.dispose()
        slack.stop()
        if scratch:
            shutil.rmtree(scratch, ignore_errors=True)


# what people see ---------------------------------------------------------------------------------
@dataclass(frozen=True)
class Surface:
    """Something one person sees: a message, a reply only they see, a modal or their home."""

    user_ids: tuple[str, ...]
    where: str
    text: str = ""
    blocks: Sequence[Mapping[str, Any]] = ()
    view: Mapping[str, Any] | None = None


HOME = "App Home"
HOME_REFRESHED = "App Home brought up to date in the background (drawn when they open it)"


class Observer:
    """Turns what the bot sent to fake Slack since the last look into per-person surfaces."""

    def __init__(self, slack: FakeSlack) -> None:
        self.slack = slack
        self._calls = 0
        self._responses = 0
        self._groups: dict[str, list[str]] = {}

    def mark(self) -> None:
        """Forget everything sent so far."""
        self._calls = len(self.slack.calls())
        self._responses = len(self.slack.responses())

    def new_calls(self, method: str) -> list[dict[str, Any]]:
        """Arguments of successful calls of `method` since the last look."""
        calls = self.slack.calls()[self._calls :]
        return [c.args for c in calls if c.method == method and c.error is None]

    def collect(self, actor: Person, *, homes: bool = False) -> list[Surface]:
        """Everything sent since the last look; modals are the actor's (they have no user).

        A person sees only the latest App Home the bot published for them, and only when they
        open the tab: unless `homes` (the actor is opening it now), and for everyone else, a
        refresh is one line (a late background refresh can land while another person looks).
        """
        surfaces: list[Surface] = []
        for call in self.slack.calls()[self._calls :]:
            if call.error is None and call.status == 200:
                surfaces.extend(self._surfaces(call.method, call.args, actor))
        responses = self.slack.responses()[self._responses :]
        for body in responses:
            surfaces.append(self._response(body))
        self.mark()
        latest = {s.user_ids: s for s in surfaces if s.where == HOME}
        opened = (actor.user_id,) if homes else None
        return [
            s
            if s.where != HOME or s.user_ids == opened
            else replace(s, where=HOME_REFRESHED, view=None)
            for s in surfaces
            if s.where != HOME or latest[s.user_ids] is s
        ]

    def _members(self, channel: str) -> tuple[list[str], str]:
        """Who reads a channel, and how to say where it is."""
        if channel.startswith(("U", "W")):
            return [channel], "DM from the bot"
        for person in PEOPLE:
            if self.slack.dm_channel([person.user_id]) == channel:
                return [person.user_id], "DM from the bot"
        members = self._groups.get(channel, [])
        return members, "group DM"

    def _surfaces(self, method: str, args: dict[str, Any], actor: Person) -> list[Surface]:
        if method == "conversations.open":
            users = [u for u in str(args.get("users") or "").split(",") if u]
            self._groups[self.slack.dm_channel(users)] = users
            return []
        if method in ("chat.postMessage", "chat.update"):
            members, where = self._members(str(args.get("channel") or ""))
            if method == "chat.update":
                where += " (updated)"
            blocks = _json(args.get("blocks")) or []
            return [Surface(tuple(members), where, str(args.get("text") or ""), blocks)]
        if method == "chat.postEphemeral":
            blocks = _json(args.get("blocks")) or []
            user = str(args.get("user") or "")
            text = str(args.get("text") or "")
            return [Surface((user,), "only you can see this", text, blocks)]
        if method in ("views.open", "views.push", "views.update"):
            return [Surface((actor.user_id,), "modal", view=_json(args.get("view")) or {})]
        if method == "views.publish":
            user = str(args.get("user_id") or "")
            return [Surface((user,), HOME, view=_json(args.get("view")) or {})]
        return []

    def _response(self, body: Mapping[str, Any]) -> Surface:
        where = "only you can see this"
        if body.get("replace_original"):
            where = "replaces the message"
        user = str(body.get("key") or "")
        return Surface((user,), where, str(body.get("text") or ""), body.get("blocks") or [])


def _json(value: Any) -> Any:
    """Web API arguments arrive decoded or as JSON strings."""
    if isinstance(value, str):
        import json

        try:
            return json.loads(value)
        except ValueError:
            return None
    return value


# printing ----------------------------------------------------------------------------------------
NAMES = {p.user_id: p.name for p in PEOPLE} | {BOT_USER: BOT_NAME}


class Printer:
    """Prints the tour: step headings, what people do, and what each person sees."""

    def __init__(self, out: TextIO, style: Style, width: int) -> None:
        self.out = out
        self.style = style
        self.width = width

    def line(self, text: str = "") -> None:
        """One line of output."""
        print(text, file=self.out)

    def heading(self, number: int, total: int, title: str) -> None:
        """A step's heading."""
        self.line()
        text = f"━━ {number}/{total} · {title} "
        if self.style.plain:
            text = f"== {number}/{total} · {title} "
        self.line(self.style.wrap(text.ljust(self.width, text[0]), self.style.bold))

    def does(self, person: Person, what: str) -> None:
        """Narration: what a person does."""
        for line in textwrap.wrap(f"{person.name} {what}", self.width, subsequent_indent="  "):
            self.line(line)

    def note(self, text: str) -> None:
        """A dimmed aside."""
        for line in textwrap.wrap(text, self.width):
            self.line(self.style.wrap(line, self.style.dim))

    def surfaces(self, surfaces: Sequence[Surface]) -> None:
        """What each person sees, grouped by person (a group DM once for all its members)."""
        order: list[tuple[str, ...]] = []
        for surface in surfaces:
            if surface.user_ids not in order:
                order.append(surface.user_ids)
        for readers in order:
            names = [NAMES.get(user_id, user_id) for user_id in readers]
            who = " and ".join([", ".join(names[:-1]), names[-1]] if len(names) > 1 else names)
            verb = "see" if len(names) > 1 else "sees"
            self.line()
            self.line(self.style.wrap(f"— what {who} {verb} —", self.style.bold))
            for surface in (s for s in surfaces if s.user_ids == readers):
                self._surface(surface)

    def _surface(self, surface: Surface) -> None:
        person = next((p for p in PEOPLE if p.user_id == surface.user_ids[0]), None)
        renderer = Renderer(
            style=self.style,
            width=self.width - 4,
            names=NAMES,
            zone=ZoneInfo(person.tz) if person else UTC,
        )
        if surface.view is not None:
            lines = renderer.view(surface.view)
        elif surface.text or surface.blocks:
            lines = renderer.message(surface.text, surface.blocks)
        else:
            lines = []
        bar = self.style.wrap("│", self.style.dim)
        self.line(self.style.wrap(f"  ┌ {surface.where}", self.style.dim))
        for text in lines:
            self.line(f"  {bar} {text}".rstrip())


# the tour ----------------------------------------------------------------------------------------
PLAN: tuple[tuple[str, str, tuple[int, ...]], ...] = (
    ("Ana asks which practice fits", "situation", ()),
    ("Ben signs up as a mentor", "mentor_signup", ()),
    ("Ana asks for a mentor", "mentee_request", ()),
    ("Ben gets a proposal", "proposal_dm", ()),
    ("Ben accepts: the intro group DM", "accept", ()),
    ("Ana sets a coaching goal, with Cleo as her coach", "goal", ()),
    *(
        (f"Week {n} of the goal: a check-in arrives, Ana answers", "week", (n,))
        for n in range(1, WEEKS + 1)
    ),
    ("The end date: Ana wraps up her goal", "wrapup", ()),
    ("Everyone opens the bot's App Home", "homes", ()),
)
"""Each step: its title, the Tour method that walks it, and that method's arguments."""


@dataclass
class Tour:
    """The scripted walk through the bot; each step checks what it needs and raises otherwise."""

    box: Sandbox
    printer: Printer
    pause: Callable[[], None]
    observer: Observer = field(init=False)
    guidance: Reply | None = None
    proposal: dict[str, Any] | None = None
    answered: list[str] = field(default_factory=list)
    wrapup_dm: dict[str, Any] | None = None

    def __post_init__(self) -> None:
        self.observer = Observer(self.box.slack)
        self.observer.mark()

    @property
    def steps(self) -> list[tuple[str, Callable[[], None]]]:
        """The steps in order, with their titles."""
        return [(title, partial(getattr(self, name), *args)) for title, name, args in PLAN]

    def run(self) -> None:
        """Walk every step; a failed one raises TourError naming the step."""
        steps = self.steps
        for number, (title, step) in enumerate(steps, start=1):
            self.printer.heading(number, len(steps), title)
            try:
                step()
            except TourError as err:
                raise TourError(f"step {number} ({title}): {err}") from None
            except BrokenPipeError:
                raise  # the reader went away (`| head`): not a failure of the step
            except Exception as err:
                # Anything else is a bug somewhere: name it in one line, keep the trace in the log.
                log.debug("step %d failed", number, exc_info=err)
                reason = f"{type(err).__name__}: {err}".splitlines()[0]
                raise TourError(f"step {number} ({title}) failed with {reason}") from err
            if number < len(steps):
                self.pause()

    # helpers -----------------------------------------------------------------------------------
    def _show(self, actor: Person, *, homes: bool = False) -> list[Surface]:
        surfaces = self.observer.collect(actor, homes=homes)
        self.printer.surfaces(surfaces)
        return surfaces

    def _wait(self, what: str, predicate: Callable[[FakeSlack], bool]) -> None:
        if not self.box.slack.wait_for(predicate, timeout=WAIT_S):
            raise TourError(f"{what} did not arrive within {WAIT_S:.0f} s")

    def _posted_to(self, user_id: str) -> Callable[[FakeSlack], bool]:
        def arrived(_: FakeSlack) -> bool:
            return any(
                a.get("channel") == user_id for a in self.observer.new_calls("chat.postMessage")
            )

        return arrived

    def _opened_modal(self, what: str) -> dict[str, Any]:
        self._wait(what, lambda _: bool(self.observer.new_calls("views.open")))
        view = _json(self.observer.new_calls("views.open")[-1].get("view"))
        if not isinstance(view, dict):
            raise TourError(f"{what} was not a view")
        return view

    def _ephemeral(self, person: Person, reply: Reply) -> None:
        """Show a slash command's immediate answer (it comes back over HTTP, not the Web API)."""
        if reply.status != 200:
            raise TourError(f"the bot answered HTTP {reply.status}")
        body = reply.json() or {}
        if body.get("text") or body.get("blocks"):
            self.printer.surfaces(
                [
                    Surface(
                        (person.user_id,),
                        "only you can see this",
                        str(body.get("text") or ""),
                        body.get("blocks") or [],
                    )
                ]
            )

    def _submit(
        self, person: Person, view: Mapping[str, Any], answers: Mapping[str, dict[str, Any]]
    ) -> Reply:
        """Fill the modal's inputs with `answers` (by block id) and submit it, signed."""
        values = fill(view, answers)
        reply = self.box.as_user(person).view_submission(
            person.user_id,
            str(view.get("callback_id") or ""),
            values,
            private_metadata=str(view.get("private_metadata") or ""),
        )
        if reply.status != 200:
            raise TourError(f"submitting the modal got HTTP {reply.status}")
        body = reply.json() or {}
        if body.get("response_action") == "errors":
            problems = "; ".join(f"{k}: {v}" for k, v in (body.get("errors") or {}).items())
            raise TourError(f"the modal refused the answers ({problems})")
        if body.get("response_action") == "update":
            self.printer.surfaces(
                [Surface((person.user_id,), "the modal now shows", view=body.get("view") or {})]
            )
        return reply

    # steps -------------------------------------------------------------------------------------
    def situation(self) -> None:
        """Ana types a situation; the guidance answer comes back at once, only to her."""
        self.printer.does(ANA, f"types: /coach-or-mentor {MENTORING_SITUATION}")
        reply = self.box.as_user(ANA).command(ANA.user_id, MENTORING_SITUATION)
        self._ephemeral(ANA, reply)
        body = reply.json() or {}
        if "Mentoring" not in str(body.get("text")):
            raise TourError(f"expected a mentoring answer, got {body.get('text')!r}")
        self.guidance = reply

    def mentor_signup(self) -> None:
        """Ben opens the sign-up modal with a command and submits it."""
        self.printer.does(BEN, "types: /coach-or-mentor mentor")
        reply = self.box.as_user(BEN).command(BEN.user_id, "mentor")
        if reply.status != 200:
            raise TourError(f"the bot answered HTTP {reply.status}")
        view = self._opened_modal("the sign-up modal")
        self._show(BEN)
        self.printer.does(
            BEN, "picks Leadership and Career growth, offers advice, room for 2, submits"
        )
        reply = self._submit(
            BEN,
            view,
            {
                ids.MENTORING_TOPICS_BLOCK: multi(["leadership", "career-growth"]),
                ids.MENTORING_OFFERS_BLOCK: checked(["advice", "support"]),
                ids.MENTORING_CAPACITY_BLOCK: single("2"),
                ids.MENTORING_YEARS_BLOCK: {"type": "number_input", "value": "14"},
                ids.MENTORING_TEAM_BLOCK: typed("Platform"),
                ids.MENTORING_BIO_BLOCK: typed("Staff engineer; I went from team lead to staff."),
            },
        )
        if "signed up" not in reply.body:
            raise TourError("no sign-up confirmation in the modal")

    def mentee_request(self) -> None:
        """Ana clicks "Find a mentor" in her guidance answer and fills the request."""
        buttons = find_buttons(
            ((self.guidance.json() if self.guidance else None) or {}).get("blocks") or []
        )
        if ids.MENTOR_REQUEST_ACTION not in buttons:
            raise TourError("the guidance answer has no 'Find a mentor' button")
        self.printer.does(ANA, "clicks [ Find a mentor ] in the answer")
        self.box.as_user(ANA).block_action(ANA.user_id, ids.MENTOR_REQUEST_ACTION)
        view = self._opened_modal("the mentor request modal")
        self._show(ANA)
        self.printer.does(ANA, "picks Leadership and Career growth, wants advice, submits")
        self._submit(
            ANA,
            view,
            {
                ids.MENTORING_TOPICS_BLOCK: multi(["leadership", "career-growth"]),
                ids.MENTORING_WANTS_BLOCK: checked(["advice"]),
                ids.MENTORING_GOAL_BLOCK: typed("Grow from senior to staff engineer"),
                ids.MENTORING_YEARS_BLOCK: {"type": "number_input", "value": "5"},
                ids.MENTORING_TEAM_BLOCK: typed("Payments"),
            },
        )

    def proposal_dm(self) -> None:
        """The bot asks Ben first: a DM with Accept and Decline."""
        self.printer.note("(the bot matches at once: it asks the mentor who fits best first)")
        self._wait("the proposal DM to Ben", self._posted_to(BEN.user_id))
        posted = [
            a
            for a in self.observer.new_calls("chat.postMessage")
            if a.get("channel") == BEN.user_id
        ]
        self.proposal = posted[-1]
        self._show(BEN)
        buttons = find_buttons(_json(self.proposal.get("blocks")) or [])
        if ids.MENTOR_ACCEPT_ACTION not in buttons:
            raise TourError("the proposal has no Accept button")

    def accept(self) -> None:
        """Ben clicks Accept; the bot opens a group DM with both and introduces them."""
        proposal = self.proposal or {}
        value = find_buttons(_json(proposal.get("blocks")) or []).get(ids.MENTOR_ACCEPT_ACTION, "")
        self.printer.does(BEN, "clicks [ Accept ]")
        self.box.as_user(BEN).block_action(
            BEN.user_id,
            ids.MENTOR_ACCEPT_ACTION,
            value=value,
            channel_id=self.box.slack.dm_channel([BEN.user_id]),
        )

        def introduced(_: FakeSlack) -> bool:
            return any(
                str(a.get("channel", "")).startswith("G")
                for a in self.observer.new_calls("chat.postMessage")
            )

        self._wait("the intro group DM", introduced)
        self._wait("Ben's answer", lambda s: len(s.responses()) > self.observer._responses)
        self._show(BEN)

    def goal(self) -> None:
        """Ana describes a habit, gets coaching, clicks 'Set a coaching goal' and fills it in."""
        self.printer.does(ANA, f"types: /coach-or-mentor {COACHING_SITUATION}")
        reply = self.box.as_user(ANA).command(ANA.user_id, COACHING_SITUATION)
        self._ephemeral(ANA, reply)
        buttons = find_buttons((reply.json() or {}).get("blocks") or [])
        if ids.GOAL_NEW_ACTION not in buttons:
            raise TourError("the coaching answer has no 'Set a coaching goal' button")
        self.printer.does(ANA, "clicks [ Set a coaching goal ]")
        self.box.as_user(ANA).block_action(ANA.user_id, ids.GOAL_NEW_ACTION)
        view = self._opened_modal("the goal modal")
        self._show(ANA)
        today = self.box.clock().astimezone(ZoneInfo(ANA.tz)).date()
        end = today + timedelta(weeks=WEEKS)
        weekday = (today + timedelta(days=2)).strftime("%A").lower()
        self.printer.does(
            ANA, f"writes her goal, check-ins every {weekday.title()} at 09:30, coach Cleo, submits"
        )
        self._submit(
            ANA,
            view,
            {
                ids.goal_block("title"): typed("Let people finish before I speak in meetings"),
                ids.goal_block("success"): typed("Two teammates say they notice the change"),
                ids.goal_block("end_date"): {
                    "type": "datepicker",
                    "selected_date": end.isoformat(),
                },
                ids.goal_block("cadence"): single("weekly"),
                ids.goal_block("weekday"): single(weekday),
                ids.goal_block("local_time"): {"type": "timepicker", "selected_time": "09:30"},
                ids.goal_block("coach"): {"type": "users_select", "selected_user": CLEO.user_id},
            },
        )
        self._wait("the goal confirmation DM", self._posted_to(ANA.user_id))
        self._wait("Cleo's coach DM", self._posted_to(CLEO.user_id))
        self._show(ANA)

    def week(self, number: int) -> None:
        """A week on the fast clock: dispatcher ticks, the check-in, Ana's click, the digest."""
        start = self.box.clock()
        end = start + timedelta(weeks=1)
        self.printer.note(
            f"(the clock runs from {_day(start)} to {_day(end)}, a tick every 3 hours)"
        )
        while self.box.clock() < end:
            self.box.clock.advance(TICK_EVERY)
            self.box.dispatcher.tick()
            for checkin in self._checkins():
                self._answer(checkin, number)
        self._show(ANA)
        if len(self.answered) < number:
            raise TourError(f"no check-in arrived in week {number}")

    def wrapup(self) -> None:
        """The end date: the wrap-up DM, Ana's verdict, and her reply."""
        deadline = self.box.clock() + timedelta(days=3)
        self.printer.note("(the clock runs on to the goal's end date)")
        while self.box.clock() < deadline and self.wrapup_dm is None:
            self.box.clock.advance(TICK_EVERY)
            self.box.dispatcher.tick()
            for args in self.observer.new_calls("chat.postMessage"):
                buttons = find_buttons(_json(args.get("blocks")) or [])
                if args.get("channel") == ANA.user_id and any(
                    a.startswith(ids.GOAL_OUTCOME_PREFIX) for a in buttons
                ):
                    self.wrapup_dm = args
        if self.wrapup_dm is None:
            raise TourError("no wrap-up arrived on the end date")
        self._show(ANA)
        action_id = ids.GOAL_OUTCOME_PREFIX + "partly"
        blocks = _json(self.wrapup_dm.get("blocks")) or []
        value = find_buttons(blocks).get(action_id)
        if value is None:
            raise TourError("the wrap-up has no 'partly' button")
        self.printer.does(ANA, f"clicks [ {_button_label(blocks, action_id)} ]")
        before = len(self.box.slack.responses())
        self.box.as_user(ANA).block_action(ANA.user_id, action_id, value=value)
        self._wait("the answer to Ana's verdict", lambda s: len(s.responses()) > before)
        self._show(ANA)

    def _checkins(self) -> list[dict[str, Any]]:
        """Check-in DMs to Ana since the last look that she has not answered yet."""
        found = []
        for args in self.observer.new_calls("chat.postMessage"):
            if args.get("channel") != ANA.user_id:
                continue
            buttons = find_buttons(_json(args.get("blocks")) or [])
            answer_ids = [a for a in buttons if a.startswith(ids.GOAL_ANSWER_PREFIX)]
            if answer_ids and buttons[answer_ids[0]] not in self.answered:
                found.append(args)
        return found

    def _answer(self, checkin: dict[str, Any], week: int) -> None:
        """Ana clicks one of the check-in's answers."""
        buttons = find_buttons(_json(checkin.get("blocks")) or [])
        answer = ANSWERS[min(week, len(ANSWERS)) - 1]
        action_id = ids.GOAL_ANSWER_PREFIX + answer
        if action_id not in buttons:
            raise TourError(f"the check-in has no '{answer}' button")
        value = buttons[action_id]
        self._show(ANA)
        label = _button_label(_json(checkin.get("blocks")) or [], action_id)
        self.printer.does(ANA, f"clicks [ {label} ]")
        before = len(self.box.slack.responses())
        self.box.as_user(ANA).block_action(
            ANA.user_id,
            action_id,
            value=value,
            channel_id=self.box.slack.dm_channel([ANA.user_id]),
        )
        self._wait("the answer to Ana's click", lambda s: len(s.responses()) > before)
        self.answered.append(value)
        self._show(ANA)

    def homes(self) -> None:
        """Each person opens the App Home tab; the bot publishes their view."""
        for person in PEOPLE:
            self.printer.does(person, "opens the bot's Home tab")
            reply = self.box.as_user(person).event(
                {"type": "app_home_opened", "user": person.user_id, "tab": "home", "channel": "D0"}
            )
            if reply.status != 200:
                raise TourError(f"the bot answered HTTP {reply.status}")

            def published(_: FakeSlack, user: str = person.user_id) -> bool:
                return any(
                    a.get("user_id") == user for a in self.observer.new_calls("views.publish")
                )

            self._wait(f"{person.name}'s home tab", published)
            self._show(person, homes=True)


# form filling ------------------------------------------------------------------------------------
def typed(value: str) -> dict[str, Any]:
    """A plain text input's state."""
    return {"type": "plain_text_input", "value": value}


def single(value: str) -> dict[str, Any]:
    """A static select's state."""
    return {"type": "static_select", "selected_option": {"value": value}}


def multi(values: list[str]) -> dict[str, Any]:
    """A multi-select's state."""
    return {"type": "multi_static_select", "selected_options": [{"value": v} for v in values]}


def checked(values: list[str]) -> dict[str, Any]:
    """A checkbox group's state."""
    return {"type": "checkboxes", "selected_options": [{"value": v} for v in values]}


def fill(view: Mapping[str, Any], answers: Mapping[str, dict[str, Any]]) -> dict[str, Any]:
    """The modal's state as Slack submits it: each answer under its input's block and action id."""
    inputs = {
        str(b.get("block_id")): b.get("element") or {}
        for b in view.get("blocks") or []
        if b.get("type") == "input"
    }
    missing = sorted(set(answers) - set(inputs))
    if missing:
        raise TourError(f"the modal has no field {', '.join(missing)}")
    values: dict[str, Any] = {}
    for block_id, element in inputs.items():
        state = answers.get(block_id) or _empty(element)
        values[block_id] = {str(element.get("action_id")): state}
    return values


def _empty(element: Mapping[str, Any]) -> dict[str, Any]:
    """An untouched input, as Slack submits it."""
    kind = str(element.get("type") or "")
    if kind in ("checkboxes", "multi_static_select"):
        return {"type": kind, "selected_options": []}
    if kind == "static_select":
        return {"type": kind, "selected_option": element.get("initial_option")}
    return {"type": kind, "value": element.get("initial_value")}


def find_buttons(blocks: Sequence[Mapping[str, Any]]) -> dict[str, str]:
    """action_id -> value of every button in the blocks."""
    found: dict[str, str] = {}
    for block in blocks:
        elements = list(block.get("elements") or [])
        if block.get("accessory"):
            elements.append(block["accessory"])
        for element in elements:
            if element.get("type") == "button":
                found[str(element.get("action_id"))] = str(element.get("value") or "")
    return found


def _button_label(blocks: Sequence[Mapping[str, Any]], action_id: str) -> str:
    for block in blocks:
        for element in block.get("elements") or []:
            if element.get("action_id") == action_id:
                return str((element.get("text") or {}).get("text") or action_id)
    return action_id


def _day(moment: datetime) -> str:
    return f"{moment:%a} {moment.day} {moment:%b}"


# the command -------------------------------------------------------------------------------------
def _width(out: TextIO) -> int:
    """The terminal's width, kept between 60 and 100 columns (80 when it is not known)."""
    try:
        columns = os.get_terminal_size(out.fileno()).columns if out.isatty() else 0
    except (OSError, ValueError):
        columns = 0
    return max(60, min(100, columns or 80))


def _pause_for_enter(out: TextIO) -> Callable[[], None]:
    def pause() -> None:
        print("\n(press Enter for the next step)", file=out, end="", flush=True)
        try:
            input()
        except EOFError:
            print(file=out)

    return pause


def run_sandbox(
    *,
    database_url: str | None,
    out: TextIO,
    style: Style,
    width: int,
    pause: Callable[[], None] = lambda: None,
    real_now: datetime | None = None,
) -> None:
    """Start everything, walk the tour, stop everything (TourError / StartupError on failure)."""
    began = time.monotonic()
    clock = SandboxClock(start_time(real_now or datetime.now(UTC)))
    printer = Printer(out, style, width)
    with running(database_url, clock) as box:
        printer.line(style.wrap("coach-or-mentor sandbox", style.bold))
        printer.note(
            f"The bot in HTTP mode at {box.url}{EVENTS_PATH} (database: {box.database}),"
            f" against a fake Slack at {box.slack.url}. Nothing leaves this machine."
        )
        printer.note(
            f"Ana, Ben and Cleo are in a fake workspace; the clock starts {_day(clock())}."
        )
        Tour(box, printer, pause).run()
    printer.line()
    printer.line(
        f"Tour finished in {time.monotonic() - began:.1f} s. Create the Slack app next:"
        " README.md, section 'Set up in Slack'."
    )


def _sandbox(args: argparse.Namespace) -> int:
    logs.configure("WARNING")
    out = sys.stdout
    try:
        run_sandbox(
            database_url=args.database,
            out=out,
            style=pick_style(out, os.environ),
            width=_width(out),
            pause=_pause_for_enter(out) if args.step else lambda: None,
        )
    except TourError as err:
        print(f"coach-or-mentor sandbox: {err}", file=sys.stderr)
        return 1
    except BrokenPipeError:
        # Whoever read the tour stopped reading (`| head`); stay quiet, as shell tools do.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 128 + 13  # SIGPIPE
    return 0


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add `coach-or-mentor sandbox`."""
    sandbox = commands.add_parser(
        "sandbox",
        help="see the bot work on this machine, without Slack (a scripted tour)",
        description=(
            "Start the bot in HTTP mode on loopback against a built-in fake Slack, walk through"
            " a scripted tour (guidance, mentoring, a coaching goal with three weeks of"
            " check-ins, App Home) and print what each person would see. Needs no Slack app,"
            " no tokens and no network."
        ),
    )
    pace = sandbox.add_mutually_exclusive_group()
    pace.add_argument(
        "--fast",
        dest="step",
        action="store_false",
        help="run the whole tour at once (the default)",
    )
    pace.add_argument(
        "--step", dest="step", action="store_true", help="wait for Enter between steps"
    )
    sandbox.add_argument(
        "--database",
        metavar="URL",
        default=None,
        help="database URL (default: a temporary SQLite file, removed afterwards)",
    )
    sandbox.set_defaults(handler=_sandbox, step=False)
