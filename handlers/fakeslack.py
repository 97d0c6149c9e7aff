"""A fake Slack Web API on 127.0.0.1 for tests and the local sandbox.

The real slack_sdk WebClient talks to it through `base_url`. It answers the methods the bot uses
with Slack-shaped JSON, records every call, rejects calls that miss required arguments (its own
table, written from Slack's method reference), and can be told to answer 429 with Retry-After,
500, a Slack error such as `user_not_found`, or slowly.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from handlers.fakesocket import FakeSocketMode


@dataclass(frozen=True)
class MethodSpec:
    """What a method needs: required arguments, and arguments of which one must be present."""

    required: tuple[str, ...] = ()
    one_of: tuple[str, ...] = ()
    missing_one_of_error: str = "invalid_arguments"


# Written from Slack's reference (required arguments beyond the token).
METHODS: dict[str, MethodSpec] = {
    "auth.test": MethodSpec(),
    "chat.postMessage": MethodSpec(("channel",), ("text", "blocks", "attachments"), "no_text"),
    "chat.postEphemeral": MethodSpec(
        ("channel", "user"), ("text", "blocks", "attachments"), "no_text"
    ),
    "chat.update": MethodSpec(("channel", "ts")),
    "chat.delete": MethodSpec(("channel", "ts")),
    "chat.getPermalink": MethodSpec(("channel", "message_ts")),
    "conversations.open": MethodSpec((), ("users", "channel"), "users_list_not_supplied"),
    "conversations.history": MethodSpec(("channel",)),
    "users.info": MethodSpec(("user",)),
    "views.open": MethodSpec(("view",), ("trigger_id", "interactivity_pointer")),
    "views.push": MethodSpec(("view",), ("trigger_id", "interactivity_pointer")),
    "views.update": MethodSpec(("view",), ("view_id", "external_id")),
    "views.publish": MethodSpec(("user_id", "view")),
    "files.getUploadURLExternal": MethodSpec(("filename", "length")),
    "files.completeUploadExternal": MethodSpec(("files",)),
    "apps.connections.open": MethodSpec(),
}


@dataclass(frozen=True)
class Call:
    """One recorded Web API call."""

    method: str
    args: dict[str, Any]
    at: float
    status: int
    error: str | None


@dataclass
class Fault:
    """A programmed misbehaviour for the next matching calls."""

    method: str
    times: int
    status: int = 200
    error: str | None = None
    retry_after: int | None = None
    delay: float = 0.0
    when: Callable[[dict[str, Any]], bool] | None = None


@dataclass
class _State:
    calls: list[Call] = field(default_factory=list)
    faults: list[Fault] = field(default_factory=list)
    users: dict[str, dict[str, Any]] = field(default_factory=dict)
    messages: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    responses: list[dict[str, Any]] = field(default_factory=list)
    uploads: dict[str, bytes] = field(default_factory=dict)
    views: dict[str, dict[str, Any]] = field(default_factory=dict)


class FakeSlack:
    """The fake server; use as a context manager or call start() and stop()."""

    def __init__(
        self,
        *,
        token_prefix: str = "xoxb-",  # noqa: S107
        team_id: str = "T0FAKE",
        everyone_tz: str | None = None,
        record: bool = True,
    ) -> None:
        """`everyone_tz`: users.info knows every user id (in that zone), as a real workspace
        knows everyone who can click; by default only users given to add_user are known.

        `record=False` (a benchmark): calls, views and response_url posts are answered but not
        kept, so a long run does not pile up memory (messages are still kept: the bot reads its
        DMs back with conversations.history).
        """
        self.team_id = team_id
        self.token_prefix = token_prefix
        self.everyone_tz = everyone_tz
        self.record = record
        self._lock = threading.Lock()
        self._state = _State()
        self._ts = itertools.count(1)
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self.socket_mode: FakeSocketMode | None = None

    # lifecycle -------------------------------------------------------------------------------
    def start(self) -> FakeSlack:
        """Listen on 127.0.0.1, on a free port."""
        server = _Server(("127.0.0.1", 0), _handler_for(self))
        server.daemon_threads = True
        self._server = server
        self._thread = threading.Thread(target=server.serve_forever, name="fake-slack", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop listening."""
        if self.socket_mode:
            self.socket_mode.close()
            self.socket_mode = None
        if self._server:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self) -> FakeSlack:
        return self.start()

    def __exit__(self, *_: object) -> None:
        self.stop()

    @property
    def url(self) -> str:
        """Base URL of the server (no path)."""
        assert self._server is not None, "start() the fake server first"
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    @property
    def api_url(self) -> str:
        """The base_url to give slack_sdk's WebClient."""
        return f"{self.url}/api/"

    def response_url(self, key: str = "r") -> str:
        """A response_url for a slash command or action; posts to it are recorded."""
        return f"{self.url}/response/{key}"

    # directory -------------------------------------------------------------------------------
    def add_user(
        self,
        user_id: str,
        *,
        tz: str = "Europe/London",
        is_bot: bool = False,
        deleted: bool = False,
        name: str | None = None,
        is_admin: bool = False,
        is_owner: bool = False,
    ) -> None:
        """Make users.info know a user (workspace admins and owners included)."""
        with self._lock:
            self._state.users[user_id] = {
                "id": user_id,
                "team_id": self.team_id,
                "name": name or user_id.lower(),
                "real_name": name or user_id,
                "tz": tz,
                "tz_offset": 0,
                "is_bot": is_bot,
                "deleted": deleted,
                "is_admin": is_admin,
                "is_owner": is_owner,
            }

    # faults ----------------------------------------------------------------------------------
    def fail(
        self,
        method: str,
        *,
        times: int = 1,
        status: int = 200,
        error: str | None = None,
        retry_after: int | None = None,
        delay: float = 0.0,
        when: Callable[[dict[str, Any]], bool] | None = None,
    ) -> None:
        """Misbehave on the next `times` calls of `method` (that match `when`)."""
        with self._lock:
            self._state.faults.append(Fault(method, times, status, error, retry_after, delay, when))

    def rate_limit(self, method: str, *, times: int = 1, retry_after: int = 1) -> None:
        """Answer HTTP 429 with Retry-After, as Slack does past a method's rate tier."""
        self.fail(method, times=times, status=429, error="ratelimited", retry_after=retry_after)

    def clear_faults(self) -> None:
        """Behave again."""
        with self._lock:
            self._state.faults.clear()

    # recordings ------------------------------------------------------------------------------
    def calls(self, method: str | None = None) -> list[Call]:
        """Recorded calls (that succeeded or not), optionally of one method."""
        with self._lock:
            return [c for c in self._state.calls if method is None or c.method == method]

    def ok_calls(self, method: str) -> list[Call]:
        """Calls of `method` that were answered ok."""
        return [c for c in self.calls(method) if c.status == 200 and c.error is None]

    def responses(self) -> list[dict[str, Any]]:
        """Bodies posted to response_url."""
        with self._lock:
            return list(self._state.responses)

    def messages(self, channel: str) -> list[dict[str, Any]]:
        """Messages posted to a channel (newest last)."""
        with self._lock:
            return list(self._state.messages.get(channel, []))

    def reset(self) -> None:
        """Forget calls, faults and messages (users are kept)."""
        with self._lock:
            users = self._state.users
            self._state = _State(users=users)

    def wait_for(
        self, predicate: Callable[[FakeSlack], bool], timeout: float = 5.0, interval: float = 0.01
    ) -> bool:
        """Poll until predicate(self) holds or the deadline passes."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if predicate(self):
                return True
            time.sleep(interval)
        return predicate(self)

    # serving ---------------------------------------------------------------------------------
    def _take_fault(self, method: str, args: dict[str, Any]) -> Fault | None:
        with self._lock:
            for fault in self._state.faults:
                if fault.method == method and fault.times > 0:
                    if fault.when is not None and not fault.when(args):
                        continue
                    fault.times -= 1
                    return fault
        return None

    def _record(self, method: str, args: dict[str, Any], status: int, error: str | None) -> None:
        if not self.record:
            return
        with self._lock:
            self._state.calls.append(Call(method, args, time.time(), status, error))

    def handle_api(
        self, method: str, args: dict[str, Any], token: str | None
    ) -> tuple[int, dict[str, str], dict[str, Any]]:
        """Answer one Web API call: (status, headers, JSON body)."""
        fault = self._take_fault(method, args)
        if fault and fault.delay:
            time.sleep(fault.delay)
        if fault and fault.status != 200:
            headers = {"Retry-After": str(fault.retry_after)} if fault.retry_after else {}
            self._record(method, args, fault.status, fault.error)
            return fault.status, headers, {"ok": False, "error": fault.error or "fatal_error"}
        error = self._check(method, args, token) or (fault.error if fault else None)
        if error:
            self._record(method, args, 200, error)
            return 200, {}, {"ok": False, "error": error}
        body = self._answer(method, args)
        self._record(method, args, 200, None if body.get("ok") else str(body.get("error")))
        return 200, {}, body

    def _check(self, method: str, args: dict[str, Any], token: str | None) -> str | None:
        if method not in METHODS:
            return "unknown_method"
        if not token:
            return "not_authed"
        expected = "xapp-" if method == "apps.connections.open" else self.token_prefix
        if not token.startswith(expected):
            return "invalid_auth"
        spec = METHODS[method]
        if any(_absent(args.get(name)) for name in spec.required):
            return "invalid_arguments"
        if spec.one_of and all(_absent(args.get(name)) for name in spec.one_of):
            return spec.missing_one_of_error
        return None

    def _answer(self, method: str, args: dict[str, Any]) -> dict[str, Any]:
        answer = getattr(self, "_m_" + method.replace(".", "_"), None)
        return answer(args) if answer else {"ok": True}

    def _next_ts(self) -> str:
        return f"{1_700_000_000 + next(self._ts)}.000100"

    def dm_channel(self, user_ids: list[str]) -> str:
        """The id of the DM (one user) or group DM (several) with these users."""
        return self._dm_channel(user_ids)

    def _dm_channel(self, user_ids: list[str]) -> str:
        digest = hashlib.sha1(",".join(sorted(user_ids)).encode()).hexdigest()[:9].upper()  # noqa: S324
        return ("D" if len(user_ids) == 1 else "G") + digest

    def _user_error(self, user_id: str) -> str | None:
        with self._lock:
            user = self._state.users.get(user_id)
        if user is None:
            return None  # unknown users are fine for messages; users.info says user_not_found
        return "account_inactive" if user.get("deleted") else None

    # method answers --------------------------------------------------------------------------
    def _m_auth_test(self, _args: dict[str, Any]) -> dict[str, Any]:
        return {
            "ok": True,
            "url": "https://fake.slack.test/",
            "team": "Fake Team",
            "user": "coach-or-mentor",
            "team_id": self.team_id,
            "user_id": "UBOT000001",
            "bot_id": "BBOT000001",
        }

    def _m_users_info(self, args: dict[str, Any]) -> dict[str, Any]:
        user_id = str(args["user"])
        with self._lock:
            user = self._state.users.get(user_id)
        if user is None and self.everyone_tz is not None:
            user = {
                "id": user_id,
                "team_id": self.team_id,
                "name": user_id.lower(),
                "real_name": user_id,
                "tz": self.everyone_tz,
                "tz_offset": 0,
                "is_bot": False,
                "deleted": False,
                "is_admin": False,
                "is_owner": False,
            }
        if user is None:
            return {"ok": False, "error": "user_not_found"}
        return {"ok": True, "user": dict(user)}

    def _m_conversations_open(self, args: dict[str, Any]) -> dict[str, Any]:
        users = [u for u in str(args.get("users") or "").split(",") if u]
        if len(users) > 8:
            return {"ok": False, "error": "too_many_users"}
        for user in users:
            if error := self._user_error(user):
                return {"ok": False, "error": error}
        channel = self._dm_channel(users) if users else str(args["channel"])
        return {"ok": True, "channel": {"id": channel, "is_im": len(users) == 1}}

    def _m_chat_postMessage(self, args: dict[str, Any]) -> dict[str, Any]:
        channel = str(args["channel"])
        if channel.startswith(("U", "W")):
            if error := self._user_error(channel):
                return {"ok": False, "error": error}
            channel = self._dm_channel([channel])
        ts = self._next_ts()
        message = {
            "type": "message",
            "ts": ts,
            "text": args.get("text", ""),
            "blocks": _json_arg(args.get("blocks")) or [],
            "bot_id": "BBOT000001",
        }
        metadata = _json_arg(args.get("metadata"))
        if metadata:
            message["metadata"] = metadata
        with self._lock:
            self._state.messages.setdefault(channel, []).append(message)
        return {"ok": True, "channel": channel, "ts": ts, "message": message}

    def _m_chat_postEphemeral(self, _args: dict[str, Any]) -> dict[str, Any]:
        return {"ok": True, "message_ts": self._next_ts()}

    def _m_chat_update(self, args: dict[str, Any]) -> dict[str, Any]:
        return {"ok": True, "channel": args["channel"], "ts": args["ts"], "text": args.get("text")}

    def _m_chat_getPermalink(self, args: dict[str, Any]) -> dict[str, Any]:
        return {
            "ok": True,
            "permalink": f"https://fake.slack.test/{args['channel']}/{args['message_ts']}",
        }

    def _m_conversations_history(self, args: dict[str, Any]) -> dict[str, Any]:
        channel = str(args["channel"])
        if channel.startswith(("U", "W")):
            channel = self._dm_channel([channel])
        oldest = float(args.get("oldest") or 0)
        limit = int(args.get("limit") or 100)
        with self._lock:
            found = [m for m in self._state.messages.get(channel, []) if float(m["ts"]) > oldest]
        newest_first = list(reversed(found))[:limit]
        include_metadata = str(args.get("include_all_metadata", "")).lower() in ("1", "true")
        if not include_metadata:
            newest_first = [{k: v for k, v in m.items() if k != "metadata"} for m in newest_first]
        return {"ok": True, "messages": newest_first, "has_more": len(found) > limit}

    def _view_answer(self, args: dict[str, Any], view_id: str | None = None) -> dict[str, Any]:
        view = _json_arg(args.get("view")) or {}
        view_id = view_id or str(args.get("view_id") or "") or f"V{next(self._ts):08d}"
        stored = {**view, "id": view_id, "team_id": self.team_id}
        if self.record:
            with self._lock:
                self._state.views[view_id] = stored
        return {"ok": True, "view": stored}

    def _m_views_open(self, args: dict[str, Any]) -> dict[str, Any]:
        return self._view_answer(args)

    def _m_views_push(self, args: dict[str, Any]) -> dict[str, Any]:
        return self._view_answer(args)

    def _m_views_update(self, args: dict[str, Any]) -> dict[str, Any]:
        return self._view_answer(args, str(args.get("view_id") or args.get("external_id")))

    def _m_views_publish(self, args: dict[str, Any]) -> dict[str, Any]:
        return self._view_answer(args, f"VHOME{args['user_id']}")

    def _m_files_getUploadURLExternal(self, args: dict[str, Any]) -> dict[str, Any]:
        file_id = f"F{next(self._ts):08d}"
        return {"ok": True, "file_id": file_id, "upload_url": f"{self.url}/upload/{file_id}"}

    def _m_files_completeUploadExternal(self, args: dict[str, Any]) -> dict[str, Any]:
        files = _json_arg(args.get("files")) or []
        return {"ok": True, "files": [{"id": f.get("id"), "title": f.get("title")} for f in files]}

    def _m_apps_connections_open(self, _args: dict[str, Any]) -> dict[str, Any]:
        if self.socket_mode is None:
            return {"ok": False, "error": "invalid_auth"}
        return {"ok": True, "url": self.socket_mode.url}

    def enable_socket_mode(self) -> FakeSocketMode:
        """Accept Socket Mode connections (apps.connections.open hands out a ws:// URL)."""
        if self.socket_mode is None:
            self.socket_mode = FakeSocketMode()
        return self.socket_mode

    def uploads(self) -> dict[str, bytes]:
        """Files uploaded to the upload URLs, by file id."""
        with self._lock:
            return dict(self._state.uploads)

    def _store_upload(self, file_id: str, data: bytes) -> None:
        with self._lock:
            self._state.uploads[file_id] = data

    def _store_response(self, key: str, body: dict[str, Any]) -> None:
        if not self.record:
            return
        with self._lock:
            self._state.responses.append({"key": key, **body})

    def views(self) -> dict[str, dict[str, Any]]:
        """Views opened, pushed, updated or published, by view id."""
        with self._lock:
            return dict(self._state.views)

    def iter_calls(self) -> Iterator[Call]:
        """All recorded calls, oldest first."""
        yield from self.calls()


class _Server(ThreadingHTTPServer):
    def handle_error(self, request: Any, client_address: Any) -> None:
        """A client that went away mid-answer (a killed replica's kept-alive connection) is not
        worth a traceback; anything else is printed as usual."""
        if isinstance(sys.exc_info()[1], ConnectionError):
            return
        super().handle_error(request, client_address)


def _absent(value: Any) -> bool:
    return value is None or value in ("", [])


def _json_arg(value: Any) -> Any:
    """Arguments arrive as JSON (already decoded) or as form strings holding JSON."""
    if isinstance(value, str):
        try:
            return json.loads(value)
        except ValueError:
            return None
    return value


def _handler_for(fake: FakeSlack) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        # An answer goes out as two writes (headers, then body). With Nagle's algorithm on, the
        # second waits for the client's ACK of the first, which a kept-alive client delays by
        # up to 40 ms: every Web API call took ~47 ms of wall time here (a real Slack does not).
        disable_nagle_algorithm = True

        def log_message(self, format: str, *args: Any) -> None:
            """Quiet: the recordings are the log."""

        def _body(self) -> bytes:
            length = int(self.headers.get("Content-Length") or 0)
            return self.rfile.read(length) if length else b""

        def _send(self, status: int, body: dict[str, Any], headers: dict[str, str]) -> None:
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json; charset=utf-8")
            self.send_header("Content-Length", str(len(data)))
            for name, value in headers.items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(data)

        def _args(self, raw: bytes, query: str) -> dict[str, Any]:
            args: dict[str, Any] = dict(parse_qsl(query, keep_blank_values=True))
            content_type = self.headers.get("Content-Type") or ""
            if content_type.startswith("application/json") and raw:
                loaded = json.loads(raw.decode())
                if isinstance(loaded, dict):
                    args.update(loaded)
            elif raw:
                args.update(parse_qsl(raw.decode(), keep_blank_values=True))
            return args

        def _token(self, args: dict[str, Any]) -> str | None:
            auth = self.headers.get("Authorization") or ""
            if auth.startswith("Bearer "):
                return auth[len("Bearer ") :]
            token = args.pop("token", None)
            return str(token) if token else None

        def _route(self) -> None:
            parts = urlsplit(self.path)
            raw = self._body()
            if parts.path.startswith("/api/"):
                try:
                    args = self._args(raw, parts.query)
                except ValueError:
                    self._send(200, {"ok": False, "error": "invalid_json"}, {})
                    return
                token = self._token(args)
                status, headers, body = fake.handle_api(parts.path[len("/api/") :], args, token)
                self._send(status, body, headers)
            elif parts.path.startswith("/response/"):
                fake._store_response(parts.path[len("/response/") :], json.loads(raw or b"{}"))
                self._send(200, {"ok": True}, {})
            elif parts.path.startswith("/upload/"):
                fake._store_upload(parts.path[len("/upload/") :], raw)
                self._send(200, {"ok": True}, {})
            else:
                self._send(404, {"ok": False, "error": "not_found"}, {})

        do_POST = _route
        do_GET = _route

    return Handler
