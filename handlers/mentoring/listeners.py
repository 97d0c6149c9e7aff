"""Mentoring listeners: sub-commands, modals, and the buttons in mentoring DMs."""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping
from typing import Any

from slack_bolt import Ack, App, Respond
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.mentoring import MentorProfile
from bot.mentoring.forms import validate_mentor_form, validate_request_form
from bot.mentoring.lifecycle import AcceptOutcome, CheckinAnswer, ProposalStatus
from handlers import ids
from handlers.deps import Deps
from handlers.home import refresh_home, refresh_person
from handlers.mentoring import flow, views
from handlers.router import CommandCall, CommandRouter, Subcommand
from storage import mentoring as repo
from storage.people import get_person

log = logging.getLogger(__name__)

MENTOR_USAGE = (
    "Use `/coach-or-mentor mentor` to sign up or edit your profile, and"
    " `/coach-or-mentor mentor pause`, `resume` or `leave`."
)
REQUEST_USAGE = (
    "Use `/coach-or-mentor find-mentor` to ask for a mentor (or change your request), and"
    " `/coach-or-mentor find-mentor withdraw` to withdraw it."
)


# Payload parsing ------------------------------------------------------------------------------
def _who(body: Mapping[str, Any]) -> tuple[str, str]:
    """(team_id, user_id) of an interaction."""
    user = body.get("user") or {}
    team = str(user.get("team_id") or (body.get("team") or {}).get("id") or "")
    return team, str(user.get("id") or "")


def _action(body: Mapping[str, Any]) -> Mapping[str, Any]:
    actions = body.get("actions") or [{}]
    first: Mapping[str, Any] = actions[0]
    return first


def _int(value: Any) -> int | None:
    text = str(value or "").strip()
    return int(text) if text.isascii() and text.isdigit() else None


def _values(body: Mapping[str, Any]) -> Mapping[str, Any]:
    values: Mapping[str, Any] = ((body.get("view") or {}).get("state") or {}).get("values") or {}
    return values


def _tz(deps: Deps, team_id: str, user_id: str, fallback: str) -> str:
    """The time zone Slack last told us for this person."""
    with deps.sessions.begin() as s:
        person = get_person(s, team_id, user_id)
    return (person.tz_name if person else None) or fallback


def _refresh_tz(client: WebClient, deps: Deps, team_id: str, user_id: str) -> None:
    """Ask Slack for the person's time zone (after the modal is open)."""
    try:
        refresh_person(client, deps, team_id, user_id)
    except SlackApiError as err:
        log.warning("users.info failed user=%s error=%s", user_id, err.response.get("error"))


# Opening the modals ---------------------------------------------------------------------------
def open_signup(client: WebClient, deps: Deps, team_id: str, user_id: str, trigger_id: str) -> None:
    """Open the sign-up modal, filled with the saved profile."""
    with deps.sessions.begin() as s:
        record = repo.get_mentor(s, team_id, user_id)
    saved = record.profile if record else None
    client.views_open(
        trigger_id=trigger_id,
        view=views.signup_modal_json(flow.settings_of(deps).taxonomy, saved),
    )
    _refresh_tz(client, deps, team_id, user_id)


def open_request(
    client: WebClient, deps: Deps, team_id: str, user_id: str, trigger_id: str
) -> None:
    """Open the request modal: the open request to edit, or a new one prefilled from the last."""
    with deps.sessions.begin() as s:
        current = repo.get_open_request(s, team_id, user_id)
        last = current or repo.latest_request(s, team_id, user_id)
    client.views_open(
        trigger_id=trigger_id,
        view=views.request_modal(
            flow.settings_of(deps).taxonomy,
            last.request if last else None,
            editing=current is not None,
        ),
    )
    _refresh_tz(client, deps, team_id, user_id)


def on_open_signup(ack: Ack, body: dict[str, Any], client: WebClient, deps: Deps) -> None:
    """The 'Become a mentor' button (from the guidance answer or elsewhere)."""
    ack()
    team_id, user_id = _who(body)
    open_signup(client, deps, team_id, user_id, str(body.get("trigger_id") or ""))


def on_open_request(ack: Ack, body: dict[str, Any], client: WebClient, deps: Deps) -> None:
    """The 'Find me a mentor' button (guidance answer, rematch offers)."""
    ack()
    team_id, user_id = _who(body)
    open_request(client, deps, team_id, user_id, str(body.get("trigger_id") or ""))


