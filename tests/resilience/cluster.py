"""Real processes for the resilience suite: a private PostgreSQL, bot replicas, a load balancer."""

from __future__ import annotations

import contextlib
import glob
import http.client
import itertools
import os
import pwd
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from handlers.fakeslack import FakeSlack
from handlers.signed import Reply, SignedClient

ROOT = Path(__file__).resolve().parents[2]
SECRET = "resilience-signing-secret"


def free_port() -> int:
    """A port nobody listens on right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


# PostgreSQL --------------------------------------------------------------------------------------
def _pg_bindir() -> Path | None:
    """Where initdb and pg_ctl live (pg_config, else the Debian layout), or None."""
    pg_config = shutil.which("pg_config")
    if pg_config:
        out = subprocess.run([pg_config, "--bindir"], capture_output=True, text=True, check=False)
        candidate = Path(out.stdout.strip())
        if (candidate / "initdb").exists():
            return candidate
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    return Path(found[-1]).parent if found else None


class PrivatePostgres:
    """A throw-away PostgreSQL cluster of this test alone, so restarting it disturbs nobody.

    Restarting the machine's shared cluster would cut every other test (and person) using it;
    a private postmaster on its own port and data directory gets the same fault, alone.
    """

    def __init__(self, bindir: Path, root: Path, run_as: list[str]) -> None:
        self.bindir = bindir
        self.root = root
        self.data = root / "data"
        self.log = root / "postgres.log"
        self.port = free_port()
        self._run_as = run_as

    @classmethod
    def create(cls) -> PrivatePostgres | str:
        """A started cluster, or the reason one cannot be made here."""
        bindir = _pg_bindir()
        if bindir is None:
            return "PostgreSQL server binaries (initdb, pg_ctl) are not installed"
        root = Path(tempfile.mkdtemp(prefix="com-resilience-pg-"))
        run_as: list[str] = []
        if os.geteuid() == 0:
            # initdb refuses to run as root: run the cluster as the postgres account.
            try:
                account = pwd.getpwnam("postgres")
            except KeyError:
                shutil.rmtree(root, ignore_errors=True)
                return "running as root and there is no 'postgres' account to run initdb as"
            runuser = shutil.which("runuser")
            if runuser is None:
                shutil.rmtree(root, ignore_errors=True)
                return "running as root and runuser is missing"
            os.chown(root, account.pw_uid, account.pw_gid)
            run_as = [runuser, "-u", "postgres", "--"]
        cluster = cls(bindir, root, run_as)
        try:
            cluster._pg(
                "initdb",
                "-D",
                str(cluster.data),
                "-A",
                "trust",
                "-U",
                "postgres",
                "-E",
                "UTF8",
                "--locale=C",
                "--no-sync",
            )
            cluster.start()
        except subprocess.CalledProcessError as err:
            cluster.remove()
            return f"could not start a private PostgreSQL: {err.stderr or err}"
        return cluster

    def _pg(self, tool: str, *args: str) -> None:
        subprocess.run(
            [*self._run_as, str(self.bindir / tool), *args],
            check=True,
            capture_output=True,
            text=True,
            timeout=60,
        )

    def _options(self) -> str:
        return (
            f"-p {self.port} -k {self.root} -c listen_addresses=127.0.0.1 -c fsync=off"
            " -c synchronous_commit=off -c full_page_writes=off -c max_connections=200"
        )

    def start(self) -> None:
        """Start the postmaster and wait until it accepts connections."""
        self._pg(
            "pg_ctl",
            "-D",
            str(self.data),
            "-l",
            str(self.log),
            "-w",
            "-t",
            "60",
            "-o",
            self._options(),
            "start",
        )

    def restart(self) -> None:
        """Restart the postmaster (every connection is cut) and wait until it is back."""
        self._pg(
            "pg_ctl",
            "-D",
            str(self.data),
            "-l",
            str(self.log),
            "-m",
            "fast",
            "-w",
            "-t",
            "60",
            "-o",
            self._options(),
            "restart",
        )

    def ready(self) -> bool:
        """pg_isready says the server accepts connections."""
        result = subprocess.run(
            [str(self.bindir / "pg_isready"), "-h", "127.0.0.1", "-p", str(self.port), "-q"],
            check=False,
        )
        return result.returncode == 0

    def url(self, database: str = "postgres") -> str:
        """A SQLAlchemy URL for a database of this cluster."""
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/{database}"

    def remove(self) -> None:
        """Stop the cluster and delete its files."""
        if (self.data / "postmaster.pid").exists():
            with contextlib.suppress(subprocess.SubprocessError):
                self._pg("pg_ctl", "-D", str(self.data), "-m", "immediate", "-w", "stop")
        shutil.rmtree(self.root, ignore_errors=True)


# replicas ----------------------------------------------------------------------------------------
@dataclass
class Replica:
    """One `coach-or-mentor run --http` process group on a loopback port."""

    port: int
    process: subprocess.Popen[bytes]
    log: Path

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def kill(self) -> None:
        """SIGKILL the whole process group (gunicorn master and workers), as a dying host.

        Returns once the port refuses connections. Reaping the master is not enough: its workers
        (children of the master, not of this process) hold the listening socket until the kernel
        has torn them down too, and a connection accepted into the backlog in those milliseconds
        is reset rather than refused.
        """
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=10)
        deadline = time.monotonic() + 10
        while self.listening():
            if time.monotonic() > deadline:
                raise AssertionError(f"port {self.port} still accepts 10 s after SIGKILL")
            time.sleep(0.01)

    def listening(self) -> bool:
        """Something accepts TCP connections on this replica's port."""
        with socket.socket() as s:
            s.settimeout(1)
            try:
                s.connect(("127.0.0.1", self.port))
            except OSError:
                return False
            return True

    def stop(self) -> None:
        """Stop politely, then not."""
        if self.process.poll() is not None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.kill()

    def log_tail(self, lines: int = 40) -> str:
        text = self.log.read_text(errors="replace") if self.log.exists() else ""
        return "\n".join(text.splitlines()[-lines:])


