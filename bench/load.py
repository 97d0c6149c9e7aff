"""Load benchmark of HTTP mode as it runs in production: `coach-or-mentor run --http` (gunicorn)
on PostgreSQL, sustained mixed Slack traffic, for one replica and for several.

    .venv/bin/python bench/load.py [--seconds 60] [--rate 250] [--setups 1x1,1x2,3x1]

A setup `RxW` is R replicas (processes on their own ports, spread round-robin as a load balancer
would) of W gunicorn workers each. Each setup gets a fresh database with 5,000 seeded goals whose
check-ins were sent, so that clicks have something to answer. The traffic comes from a separate
process: `--threads` threads, each with its own keep-alive connection, sending really signed
requests at a shared pace of `--rate` a second (0: as fast as they can; a thread never has more
than one request in flight, so the load is bounded). With a pace, every request is built and
signed before the clock starts (a run of up to four minutes stays inside Slack's five), so the
client spends its CPU during the run on sending and reading only. Slack is the fake Web API, in
this process; its users.info knows every user (in Europe/Berlin), and each modal submission has
its own view id, as in Slack.

Mix: slash commands (guidance 35%, `goals` 10%, `help` 5%, `mentor` 5%: opens a modal), check-in
answer clicks 15%, app_home_opened 15%, goal modal submissions 10%, mentor requests 5%.
An error is anything but a 200, a connection error, or a 200 that apologises.

Per setup it prints latencies overall and per request type, the CPU each part used per request
(the bot's processes, this database's PostgreSQL backends, the fake Slack, the client) and how
many PostgreSQL connections were opened while the load ran (backends that exited early are not in
the CPU figure, so this count says whether it is complete).
"""

from __future__ import annotations

import argparse
import collections
import http.client
import itertools
import json
import multiprocessing
import os
import random
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from slack_sdk.signature import SignatureVerifier  # noqa: E402
from sqlalchemy import create_engine, insert, text  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402
from sqlalchemy.pool import NullPool  # noqa: E402

from bot.goals import GoalStatus  # noqa: E402
from handlers import ids  # noqa: E402
from handlers.app import SORRY, SORRY_MODAL  # noqa: E402
from handlers.fakeslack import FakeSlack  # noqa: E402
from storage import db  # noqa: E402
from storage.goals import CheckinKind, CheckinRow, CheckinStatus, GoalRow  # noqa: E402
from tests.resilience.cluster import start_replica  # noqa: E402

PG_URL = os.environ.get("TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
SECRET = "bench-load-secret"
SIGNER = SignatureVerifier(SECRET)  # slack_sdk signs as Slack does
TEAM = "T0FAKE"
SEEDED = 5_000
ZONE = "Europe/Berlin"  # every user's zone in users.info (not UTC, so a fallback would show)
SITUATIONS = (
    "I keep interrupting people in meetings and want to stop before my review",
    "I am a new manager and want someone experienced to learn from over the next year",
    "Our team's planning process is broken and we need to redesign how we work",
    "I want to get better at giving feedback to my peers this quarter",
    "I'd like to grow into a staff engineer role over the next couple of years",
)
MIX = (
    ("guidance", 35),
    ("goals", 10),
    ("help", 5),
    ("mentor", 5),
    ("answer", 15),
    ("home", 15),
    ("goal_modal", 10),
    ("request_modal", 5),
)


# the database ------------------------------------------------------------------------------------
def fresh_database() -> tuple[str, str]:
    """A new, migrated PostgreSQL database; (name, url)."""
    name = f"com_load_{uuid.uuid4().hex[:10]}"
    admin = create_engine(PG_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    url = make_url(PG_URL).set(database=name).render_as_string(hide_password=False)
    engine = db.make_engine(url)
    db.upgrade(engine)
    seed(engine)
    engine.dispose()
    return name, url


def drop_database(name: str) -> None:
    admin = create_engine(PG_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def seed(engine: Any) -> None:
    """SEEDED goals, each with one check-in already sent (ids 1..SEEDED), to be answered."""
    now = datetime.now(UTC)
    today = now.date()
    goals, checkins = [], []
    for n in range(SEEDED):
        user = f"USEED{n:05d}"
        goals.append(
            {
                "id": n + 1,
                "team_id": TEAM,
                "user_id": user,
                "coach_id": None,
                "title": f"Seeded goal {n}",
                "success": "It shows",
                "end_date": today + timedelta(weeks=8),
                "cadence": "weekly",
                "weekday": today.weekday(),
                "local_time": now.time().replace(microsecond=0),
                "anchor": today,
                "tz_name": "UTC",
                "tz_checked_at": now,
                "status": GoalStatus.ACTIVE.value,
                "needs_attention": False,
                "created_at": now,
                "updated_at": now,
            }
        )
        checkins.append(
            {
                "id": n + 1,
                "goal_id": n + 1,
                "team_id": TEAM,
                "user_id": user,
                "kind": CheckinKind.CHECKIN.value,
                "period": today,
                "status": CheckinStatus.SENT.value,
                "due_at": now - timedelta(hours=1),
                "attempts": 1,
                "channel": f"D{n:08d}",
                "ts": f"{n}.000100",
                "sent_at": now,
            }
        )
    with engine.begin() as conn:
        conn.execute(insert(GoalRow), goals)
        conn.execute(insert(CheckinRow), checkins)
        for table in ("goals", "goal_checkins"):
            conn.exec_driver_sql(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), {SEEDED})"
            )


# the bot -----------------------------------------------------------------------------------------
def start_replicas(
    count: int, workers: int, fake: FakeSlack, url: str, workdir: Path
) -> list[tuple[int, subprocess.Popen[bytes]]]:
    """`count` x `coach-or-mentor run --http --workers W`, each in its own process group."""
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "DATABASE_URL"))},
        "PYTHONPATH": str(ROOT),
        "SLACK_BOT_TOKEN": "xoxb-load",
        "SLACK_SIGNING_SECRET": SECRET,
        "SLACK_API_URL": fake.api_url,
        "DATABASE_URL": url,
        "LOG_LEVEL": "WARNING",
        "MENTORING_MODE": "instant",
    }
    started = []
    for _ in range(count):
        replica = start_replica(env, workdir, workers=workers)
        started.append((replica.port, replica.process))
    for port, process in started:
        wait_healthy(port, process)
    return started


