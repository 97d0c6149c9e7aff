"""Programme admin: `/coach-or-mentor admin`, the admin buttons, and their modals.

Every entry point checks `is_admin` on the server, whatever the button or payload says; a
non-admin gets a polite refusal and nothing else happens. Admins see counts only.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence
from typing import Any

from slack_bolt import Ack, App, Respond
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.models.blocks import (
    Block,
    ContextBlock,
    InputBlock,
    MarkdownTextObject,
    PlainTextInputElement,
    SectionBlock,
)
from slack_sdk.models.views import View

from bot.mentoring import MatchResult, match
from bot.mentoring.settings import MAX_TOPICS, parse_topics
from bot.programme import aggregates_csv, health_lines, matches_csv
from bot.resources import Resource
from bot.settings import SettingsError
from handlers import ids, live
from handlers.admins import REFUSAL, is_admin
from handlers.blocks import header
from handlers.deps import Deps
from handlers.home import refresh_home
from handlers.home_blocks import admin_blocks
from handlers.router import CommandCall, CommandRouter, Subcommand
from storage import mentoring as mentoring_repo
from storage import programme
from storage.report import load_report, match_rows

log = logging.getLogger(__name__)

PREVIEW_LINES = 40
LINES_PER_SECTION = 10
RESOURCE_MAX = 2000
RESOURCE_LABELS = {
    Resource.PEOPLE_TEAM.value: "People team (HR)",
    Resource.EMPLOYEE_ASSISTANCE.value: "Employee assistance",
    Resource.ETHICS.value: "Ethics or speak-up line",
    Resource.EMERGENCY.value: "Emergency",
    Resource.CRISIS.value: "Crisis (self-harm)",
    live.CONSULTING_KEY: "Consulting contact",
}
UPLOAD_FAILED = "I couldn't upload the file just now, so nothing was sent. Please try again."
USAGE = (
    f"`{ids.COMMAND} admin` shows programme health. Also: `admin chart`, `admin export`,"
    " `admin match`, `admin topics`, `admin resources`."
)


# small helpers ---------------------------------------------------------------------------------
def _md(text: str) -> SectionBlock:
    return SectionBlock(text=MarkdownTextObject(text=text[:3000]))


def notice_view(title: str, text: str) -> View:
    """A modal that only says something."""
    return View(
        type="modal",
        callback_id=ids.NOTICE_VIEW,
        title=title[:24],
        close="Close",
        blocks=[_md(text)],
    )


def _who(body: dict[str, Any]) -> tuple[str, str]:
    user = body.get("user") or {}
    team = str((body.get("team") or {}).get("id") or user.get("team_id") or "")
    return team, str(user.get("id") or "")


def _tell(client: WebClient, body: dict[str, Any], respond: Respond, text: str) -> None:
    """Answer a click where it came from: in the conversation, else (home tab) in a modal."""
    if body.get("response_url"):
        respond(text=text, response_type="ephemeral", replace_original=False)
        return
    client.views_open(trigger_id=str(body.get("trigger_id") or ""), view=notice_view("Admin", text))


def upload_to_dm(
    client: WebClient, user_id: str, files: Sequence[tuple[str, bytes, str]], comment: str
) -> None:
    """Upload (filename, content, title) files into the person's DM with the bot."""
    channel = str(client.conversations_open(users=user_id)["channel"]["id"])
    client.files_upload_v2(
        channel=channel,
        initial_comment=comment,
        file_uploads=[
            {"filename": name, "content": content, "title": title} for name, content, title in files
        ],
    )


# what admins get -------------------------------------------------------------------------------
def report_blocks(deps: Deps, team_id: str) -> list[dict[str, Any]]:
    """Programme health in counts, with the admin buttons."""
    with deps.sessions.begin() as session:
        report = load_report(session, team_id, deps.clock())
    return [header("Programme health", emoji=True), *admin_blocks(report)]


def send_chart(client: WebClient, deps: Deps, team_id: str, user_id: str) -> None:
    """Draw the 12-week trend and upload it to the admin's DM."""
    from handlers.charts import trend_png  # matplotlib loads only when a chart is asked for

    with deps.sessions.begin() as session:
        report = load_report(session, team_id, deps.clock())
    summary = "\n".join(f"• {label}: {value}" for label, value in health_lines(report))
    upload_to_dm(
        client,
        user_id,
        [("coach-or-mentor-trend.png", trend_png(report.trend), "The last 12 weeks")],
        f"Programme trend for the last {len(report.trend.weeks)} weeks (counts only).\n{summary}",
    )


