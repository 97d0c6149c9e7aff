"""Coaching goals in Slack: `/coach-or-mentor goal` and `goals`, the goal modal, check-in buttons.

Goals are private: every action checks that the clicking person owns the goal.
"""

from __future__ import annotations

import logging
import re
from datetime import date, datetime, timedelta
from typing import Any

from slack_bolt import Ack, App, Respond
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.models.blocks import Block, ContextBlock, MarkdownTextObject, SectionBlock

from bot.goals import (
    AnswerVerdict,
    CheckinAnswer,
    GoalField,
    GoalForm,
    GoalStatus,
    Outcome,
    PauseReason,
    local_date,
    resolve_zone,
    spell_date,
    too_many_goals_message,
    validate_goal_form,
)
from bot.goals.messages import (
    ANSWER_LABELS,
    answer_refused,
    answer_reply,
    wrapup_message,
    wrapup_reply,
)
from handlers import goals_blocks, ids
from handlers.deps import Deps
from handlers.home import refresh_home, refresh_person, slack_user, store_person
from handlers.router import CommandCall, CommandRouter, Subcommand
from storage import events, people
from storage import goals as repo

log = logging.getLogger(__name__)

NOT_YOURS = "That goal is not one of yours, so I left it alone."
ENDED = "This goal has already ended, so there is nothing to change."
# A modal's view id is kept (in the event dedupe table, pruned after a day) so that the same
# submission arriving twice is stored once; a duplicate never comes a day later.
SUBMITTED_ONCE = timedelta(days=1)


# opening the modal -----------------------------------------------------------------------------
def _today(deps: Deps, team_id: str, user_id: str) -> date:
    """The person's local date, from the zone stored for them (UTC when unknown)."""
    with deps.sessions.begin() as session:
        person = people.get_person(session, team_id, user_id)
    zone = resolve_zone(person.tz_name if person else None, deps.settings.goals.limits.fallback_tz)
    return local_date(deps.clock(), zone.zone)


def _room_for_a_goal(deps: Deps, team_id: str, user_id: str) -> str | None:
    """Why the person cannot add a goal now, or None."""
    with deps.sessions.begin() as session:
        count = repo.count_active_goals(session, team_id, user_id)
    return too_many_goals_message(count, deps.settings.goals.limits)


def open_goal_modal(
    client: WebClient, deps: Deps, trigger_id: str, team_id: str, user_id: str
) -> str | None:
    """Open the new-goal modal; returns why not (too many goals) instead when it cannot."""
    refusal = _room_for_a_goal(deps, team_id, user_id)
    if refusal is not None:
        return refusal
    view = goals_blocks.goal_modal(_today(deps, team_id, user_id))
    client.views_open(trigger_id=trigger_id, view=view)
    return None


def _goal_command(call: CommandCall) -> None:
    """`/coach-or-mentor goal`: the goal modal (acked before views.open: a slow Slack must not
    use up the 3 s Slack gives the command's answer)."""
    refusal = _room_for_a_goal(call.deps, call.team_id, call.user_id)
    if refusal is not None:
        call.ack(response_type="ephemeral", text=refusal)
        return
    call.ack()
    view = goals_blocks.goal_modal(_today(call.deps, call.team_id, call.user_id))
    call.client.views_open(trigger_id=call.trigger_id, view=view)
    _refresh_later(call.client, call.deps, call.team_id, call.user_id)


def _goals_command(call: CommandCall) -> None:
    """`/coach-or-mentor goals`: my open goals with their buttons."""
    blocks = _list_blocks(call.deps, call.team_id, call.user_id)
    call.ack(
        response_type="ephemeral",
        text="Your coaching goals",
        blocks=[block.to_dict() for block in blocks],
    )


def _list_blocks(deps: Deps, team_id: str, user_id: str) -> list[Block]:
    """The person's open goals as blocks."""
    with deps.sessions.begin() as session:
        goals = repo.goals_of(session, team_id, user_id)
        next_due = {goal.id: repo.next_due(session, goal.id) for goal in goals}
    return goals_blocks.goal_list_blocks(goals, next_due)