def wait_healthy(port: int, process: subprocess.Popen[bytes], timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"replica on :{port} exited")
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            conn.request("GET", "/healthz")
            if conn.getresponse().status == 200:
                return
        except OSError:
            pass
        time.sleep(0.2)
    raise SystemExit(f"replica on :{port} not healthy after {timeout:.0f} s")


def stop_replicas(replicas: list[tuple[int, subprocess.Popen[bytes]]]) -> None:
    for _, process in replicas:
        try:
            os.killpg(process.pid, signal.SIGTERM)
        except ProcessLookupError:
            continue
    for _, process in replicas:
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)


# CPU accounting ----------------------------------------------------------------------------------
_TICK = os.sysconf("SC_CLK_TCK")


def _cpu_of(pid: int) -> float:
    """CPU seconds (user + system) a live process has used, 0 when it is gone."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / _TICK


def _pids(match: Any) -> list[int]:
    """Pids of processes whose (pid, pgid, cmdline) satisfy match."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        if match(int(entry.name), int(stat[2]), cmdline):
            found.append(int(entry.name))
    return found


def cpu_snapshot(replica_pids: list[int], database: str) -> dict[str, dict[int, float]]:
    """CPU seconds so far of the bot's processes and of this database's PostgreSQL backends."""
    groups = set(replica_pids)
    bot = _pids(lambda _pid, pgid, _cmd: pgid in groups)
    backends = _pids(lambda _pid, _pgid, cmd: cmd.startswith("postgres:") and database in cmd)
    return {
        "bot": {pid: _cpu_of(pid) for pid in bot},
        "postgres": {pid: _cpu_of(pid) for pid in backends},
    }


def cpu_used(
    before: dict[str, dict[int, float]], after: dict[str, dict[int, float]]
) -> dict[str, float]:
    """CPU seconds each group used between two snapshots (processes started since count whole)."""
    return {
        group: sum(cpu - before[group].get(pid, 0.0) for pid, cpu in after[group].items())
        for group in after
    }


def pg_sessions(database: str) -> int:
    """Sessions (connections) PostgreSQL has opened to the database so far."""
    admin = create_engine(PG_URL)
    with admin.connect() as conn:
        count = conn.execute(
            text("SELECT sessions FROM pg_stat_database WHERE datname = :d"), {"d": database}
        ).scalar_one()
    admin.dispose()
    return int(count)


class PeakConnections(threading.Thread):
    """Samples how many connections the database has open, twice a second, keeping the peak."""

    def __init__(self, database: str) -> None:
        super().__init__(daemon=True)
        self.database = database
        self.peak = 0
        self.done = threading.Event()

    def run(self) -> None:
        admin = create_engine(PG_URL, poolclass=NullPool)
        query = text(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = :d AND pid <> pg_backend_pid()"
        )
        while not self.done.wait(0.5):
            with admin.connect() as conn:
                self.peak = max(
                    self.peak, int(conn.execute(query, {"d": self.database}).scalar_one())
                )
        admin.dispose()