# Sub-commands ---------------------------------------------------------------------------------
def mentor_command(call: CommandCall) -> None:
    """`mentor [pause | resume | leave]`."""
    word = call.rest.split(" ", 1)[0].lower()
    if word in ("", "edit", "signup", "sign-up"):
        call.ack()
        open_signup(call.client, call.deps, call.team_id, call.user_id, call.trigger_id)
        return
    if word in ("pause", "resume"):
        _pause(call, paused=word == "pause")
        return
    if word == "leave":
        _leave(call)
        return
    call.ack(response_type="ephemeral", text=MENTOR_USAGE)


def _pause(call: CommandCall, *, paused: bool) -> None:
    deps = call.deps
    with deps.sessions.begin() as s:
        changed = repo.set_mentor_paused(
            s, call.team_id, call.user_id, paused=paused, now=deps.clock()
        )
    if not changed:
        call.ack(
            response_type="ephemeral", text="You're not signed up as a mentor. " + MENTOR_USAGE
        )
        return
    text = (
        "Paused. I won't propose anyone new to you; your current mentees stay with you."
        " `/coach-or-mentor mentor resume` when you're ready."
        if paused
        else "Welcome back! I'll propose people to you again."
    )
    call.ack(response_type="ephemeral", text=text)
    if not paused and flow.settings_of(deps).instant:
        flow.run_round(deps, call.client, call.team_id)
    refresh_home(call.client, deps, call.team_id, call.user_id)


def _leave(call: CommandCall) -> None:
    deps = call.deps
    with deps.sessions.begin() as s:
        record = repo.get_mentor(s, call.team_id, call.user_id)
        pairs = repo.pairs_of(s, call.team_id, call.user_id)
    if record is None or record.left:
        call.ack(response_type="ephemeral", text="You're not signed up as a mentor.")
        return
    mine = [p for p in pairs if p.mentor_id == call.user_id]
    told = (
        f" I'll let your {len(mine)} mentee{'s' if len(mine) != 1 else ''} know and offer"
        " them someone new."
        if mine
        else ""
    )
    call.ack(
        response_type="ephemeral",
        text=f"You've left the mentoring programme. Thank you for all you gave!{told}"
        " You can sign up again any time with `/coach-or-mentor mentor`.",
    )
    flow.mentor_left(deps, call.client, call.team_id, call.user_id)
    refresh_home(call.client, deps, call.team_id, call.user_id)


def request_command(call: CommandCall) -> None:
    """`find-mentor [withdraw]` (alias `request`)."""
    word = call.rest.split(" ", 1)[0].lower()
    if word in ("", "edit"):
        call.ack()
        open_request(call.client, call.deps, call.team_id, call.user_id, call.trigger_id)
        return
    if word in ("withdraw", "cancel"):
        _withdraw(call)
        return
    call.ack(response_type="ephemeral", text=REQUEST_USAGE)


def _withdraw(call: CommandCall) -> None:
    deps = call.deps
    with deps.sessions.begin() as s:
        withdrawal = repo.withdraw_request(s, call.team_id, call.user_id, deps.clock())
    if withdrawal is None:
        call.ack(response_type="ephemeral", text="You have no open request to withdraw.")
        return
    call.ack(
        response_type="ephemeral",
        text="Done: your request is withdrawn. Ask again any time with"
        " `/coach-or-mentor find-mentor`.",
    )
    if withdrawal.proposal:
        flow.tidy_withdrawn(call.client, withdrawal.proposal)
    refresh_home(call.client, deps, call.team_id, call.user_id)


def mentoring_command(call: CommandCall) -> None:
    """`mentoring [status | end]`: where you stand, with a button to end each pair."""
    deps = call.deps
    with deps.sessions.begin() as s:
        mentor = repo.get_mentor(s, call.team_id, call.user_id)
        request = repo.get_open_request(s, call.team_id, call.user_id)
        waiting = bool(request and repo.pending_proposal(s, request.id))
        pairs = repo.pairs_of(s, call.team_id, call.user_id)
    text, blocks = views.status_message(
        user_id=call.user_id,
        mentor=mentor,
        request=request,
        waiting_on_mentor=waiting,
        pairs=pairs,
        taxonomy=flow.settings_of(deps).taxonomy,
    )
    call.ack(response_type="ephemeral", text=text, blocks=blocks)