def send_export(client: WebClient, deps: Deps, team_id: str, user_id: str) -> None:
    """Upload matches.csv and aggregates.csv to the admin's DM (no goal text, no notes)."""
    now = deps.clock()
    with deps.sessions.begin() as session:
        report = load_report(session, team_id, now)
        pairs = match_rows(session, team_id)
    stamp = now.strftime("%Y-%m-%d")
    upload_to_dm(
        client,
        user_id,
        [
            (f"matches-{stamp}.csv", matches_csv(pairs).encode(), "Mentoring matches"),
            (f"aggregates-{stamp}.csv", aggregates_csv(report).encode(), "Programme aggregates"),
        ],
        f"The programme export: {len(pairs)} mentoring pairs and the aggregate counts."
        " Goal text and check-in notes are never exported.",
    )


# the match round -------------------------------------------------------------------------------
def preview_round(deps: Deps, team_id: str) -> tuple[MatchResult, dict[str, str]]:
    """The pairs a round would propose now (nothing is stored or sent)."""
    cfg = live.mentoring(deps)
    with deps.sessions.begin() as session:
        inputs = mentoring_repo.matching_inputs(session, team_id)
    result = match(
        inputs.requests,
        inputs.mentors,
        cfg.weights,
        inputs.excluded,
        load=inputs.load,
        now=deps.clock(),
        taxonomy=cfg.taxonomy,
    )
    return result, inputs.names


def preview_view(result: MatchResult, team_id: str) -> View:
    """The dry-run pairs and a confirm button that runs the round."""
    lines = [
        f"• <@{p.mentee_id}> → <@{p.mentor_id}> (score {p.score:.2f})"
        for p in result.proposals[:PREVIEW_LINES]
    ]
    more = len(result.proposals) - len(lines)
    blocks: list[Block] = [
        _md(
            f"*{len(result.proposals)}* proposal{'s' if len(result.proposals) != 1 else ''}"
            f" would go out; *{len(result.unmatched)}*"
            f" request{'s' if len(result.unmatched) != 1 else ''} would stay open. Each mentor"
            " gets a DM and decides; nobody is paired without"
            " saying yes."
        )
    ]
    for start in range(0, len(lines), LINES_PER_SECTION):
        blocks.append(_md("\n".join(lines[start : start + LINES_PER_SECTION])))
    if more > 0:
        blocks.append(_md(f"…and {more} more."))
    reasons: dict[str, int] = {}
    for unmatched in result.unmatched:
        reasons[unmatched.explanation] = reasons.get(unmatched.explanation, 0) + 1
    if reasons:
        blocks.append(
            _md(
                "*Staying open*\n"
                + "\n".join(f"• {count}: {why}" for why, count in sorted(reasons.items()))
            )
        )
    blocks.append(
        ContextBlock(
            elements=[
                MarkdownTextObject(
                    text="The round is worked out again when you confirm, so it uses the latest"
                    " sign-ups and requests."
                )
            ]
        )
    )
    return View(
        type="modal",
        callback_id=ids.ADMIN_MATCH_VIEW,
        title="Match round",
        submit="Run the round" if result.proposals else None,
        close="Cancel",
        private_metadata=team_id,
        blocks=blocks,
    )


def open_match_preview(
    client: WebClient, deps: Deps, trigger_id: str, team_id: str, user_id: str
) -> None:
    """Open a modal at once (the trigger expires in 3 s), then fill in the preview."""
    opened = client.views_open(
        trigger_id=trigger_id, view=notice_view("Match round", "Working out the pairs…")
    )
    view_id = str(opened["view"]["id"])
    if not is_admin(client, deps, user_id):
        client.views_update(view_id=view_id, view=notice_view("Match round", REFUSAL))
        return
    result, _ = preview_round(deps, team_id)
    client.views_update(view_id=view_id, view=preview_view(result, team_id))


def on_match_confirmed(ack: Ack, body: dict[str, Any], client: WebClient, deps: Deps) -> None:
    """Run the round for real (after checking again that the person is an admin)."""
    team_id, user_id = _who(body)
    if not is_admin(client, deps, user_id):
        ack(response_action="update", view=notice_view("Match round", REFUSAL))
        return
    team_id = str((body.get("view") or {}).get("private_metadata") or team_id)
    ack(
        response_action="update",
        view=notice_view("Match round", "Running the round now: I'm asking the chosen mentors."),
    )
    from handlers.mentoring import flow

    result = flow.run_round(deps, client, team_id)
    asked, left = len(result.proposals), len(result.unmatched)
    text = (
        f"Match round done: {asked} proposal{'s' if asked != 1 else ''} sent to mentors,"
        f" {left} request{'s' if left != 1 else ''} still open."
    )
    client.chat_postMessage(channel=user_id, text=text)
    refresh_home(client, deps, team_id, user_id)


