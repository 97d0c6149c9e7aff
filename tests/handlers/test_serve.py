"""The real commands in real processes: gunicorn in HTTP mode, Socket Mode start-up."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from handlers.fakeslack import FakeSlack
from handlers.signed import SignedClient

ROOT = Path(__file__).resolve().parents[2]
SECRET = "serve-test-secret"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _env(fake: FakeSlack, tmp_path: Path, **extra: str) -> dict[str, str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "DATABASE_URL"))}
    return {
        **clean,
        "PYTHONPATH": str(ROOT),
        "SLACK_BOT_TOKEN": "xoxb-serve",
        "SLACK_APP_TOKEN": "xapp-serve",
        "SLACK_SIGNING_SECRET": SECRET,
        "SLACK_API_URL": fake.api_url,
        "DATABASE_URL": f"sqlite:///{tmp_path}/bot.db",
        **extra,
    }


@pytest.fixture
def http_bot(fake_slack: FakeSlack, tmp_path: Path) -> Iterator[SignedClient]:
    port = _free_port()
    proc = subprocess.Popen(
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
            "2",
        ],
        env=_env(fake_slack, tmp_path),
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    client = SignedClient(
        f"http://127.0.0.1:{port}", SECRET, response_url=fake_slack.response_url()
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            if client.get("/healthz").status == 200:
                break
        except OSError:
            pass
        if proc.poll() is not None:
            pytest.fail(f"bot exited: {proc.stdout.read() if proc.stdout else ''}")
        time.sleep(0.1)
    else:
        proc.kill()
        pytest.fail("bot did not become healthy in 30 s")
    yield client
    proc.send_signal(signal.SIGTERM)
    try:
        output = proc.communicate(timeout=15)[0]
    except subprocess.TimeoutExpired:
        proc.kill()
        output = proc.communicate()[0]
    assert "xoxb-serve" not in output, "a token reached the log"


def test_http_mode_under_gunicorn_serves_slack_and_health(http_bot: SignedClient) -> None:
    assert http_bot.get("/healthz").json() == {"status": "ok"}
    reply = http_bot.command("U0ALICE", "help")
    assert reply.status == 200
    assert reply.json()["response_type"] == "ephemeral"
    assert http_bot.post("text=help", signature="v0=bad").status == 401
    assert (
        http_bot.post("payload=%7B", content_type="application/x-www-form-urlencoded").status == 400
    )


def test_socket_mode_checks_both_tokens_with_slack(fake_slack: FakeSlack, tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "handlers.cli", "run"],
        env=_env(fake_slack, tmp_path),
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert result.returncode == 2
    assert "Slack refused SLACK_APP_TOKEN (invalid_auth)" in result.stderr
    assert "xapp-serve" not in result.stderr
    assert [c.method for c in fake_slack.calls()][:1] == ["auth.test"]
    assert fake_slack.calls("apps.connections.open")
    assert (tmp_path / "bot.db").exists(), "migrations ran before connecting"


def test_refused_bot_token_is_one_clear_line(fake_slack: FakeSlack, tmp_path: Path) -> None:
    fake_slack.fail("auth.test", error="invalid_auth")
    result = subprocess.run(
        [sys.executable, "-m", "handlers.cli", "run"],
        env=_env(fake_slack, tmp_path),
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert result.returncode == 2
    assert "Slack refused SLACK_BOT_TOKEN (invalid_auth)" in result.stderr.strip().splitlines()[-1]


def test_socket_mode_connects_and_answers_a_slash_command(
    fake_slack: FakeSlack, tmp_path: Path
) -> None:
    socket_mode = fake_slack.enable_socket_mode()
    proc = subprocess.Popen(
        [sys.executable, "-m", "handlers.cli", "run"],
        env=_env(fake_slack, tmp_path),
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        deadline = time.monotonic() + 30
        while socket_mode.connected() == 0 and time.monotonic() < deadline:
            assert proc.poll() is None, proc.stdout.read() if proc.stdout else ""
            time.sleep(0.05)
        assert socket_mode.connected() == 1
        envelope = socket_mode.send(
            "slash_commands",
            {
                "command": "/coach-or-mentor",
                "text": "help",
                "user_id": "U0ALICE",
                "team_id": fake_slack.team_id,
                "channel_id": "C0GENERAL",
                "trigger_id": "1.2",
                "response_url": fake_slack.response_url(),
            },
        )
        ack = socket_mode.ack(envelope, timeout=10)
        assert ack is not None
        assert ack["payload"]["response_type"] == "ephemeral"
        assert "coaching" in json.dumps(ack["payload"]["blocks"])
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            output = proc.communicate(timeout=10)[0]
        except subprocess.TimeoutExpired:
            proc.kill()
            output = proc.communicate()[0]
    assert "xapp-serve" not in output and "xoxb-serve" not in output