# the goal modal --------------------------------------------------------------------------------
def _state_value(values: dict[str, Any], field: GoalField) -> str | None:
    """One field of the submitted goal modal, whatever its element type."""
    element = (values.get(ids.goal_block(field.value)) or {}).get(ids.GOAL_FIELD_ACTION) or {}
    if "selected_option" in element:
        return str((element.get("selected_option") or {}).get("value") or "") or None
    for key in ("value", "selected_date", "selected_time", "selected_user"):
        if key in element:
            return str(element.get(key) or "") or None
    return None


def parse_goal_form(view: dict[str, Any]) -> GoalForm:
    """The goal modal's values, as the core's form."""
    values = (view.get("state") or {}).get("values") or {}
    return GoalForm(
        title=_state_value(values, GoalField.TITLE),
        success=_state_value(values, GoalField.SUCCESS),
        end_date=_state_value(values, GoalField.END_DATE),
        cadence=_state_value(values, GoalField.CADENCE),
        weekday=_state_value(values, GoalField.WEEKDAY),
        local_time=_state_value(values, GoalField.LOCAL_TIME),
        coach_id=_state_value(values, GoalField.COACH),
    )


FRESH_PERSON = timedelta(hours=1)
PRE_ACK_TIMEOUT_S = 1


def _impatient(client: WebClient) -> WebClient:
    """The same client, one short try: a call made before ack shares Slack's 3 s with the rest."""
    return WebClient(
        token=client.token, base_url=client.base_url, timeout=PRE_ACK_TIMEOUT_S, retry_handlers=[]
    )


def _fresh(person: people.Person | None, now: datetime) -> bool:
    """Whether Slack told us about the person lately enough to trust the stored copy."""
    return person is not None and now - person.updated_at < FRESH_PERSON


def _slack_person(
    client: WebClient, deps: Deps, team_id: str, user_id: str
) -> people.Person | None:
    """The person (zone, bot flag): stored if refreshed lately, else from users.info; the stored
    copy when Slack fails or is slow."""
    with deps.sessions.begin() as session:
        stored = people.get_person(session, team_id, user_id)
    if _fresh(stored, deps.clock()):
        return stored
    try:
        return refresh_person(_impatient(client), deps, team_id, user_id)
    except SlackApiError as err:
        log.warning("users.info failed user=%s error=%s", user_id, err.response.get("error"))
    except OSError as err:  # timed out or unreachable: the stored copy will do
        log.warning("users.info failed user=%s error=%s", user_id, type(err).__name__)
    return stored


def _refresh_later(client: WebClient, deps: Deps, team_id: str, user_id: str) -> None:
    """Ask Slack for the person's zone after the modal is open, so the submission need not."""
    try:
        refresh_person(client, deps, team_id, user_id)
    except SlackApiError as err:
        log.warning("users.info failed user=%s error=%s", user_id, err.response.get("error"))


def _zone_from_slack(client: WebClient, user_id: str) -> dict[str, Any] | None:
    """users.info's user after the ack (the usual timeout and retries); None when Slack fails.

    The caller stores it (store_person) in the transaction that confirms the goal's zone.
    """
    try:
        return slack_user(client, user_id)
    except SlackApiError as err:
        log.warning("users.info failed user=%s error=%s", user_id, err.response.get("error"))
    except OSError as err:
        log.warning("users.info failed user=%s error=%s", user_id, type(err).__name__)
    return None