# topics and escalation texts -------------------------------------------------------------------
def topics_modal(current: str) -> View:
    """Edit the topic list (one per line, `slug=Label` or just the label)."""
    return View(
        type="modal",
        callback_id=ids.ADMIN_TOPICS_VIEW,
        title="Mentoring topics",
        submit="Save",
        close="Cancel",
        blocks=[
            InputBlock(
                block_id=ids.ADMIN_TOPICS_BLOCK,
                label="Topics, one per line",
                optional=True,
                element=PlainTextInputElement(
                    action_id=ids.ADMIN_TOPICS_BLOCK,
                    multiline=True,
                    initial_value=current,
                    max_length=3000,
                ),
                hint=f"Write `slug=Label` or just the label; at most {MAX_TOPICS}. Keep a slug"
                " to keep the people who chose it. Empty: back to the configured list.",
            )
        ],
    )


def resources_modal(stored: dict[str, str], effective: dict[str, str]) -> View:
    """Edit the escalation contacts and the consulting contact (mrkdwn, links allowed)."""
    blocks: list[Block] = [
        _md(
            "These texts are shown when a situation needs people who can act on it (and, last,"
            " who to ask for consulting). Leave a box empty to use the configured text."
        )
    ]
    for key, label in RESOURCE_LABELS.items():
        blocks.append(
            InputBlock(
                block_id=ids.ADMIN_RESOURCE_BLOCK_PREFIX + key,
                label=label,
                optional=True,
                element=PlainTextInputElement(
                    action_id=ids.ADMIN_RESOURCE_BLOCK_PREFIX + key,
                    multiline=True,
                    initial_value=stored.get(key) or None,
                    placeholder=(effective.get(key) or "")[:150] or None,
                    max_length=RESOURCE_MAX,
                ),
            )
        )
    return View(
        type="modal",
        callback_id=ids.ADMIN_RESOURCES_VIEW,
        title="Escalation contacts",
        submit="Save",
        close="Cancel",
        blocks=blocks,
    )


def _effective_texts(deps: Deps) -> dict[str, str]:
    resources = live.resources(deps)
    texts = {kind.value: text for kind, text in resources.texts.items()}
    texts[live.CONSULTING_KEY] = resources.consulting_contact
    return texts


def open_topics(client: WebClient, deps: Deps, trigger_id: str) -> None:
    """The topics editor, filled with the list in use."""
    current = live.topics_text(live.mentoring(deps).taxonomy)
    client.views_open(trigger_id=trigger_id, view=topics_modal(current))


def open_resources(client: WebClient, deps: Deps, trigger_id: str) -> None:
    """The escalation contacts editor, filled with the admin's own texts."""
    stored = dict(deps.live.get(deps).resources_text)
    client.views_open(trigger_id=trigger_id, view=resources_modal(stored, _effective_texts(deps)))


def _input(body: dict[str, Any], block_id: str) -> str:
    values = ((body.get("view") or {}).get("state") or {}).get("values") or {}
    return str(((values.get(block_id) or {}).get(block_id) or {}).get("value") or "").strip()


def on_topics_submitted(ack: Ack, body: dict[str, Any], client: WebClient, deps: Deps) -> None:
    """Check and store the topic list; errors go next to the field."""
    team_id, user_id = _who(body)
    if not is_admin(client, deps, user_id):
        ack(response_action="update", view=notice_view("Mentoring topics", REFUSAL))
        return
    text = _input(body, ids.ADMIN_TOPICS_BLOCK)
    try:
        taxonomy = parse_topics(text)
    except SettingsError as err:
        problem = str(err).removeprefix(f"{err.variable}: ")
        ack(response_action="errors", errors={ids.ADMIN_TOPICS_BLOCK: problem[:150]})
        return
    with deps.sessions.begin() as session:
        if text:
            programme.put_setting(
                session, live.TOPICS_KEY, live.topics_text(taxonomy), now=deps.clock(), by=user_id
            )
        else:
            programme.drop_setting(session, live.TOPICS_KEY)
    deps.live.invalidate()
    count = len(live.mentoring(deps).taxonomy.topics)
    ack(
        response_action="update",
        view=notice_view("Mentoring topics", f"Saved: {count} topics are in use now."),
    )
    log.info("topics changed team=%s by=%s count=%d", team_id, user_id, count)


