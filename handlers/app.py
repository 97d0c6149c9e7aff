"""The composition root for Slack: build the Bolt app and wire every feature into it."""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Callable
from concurrent.futures import Executor, Future, ThreadPoolExecutor
from typing import Any, ParamSpec, TypeVar

from slack_bolt import Ack, App, BoltRequest, BoltResponse
from slack_bolt.logger import get_bolt_app_logger
from slack_bolt.middleware import Middleware
from slack_sdk import WebClient
from slack_sdk.http_retry.builtin_handlers import (
    ConnectionErrorRetryHandler,
    RateLimitErrorRetryHandler,
    ServerErrorRetryHandler,
)

from bot.settings import Settings
from handlers import admin, goals, guidance, home, privacy
from handlers import help as help_command
from handlers.dedupe import EventDedupe
from handlers.deps import Deps
from handlers.mentoring import listeners as mentoring
from handlers.router import CommandRouter
from handlers.slack_client import KeepAliveWebClient

log = logging.getLogger("handlers.requests")

# Bolt runs each listener (which acks, then talks to Slack) on this pool and answers 404 when the
# ack does not come within 3 s. Its default of 5 threads fills up as soon as a few listeners wait
# on a slow or rate-limited Slack, and then even a listener that acks first misses the deadline.
LISTENER_THREADS = 32
# How long a request thread waits for its listener's ack: Bolt's own limit (Listener.ack_timeout).
ACK_WAIT_S = 3.0

_P = ParamSpec("_P")
_T = TypeVar("_T")


def make_client(
    settings: Settings, *, retry_rate_limits: bool = True, keep_alive: bool = True
) -> WebClient:
    """A Web API client for the configured Slack API URL, retrying what is safe to retry.

    `keep_alive`: reuse each thread's connection between calls (KeepAliveWebClient); a call
    sent on a connection the server had just closed is sent again on a new one, as the
    connection-error retry handler of this client would.
    """
    handlers: list[Any] = [
        ConnectionErrorRetryHandler(),
        ServerErrorRetryHandler(max_retry_count=2),
    ]
    if retry_rate_limits:
        handlers.append(RateLimitErrorRetryHandler(max_retry_count=2))
    return (KeepAliveWebClient if keep_alive else WebClient)(
        token=settings.slack_bot_token.reveal() or None,
        base_url=settings.slack_api_url,
        retry_handlers=handlers,
        timeout=10,
    )


def _describe(body: dict[str, Any]) -> str:
    """What a request is, for the log: never the text people typed."""
    if "command" in body:
        return f"command {body.get('command')}"
    kind = str(body.get("type") or "")
    if kind == "event_callback":
        return f"event {(body.get('event') or {}).get('type')}"
    if kind == "block_actions":
        actions = body.get("actions") or [{}]
        return f"action {actions[0].get('action_id')}"
    if kind in ("view_submission", "view_closed"):
        return f"{kind} {(body.get('view') or {}).get('callback_id')}"
    return kind or "unknown"


class KeptAck(Ack):
    """An ack that stays given once given.

    When a listener fails after it acked, Bolt's thread runner sets the ack's response back to
    None; if that happens before the request thread has seen the ack (a database that is down
    fails within milliseconds), the request thread waits out the 3 s and answers 404.
    """

    def __init__(self) -> None:
        self._response: BoltResponse | None = None
        # Held until the ack is settled: a bare lock does what a threading.Event would here (one
        # waiter) at a fraction of the cost of building and setting one, on every request.
        self._unsettled = threading.Lock()
        self._unsettled.acquire()

    @property
    def response(self) -> BoltResponse | None:
        return self._response

    @response.setter
    def response(self, value: BoltResponse | None) -> None:
        if value is not None or self._response is None:
            self._response = value
        if value is not None:
            self.settle()

    def settle(self) -> None:
        """Stop waiting for this ack (its listener finished, acked or not)."""
        if self._unsettled.locked():
            # Not contextlib.suppress: it builds an object and calls two methods on every ack.
            try:  # noqa: SIM105
                self._unsettled.release()
            except RuntimeError:  # another thread settled it just now
                pass

    def wait(self, timeout: float) -> bool:
        """Block until the ack is given or its listener has finished; False on timeout."""
        if not self._unsettled.acquire(timeout=timeout):
            return False
        self.settle()  # settled it stays, for any later wait
        return True


# The ack of the request the current thread is dispatching, until its listener is submitted.
_dispatching = threading.local()