def on_goal_submitted(
    ack: Ack, body: dict[str, Any], view: dict[str, Any], client: WebClient, deps: Deps
) -> None:
    """Validate the goal modal; errors go next to their fields, a good goal is stored.

    Nothing waits on Slack before the ack (a coach not seen lately aside, whose bot flag the
    form checks): the goal is stored in the zone we have for the person, and when that copy is
    missing or old Slack is asked right after the ack and the goal follows its answer before the
    confirmation DM goes out. If Slack does not answer, the goal keeps the stand-in zone, the DM
    says so when it is UTC, and the dispatcher asks Slack again before the first check-in.
    """
    user_id = str((body.get("user") or {}).get("id") or "")
    team_id = str((body.get("team") or {}).get("id") or "")
    editing = int(view.get("private_metadata") or 0) or None
    form = parse_goal_form(view)
    coach = _slack_person(client, deps, team_id, form.coach_id) if form.coach_id else None
    limits = deps.settings.goals.limits
    now = deps.clock()
    with deps.sessions.begin() as session:
        person = people.get_person(session, team_id, user_id)
        zone = resolve_zone(person.tz_name if person else None, limits.fallback_tz)
        confirmed = _fresh(person, now)
        repo.lock_person(session, team_id, user_id)
        if editing is not None:
            goal = repo.get_goal(session, editing)
            if goal is None or goal.user_id != user_id or not goal.status.is_open:
                ack(response_action="errors", errors={ids.goal_block("title"): ENDED})
                return
        others = repo.count_active_goals(session, team_id, user_id, exclude_goal_id=editing)
        result = validate_goal_form(
            form,
            today_local=local_date(now, zone.zone),
            limits=limits,
            person_id=user_id,
            coach_is_bot=bool(coach and (coach.is_bot or coach.deleted)),
            active_goal_count=others,
        )
        if isinstance(result, dict):
            errors = {ids.goal_block(field.value): text for field, text in result.items()}
            ack(response_action="errors", errors=errors)
            return
        if not _first_submission(session, view, team_id, now):
            ack()  # the same modal again (a double click, a second replica): stored already
            return
        if editing is not None:
            stored = repo.edit_goal(session, editing, result, now, limits)
        else:
            stored = repo.create_goal(
                session,
                team_id=team_id,
                user_id=user_id,
                spec=result,
                tz_name=zone.zone.key,
                now=now,
                limits=limits,
                zone_confirmed=confirmed,
            )
        next_due = repo.next_due(session, stored.id) if stored and confirmed else None
    ack()
    if stored is None:
        return
    fell_back = zone.fell_back
    if not confirmed:
        user = _zone_from_slack(client, user_id)
        # One transaction stores what Slack said and re-times the goal by it.
        with deps.sessions.begin() as session:
            fresh = (
                store_person(session, deps, team_id, user_id, user) if user is not None else None
            )
            if fresh is not None:
                fell_back = resolve_zone(fresh.tz_name, limits.fallback_tz).fell_back
            if fresh is not None and editing is None:
                stored = (
                    repo.confirm_zone(
                        session,
                        stored.id,
                        fresh.tz_name,
                        created_at=now,
                        now=deps.clock(),
                        limits=limits,
                    )
                    or stored
                )
            next_due = repo.next_due(session, stored.id)
    channel = _confirm(client, stored, next_due, fell_back, editing is not None)
    goal_id = stored.id
    refresh_home(
        client,
        deps,
        team_id,
        user_id,
        # the DM channel is remembered in the transaction that reads the home
        also=(lambda session: repo.remember_dm_channel(session, goal_id, channel))
        if channel
        else None,
    )
    if editing is None:
        _tell_coach(client, stored)


def _first_submission(session: Any, view: dict[str, Any], team_id: str, now: datetime) -> bool:
    """Whether this modal (by its view id) is being stored for the first time."""
    view_id = str(view.get("id") or "")
    if not view_id:
        return True
    return events.claim_event(
        session, event_id=f"view:{view_id}", team_id=team_id, now=now, in_flight=SUBMITTED_ONCE
    )


def _confirm(
    client: WebClient,
    goal: repo.Goal,
    next_due: Any,
    fell_back: bool,
    edited: bool,
) -> str:
    """DM the person what was set; the DM's channel ("" if Slack gave none), for the caller to
    remember."""
    spec = goal.spec
    title = goals_blocks.escape(spec.title)
    lines = [f"{'Updated' if edited else 'Your coaching goal is set'}: *{title}*"]
    if next_due is not None:
        lines.append(
            f"First check-in: <!date^{int(next_due.timestamp())}^{{date_long}} at {{time}}|soon>."
        )
    lines.append(f"End date: {spell_date(spec.end_date)}.")
    if fell_back:
        lines.append("Slack did not tell me your time zone, so I am using UTC for now.")
    response = client.chat_postMessage(
        channel=goal.user_id,
        text=f"Coaching goal {'updated' if edited else 'set'}",
        blocks=[SectionBlock(text=MarkdownTextObject(text="\n".join(lines)))],
    )
    return str(response.get("channel") or "")


