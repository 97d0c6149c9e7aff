"""A Web API client that keeps its connections open between calls.

slack_sdk's WebClient sends every call through `urllib.request.urlopen`, which opens a new
connection each time (a TCP handshake, and to Slack a TLS one) and closes it after one answer. A
listener makes one to four calls; this client keeps one connection per thread and host instead.
Everything else (the request slack_sdk builds, its retry handlers, its errors) is unchanged: a
non-2xx answer is raised as urllib's HTTPError and a failed connection as URLError, as urlopen
does, so the retry handlers see what they always saw.
"""

from __future__ import annotations

import http.client
import io
import threading
import time
import weakref
from typing import Any
from urllib.error import HTTPError, URLError
from urllib.parse import urlsplit
from urllib.request import Request

from slack_sdk import WebClient

# A connection idle longer than this is closed rather than reused: servers and load balancers
# drop idle connections after a minute or so, and a request sent on one they are closing fails.
IDLE_REUSE_S = 20.0

# Errors that mean a reused connection had been closed by the other side before our request got
# an answer; the call is sent once more on a new connection (what the connection-error retry
# handler would do, without its back-off).
_STALE = (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError)

# Request clients kept per (token, team id); past this many the store starts afresh.
SIBLINGS_KEPT = 256


# Idle connections by (thread id, scheme, host): a thread takes its own out while it calls.
_Idle = dict[tuple[int, str, str], tuple[http.client.HTTPConnection, float]]


def _close_all(idle: _Idle, lock: threading.Lock) -> None:
    with lock:
        held = list(idle.values())
        idle.clear()
    for conn, _ in held:
        conn.close()


class KeepAliveWebClient(WebClient):
    """WebClient whose calls reuse this thread's open connection to the API host."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._idle: _Idle = {}
        self._lock = threading.Lock()
        # The idle connections are closed when the client goes away (or on close()).
        self._finalizer = weakref.finalize(self, _close_all, self._idle, self._lock)
        self._owner: KeepAliveWebClient | None = None
        self._siblings: dict[tuple[str | None, str | None], KeepAliveWebClient] = {}

    def sibling(self, *, token: str | None, team_id: str | None) -> KeepAliveWebClient:
        """A client for one request (as Bolt makes one per request) sharing these connections.

        The connections stay this client's: they are closed with it, not with the sibling. A
        sibling holds no per-call state (connections are per thread, in the shared store), so
        one is built per token and workspace and reused by every request that has them:
        building a WebClient reads the proxy environment and formats a user agent (~15 µs).
        """
        key = (token, team_id)
        other = self._siblings.get(key)
        if other is None:
            other = self._new_sibling(token, team_id)
            if len(self._siblings) >= SIBLINGS_KEPT:
                self._siblings.clear()
            self._siblings[key] = other
        return other

    def _new_sibling(self, token: str | None, team_id: str | None) -> KeepAliveWebClient:
        """A new client with this one's settings and connection store."""
        other = KeepAliveWebClient(
            token=token,
            base_url=self.base_url,
            timeout=self.timeout,
            ssl=self.ssl,
            proxy=self.proxy,
            headers=self.headers,
            team_id=team_id,
            logger=self.logger,
            retry_handlers=list(self.retry_handlers),
        )
        other._finalizer.detach()
        other._idle, other._lock = self._idle, self._lock
        other._owner = self  # keeps the connections' owner alive while a request runs
        return other

    def close(self) -> None:
        """Close the idle connections (calls made afterwards open new ones)."""
        _close_all(self._idle, self._lock)

    def _perform_urllib_http_request_internal(self, url: str, req: Request) -> dict[str, Any]:
        parts = urlsplit(url)
        if self.proxy is not None or parts.scheme not in ("http", "https"):
            return dict(super()._perform_urllib_http_request_internal(url, req))
        key = (threading.get_ident(), parts.scheme, parts.netloc)
        path = parts.path + (f"?{parts.query}" if parts.query else "")
        headers = {name: value for name, value in req.header_items() if name != "Connection"}
        conn, reused = self._checkout(key)
        try:
            try:
                response = self._send(conn, reused, req.get_method(), path, req.data, headers)
            except _STALE:
                if not reused:
                    raise
                conn.close()
                conn = self._new(key)
                response = self._send(conn, False, req.get_method(), path, req.data, headers)
            data = response.read()
        except BaseException:
            conn.close()
            raise
        if response.will_close:
            conn.close()
        else:
            with self._lock:
                self._idle[key] = (conn, time.monotonic())
        if not 200 <= response.status < 300:
            raise HTTPError(url, response.status, response.reason, response.msg, io.BytesIO(data))
        if response.msg.get_content_type() == "application/gzip":
            return {"status": response.status, "headers": response.msg, "body": data}
        charset = response.msg.get_content_charset() or "utf-8"
        return {"status": response.status, "headers": response.msg, "body": data.decode(charset)}

    def _checkout(self, key: tuple[int, str, str]) -> tuple[http.client.HTTPConnection, bool]:
        """This thread's open connection to the host if it is fresh enough, else a new one."""
        with self._lock:
            held = self._idle.pop(key, None)
        if held is not None:
            conn, last_used = held
            if time.monotonic() - last_used < IDLE_REUSE_S and conn.sock is not None:
                return conn, True
            conn.close()
        return self._new(key), False

    def _new(self, key: tuple[int, str, str]) -> http.client.HTTPConnection:
        _, scheme, netloc = key
        if scheme == "https":
            return http.client.HTTPSConnection(netloc, timeout=self.timeout, context=self.ssl)
        return http.client.HTTPConnection(netloc, timeout=self.timeout)

    @staticmethod
    def _send(  # noqa: PLR0917
        conn: http.client.HTTPConnection,
        reused: bool,
        method: str,
        path: str,
        body: Any,
        headers: dict[str, str],
    ) -> http.client.HTTPResponse:
        """Send and read the status line; errors as urlopen raises them (URLError while
        connecting and sending; a closed connection or a timeout as it is while answering),
        except that a reused connection found closed raises its own error, to be sent again."""
        try:
            conn.request(method, path, body=body, headers=headers)
        except OSError as err:
            if reused and isinstance(err, _STALE):
                raise
            raise URLError(err) from err
        return conn.getresponse()