# Modal submissions ----------------------------------------------------------------------------
def on_signup_submit(ack: Ack, body: dict[str, Any], client: WebClient, deps: Deps) -> None:
    """Validate the sign-up; errors go next to the fields, a valid profile is saved."""
    team_id, user_id = _who(body)
    cfg = flow.settings_of(deps)
    with deps.sessions.begin() as s:
        existing = repo.get_mentor(s, team_id, user_id)
    saved = existing.profile if existing else None
    result = validate_mentor_form(
        user_id=user_id,
        **views.read_signup(_values(body)),
        tz_name=_tz(deps, team_id, user_id, saved.tz_name if saved else ""),
        paused=bool(saved and existing and not existing.left and saved.paused),
        taxonomy=cfg.taxonomy,
    )
    if not isinstance(result, MentorProfile):
        ack(response_action="errors", errors=views.form_errors(result))
        return
    with deps.sessions.begin() as s:
        created = repo.save_mentor(s, team_id=team_id, profile=result, now=deps.clock())
    ack(response_action="update", view=views.done_view("Thank you", _signup_done(result, created)))
    if cfg.instant and result.effective_capacity > 0:
        flow.run_round(deps, client, team_id)
    refresh_home(client, deps, team_id, user_id)


def _signup_done(profile: MentorProfile, created: bool) -> str:
    first = "You're signed up as a mentor. Thank you!" if created else "Your profile is saved."
    if profile.effective_capacity == 0:
        return (
            f"{first} You're paused for now, so I won't propose anyone."
            " `/coach-or-mentor mentor resume` when you have room."
        )
    return (
        f"{first} When someone who fits asks for a mentor, I'll DM you what they hope for and"
        " you decide. " + MENTOR_USAGE
    )


def on_request_submit(ack: Ack, body: dict[str, Any], client: WebClient, deps: Deps) -> None:
    """Validate the request; one open request per person (a second submit edits it)."""
    team_id, user_id = _who(body)
    cfg = flow.settings_of(deps)
    now = deps.clock()
    # One transaction reads the person's zone, and stores the request when the form is valid.
    with deps.sessions.begin() as s:
        person = get_person(s, team_id, user_id)
        result = validate_request_form(
            request_id="",
            mentee_id=user_id,
            **views.read_request(_values(body)),
            tz_name=(person.tz_name if person else None) or "",
            taxonomy=cfg.taxonomy,
        )
        if isinstance(result, dict):
            ack(response_action="errors", errors=views.form_errors(result))
            return
        record, inserted = repo.save_open_request(s, team_id=team_id, request=result, now=now)
        edited = not inserted
        # A request inserted by this transaction has no proposal yet: nothing to read.
        waiting = not inserted and repo.pending_proposal(s, record.id) is not None
    ack(
        response_action="update",
        view=views.done_view("Thank you", _request_done(cfg, edited, waiting)),
    )
    if cfg.instant and not waiting:
        flow.propose_now(deps, client, record.id)
    refresh_home(client, deps, team_id, user_id)


def _request_done(cfg: Any, edited: bool, waiting: bool) -> str:
    if waiting:
        return (
            "Your request is saved. I've already asked a mentor, who saw it as it was; I'll"
            " message you when they answer."
        )
    first = "Your request is saved." if edited else "Thanks! I'm on it."
    when = (
        "I'm asking the mentor who fits best now."
        if cfg.instant
        else f"The next matching round runs within {cfg.round_every_hours} hours."
    )
    return (
        f"{first} {when} I always ask a mentor first, and I'll message you both in a group DM"
        " once they say yes."
    )


# Consent --------------------------------------------------------------------------------------
def on_accept(
    ack: Ack, body: dict[str, Any], client: WebClient, respond: Respond, deps: Deps
) -> None:
    """Accept: only the first click in time pairs and introduces."""
    ack()
    _, user_id = _who(body)
    proposal_id = _int(_action(body).get("value"))
    if proposal_id is None:
        respond(text="I can't find this request any more.", replace_original=False)
        return
    outcome, message = flow.accept(deps, client, proposal_id, user_id)
    respond(
        text=message,
        blocks=views.plain(message),
        replace_original=outcome is not AcceptOutcome.NOT_YOURS,
    )


def on_decline(
    ack: Ack, body: dict[str, Any], client: WebClient, respond: Respond, deps: Deps
) -> None:
    """Decline: ask for an optional reason first (nothing changes until it is submitted)."""
    ack()
    _, user_id = _who(body)
    proposal_id = _int(_action(body).get("value"))
    with deps.sessions.begin() as s:
        proposal = repo.get_proposal(s, proposal_id) if proposal_id is not None else None
    if proposal is None or proposal.mentor_id != user_id:
        respond(text="This request was meant for someone else.", replace_original=False)
        return
    if proposal.status is not ProposalStatus.PENDING:
        outcome = {
            ProposalStatus.ACCEPTED: AcceptOutcome.ALREADY_ACCEPTED,
            ProposalStatus.DECLINED: AcceptOutcome.DECLINED,
            ProposalStatus.EXPIRED: AcceptOutcome.EXPIRED,
            ProposalStatus.WITHDRAWN: AcceptOutcome.WITHDRAWN,
        }[proposal.status]
        message = flow.decline_message(outcome, proposal.mentee_id)
        respond(text=message, blocks=views.plain(message), replace_original=False)
        return
    client.views_open(
        trigger_id=str(body.get("trigger_id") or ""),
        view=views.decline_modal(proposal.id, proposal.mentee_id),
    )