def _tell_coach(client: WebClient, goal: repo.Goal) -> None:
    """Tell the coach of a new goal that they were added."""
    title = goals_blocks.escape(goal.spec.title)
    if goal.spec.coach_id:
        client.chat_postMessage(
            channel=goal.spec.coach_id,
            text="You were added as a coach",
            blocks=[
                SectionBlock(
                    text=MarkdownTextObject(
                        text=f"<@{goal.user_id}> added you as their coach for *{title}*."
                        " I will send you a short summary of their check-ins."
                    )
                )
            ],
        )


# check-in answers ------------------------------------------------------------------------------
def _value(body: dict[str, Any]) -> int:
    """The number carried by the clicked button (0 when missing)."""
    action = (body.get("actions") or [{}])[0]
    raw = str(action.get("value") or "")
    return int(raw) if raw.isdigit() else 0


def _action_suffix(body: dict[str, Any], prefix: str) -> str:
    """What follows the prefix in the clicked button's action id."""
    action_id = str((body.get("actions") or [{}])[0].get("action_id") or "")
    return action_id.removeprefix(prefix)


def _user(body: dict[str, Any]) -> str:
    return str((body.get("user") or {}).get("id") or "")


def _team(body: dict[str, Any]) -> str:
    return str((body.get("team") or {}).get("id") or (body.get("user") or {}).get("team_id") or "")


def on_answer(
    ack: Ack, body: dict[str, Any], client: WebClient, respond: Respond, deps: Deps
) -> None:
    """Record a check-in answer once; a second click or an ended goal gets a clear note."""
    ack()
    try:
        answer = CheckinAnswer(_action_suffix(body, ids.GOAL_ANSWER_PREFIX))
    except ValueError:
        return
    with deps.sessions.begin() as session:
        result = repo.record_answer(session, _value(body), _user(body), answer, deps.clock())
    if result.verdict is not AnswerVerdict.RECORD:
        respond(
            response_type="ephemeral", replace_original=False, text=answer_refused(result.verdict)
        )
        return
    goal_id = result.goal.id if result.goal else 0
    reply = answer_reply(answer)
    blocks = goals_blocks.render(reply, goals_blocks.goal_actions(goal_id))
    label = ANSWER_LABELS[answer]
    blocks.insert(0, ContextBlock(elements=[MarkdownTextObject(text=f"You answered: *{label}*")]))
    respond(
        response_type="ephemeral",
        replace_original=False,
        text=goals_blocks.escape(reply.summary),
        blocks=[block.to_dict() for block in blocks],
    )
    refresh_home(client, deps, _team(body), _user(body))


def on_note_button(ack: Ack, body: dict[str, Any], client: WebClient) -> None:
    """Open the "add a note" modal."""
    ack()
    client.views_open(
        trigger_id=str(body.get("trigger_id")), view=goals_blocks.note_modal(_value(body))
    )


def _text_of(view: dict[str, Any], block_id: str) -> str:
    values = (view.get("state") or {}).get("values") or {}
    element = (values.get(block_id) or {}).get(ids.GOAL_FIELD_ACTION) or {}
    return str(element.get("value") or "").strip()


def on_note_submitted(ack: Ack, body: dict[str, Any], view: dict[str, Any], deps: Deps) -> None:
    """Store the note on the check-in."""
    note = _text_of(view, ids.GOAL_NOTE_BLOCK)
    if not note:
        ack(response_action="errors", errors={ids.GOAL_NOTE_BLOCK: "Write a few words first."})
        return
    checkin_id = int(view.get("private_metadata") or 0)
    with deps.sessions.begin() as session:
        saved = repo.add_note(session, checkin_id, _user(body), note[:1000], deps.clock())
    if not saved:
        ack(response_action="errors", errors={ids.GOAL_NOTE_BLOCK: ENDED})
        return
    ack()


