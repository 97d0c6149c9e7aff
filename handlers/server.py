"""HTTP mode: Slack's requests at /slack/events, a health check, served by gunicorn."""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Callable, Iterable
from socketserver import ThreadingMixIn
from typing import Any
from urllib.parse import parse_qsl
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

from slack_bolt import App
from slack_bolt.request import BoltRequest
from slack_sdk.signature import SignatureVerifier

from storage import db

log = logging.getLogger(__name__)

EVENTS_PATH = "/slack/events"
HEALTH_PATH = "/healthz"
MALFORMED = "malformed request body"
MAX_BODY_BYTES = 1 << 20  # Slack's payloads are far smaller; anything bigger is not Slack.

_REASONS = {
    200: "OK",
    400: "Bad Request",
    401: "Unauthorized",
    404: "Not Found",
    405: "Method Not Allowed",
    413: "Payload Too Large",
    500: "Internal Server Error",
    503: "Service Unavailable",
}

StartResponse = Callable[..., Any]
Environ = dict[str, Any]


def _reply(
    start_response: StartResponse, status: int, body: str, content_type: str = "text/plain"
) -> list[bytes]:
    data = body.encode()
    start_response(
        f"{status} {_REASONS.get(status, 'Status')}",
        [("Content-Type", f"{content_type}; charset=utf-8"), ("Content-Length", str(len(data)))],
    )
    return [data]


def _headers(environ: Environ) -> dict[str, str]:
    headers = {
        key[5:].replace("_", "-").lower(): str(value)
        for key, value in environ.items()
        if key.startswith("HTTP_")
    }
    if environ.get("CONTENT_TYPE"):
        headers["content-type"] = str(environ["CONTENT_TYPE"])
    return headers


def _read_body(environ: Environ) -> bytes | None:
    """The request body, or None when it is larger than any Slack request."""
    try:
        length = int(environ.get("CONTENT_LENGTH") or 0)
    except ValueError:
        length = 0
    stream = environ["wsgi.input"]
    if length > MAX_BODY_BYTES:
        _drain(stream, length)
        return None
    return bytes(stream.read(length)) if length > 0 else b""


def _drain(stream: Any, length: int) -> None:
    """Read and drop a modestly oversized body so the client can read our 413."""
    if length > 4 * MAX_BODY_BYTES:
        return
    while length > 0:
        chunk = stream.read(min(length, 65536))
        if not chunk:
            return
        length -= len(chunk)


def _parse(body: str, content_type: str) -> dict[str, Any] | None:
    """The body as Bolt reads it, or None when it is none of what Slack sends: form fields, a
    form whose `payload` field is a JSON object, or a JSON object.

    The request is built from this (Bolt does not parse the body a second time). It is Bolt's
    own reading (slack_bolt.request.internals.parse_body) with one difference: Bolt reads a form
    with "payload" anywhere in it (a slash command's text, say) as empty unless it has a
    payload field; here such a form is its fields.
    """
    try:
        if content_type.startswith("application/json") or body.startswith("{"):
            parsed = json.loads(body)
        else:
            fields = dict(parse_qsl(body, keep_blank_values=True, strict_parsing=bool(body)))
            if "payload" not in fields:
                return fields or None
            parsed = json.loads(fields["payload"])
    except ValueError:
        return None
    return parsed if isinstance(parsed, dict) else None


def _bolt_request(
    raw: str, parsed: dict[str, Any], query: str, headers: dict[str, str]
) -> BoltRequest:
    """The BoltRequest of an HTTP request whose body is parsed already.

    Bolt's constructor parses a raw body itself in HTTP mode and takes a parsed one only in
    Socket Mode (where it keeps no raw body): build it so, then make it the HTTP request it is,
    with its raw body (Bolt's signature check reads it) and mode; nothing else differs.
    """
    request = BoltRequest(
        body=parsed,
        query=query,
        headers={k: [v] for k, v in headers.items()},
        mode="socket_mode",
    )
    request.raw_body = raw
    request.mode = "http"
    return request