def _own_cpu() -> float:
    times = os.times()
    return times.user + times.system


# the load (in its own process) -------------------------------------------------------------------
@dataclass
class Result:
    """What the driver measured."""

    seconds: float = 0.0
    latencies: dict[str, list[float]] = field(default_factory=dict)
    errors: Counter[str] = field(default_factory=Counter)


class Requests:
    """Signed Slack requests of each kind (bodies and headers, ready to send)."""

    def __init__(self, rng: random.Random, thread: int, response_url: str) -> None:
        self.rng = rng
        self.response_url = response_url
        self.thread = thread
        self.serial = itertools.count(1)
        self.today = datetime.now(UTC).date()

    def build(self, kind: str) -> tuple[bytes, str]:
        n = next(self.serial)
        user = f"UL{self.thread:03d}{n:07d}"
        if kind == "guidance":
            return self._command(user, self.rng.choice(SITUATIONS))
        if kind in ("goals", "help", "mentor"):
            return self._command(user, kind)
        if kind == "answer":
            seeded = self.rng.randrange(SEEDED)
            answer = self.rng.choice(("on_track", "behind", "blocked", "done"))
            return self._interactive(
                {
                    "type": "block_actions",
                    "team": {"id": TEAM},
                    "user": {"id": f"USEED{seeded:05d}", "team_id": TEAM},
                    "trigger_id": "1.1",
                    "response_url": self.response_url,
                    "container": {"type": "message"},
                    "actions": [
                        {
                            "type": "button",
                            "block_id": "b",
                            "value": str(seeded + 1),
                            "action_id": ids.GOAL_ANSWER_PREFIX + answer,
                        }
                    ],
                }
            )
        if kind == "home":
            event = {"type": "app_home_opened", "user": user, "tab": "home", "event_ts": "1.0"}
            envelope = {
                "type": "event_callback",
                "team_id": TEAM,
                "api_app_id": "A0",
                "event": event,
                "event_id": f"Ev{uuid.uuid4().hex[:12]}",
                "event_time": int(time.time()),
            }
            return json.dumps(envelope).encode(), "application/json"
        if kind == "goal_modal":
            return self._view(user, n, ids.GOAL_MODAL_VIEW, self._goal_values(n))
        return self._view(user, n, ids.MENTOR_REQUEST_VIEW, _request_values())

    def _command(self, user: str, words: str) -> tuple[bytes, str]:
        fields = {
            "command": ids.COMMAND,
            "text": words,
            "team_id": TEAM,
            "user_id": user,
            "channel_id": "C0",
            "response_url": self.response_url,
            "trigger_id": "1.1",
            "api_app_id": "A0",
        }
        return urlencode(fields).encode(), "application/x-www-form-urlencoded"

    def _interactive(self, payload: dict[str, Any]) -> tuple[bytes, str]:
        body = urlencode({"payload": json.dumps(payload)}).encode()
        return body, "application/x-www-form-urlencoded"

    def _view(self, user: str, n: int, callback: str, values: dict[str, Any]) -> tuple[bytes, str]:
        return self._interactive(
            {
                "type": "view_submission",
                "team": {"id": TEAM},
                "user": {"id": user, "team_id": TEAM},
                "trigger_id": "1.1",
                "view": {
                    # every submission is a modal of its own (the bot stores a view id once)
                    "id": f"V{self.thread:03d}{n:07d}",
                    "type": "modal",
                    "callback_id": callback,
                    "private_metadata": "",
                    "state": {"values": values},
                },
            }
        )

    def _goal_values(self, n: int) -> dict[str, Any]:
        end = (self.today + timedelta(weeks=6)).isoformat()
        fields = {
            "title": {"type": "plain_text_input", "value": f"Load goal {n}"},
            "success": {"type": "plain_text_input", "value": "It shows"},
            "end_date": {"type": "datepicker", "selected_date": end},
            "cadence": {"type": "static_select", "selected_option": {"value": "weekly"}},
            "weekday": {"type": "static_select", "selected_option": {"value": "tuesday"}},
            "local_time": {"type": "timepicker", "selected_time": "10:00"},
        }
        return {ids.goal_block(k): {ids.GOAL_FIELD_ACTION: v} for k, v in fields.items()}