# wrap-up ---------------------------------------------------------------------------------------
def on_wrapup_now(ack: Ack, body: dict[str, Any], respond: Respond, deps: Deps) -> None:
    """ "Wrap up the goal" after a Done: show the outcome question."""
    ack()
    with deps.sessions.begin() as session:
        goal = repo.get_goal(session, _value(body))
    if goal is None or goal.user_id != _user(body):
        respond(response_type="ephemeral", replace_original=False, text=NOT_YOURS)
        return
    if goal.outcome is not None or goal.status is GoalStatus.ABANDONED:
        respond(response_type="ephemeral", replace_original=False, text=ENDED)
        return
    blocks = goals_blocks.wrapup_blocks(wrapup_message(goal.spec), goal.id)
    respond(
        response_type="ephemeral",
        replace_original=False,
        text="How did it go?",
        blocks=[block.to_dict() for block in blocks],
    )


def on_outcome(
    ack: Ack, body: dict[str, Any], client: WebClient, respond: Respond, deps: Deps
) -> None:
    """Record the wrap-up outcome once and offer what comes next."""
    ack()
    try:
        outcome = Outcome(_action_suffix(body, ids.GOAL_OUTCOME_PREFIX))
    except ValueError:
        return
    goal_id = _value(body)
    with deps.sessions.begin() as session:
        verdict = repo.record_outcome(session, goal_id, _user(body), outcome, deps.clock())
    if verdict is not AnswerVerdict.RECORD:
        text = (
            "You have already wrapped up this goal, so nothing changed."
            if verdict is AnswerVerdict.ALREADY_ANSWERED
            else answer_refused(verdict)
        )
        respond(response_type="ephemeral", replace_original=False, text=text)
        return
    reply = wrapup_reply(outcome)
    blocks = goals_blocks.render(reply, goals_blocks.goal_actions(goal_id))
    respond(
        response_type="ephemeral",
        replace_original=False,
        text=goals_blocks.escape(reply.summary),
        blocks=[block.to_dict() for block in blocks],
    )
    refresh_home(client, deps, _team(body), _user(body))


def on_helped_button(ack: Ack, body: dict[str, Any], client: WebClient) -> None:
    """Open the "what helped" modal."""
    ack()
    client.views_open(
        trigger_id=str(body.get("trigger_id")), view=goals_blocks.helped_modal(_value(body))
    )


def on_helped_submitted(ack: Ack, body: dict[str, Any], view: dict[str, Any], deps: Deps) -> None:
    """Store what helped."""
    text = _text_of(view, ids.GOAL_HELPED_BLOCK)
    if not text:
        ack(response_action="errors", errors={ids.GOAL_HELPED_BLOCK: "Write a few words first."})
        return
    with deps.sessions.begin() as session:
        saved = repo.record_what_helped(
            session, int(view.get("private_metadata") or 0), _user(body), text[:1000]
        )
    if not saved:
        ack(response_action="errors", errors={ids.GOAL_HELPED_BLOCK: NOT_YOURS})
        return
    ack()


def on_new_goal(
    ack: Ack, body: dict[str, Any], client: WebClient, respond: Respond, deps: Deps
) -> None:
    """ "Set a coaching goal" (from the guidance answer, the wrap-up or the list)."""
    ack()
    refusal = open_goal_modal(client, deps, str(body.get("trigger_id")), _team(body), _user(body))
    if refusal is None:
        _refresh_later(client, deps, _team(body), _user(body))
        return
    if body.get("response_url"):
        respond(response_type="ephemeral", replace_original=False, text=refusal)
    else:  # the home tab has no conversation to answer in
        client.views_open(
            trigger_id=str(body.get("trigger_id")), view=goals_blocks.notice_modal(refusal)
        )


# managing a goal -------------------------------------------------------------------------------
def on_edit(
    ack: Ack, body: dict[str, Any], client: WebClient, respond: Respond, deps: Deps
) -> None:
    """Open the goal modal filled in with the goal."""
    ack()
    with deps.sessions.begin() as session:
        goal = repo.get_goal(session, _value(body))
    if goal is None or goal.user_id != _user(body):
        respond(response_type="ephemeral", replace_original=False, text=NOT_YOURS)
        return
    if not goal.status.is_open:
        respond(response_type="ephemeral", replace_original=False, text=ENDED)
        return
    today = _today(deps, goal.team_id, goal.user_id)
    view = goals_blocks.goal_modal(today, goal.spec, goal.id)
    client.views_open(trigger_id=str(body.get("trigger_id")), view=view)


