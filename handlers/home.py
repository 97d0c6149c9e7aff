"""App Home: the home tab (published on open, refreshed when what it shows changes), a one-time
greeting in the messages tab, and the person's Slack time zone kept fresh."""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from typing import Any

from slack_bolt import Ack, App
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.models.blocks import MarkdownTextObject, SectionBlock
from sqlalchemy.orm import Session

from handlers import ids
from handlers.admins import is_admin
from handlers.deps import Deps
from handlers.home_blocks import GREETING, HomeInputs, home_view
from storage import mentoring as mentoring_repo
from storage import people
from storage.home import load_home
from storage.report import load_report

log = logging.getLogger(__name__)


def refresh_person(client: WebClient, deps: Deps, team_id: str, user_id: str) -> people.Person:
    """Ask Slack for the user's time zone and status, store it, return it."""
    user = slack_user(client, user_id)
    with deps.sessions.begin() as session:
        return store_person(session, deps, team_id, user_id, user)


def slack_user(client: WebClient, user_id: str) -> dict[str, Any]:
    """users.info's user object (raises SlackApiError as the client does)."""
    info = client.users_info(user=user_id)
    return info.get("user") or {}


def store_person(
    session: Session, deps: Deps, team_id: str, user_id: str, user: dict[str, Any]
) -> people.Person:
    """Store what users.info said about the person, in the caller's transaction."""
    return people.upsert_person(
        session,
        team_id=team_id or str(user.get("team_id") or ""),
        user_id=user_id,
        tz_name=user.get("tz") or None,
        is_bot=bool(user.get("is_bot")),
        deleted=bool(user.get("deleted")),
        now=deps.clock(),
    )


def build_home(
    client: WebClient,
    deps: Deps,
    team_id: str,
    user_id: str,
    *,
    person: dict[str, Any] | None = None,
    also: Callable[[Session], object] | None = None,
) -> dict[str, Any]:
    """The person's home tab as it stands now (with programme health for an admin).

    `person`: what users.info said about them, stored (store_person) in the transaction that
    reads the home, one transaction instead of two. `also`: a write of the caller's, made in
    that transaction too, before the home is read.
    """
    now = deps.clock()
    admin = is_admin(client, deps, user_id)
    with deps.sessions.begin() as session:
        if person is not None:
            store_person(session, deps, team_id, user_id, person)
        if also is not None:
            also(session)
        data = load_home(session, team_id, user_id)
        report = load_report(session, team_id, now) if admin else None
    return home_view(HomeInputs(data=data, now=now, report=report))


def refresh_home(
    client: WebClient,
    deps: Deps,
    team_id: str,
    user_id: str,
    *,
    also: Callable[[Session], object] | None = None,
) -> None:
    """Republish the home tab after something it shows changed; a Slack failure is logged.

    Features call this after a change made by a click or a command. Changes made by background
    jobs (a proposal expiring, a goal paused for missed check-ins) are shown the next time the
    person opens the tab, which republishes it. `also`: a write of the caller's, made in the
    transaction that reads the home (one transaction instead of two); it is made whatever Slack
    then says.
    """
    if not user_id:
        if also is not None:
            with deps.sessions.begin() as session:
                also(session)
        return
    try:
        view = build_home(client, deps, team_id, user_id, also=also)
        client.views_publish(user_id=user_id, view=view)
    except SlackApiError as err:
        log.warning("views.publish failed user=%s error=%s", user_id, err.response.get("error"))


def refresh_homes(client: WebClient, deps: Deps, team_id: str, *user_ids: str) -> None:
    """refresh_home for each person (once each)."""
    for user_id in dict.fromkeys(user_ids):
        refresh_home(client, deps, team_id, user_id)


def greet_once(client: WebClient, deps: Deps, team_id: str, user_id: str, channel: str) -> bool:
    """Say hello in the messages tab the first time a person opens it; True when sent."""
    with deps.sessions.begin() as session:
        known = people.get_person(session, team_id, user_id) is not None
    if not known:
        _remember(client, deps, team_id, user_id)
    with deps.sessions.begin() as session:
        if not people.claim_greeting(session, team_id, user_id):
            return False
    try:
        client.chat_postMessage(
            channel=channel or user_id,
            text="Hi! I'm coach-or-mentor: here is what I can do.",
            blocks=[SectionBlock(text=MarkdownTextObject(text=GREETING))],
        )
    except SlackApiError as err:
        log.warning("greeting failed user=%s error=%s", user_id, err.response.get("error"))
        with deps.sessions.begin() as session:
            people.unclaim_greeting(session, team_id, user_id)
        return False
    return True


def _remember(client: WebClient, deps: Deps, team_id: str, user_id: str) -> None:
    """Store a person seen for the first time (without a zone when Slack will not say)."""
    try:
        refresh_person(client, deps, team_id, user_id)
    except SlackApiError as err:
        log.warning("users.info failed user=%s error=%s", user_id, err.response.get("error"))
        with deps.sessions.begin() as session:
            people.upsert_person(
                session,
                team_id=team_id,
                user_id=user_id,
                tz_name=None,
                is_bot=False,
                deleted=False,
                now=deps.clock(),
            )


def on_app_home_opened(
    event: dict[str, Any], client: WebClient, context: dict[str, Any], deps: Deps
) -> None:
    """Home tab: keep the zone fresh and publish. Messages tab: greet a first-timer once."""
    user_id = str(event.get("user") or "")
    team_id = str(context.get("team_id") or "")
    if event.get("tab") == "messages":
        greet_once(client, deps, team_id, user_id, str(event.get("channel") or ""))
        return
    if event.get("tab") != "home":
        return
    person: dict[str, Any] | None = None
    try:
        person = slack_user(client, user_id)
    except SlackApiError as err:
        log.warning("users.info failed user=%s error=%s", user_id, err.response.get("error"))
    view = build_home(client, deps, team_id, user_id, person=person)
    client.views_publish(user_id=user_id, view=view)


def _who(body: dict[str, Any]) -> tuple[str, str]:
    user = body.get("user") or {}
    team = str((body.get("team") or {}).get("id") or user.get("team_id") or "")
    return team, str(user.get("id") or "")


def on_mentor_pause(ack: Ack, body: dict[str, Any], client: WebClient, deps: Deps) -> None:
    """The home tab's Pause / Resume mentoring button (for the clicking mentor only)."""
    from handlers.mentoring import flow

    ack()
    team_id, user_id = _who(body)
    action_id = str((body.get("actions") or [{}])[0].get("action_id") or "")
    paused = action_id == ids.HOME_MENTOR_PAUSE_ACTION
    with deps.sessions.begin() as session:
        changed = mentoring_repo.set_mentor_paused(
            session, team_id, user_id, paused=paused, now=deps.clock()
        )
    if changed and not paused and flow.settings_of(deps).instant:
        flow.run_round(deps, client, team_id)
    refresh_home(client, deps, team_id, user_id)


def register(app: App) -> None:
    """Wire App Home listeners."""
    app.event("app_home_opened")(on_app_home_opened)
    pause = (ids.HOME_MENTOR_PAUSE_ACTION, ids.HOME_MENTOR_RESUME_ACTION)
    app.action(re.compile("^(" + "|".join(map(re.escape, pause)) + ")$"))(on_mentor_pause)
