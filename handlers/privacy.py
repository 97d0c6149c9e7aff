"""Privacy: `/coach-or-mentor forget-me` (with a confirm step) and the note-retention job."""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

from apscheduler.schedulers.background import BackgroundScheduler
from slack_bolt import Ack, App, Respond
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.models.blocks import (
    ActionsBlock,
    ButtonElement,
    ConfirmObject,
    MarkdownTextObject,
    SectionBlock,
)

from handlers import ids
from handlers.deps import Deps
from handlers.home import refresh_homes
from handlers.router import CommandCall, CommandRouter, Subcommand
from storage import goals as goals_repo
from storage import privacy

log = logging.getLogger(__name__)

ASK = (
    "*Delete everything I hold about you?*\n"
    "That is your mentor profile and requests, the mentoring pairs you're in (I'll let the other"
    " person know the pair has ended, without saying why), your coaching goals with their"
    " check-in answers and notes, and the goals you coach lose you as their coach."
    " Programme totals keep only counts. This can't be undone."
)
CANCELLED = "Nothing was deleted."
NO_LONGER_NEEDED = "This request isn't open any more, so there's nothing to answer. Thanks!"


def ask_blocks(user_id: str) -> list[dict[str, Any]]:
    """The question with a Delete button (confirmed once more by Slack) and Cancel."""
    blocks = [
        SectionBlock(text=MarkdownTextObject(text=ASK)),
        ActionsBlock(
            block_id=ids.FORGET_ACTIONS_BLOCK,
            elements=[
                ButtonElement(
                    text="Delete everything",
                    action_id=ids.FORGET_CONFIRM_ACTION,
                    value=user_id,
                    style="danger",
                    confirm=ConfirmObject(
                        title="Delete everything?",
                        text="Your goals, answers, notes and mentoring go for good.",
                        confirm="Delete",
                        deny="Keep",
                        style="danger",
                    ),
                ),
                ButtonElement(text="Cancel", action_id=ids.FORGET_CANCEL_ACTION, value=user_id),
            ],
        ),
    ]
    return [b.to_dict() for b in blocks]


def forget_command(call: CommandCall) -> None:
    """`/coach-or-mentor forget-me`: ask first; nothing is deleted until the button."""
    call.ack(
        response_type="ephemeral",
        text="Delete everything I hold about you?",
        blocks=ask_blocks(call.user_id),
    )


def _who(body: dict[str, Any]) -> tuple[str, str]:
    user = body.get("user") or {}
    team = str((body.get("team") or {}).get("id") or user.get("team_id") or "")
    return team, str(user.get("id") or "")


def _dm(client: WebClient, user_id: str, text: str) -> None:
    try:
        client.chat_postMessage(channel=user_id, text=text)
    except SlackApiError as err:
        log.warning("forget-me notice failed user=%s error=%s", user_id, err.response.get("error"))


def on_forget_confirm(
    ack: Ack, body: dict[str, Any], client: WebClient, respond: Respond, deps: Deps
) -> None:
    """Delete everything about the person who clicked, then tell the people it affects."""
    from handlers.mentoring import flow, views

    ack()
    team_id, user_id = _who(body)
    value = str((body.get("actions") or [{}])[0].get("value") or "")
    if not user_id or value != user_id:
        respond(text="This button was meant for someone else.", replace_original=False)
        return
    with deps.sessions.begin() as session:
        forgotten = privacy.forget_person(session, team_id, user_id)
    deleted = forgotten.deleted
    respond(
        replace_original=True,
        text=(
            "Done: I've deleted everything I held about you"
            f" ({deleted['goals']} goals, {deleted['goal_checkins']} check-ins,"
            f" {deleted['mentee_requests']} mentor requests,"
            f" {deleted['mentoring_pairs']} mentoring pairs)."
            " Messages already in Slack stay in your DMs; you can delete them there."
        ),
    )
    log.info("forget-me team=%s rows=%d", team_id, sum(deleted.values()))
    for other, was_mentor in forgotten.mentoring.partners:
        if was_mentor:
            text, blocks = views.rematch_blocks(
                f"Your mentoring with <@{user_id}> has ended. Whenever you're ready, I can find"
                " you someone new."
            )
            flow.dm(client, other, text, blocks)
        else:
            _dm(client, other, f"Your mentoring with <@{user_id}> has ended.")
    for proposal in forgotten.mentoring.tidy:
        if proposal.dm_channel and proposal.dm_ts:
            try:
                client.chat_update(
                    channel=proposal.dm_channel, ts=proposal.dm_ts, text=NO_LONGER_NEEDED
                )
            except SlackApiError as err:
                log.warning(
                    "tidy failed proposal=%s error=%s", proposal.id, err.response.get("error")
                )
    owners = dict.fromkeys(owner for owner, _ in forgotten.goals.coached)
    for owner in owners:
        _dm(
            client,
            owner,
            f"<@{user_id}> is no longer the coach of your goal, so they won't get updates about"
            f" it. You can choose another coach with `{ids.COMMAND} goals` → Edit.",
        )
    if flow.settings_of(deps).instant:
        for request_id in forgotten.mentoring.reopened:
            flow.propose_now(deps, client, request_id)
    refresh_homes(
        client,
        deps,
        team_id,
        user_id,
        *(other for other, _ in forgotten.mentoring.partners),
        *(p.mentor_id for p in forgotten.mentoring.tidy),
        *owners,
    )


def on_forget_cancel(ack: Ack, body: dict[str, Any], respond: Respond) -> None:
    """Keep everything."""
    ack()
    respond(replace_original=True, text=CANCELLED)


# retention -------------------------------------------------------------------------------------
def clear_old_notes(deps: Deps) -> int:
    """Blank notes of goals that ended more than NOTE_RETENTION_DAYS ago; returns how many."""
    days = deps.settings.programme.note_retention_days
    with deps.sessions.begin() as session:
        cleared = goals_repo.clear_old_notes(session, deps.clock() - timedelta(days=days))
    if cleared:
        log.info("retention cleared=%d older_than_days=%d", cleared, days)
    return cleared


def add_jobs(scheduler: BackgroundScheduler, deps: Deps, client: WebClient) -> None:
    """The daily retention job (first run ten minutes after start)."""
    del client
    scheduler.add_job(
        clear_old_notes,
        "interval",
        hours=24,
        args=(deps,),
        id="privacy-retention",
        next_run_time=deps.clock() + timedelta(minutes=10),
    )


def register(app: App, router: CommandRouter) -> None:
    """Wire forget-me."""
    router.add(
        Subcommand(
            "forget-me",
            "forget-me",
            "deletes everything I hold about you (asks first).",
            forget_command,
        )
    )
    app.action(ids.FORGET_CONFIRM_ACTION)(on_forget_confirm)
    app.action(ids.FORGET_CANCEL_ACTION)(on_forget_cancel)