_CHANGES = {
    ids.GOAL_PAUSE_ACTION: "Paused. I will not send check-ins until you resume it.",
    ids.GOAL_RESUME_ACTION: "Resumed. Your check-ins carry on from the next one.",
    ids.GOAL_FINISH_ACTION: "Finished. Well done for seeing it through.",
    ids.GOAL_ABANDON_ACTION: "Dropped. No more check-ins for this goal.",
}


def on_change(
    ack: Ack, body: dict[str, Any], client: WebClient, respond: Respond, deps: Deps
) -> None:
    """Pause, resume, finish or drop a goal (each a compare-and-set: a double click is a no-op)."""
    ack()
    action_id = str((body.get("actions") or [{}])[0].get("action_id") or "")
    goal_id, user_id, now = _value(body), _user(body), deps.clock()
    limits = deps.settings.goals.limits
    with deps.sessions.begin() as session:
        goal = repo.get_goal(session, goal_id)
        if goal is None or goal.user_id != user_id:
            changed, text = False, NOT_YOURS
        else:
            if action_id == ids.GOAL_RESUME_ACTION:
                repo.lock_person(session, goal.team_id, user_id)  # count, then resume
                room = repo.count_active_goals(session, goal.team_id, user_id)
                refusal = too_many_goals_message(room, limits)
                if refusal is not None and goal.status is GoalStatus.PAUSED:
                    changed = False
                    text = refusal
                else:
                    changed = repo.resume_goal(session, goal_id, now, limits)
                    text = ""
            elif action_id == ids.GOAL_PAUSE_ACTION:
                changed = repo.pause_goal(session, goal_id, PauseReason.BY_USER, now)
                text = ""
            elif action_id == ids.GOAL_FINISH_ACTION:
                changed = repo.finish_goal(session, goal_id, now)
                text = ""
            else:
                changed = repo.abandon_goal(session, goal_id, now)
                text = ""
            if not text:
                done = _CHANGES[action_id]
                text = done if changed else f"Nothing changed: this goal is already {_state(goal)}."
    container = body.get("container") or {}
    if changed and container.get("is_ephemeral"):
        blocks = _list_blocks(deps, goal.team_id if goal else "", user_id)
        respond(
            replace_original=True,
            text="Your coaching goals",
            blocks=[block.to_dict() for block in blocks],
        )
    respond(response_type="ephemeral", replace_original=False, text=text)
    if changed:
        refresh_home(client, deps, _team(body), user_id)


def _state(goal: repo.Goal) -> str:
    """A goal's state in words."""
    return {
        GoalStatus.ACTIVE: "active",
        GoalStatus.PAUSED: "paused",
        GoalStatus.FINISHED: "finished",
        GoalStatus.ABANDONED: "dropped",
    }[goal.status]


def register(app: App, router: CommandRouter) -> None:
    """Wire the goal sub-commands, the modal and every goal button."""
    router.add(
        Subcommand(
            "goal", "goal", "sets a time-limited coaching goal with check-ins.", _goal_command
        )
    )
    router.add(
        Subcommand(
            "goals", "goals", "lists your coaching goals: edit, pause, finish.", _goals_command
        )
    )
    app.view(ids.GOAL_MODAL_VIEW)(on_goal_submitted)
    app.view(ids.GOAL_NOTE_VIEW)(on_note_submitted)
    app.view(ids.GOAL_HELPED_VIEW)(on_helped_submitted)
    app.action(re.compile("^" + re.escape(ids.GOAL_ANSWER_PREFIX)))(on_answer)
    app.action(re.compile("^" + re.escape(ids.GOAL_OUTCOME_PREFIX)))(on_outcome)
    app.action(ids.GOAL_NOTE_ACTION)(on_note_button)
    app.action(ids.GOAL_HELPED_ACTION)(on_helped_button)
    app.action(ids.GOAL_WRAPUP_ACTION)(on_wrapup_now)
    app.action(ids.GOAL_NEW_ACTION)(on_new_goal)
    router.offer(ids.GOAL_NEW_ACTION)
    app.action(ids.GOAL_EDIT_ACTION)(on_edit)
    for action_id in _CHANGES:
        app.action(action_id)(on_change)
