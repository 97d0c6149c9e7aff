"""Send really signed Slack requests (commands, actions, view submissions, events) over HTTP."""

from __future__ import annotations

import hashlib
import hmac
import http.client
import json
import time
import uuid
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode, urlsplit


@dataclass(frozen=True)
class Reply:
    """What the bot answered over HTTP."""

    status: int
    body: str
    headers: dict[str, str]

    def json(self) -> Any:
        """The body as JSON (Bolt answers `ack(...)` with JSON)."""
        return json.loads(self.body) if self.body else None


class SignedClient:
    """A stand-in for Slack's side of the HTTP connection."""

    def __init__(
        self,
        url: str,
        signing_secret: str,
        *,
        team_id: str = "T0FAKE",
        response_url: str = "http://127.0.0.1:9/response/r",
    ) -> None:
        self.url = url.rstrip("/")
        self.team_id = team_id
        self.response_url = response_url
        self._secret = signing_secret.encode()

    # raw ---------------------------------------------------------------------------------------
    def post(
        self,
        body: str | bytes,
        *,
        content_type: str = "application/x-www-form-urlencoded",
        timestamp: int | None = None,
        signature: str | None = None,
        path: str = "/slack/events",
        extra_headers: dict[str, str] | None = None,
    ) -> Reply:
        """POST a body signed as Slack would (or with the given signature/timestamp)."""
        data = body.encode() if isinstance(body, str) else body
        ts = str(timestamp if timestamp is not None else int(time.time()))
        sig = signature or self._sign(ts, data)
        headers = {
            "Content-Type": content_type,
            "X-Slack-Request-Timestamp": ts,
            "X-Slack-Signature": sig,
            **(extra_headers or {}),
        }
        return self._send("POST", path, data, headers)

    def _sign(self, timestamp: str, data: bytes) -> str:
        """Slack's v0 signature over the raw bytes (so even a non-UTF-8 body can be signed)."""
        base = b"v0:" + timestamp.encode() + b":" + data
        return "v0=" + hmac.new(self._secret, base, hashlib.sha256).hexdigest()

    def get(self, path: str) -> Reply:
        """GET a path (health checks)."""
        return self._send("GET", path, b"", {})

    def _send(self, method: str, path: str, data: bytes, headers: dict[str, str]) -> Reply:
        parts = urlsplit(self.url)
        conn = http.client.HTTPConnection(parts.hostname or "127.0.0.1", parts.port, timeout=30)
        try:
            conn.request(method, path, body=data, headers=headers)
            response = conn.getresponse()
            return Reply(
                status=response.status,
                body=response.read().decode(),
                headers={k.lower(): v for k, v in response.getheaders()},
            )
        finally:
            conn.close()

    # Slack-shaped requests ---------------------------------------------------------------------
    def command(self, user_id: str, text: str, *, command: str = "/coach-or-mentor") -> Reply:
        """A slash command as Slack sends it."""
        fields = {
            "token": "legacy-verification-token",
            "team_id": self.team_id,
            "team_domain": "fake",
            "channel_id": "C0GENERAL",
            "channel_name": "general",
            "user_id": user_id,
            "user_name": user_id.lower(),
            "command": command,
            "text": text,
            "api_app_id": "A0FAKEAPP",
            "is_enterprise_install": "false",
            "response_url": self.response_url,
            "trigger_id": f"{int(time.time())}.{uuid.uuid4().hex[:12]}",
        }
        return self.post(urlencode(fields))

    def interactive(self, payload: dict[str, Any]) -> Reply:
        """An interactivity payload (form field `payload` holding JSON)."""
        return self.post(urlencode({"payload": json.dumps(payload)}))

    def block_action(
        self,
        user_id: str,
        action_id: str,
        *,
        value: str | None = None,
        block_id: str = "b",
        container: dict[str, Any] | None = None,
        view: dict[str, Any] | None = None,
        message: dict[str, Any] | None = None,
        channel_id: str | None = None,
        selected_option: str | None = None,
    ) -> Reply:
        """A button click (or a select) in a message or view."""
        action: dict[str, Any] = {
            "type": "button",
            "action_id": action_id,
            "block_id": block_id,
            "action_ts": f"{time.time():.6f}",
        }
        if value is not None:
            action["value"] = value
        if selected_option is not None:
            action["type"] = "static_select"
            action["selected_option"] = {"value": selected_option}
        payload: dict[str, Any] = {
            "type": "block_actions",
            "team": {"id": self.team_id, "domain": "fake"},
            "user": {"id": user_id, "team_id": self.team_id, "username": user_id.lower()},
            "api_app_id": "A0FAKEAPP",
            "trigger_id": f"{int(time.time())}.{uuid.uuid4().hex[:12]}",
            "response_url": self.response_url,
            "container": container or {"type": "message"},
            "actions": [action],
        }
        if view is not None:
            payload["view"] = view
        if message is not None:
            payload["message"] = message
        if channel_id is not None:
            payload["channel"] = {"id": channel_id}
        return self.interactive(payload)

    def view_submission(
        self,
        user_id: str,
        callback_id: str,
        values: dict[str, dict[str, Any]],
        *,
        private_metadata: str = "",
        view_id: str | None = None,
    ) -> Reply:
        """A modal submitted: `values` is block_id -> action_id -> element state.

        Each call is a modal of its own (a fresh view id, as Slack gives every opened modal)
        unless `view_id` names the one being submitted again.
        """
        payload = {
            "type": "view_submission",
            "team": {"id": self.team_id, "domain": "fake"},
            "user": {"id": user_id, "team_id": self.team_id, "username": user_id.lower()},
            "api_app_id": "A0FAKEAPP",
            "trigger_id": f"{int(time.time())}.{uuid.uuid4().hex[:12]}",
            "view": {
                "id": view_id or f"V{uuid.uuid4().hex[:10].upper()}",
                "type": "modal",
                "callback_id": callback_id,
                "private_metadata": private_metadata,
                "state": {"values": values},
                "hash": "h",
            },
        }
        return self.interactive(payload)

    def event(
        self,
        event: dict[str, Any],
        *,
        event_id: str | None = None,
        retry_num: int | None = None,
    ) -> Reply:
        """An Events API event_callback envelope (JSON)."""
        envelope = {
            "token": "legacy-verification-token",
            "team_id": self.team_id,
            "api_app_id": "A0FAKEAPP",
            "event": {"event_ts": f"{time.time():.6f}", **event},
            "type": "event_callback",
            "event_id": event_id or f"Ev{uuid.uuid4().hex[:10].upper()}",
            "event_time": int(time.time()),
            "authorizations": [{"team_id": self.team_id, "user_id": "UBOT000001", "is_bot": True}],
        }
        headers = {"X-Slack-Retry-Num": str(retry_num)} if retry_num is not None else None
        return self.post(
            json.dumps(envelope), content_type="application/json", extra_headers=headers
        )