def on_decline_submit(ack: Ack, body: dict[str, Any], client: WebClient, deps: Deps) -> None:
    """The decline modal: record the decline (and reason), then ask the next mentor."""
    _, user_id = _who(body)
    proposal_id = _int((body.get("view") or {}).get("private_metadata"))
    state = _values(body).get(ids.MENTORING_DECLINE_REASON_BLOCK) or {}
    reason = str((state.get(ids.MENTORING_DECLINE_REASON_BLOCK) or {}).get("value") or "")
    if proposal_id is None:
        ack(response_action="update", view=views.done_view("Decline", "I can't find this request."))
        return
    with deps.sessions.begin() as s:
        result = repo.decline_proposal(s, proposal_id, user_id, deps.clock(), reason=reason[:2000])
    proposal = result.proposal
    if result.outcome is not AcceptOutcome.DECLINED or proposal is None:
        message = flow.decline_message(result.outcome, proposal.mentee_id if proposal else "")
        ack(response_action="update", view=views.done_view("Decline", message))
        return
    ack()
    flow.after_decline(deps, client, proposal)
    refresh_home(client, deps, proposal.team_id, user_id)


# Pairs ----------------------------------------------------------------------------------------
def on_end(ack: Ack, body: dict[str, Any], client: WebClient, respond: Respond, deps: Deps) -> None:
    """End mentoring (from the intro, the status list or a check-in)."""
    ack()
    _, user_id = _who(body)
    pair_id = _int(_action(body).get("value"))
    pair = flow.end_pair(deps, client, pair_id, user_id) if pair_id is not None else None
    message = (
        "Done: this mentoring pair has ended. Thank you for the time you gave it."
        if pair
        else "This mentoring pair has already ended (or isn't yours)."
    )
    respond(text=message, replace_original=False)


def on_checkin(
    ack: Ack, body: dict[str, Any], client: WebClient, respond: Respond, deps: Deps
) -> None:
    """A one-click answer to the monthly check-in."""
    ack()
    _, user_id = _who(body)
    action = _action(body)
    checkin_id = _int(action.get("value"))
    try:
        answer = CheckinAnswer(
            str(action.get("action_id") or "")[len(ids.MENTORING_CHECKIN_PREFIX) :]
        )
    except ValueError:
        answer = None
    if checkin_id is None or answer is None:
        respond(text="I couldn't read that answer.", replace_original=False)
        return
    with deps.sessions.begin() as s:
        record = repo.record_checkin_answer(s, checkin_id, user_id, answer, deps.clock())
    if record is None:
        respond(text="This check-in was meant for someone else.", replace_original=False)
        return
    text, blocks = views.checkin_thanks(answer, record.pair_id)
    respond(text=text, blocks=blocks, replace_original=True)


def register(app: App, router: CommandRouter) -> None:
    """Wire the mentoring sub-commands, modals and buttons."""
    router.add(
        Subcommand(
            "mentor",
            "mentor [pause | resume | leave]",
            "signs you up as a mentor, or edits, pauses or ends your part.",
            mentor_command,
        )
    )
    router.add(
        Subcommand(
            "find-mentor",
            "find-mentor [withdraw]",
            "asks for a mentor (one open request at a time), or withdraws it.",
            request_command,
            aliases=("request",),
        )
    )
    router.add(
        Subcommand(
            "mentoring",
            "mentoring",
            "shows where you stand, with a button to end a mentoring pair.",
            mentoring_command,
        )
    )
    app.action(ids.MENTOR_SIGNUP_ACTION)(on_open_signup)
    app.action(ids.MENTOR_REQUEST_ACTION)(on_open_request)
    router.offer(ids.MENTOR_REQUEST_ACTION)
    router.offer(ids.MENTOR_SIGNUP_ACTION)
    app.view(ids.MENTOR_SIGNUP_VIEW)(on_signup_submit)
    app.view(ids.MENTOR_REQUEST_VIEW)(on_request_submit)
    app.view(ids.MENTOR_DECLINE_VIEW)(on_decline_submit)
    app.action(ids.MENTOR_ACCEPT_ACTION)(on_accept)
    app.action(ids.MENTOR_DECLINE_ACTION)(on_decline)
    app.action(ids.MENTORING_END_ACTION)(on_end)
    app.action(re.compile("^" + re.escape(ids.MENTORING_CHECKIN_PREFIX)))(on_checkin)