class SlackWsgi:
    """The WSGI application of HTTP mode."""

    def __init__(self, app: App, signing_secret: str, health: Callable[[], None]) -> None:
        self._app = app
        self._verifier = SignatureVerifier(signing_secret)
        self._health = health

    def __call__(self, environ: Environ, start_response: StartResponse) -> Iterable[bytes]:
        path = environ.get("PATH_INFO") or "/"
        method = environ.get("REQUEST_METHOD") or "GET"
        if path == HEALTH_PATH:
            return self._check_health(start_response)
        if path != EVENTS_PATH:
            return _reply(start_response, 404, "not found")
        if method != "POST":
            return _reply(start_response, 405, "POST only")
        return self._slack(environ, start_response)

    def _check_health(self, start_response: StartResponse) -> list[bytes]:
        try:
            self._health()
        except db.DatabaseUnavailableError:
            log.warning("health check: database unavailable")
            return _reply(
                start_response,
                503,
                json.dumps({"status": "database unavailable"}),
                "application/json",
            )
        return _reply(start_response, 200, json.dumps({"status": "ok"}), "application/json")

    def _slack(self, environ: Environ, start_response: StartResponse) -> list[bytes]:
        raw = _read_body(environ)
        if raw is None:
            return _reply(start_response, 413, "request body too large")
        headers = _headers(environ)
        try:
            body = raw.decode("utf-8")
        except UnicodeDecodeError:
            return _reply(start_response, 400, "request body is not UTF-8")
        if not self._verifier.is_valid_request(body, headers):
            return _reply(start_response, 401, "invalid request signature")
        parsed = _parse(body, headers.get("content-type", ""))
        if parsed is None:
            return _reply(start_response, 400, MALFORMED)
        try:
            request = _bolt_request(body, parsed, str(environ.get("QUERY_STRING") or ""), headers)
        except (TypeError, KeyError, AttributeError, ValueError, IndexError) as err:
            # Bolt reads ids out of the payload as it builds the request and assumes Slack's
            # shapes (a `user` that is an object or a string, ...): anything else is malformed.
            log.warning("malformed payload: %s", type(err).__name__)
            return _reply(start_response, 400, MALFORMED)
        response = self._app.dispatch(request)
        data = response.body.encode()
        response_headers = [
            (name, value)
            for name, values in response.headers.items()
            for value in values
            if name.lower() != "content-length"
        ]
        response_headers.append(("Content-Length", str(len(data))))
        start_response(
            f"{response.status} {_REASONS.get(response.status, 'Status')}", response_headers
        )
        return [data]


class _ThreadingServer(ThreadingMixIn, WSGIServer):
    daemon_threads = True


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        """No access log: the sandbox and the tests print what matters."""


def serve_in_thread(wsgi: SlackWsgi, host: str = "127.0.0.1") -> WSGIServer:
    """Serve the WSGI app on a free port in a daemon thread (the sandbox and the tests).

    Production uses gunicorn (`serve_gunicorn`); call `shutdown()` and `server_close()` to stop.
    """
    server = make_server(host, 0, wsgi, server_class=_ThreadingServer, handler_class=_QuietHandler)
    threading.Thread(target=server.serve_forever, name="bot-http", daemon=True).start()
    return server


def serve_gunicorn(
    load: Callable[[], SlackWsgi], *, host: str, port: int, workers: int, threads: int
) -> None:
    """Serve with gunicorn; each worker builds its own app (no engine crosses a fork)."""
    from gunicorn.app.base import BaseApplication

    class _Gunicorn(BaseApplication):  # type: ignore[misc]
        def load_config(self) -> None:
            self.cfg.set("bind", f"{host}:{port}")
            self.cfg.set("workers", workers)
            self.cfg.set("threads", threads)
            self.cfg.set("worker_class", "gthread")
            self.cfg.set("timeout", 30)
            self.cfg.set("graceful_timeout", 10)
            self.cfg.set("accesslog", None)
            self.cfg.set("limit_request_field_size", 16384)

        def load(self) -> SlackWsgi:
            return load()

    _Gunicorn().run()