def dispatching(ack: KeptAck) -> None:
    """Say that the current thread dispatches the request of this ack (InjectDeps does)."""
    _dispatching.ack = ack


class AckWaitingExecutor(Executor):
    """Bolt's listener pool, where the request thread waits for its listener's ack.

    Bolt's ThreadListenerRunner submits the listener and then polls for the ack every 10 ms
    (`time.sleep(0.01)`): every answer waited up to 10 ms more than its listener took, and each
    request thread in flight woke 100 times a second to look. Here the request thread blocks in
    `submit` until the listener acks (or finishes, or Bolt's 3 s pass), so Bolt's loop finds the
    ack already given on its first look and answers at once. Everything else is Bolt's.
    """

    def __init__(self, inner: Executor, ack_wait_s: float = ACK_WAIT_S) -> None:
        self._inner = inner
        self._ack_wait_s = ack_wait_s

    def submit(self, fn: Callable[_P, _T], /, *args: _P.args, **kwargs: _P.kwargs) -> Future[_T]:
        ack = getattr(_dispatching, "ack", None)
        _dispatching.ack = None
        future = self._inner.submit(fn, *args, **kwargs)
        if isinstance(ack, KeptAck):
            future.add_done_callback(lambda _done: ack.settle())
            ack.wait(self._ack_wait_s)
        return future

    def shutdown(self, wait: bool = True, *, cancel_futures: bool = False) -> None:
        self._inner.shutdown(wait=wait, cancel_futures=cancel_futures)


class KeepAliveApp(App):
    """Bolt's App, whose requests get their client from the app's KeepAliveWebClient at once.

    Since 1.15 Bolt builds a new WebClient for every request (`App._init_context`), so that a
    listener or middleware that changes its request's client token cannot change another
    request's. Building one reads the proxy environment, formats a user agent and copies the
    retry handlers: 7-10 µs of a dispatch (bench/ack.py), for a client that InjectDeps then
    replaces with a sibling of the keep-alive client. With one static token (no OAuth flow, so
    SingleTeamAuthorization, which only reads the token) and no function tokens attached,
    nothing Bolt runs changes a request's client token, and the sibling (shared by the requests
    of one token and workspace) is given from the start. Any other app gets Bolt's own
    per-request client. tests/handlers/test_app_context.py checks that both set the same context.
    """

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        client = self._client
        self._siblings_of: KeepAliveWebClient | None = None
        if (
            isinstance(client, KeepAliveWebClient)
            and self._token is not None
            and self.oauth_flow is None
            and kwargs.get("attaching_function_token_enabled", True) is False
        ):
            self._siblings_of = client

    def _init_context(self, req: BoltRequest) -> None:
        owner = self._siblings_of
        if owner is None:
            super()._init_context(req)
            return
        # What Bolt's _init_context puts in the context, with the sibling as the client.
        req.context["logger"] = get_bolt_app_logger(
            app_name=self.name, base_logger=self._base_logger
        )
        req.context["token"] = self._token
        req.context["client"] = owner.sibling(token=self._token, team_id=req.context.team_id)
        req.context["listener_runner"] = self.listener_runner


class InjectDeps(Middleware):
    """Put the deps in every request's context and log one line per request.

    With a KeepAliveWebClient for the app, the request's client is its sibling for the token
    the request was authorized with (KeepAliveApp gave it already, where it could; a plain
    Bolt App gives each request a new WebClient), so listeners reuse the open connections, and
    `respond` posts to the response_url on them too.
    """

    def __init__(self, deps: Deps, client: WebClient | None = None) -> None:
        self._deps = deps
        self._client = client if isinstance(client, KeepAliveWebClient) else None

    def process(
        self,
        *,
        req: BoltRequest,
        resp: BoltResponse,
        next: Callable[[], BoltResponse],
    ) -> BoltResponse | None:
        req.context["deps"] = self._deps
        if self._client is not None:
            req.context["client"] = self._client.sibling(
                token=req.context.token or self._client.token, team_id=req.context.team_id
            )
            if req.context.response_url:
                # Bolt's respond opens a new connection for each post to the response_url
                req.context["respond"] = self._client.respond_for(req.context.response_url)
        ack = KeptAck()
        req.context["ack"] = ack
        dispatching(ack)  # for AckWaitingExecutor.submit, in this same thread
        if log.isEnabledFor(logging.INFO):
            log.info(
                "%s team=%s user=%s",
                _describe(req.body),
                req.context.team_id or "-",
                req.context.user_id or "-",
            )
        next()
        return resp