def _request_values() -> dict[str, Any]:
    def multi(block: str, values: list[str], kind: str) -> dict[str, Any]:
        return {block: {block: {"type": kind, "selected_options": [{"value": v} for v in values]}}}

    return {
        **multi(ids.MENTORING_TOPICS_BLOCK, ["leadership"], "multi_static_select"),
        **multi(ids.MENTORING_WANTS_BLOCK, ["advice"], "checkboxes"),
        ids.MENTORING_GOAL_BLOCK: {
            ids.MENTORING_GOAL_BLOCK: {"type": "plain_text_input", "value": "Lead a project"}
        },
        ids.MENTORING_YEARS_BLOCK: {
            ids.MENTORING_YEARS_BLOCK: {"type": "number_input", "value": "2"}
        },
    }


def _apologised(body: bytes) -> bool:
    return SORRY.encode() in body or SORRY_MODAL.encode() in body


# Requests are built and signed before the clock starts when the whole run fits well inside
# Slack's five minutes for a timestamp; a longer run signs each request as it sends it.
PRESIGN_WITHIN_S = 240.0


def _raw_request(body: bytes, content_type: str) -> bytes:
    """One signed POST /slack/events as the bytes on the wire (HTTP/1.1, keep-alive)."""
    stamp = str(int(time.time()))
    signature = SIGNER.generate_signature(timestamp=stamp, body=body)
    head = (
        "POST /slack/events HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        f"Content-Type: {content_type}\r\nContent-Length: {len(body)}\r\n"
        f"X-Slack-Request-Timestamp: {stamp}\r\nX-Slack-Signature: {signature}\r\n\r\n"
    )
    return head.encode() + body


class _Connection:
    """A minimal keep-alive HTTP/1.1 client: send the prepared bytes, read one answer.

    http.client parses every answer's headers with the email package; the server's answers
    need only the status, Content-Length and Connection, so this costs the load process far less.
    """

    def __init__(self, port: int) -> None:
        self.port = port
        self.sock: socket.socket | None = None
        self.reader: Any = None

    def exchange(self, raw: bytes) -> tuple[int, bytes]:
        if self.sock is None:
            self.sock = socket.create_connection(("127.0.0.1", self.port), timeout=30)
            self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            self.reader = self.sock.makefile("rb")
        self.sock.sendall(raw)
        status_line = self.reader.readline(65537)
        if not status_line:
            raise ConnectionError("connection closed before an answer")
        status = int(status_line.split(b" ", 2)[1])
        length, close = 0, False
        while (line := self.reader.readline(65537)) not in (b"\r\n", b"\n", b""):
            name, _, value = line.partition(b":")
            name = name.strip().lower()
            if name == b"content-length":
                length = int(value)
            elif name == b"connection" and value.strip().lower() == b"close":
                close = True
        body = self.reader.read(length) if length else b""
        if close:
            self.close()
        return status, body

    def close(self) -> None:
        if self.sock is not None:
            self.reader.close()
            self.sock.close()
        self.sock = self.reader = None


def drive(
    ports: list[int], response_url: str, seconds: float, rate: float, threads: int, out: Any
) -> None:
    """The load process: `threads` keep-alive connections at a shared pace, for `seconds`.

    The kinds follow MIX (one seeded draw per request); with a pace, the requests are built and
    signed before the clock starts (see PRESIGN_WITHIN_S), so the client's own CPU during the
    run is little more than sending and reading.
    """
    kinds = [k for k, _ in MIX]
    weights = [w for _, w in MIX]
    lock = threading.Lock()
    result = Result(latencies={k: [] for k in kinds})
    rng = random.Random(7)
    requests = Requests(rng, 0, response_url)

    def build() -> tuple[str, bytes]:
        kind = rng.choices(kinds, weights)[0]
        return kind, _raw_request(*requests.build(kind))

    total = int(rate * seconds) if rate > 0 else 0
    ready: collections.deque[tuple[str, bytes]] = collections.deque()
    if total > 0 and seconds <= PRESIGN_WITHIN_S:
        ready.extend(build() for _ in range(total))

    def take() -> tuple[str, bytes]:
        try:
            return ready.popleft()
        except IndexError:
            with lock:
                return build()

    start = time.monotonic() + 0.5
    deadline = start + seconds
    tick = itertools.count()

    def next_slot() -> float | None:
        """When this thread may send next (a shared schedule at `rate`), None when time is up."""
        if rate <= 0:
            return time.monotonic() if time.monotonic() < deadline else None
        at = start + next(tick) / rate
        return at if at < deadline else None

    def worker(index: int) -> None:
        conn = _Connection(ports[index % len(ports)])
        while (slot := next_slot()) is not None:
            time.sleep(max(0.0, slot - time.monotonic()))
            kind, raw = take()
            began = time.perf_counter()
            try:
                status, data = conn.exchange(raw)
            except (OSError, ValueError, IndexError) as err:
                conn.close()
                with lock:
                    result.errors[f"{kind}: {type(err).__name__}"] += 1
                continue
            took = time.perf_counter() - began
            with lock:
                result.latencies[kind].append(took)
                if status != 200:
                    result.errors[f"{kind}: HTTP {status}"] += 1
                elif _apologised(data):
                    result.errors[f"{kind}: apology"] += 1
        conn.close()

    cpu_at_start = _own_cpu()
    pool = [threading.Thread(target=worker, args=(i,)) for i in range(threads)]
    for thread in pool:
        thread.start()
    for thread in pool:
        thread.join()
    result.seconds = time.monotonic() - start
    out.put((result.seconds, result.latencies, dict(result.errors), _own_cpu() - cpu_at_start))