def replica_env(fake: FakeSlack, database_url: str, **extra: str) -> dict[str, str]:
    """The environment of a replica: the fake Slack, the database, the test's settings."""
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "DATABASE_URL"))}
    return {
        **clean,
        "PYTHONPATH": str(ROOT),
        "SLACK_BOT_TOKEN": "xoxb-resilience",
        "SLACK_APP_TOKEN": "xapp-resilience",
        "SLACK_SIGNING_SECRET": SECRET,
        "SLACK_API_URL": fake.api_url,
        "DATABASE_URL": database_url,
        "LOG_LEVEL": "WARNING",
        **extra,
    }


def start_replica(env: dict[str, str], workdir: Path, *, workers: int = 1) -> Replica:
    """Start `coach-or-mentor run --http` in its own process group (so it can be killed whole)."""
    port = free_port()
    log = workdir / f"replica-{port}.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "handlers.cli",
                "run",
                "--http",
                "--host",
                "127.0.0.1",
                "--port",
                str(port),
                "--workers",
                str(workers),
            ],
            env=env,
            cwd=workdir,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    return Replica(port, process, log)


def wait_healthy(replica: Replica, timeout: float = 60.0) -> None:
    """Poll /healthz until it answers 200."""
    client = SignedClient(replica.url, SECRET)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if replica.process.poll() is not None:
            raise AssertionError(f"replica exited:\n{replica.log_tail()}")
        with contextlib.suppress(OSError):
            if client.get("/healthz").status == 200:
                return
        time.sleep(0.1)
    raise AssertionError(f"replica not healthy in {timeout:.0f} s:\n{replica.log_tail()}")


# the load balancer -------------------------------------------------------------------------------
@dataclass
class Outcome:
    """What one request got: a reply, or a connection error (status None)."""

    replica: int
    status: int | None
    body: str = ""
    error: str = ""
    sent_at: float = 0.0
    took: float = 0.0


@dataclass
class Balancer:
    """Round-robin over replicas; a refused connection goes to the next one, as an LB would.

    A connection cut mid-request is not retried (the POST may have been handled): its outcome
    is recorded with status None.
    """

    replicas: list[Replica]
    fake: FakeSlack
    team_id: str = "T0FAKE"
    down: set[int] = field(default_factory=set)
    _turn: itertools.count[int] = field(default_factory=itertools.count)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def client(self, index: int, response_key: str = "r") -> SignedClient:
        return SignedClient(
            self.replicas[index].url,
            SECRET,
            team_id=self.team_id,
            response_url=self.fake.response_url(response_key),
        )

    def pick(self, avoid: int | None = None) -> int:
        with self._lock:
            live = [i for i in range(len(self.replicas)) if i not in self.down and i != avoid]
            if not live:
                live = [i for i in range(len(self.replicas)) if i not in self.down]
            return live[next(self._turn) % len(live)]

    def send(
        self,
        request: Callable[[SignedClient], Reply],
        *,
        response_key: str = "r",
        avoid: int | None = None,
        index: int | None = None,
    ) -> Outcome:
        """Send to a live replica (or the given one); refused connections fail over."""
        for _ in range(len(self.replicas) + 1):
            target = index if index is not None else self.pick(avoid)
            started = time.monotonic()
            try:
                reply = request(self.client(target, response_key))
            except ConnectionRefusedError:
                with self._lock:
                    self.down.add(target)
                index = None
                continue
            except (OSError, http.client.HTTPException) as err:
                return Outcome(target, None, "", type(err).__name__, started)
            took = time.monotonic() - started
            return Outcome(target, reply.status, reply.body, "", started, took)
        return Outcome(-1, None, "", "no replica left", time.monotonic())
