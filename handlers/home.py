"""App Home: publish the home tab and remember who opened it (and their time zone)."""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt import App
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.models.blocks import HeaderBlock, MarkdownTextObject, SectionBlock
from slack_sdk.models.views import View

from handlers import ids
from handlers.deps import Deps
from handlers.help import INTRO
from storage import people

log = logging.getLogger(__name__)


def home_view() -> View:
    """The home tab for everyone."""
    return View(
        type="home",
        callback_id=ids.HOME_VIEW,
        blocks=[
            HeaderBlock(text="coach-or-mentor"),
            SectionBlock(text=MarkdownTextObject(text=INTRO)),
        ],
    )


def refresh_person(client: WebClient, deps: Deps, team_id: str, user_id: str) -> people.Person:
    """Ask Slack for the user's time zone and status, store it, return it."""
    info = client.users_info(user=user_id)
    user: dict[str, Any] = info.get("user") or {}
    with deps.sessions.begin() as session:
        return people.upsert_person(
            session,
            team_id=team_id or str(user.get("team_id") or ""),
            user_id=user_id,
            tz_name=user.get("tz") or None,
            is_bot=bool(user.get("is_bot")),
            deleted=bool(user.get("deleted")),
            now=deps.clock(),
        )


def on_app_home_opened(
    event: dict[str, Any], client: WebClient, context: dict[str, Any], deps: Deps
) -> None:
    """Publish the home tab; keep the person's time zone fresh."""
    if event.get("tab") != "home":
        return
    user_id = str(event.get("user") or "")
    try:
        refresh_person(client, deps, str(context.get("team_id") or ""), user_id)
    except SlackApiError as err:
        log.warning("users.info failed user=%s error=%s", user_id, err.response.get("error"))
    client.views_publish(user_id=user_id, view=home_view())


def register(app: App) -> None:
    """Wire App Home listeners."""
    app.event("app_home_opened")(on_app_home_opened)