# reporting ---------------------------------------------------------------------------------------
def percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def report(
    name: str,
    seconds: float,
    latencies: dict[str, list[float]],
    errors: dict[str, int],
    cpu: dict[str, float],
) -> None:
    every = [x for values in latencies.values() for x in values]
    total = len(every) + sum(errors.values())
    failed = sum(errors.values())
    ms = [x * 1000 for x in every]
    print(
        f"{name}: {total} requests in {seconds:.1f} s = {total / seconds:.1f} req/s;"
        f" p50 {percentile(ms, 0.50):.1f} ms, p95 {percentile(ms, 0.95):.1f} ms,"
        f" p99 {percentile(ms, 0.99):.1f} ms, max {max(ms, default=0):.1f} ms; errors {failed}"
    )
    per_request = "  ".join(
        f"{group} {1000 * used / max(total, 1):.2f}" for group, used in cpu.items()
    )
    print(f"    CPU ms per request: {per_request}")
    for kind, values in latencies.items():
        kms = [x * 1000 for x in values]
        print(
            f"    {kind:<14} {len(values):>6}  p50 {percentile(kms, 0.5):6.1f} ms"
            f"  p95 {percentile(kms, 0.95):6.1f} ms  p99 {percentile(kms, 0.99):6.1f} ms"
        )
    for what, count in sorted(errors.items()):
        print(f"    error {what}: {count}")


def run_setup(spec: str, args: argparse.Namespace) -> None:
    replicas, workers = (int(x) for x in spec.lower().split("x"))
    name, url = fresh_database()
    with FakeSlack(everyone_tz=ZONE, record=False) as fake, tempfile.TemporaryDirectory() as tmp:
        running = start_replicas(replicas, workers, fake, url, Path(tmp))
        try:
            ctx = multiprocessing.get_context("spawn")
            out = ctx.Queue()
            driver = ctx.Process(
                target=drive,
                args=(
                    [p for p, _ in running],
                    fake.response_url("load"),
                    args.seconds,
                    args.rate,
                    args.threads,
                    out,
                ),
            )
            pids = [p.pid for _, p in running]
            sessions = pg_sessions(name)
            before = cpu_snapshot(pids, name)
            own_before = _own_cpu()
            peak = PeakConnections(name)
            peak.start()
            driver.start()
            seconds, latencies, errors, client_cpu = out.get(timeout=args.seconds + 120)
            peak.done.set()
            cpu = cpu_used(before, cpu_snapshot(pids, name))
            cpu["fake Slack"] = _own_cpu() - own_before
            cpu["client"] = client_cpu
            sessions = pg_sessions(name) - sessions
            driver.join()
        finally:
            stop_replicas(running)
    drop_database(name)
    label = f"{replicas} replica(s) x {workers} worker(s)"
    report(label, seconds, latencies, errors, cpu)
    print(
        f"    PostgreSQL connections: {sessions} opened during the run, at most {peak.peak}"
        " open at once"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--rate", type=float, default=250.0, help="requests a second (0: max)")
    parser.add_argument("--threads", type=int, default=32)
    parser.add_argument("--setups", default="1x1,1x2,3x1", help="RxW: replicas x workers")
    args = parser.parse_args()
    load = os.getloadavg()
    print(
        f"bench/load.py: {args.seconds:.0f} s per setup, target {args.rate:g} req/s,"
        f" {args.threads} client threads; {os.cpu_count()} CPUs,"
        f" load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f} at start"
    )
    for spec in args.setups.split(","):
        run_setup(spec.strip(), args)
    load = os.getloadavg()
    print(f"load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f} at the end")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
