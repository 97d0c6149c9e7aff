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
from collections.abc import Sequence
from typing import Any
from urllib.error import HTTPError, URLError
from urllib.parse import urlsplit
from urllib.request import Request

from slack_bolt.context.respond import Respond
from slack_bolt.context.respond.internals import _build_message
from slack_sdk import WebClient
from slack_sdk.models.attachments import Attachment
from slack_sdk.models.blocks import Block
from slack_sdk.webhook import WebhookClient, WebhookResponse

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
        if self.proxy is not None or urlsplit(url).scheme not in ("http", "https"):
            return dict(super()._perform_urllib_http_request_internal(url, req))
        response, data = _exchange(self._idle, self._lock, self.timeout, self.ssl, url, req)
        if response.msg.get_content_type() == "application/gzip":
            return {"status": response.status, "headers": response.msg, "body": data}
        charset = response.msg.get_content_charset() or "utf-8"
        return {"status": response.status, "headers": response.msg, "body": data.decode(charset)}

    def respond_for(self, response_url: str | None) -> Respond:
        """Bolt's `respond` for a request, posting to its response_url on these connections."""
        return KeepAliveRespond(response_url, self)


def _exchange(  # noqa: PLR0917
    idle: _Idle, lock: threading.Lock, timeout: Any, ssl: Any, url: str, req: Request
) -> tuple[http.client.HTTPResponse, bytes]:
    """Send the request on this thread's kept connection to the host; the answer and its body.

    A non-2xx answer is raised as urllib's HTTPError, a failed connection as URLError, as
    urlopen does.
    """
    parts = urlsplit(url)
    key = (threading.get_ident(), parts.scheme, parts.netloc)
    path = parts.path + (f"?{parts.query}" if parts.query else "")
    headers = {name: value for name, value in req.header_items() if name != "Connection"}
    conn, reused = _checkout(idle, lock, timeout, ssl, key)
    try:
        try:
            response = _send(conn, reused, req.get_method(), path, req.data, headers)
        except _STALE:
            if not reused:
                raise
            conn.close()
            conn = _new(timeout, ssl, key)
            response = _send(conn, False, req.get_method(), path, req.data, headers)
        data = response.read()
    except BaseException:
        conn.close()
        raise
    if response.will_close:
        conn.close()
    else:
        with lock:
            idle[key] = (conn, time.monotonic())
    if not 200 <= response.status < 300:
        raise HTTPError(url, response.status, response.reason, response.msg, io.BytesIO(data))
    return response, data


def _checkout(
    idle: _Idle, lock: threading.Lock, timeout: Any, ssl: Any, key: tuple[int, str, str]
) -> tuple[http.client.HTTPConnection, bool]:
    """This thread's open connection to the host if it is fresh enough, else a new one."""
    with lock:
        held = idle.pop(key, None)
    if held is not None:
        conn, last_used = held
        if time.monotonic() - last_used < IDLE_REUSE_S and conn.sock is not None:
            return conn, True
        conn.close()
    return _new(timeout, ssl, key), False


def _new(timeout: Any, ssl: Any, key: tuple[int, str, str]) -> http.client.HTTPConnection:
    _, scheme, netloc = key
    if scheme == "https":
        return http.client.HTTPSConnection(netloc, timeout=timeout, context=ssl)
    return http.client.HTTPConnection(netloc, timeout=timeout)


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


class KeepAliveWebhookClient(WebhookClient):
    """WebhookClient (response_url) whose posts reuse a KeepAliveWebClient's connections.

    slack_sdk's WebhookClient opens a new connection for every post through urlopen; Bolt's
    `respond` builds one per call. Everything but the connection is slack_sdk's: the body,
    the headers, the retry handlers and the WebhookResponse.
    """

    def __init__(self, url: str, *, owner: KeepAliveWebClient) -> None:
        super().__init__(url=url, timeout=owner.timeout, ssl=owner.ssl, proxy=owner.proxy)
        self._owner = owner

    def _perform_http_request_internal(self, url: str, req: Request) -> WebhookResponse:
        owner = self._owner
        if self.proxy is not None or urlsplit(url).scheme not in ("http", "https"):
            answer: WebhookResponse = super()._perform_http_request_internal(url, req)
            return answer
        response, data = _exchange(owner._idle, owner._lock, self.timeout, self.ssl, url, req)
        charset = response.msg.get_content_charset() or "utf-8"
        return WebhookResponse(
            url=url,
            status_code=response.status,
            body=data.decode(charset),
            headers=response.msg,  # type: ignore[arg-type]
        )


class KeepAliveRespond(Respond):
    """Bolt's Respond, posting through a KeepAliveWebhookClient (same messages, same answers)."""

    # Positional: a class called with keywords packs them into a dict for __init__, and one is
    # built for every request (InjectDeps).
    def __init__(self, response_url: str | None, owner: KeepAliveWebClient, /) -> None:
        super().__init__(response_url=response_url, proxy=owner.proxy, ssl=owner.ssl)
        self._owner = owner

    def __call__(  # noqa: PLR0917 - Respond's own signature
        self,
        text: str | dict[Any, Any] = "",
        blocks: Sequence[dict[Any, Any] | Block] | None = None,
        attachments: Sequence[dict[Any, Any] | Attachment] | None = None,
        response_type: str | None = None,
        replace_original: bool | None = None,
        delete_original: bool | None = None,
        unfurl_links: bool | None = None,
        unfurl_media: bool | None = None,
        thread_ts: str | None = None,
        metadata: dict[str, Any] | None = None,
    ) -> WebhookResponse:
        if self.response_url is None:
            raise ValueError("respond is unsupported here as there is no response_url")
        client = KeepAliveWebhookClient(self.response_url, owner=self._owner)
        if isinstance(text, dict):
            return client.send_dict(_build_message(**text))
        if not isinstance(text, str):
            raise ValueError(f"The arg is unexpected type ({type(text)})")
        message = _build_message(
            text=text,
            blocks=blocks,
            attachments=attachments,
            response_type=response_type,
            replace_original=replace_original,
            delete_original=delete_original,
            unfurl_links=unfurl_links,
            unfurl_media=unfurl_media,
            thread_ts=thread_ts,
            metadata=metadata,
        )
        return client.send_dict(message)