def on_resources_submitted(ack: Ack, body: dict[str, Any], client: WebClient, deps: Deps) -> None:
    """Store the escalation and consulting texts (an empty box uses the configured text)."""
    team_id, user_id = _who(body)
    if not is_admin(client, deps, user_id):
        ack(response_action="update", view=notice_view("Escalation contacts", REFUSAL))
        return
    texts = {
        key: value
        for key in RESOURCE_LABELS
        if (value := _input(body, ids.ADMIN_RESOURCE_BLOCK_PREFIX + key))
    }
    with deps.sessions.begin() as session:
        if texts:
            programme.put_setting(session, live.RESOURCES_KEY, texts, now=deps.clock(), by=user_id)
        else:
            programme.drop_setting(session, live.RESOURCES_KEY)
    deps.live.invalidate()
    ack(
        response_action="update",
        view=notice_view(
            "Escalation contacts",
            f"Saved: {len(texts)} of {len(RESOURCE_LABELS)} texts are your own; the rest use the"
            " configured text. The guidance answer uses them from now on.",
        ),
    )
    log.info("escalation texts changed team=%s by=%s own=%d", team_id, user_id, len(texts))


# entry points ----------------------------------------------------------------------------------
def admin_command(call: CommandCall) -> None:
    """`/coach-or-mentor admin [chart | export | match | topics | resources]`."""
    word = call.rest.split(" ", 1)[0].lower()
    client, deps = call.client, call.deps
    if word == "match":
        call.ack()
        open_match_preview(client, deps, call.trigger_id, call.team_id, call.user_id)
        return
    if not is_admin(client, deps, call.user_id):
        call.ack(response_type="ephemeral", text=REFUSAL)
        return
    if word in ("", "report", "health"):
        blocks = report_blocks(deps, call.team_id)
        call.ack(
            response_type="ephemeral",
            text="Programme health",
            blocks=blocks,
        )
    elif word == "topics":
        call.ack()
        open_topics(client, deps, call.trigger_id)
    elif word == "resources":
        call.ack()
        open_resources(client, deps, call.trigger_id)
    elif word in ("chart", "export"):
        call.ack(response_type="ephemeral", text="On its way to your DM with me.")
        send = send_chart if word == "chart" else send_export
        try:
            send(client, deps, call.team_id, call.user_id)
        except SlackApiError as err:
            log.warning(
                "admin upload failed user=%s error=%s", call.user_id, err.response.get("error")
            )
            call.respond(text=UPLOAD_FAILED, response_type="ephemeral")
    else:
        call.ack(response_type="ephemeral", text=USAGE)


def on_admin_button(
    ack: Ack, body: dict[str, Any], client: WebClient, respond: Respond, deps: Deps
) -> None:
    """Every admin button of the home tab and of the `admin` report."""
    ack()
    team_id, user_id = _who(body)
    action_id = str((body.get("actions") or [{}])[0].get("action_id") or "")
    trigger_id = str(body.get("trigger_id") or "")
    if action_id == ids.ADMIN_MATCH_ACTION:
        open_match_preview(client, deps, trigger_id, team_id, user_id)
        return
    if not is_admin(client, deps, user_id):
        _tell(client, body, respond, REFUSAL)
        return
    if action_id == ids.ADMIN_TOPICS_ACTION:
        open_topics(client, deps, trigger_id)
    elif action_id == ids.ADMIN_RESOURCES_ACTION:
        open_resources(client, deps, trigger_id)
    elif action_id in (ids.ADMIN_CHART_ACTION, ids.ADMIN_EXPORT_ACTION):
        send = send_chart if action_id == ids.ADMIN_CHART_ACTION else send_export
        try:
            send(client, deps, team_id, user_id)
        except SlackApiError as err:
            log.warning("admin upload failed user=%s error=%s", user_id, err.response.get("error"))
            _tell(client, body, respond, UPLOAD_FAILED)


def register(app: App, router: CommandRouter) -> None:
    """Wire the admin sub-command, buttons and modals."""
    router.add(
        Subcommand(
            "admin",
            "admin [chart | export | match | topics | resources]",
            "programme health and tools (admins only).",
            admin_command,
        )
    )
    buttons = (
        ids.ADMIN_CHART_ACTION,
        ids.ADMIN_EXPORT_ACTION,
        ids.ADMIN_MATCH_ACTION,
        ids.ADMIN_TOPICS_ACTION,
        ids.ADMIN_RESOURCES_ACTION,
    )
    # One listener for all five: Bolt runs every listener's matcher until one matches.
    app.action(re.compile("^(" + "|".join(map(re.escape, buttons)) + ")$"))(on_admin_button)
    app.view(ids.ADMIN_MATCH_VIEW)(on_match_confirmed)
    app.view(ids.ADMIN_TOPICS_VIEW)(on_topics_submitted)
    app.view(ids.ADMIN_RESOURCES_VIEW)(on_resources_submitted)