SORRY = "Sorry, something went wrong on my side and nothing was changed. Please try again."
SORRY_MODAL = "Sorry, something went wrong on my side and nothing was saved. Please submit again."


def _apologise(body: dict[str, Any], response: BoltResponse | None) -> None:
    """Answer a failed command, click or modal submission kindly instead of with HTTP 500."""
    if response is None or response.status < 500:  # None: the listener had acked already
        return
    response.status = 200
    if "command" in body:
        _json_body(response, {"response_type": "ephemeral", "text": SORRY})
    elif body.get("type") == "view_submission":
        _json_body(response, _modal_apology(body.get("view") or {}))
    else:
        response.body = ""


def _modal_apology(view: dict[str, Any]) -> dict[str, Any]:
    """Keep the modal open with the person's input and say, next to a field, to submit again.

    Slack shows a 5xx as a vague "trouble connecting"; an error on a field says what to do.
    A modal without an input block has nothing to keep, so it is replaced by the apology.
    """
    block_id = _first_input_block(view)
    if block_id is not None:
        return {"response_action": "errors", "errors": {block_id: SORRY_MODAL}}
    return {
        "response_action": "update",
        "view": {
            "type": "modal",
            "title": {"type": "plain_text", "text": "Sorry"},
            "close": {"type": "plain_text", "text": "Close"},
            "blocks": [{"type": "section", "text": {"type": "plain_text", "text": SORRY}}],
        },
    }


def _first_input_block(view: dict[str, Any]) -> str | None:
    """The block id of the modal's first input (from its blocks, else from its state)."""
    for block in view.get("blocks") or []:
        if isinstance(block, dict) and block.get("type") == "input" and block.get("block_id"):
            return str(block["block_id"])
    values = (view.get("state") or {}).get("values") or {}
    return next((str(key) for key in values), None) if isinstance(values, dict) else None


def _json_body(response: BoltResponse, payload: dict[str, Any]) -> None:
    response.body = json.dumps(payload)
    response.headers["content-type"] = ["application/json;charset=utf-8"]


def build_app(
    deps: Deps,
    *,
    client: WebClient | None = None,
    socket_mode: bool = False,
    process_before_response: bool = False,
    listener_executor: Executor | None = None,
) -> App:
    """A Bolt app with every feature registered; nothing is contacted until it serves."""
    settings = deps.settings
    bolt_log = logging.getLogger("slack_bolt")
    # Bolt formats a debug line for every middleware of every request unless its logger's own
    # level is above DEBUG (an unset level counts as DEBUG); its debug lines may also carry
    # request bodies, which logs.configure keeps out. Pinning today's effective level (at least
    # INFO) changes nothing that is logged.
    bolt_log.setLevel(max(logging.INFO, bolt_log.getEffectiveLevel()))
    app = KeepAliveApp(
        client=client or make_client(settings),
        signing_secret=settings.slack_signing_secret.reveal() or None,
        request_verification_enabled=not socket_mode,
        token_verification_enabled=False,
        process_before_response=process_before_response,
        raise_error_for_unhandled_request=False,
        # The bot defines no custom workflow functions: no function token to attach per request.
        attaching_function_token_enabled=False,
        logger=bolt_log,
        listener_executor=AckWaitingExecutor(
            listener_executor
            or ThreadPoolExecutor(max_workers=LISTENER_THREADS, thread_name_prefix="listener")
        ),
    )

    app.use(InjectDeps(deps, app.client))
    app.use(EventDedupe(deps))

    @app.error
    def on_error(error: Exception, body: dict[str, Any], response: BoltResponse | None) -> None:
        log.error("failed %s: %s", _describe(body), type(error).__name__, exc_info=error)
        _apologise(body, response)

    router = CommandRouter()
    # Bolt tries listeners in registration order, each non-matching matcher costing about 16 µs
    # of CPU: the slash command (the hot path) goes first, then App Home (app_home_opened, a
    # sixth of the traffic, came last and paid 0.5 ms to get past the 30 listeners before it).
    # No two listeners match the same request, so the order changes nothing else. The router
    # reads its sub-commands at call time.
    router.register(app)
    home.register(app)
    help_command.register(router)
    for feature in FEATURES:
        feature(app, router)
    return app


# Each feature module exposes `register(app, router)`; the order sets the order in help.
FEATURES: tuple[Callable[[App, CommandRouter], None], ...] = (
    guidance.register,
    goals.register,
    mentoring.register,
    admin.register,
    privacy.register,
)
