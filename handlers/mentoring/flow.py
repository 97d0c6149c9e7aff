"""Mentoring side effects: ask a mentor, deliver, introduce, expire, run rounds, check in.

Each function reads the clock once, decides inside one short transaction, commits, then talks
to Slack; a DM never goes out for a state change that did not commit. What can still go wrong
after the commit is written next to it.
"""

from __future__ import annotations

import logging
from datetime import timedelta
from enum import StrEnum

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.mentoring import MatchResult, MentorRequest, Proposal, Unmatched, best_for, match
from bot.mentoring.lifecycle import (
    AcceptOutcome,
    PairEnd,
    RequestStatus,
    expires_at,
)
from bot.mentoring.settings import MentoringSettings
from handlers import live
from handlers.deps import Deps
from handlers.home import refresh_homes
from handlers.mentoring import views
from handlers.pacing import SharedPacer
from storage import mentoring as repo

log = logging.getLogger(__name__)

# Slack errors meaning the person can never be reached (deactivated, deleted, a bot).
UNREACHABLE = frozenset({"account_inactive", "user_not_found", "user_disabled", "cannot_dm_bot"})
# A bound on mentors tried in one go when DMs keep failing.
MAX_ATTEMPTS = 5
CHECKIN_LEASE = timedelta(minutes=10)
CHECKIN_LEASE_MARGIN = timedelta(minutes=1)


class Intro(StrEnum):
    """How the introduction of a new pair went."""

    SENT = "sent"
    MENTEE_GONE = "mentee_gone"
    FAILED = "failed"


def settings_of(deps: Deps) -> MentoringSettings:
    """The mentoring part of the settings (with the topics an admin set in Slack)."""
    return live.mentoring(deps)


def _error(err: SlackApiError) -> str:
    return str(err.response.get("error") or "")


def dm(client: WebClient, user_id: str, text: str, blocks: views.Blocks) -> bool:
    """Send a DM at a delivery boundary; a failure is logged, not raised."""
    try:
        client.chat_postMessage(channel=user_id, text=text, blocks=blocks)
    except SlackApiError as err:
        log.warning("mentoring dm failed user=%s error=%s", user_id, _error(err))
        return False
    return True


def _update(client: WebClient, proposal: repo.ProposalRecord, message: str) -> None:
    """Replace the buttons of a proposal's DM with a line of text, when we know where it is."""
    if not (proposal.dm_channel and proposal.dm_ts):
        return
    try:
        client.chat_update(
            channel=proposal.dm_channel,
            ts=proposal.dm_ts,
            text=message,
            blocks=views.plain(message),
        )
    except SlackApiError as err:
        log.warning("mentoring update failed proposal=%s error=%s", proposal.id, _error(err))


def try_again_when(cfg: MentoringSettings) -> str:
    """When an unmatched request will be looked at again, in words."""
    if cfg.rounds:
        hours = cfg.round_every_hours
        return f"I'll try again within {hours} hour{'s' if hours != 1 else ''}."
    return "I'll try again as soon as a mentor who fits joins or has room."


def tell_unmatched(deps: Deps, client: WebClient, unmatched: Unmatched, *, lead: str) -> None:
    """Tell a mentee that nobody fits right now, why, and what happens next."""
    cfg = settings_of(deps)
    message = (
        f"{lead} {unmatched.explanation} Your request stays open. {try_again_when(cfg)}"
        f" You can change it with `/coach-or-mentor find-mentor`."
    )
    dm(client, unmatched.mentee_id, message, views.plain(message))


# Asking a mentor ------------------------------------------------------------------------------
def propose_next(deps: Deps, client: WebClient, request_id: int) -> Proposal | Unmatched | None:
    """Ask the best mentor not yet asked for this open request (None: nothing to do)."""
    cfg = settings_of(deps)
    for _ in range(MAX_ATTEMPTS):
        now = deps.clock()
        with deps.sessions.begin() as s:
            record = repo.get_request(s, request_id)
            if record is None or record.status is not RequestStatus.OPEN:
                return None
            if repo.pending_proposal(s, request_id) is not None:
                return None
            mentee = record.request.mentee_id
            mentors = repo.programme_mentors(s, record.team_id)
            # With no mentor in the programme the rest cannot change the answer: not read.
            # Mentors asked before go in `asked`, not `excluded`, so that a request nobody
            # else fits is explained as "already asked", not "paired before".
            asked = (
                repo.asked_mentors(s, request_id)
                | {m for m, e in repo.excluded_pairs(s, record.team_id) if e == mentee}
                if mentors
                else set()
            )
            result = best_for(
                record.request,
                mentors,
                cfg.weights,
                repo.excluded_pairs(s, record.team_id, include_asked=False) if mentors else set(),
                load=repo.mentor_load(s, record.team_id) if mentors else {},
                asked=asked,
                now=now,
                taxonomy=cfg.taxonomy,
            )
            if isinstance(result, Unmatched):
                return result
            stored = repo.create_proposal(
                s,
                team_id=record.team_id,
                proposal=result,
                now=now,
                expires_at=expires_at(now, cfg.proposal_expiry_hours),
            )
        if stored is None:
            return None
        if deliver_proposal(deps, client, stored, record.request):
            return result
    return None


def pacer_for(deps: Deps) -> SharedPacer:
    """The workspace pacing of scheduled DMs, shared with the goal check-ins and all replicas."""
    return SharedPacer(deps.sessions, deps.settings.goals.sends_per_second)


def deliver_proposal(
    deps: Deps,
    client: WebClient,
    proposal: repo.ProposalRecord,
    request: MentorRequest,
    pacer: SharedPacer | None = None,
) -> bool:
    """DM the mentor; when that fails the proposal is withdrawn so someone else can be asked.

    A crash between the commit and this DM leaves a proposal nobody saw: it expires on time
    and the next mentor is asked. `pacer` paces bulk sends (a round); a single proposal that
    answers someone's click goes out at once.
    """
    cfg = settings_of(deps)
    text, blocks = views.proposal_message(
        proposal_id=proposal.id,
        request=request,
        reasons=proposal.reasons,
        expires_at=proposal.expires_at,
        taxonomy=cfg.taxonomy,
    )
    if pacer is not None:
        pacer.acquire(proposal.team_id)
    try:
        sent = client.chat_postMessage(channel=proposal.mentor_id, text=text, blocks=blocks)
    except SlackApiError as err:
        error = _error(err)
        log.warning("proposal dm failed proposal=%s error=%s", proposal.id, error)
        with deps.sessions.begin() as s:
            repo.withdraw_proposal(s, proposal.id, deps.clock())
        if error in UNREACHABLE:
            mentor_left(
                deps, client, proposal.team_id, proposal.mentor_id, skip=proposal.request_id
            )
        return False
    with deps.sessions.begin() as s:
        repo.record_proposal_dm(s, proposal.id, str(sent["channel"]), str(sent["ts"]))
    return True


def propose_now(deps: Deps, client: WebClient, request_id: int) -> None:
    """Instant mode: ask a mentor for a new request, or tell the mentee why nobody fits yet."""
    result = propose_next(deps, client, request_id)
    if isinstance(result, Unmatched):
        tell_unmatched(deps, client, result, lead="I couldn't find a mentor for you just yet.")


# Rounds ---------------------------------------------------------------------------------------
def run_round(deps: Deps, client: WebClient, team_id: str) -> MatchResult:
    """Match every open request of a workspace at once and ask the chosen mentors."""
    cfg = settings_of(deps)
    now = deps.clock()
    with deps.sessions.begin() as s:
        inputs = repo.matching_inputs(s, team_id)
        result = match(
            inputs.requests,
            inputs.mentors,
            cfg.weights,
            inputs.excluded,
            load=inputs.load,
            now=now,
            taxonomy=cfg.taxonomy,
        )
        deadline = expires_at(now, cfg.proposal_expiry_hours)
        stored = [
            p
            for proposal in result.proposals
            if (
                p := repo.create_proposal(
                    s, team_id=team_id, proposal=proposal, now=now, expires_at=deadline
                )
            )
        ]
    requests = {r.request_id: r for r in inputs.requests}
    pacer = pacer_for(deps)
    for proposal in stored:
        request = requests[str(proposal.request_id)]
        if not deliver_proposal(deps, client, proposal, request, pacer):
            propose_next(deps, client, proposal.request_id)
    log.info(
        "mentoring round team=%s proposed=%d unmatched=%d",
        team_id,
        len(stored),
        len(result.unmatched),
    )
    return result


def run_rounds(deps: Deps, client: WebClient) -> int:
    """A round for every workspace with open requests; returns how many were proposed."""
    with deps.sessions.begin() as s:
        teams = repo.teams_with_open_requests(s)
    return sum(len(run_round(deps, client, team).proposals) for team in teams)


# Expiry ---------------------------------------------------------------------------------------
def expire_proposals(deps: Deps, client: WebClient) -> int:
    """Expire unanswered proposals, ask the next mentor and tell the mentee what is happening."""
    with deps.sessions.begin() as s:
        expired = repo.expire_due_proposals(s, deps.clock())
    for proposal in expired:
        _update(client, proposal, "This request expired before you could answer. No worries!")
        result = propose_next(deps, client, proposal.request_id)
        lead = "Quick update: the mentor I asked couldn't answer in time"
        if isinstance(result, Proposal):
            message = (
                f"{lead}, so I've asked someone else who fits."
                " I'll message you as soon as they say yes."
            )
            dm(client, proposal.mentee_id, message, views.plain(message))
        elif isinstance(result, Unmatched):
            tell_unmatched(deps, client, result, lead=f"{lead}, and nobody else who fits is free.")
    return len(expired)


# Consent --------------------------------------------------------------------------------------
def accept(
    deps: Deps, client: WebClient, proposal_id: int, user_id: str
) -> tuple[AcceptOutcome, str]:
    """The mentor clicked Accept: pair and introduce once; say what happened in every case."""
    cfg = settings_of(deps)
    with deps.sessions.begin() as s:
        result = repo.accept_proposal(
            s, proposal_id, user_id, deps.clock(), checkin_every_days=cfg.checkin_every_days
        )
    proposal = result.proposal
    mentee = f"<@{proposal.mentee_id}>" if proposal else "they"
    if result.outcome is AcceptOutcome.ACCEPTED and result.pair and proposal:
        return result.outcome, _introduce(deps, client, result.pair, proposal)
    if result.outcome is AcceptOutcome.EXPIRED:
        expire_proposals(deps, client)
        return result.outcome, (
            "This request expired before you answered, so I've asked someone else."
            " Thanks for being willing!"
        )
    return result.outcome, {
        AcceptOutcome.ALREADY_ACCEPTED: f"You've already said yes to {mentee}; your group DM"
        " with them is open.",
        AcceptOutcome.DECLINED: "You declined this one earlier, so I've asked someone else.",
        AcceptOutcome.WITHDRAWN: f"{mentee} doesn't need a mentor for this any more."
        " Thanks for being willing!",
        AcceptOutcome.NOT_YOURS: "This request was meant for someone else.",
    }.get(result.outcome, "I can't find this request any more.")


def _introduce(
    deps: Deps, client: WebClient, pair: repo.PairRecord, proposal: repo.ProposalRecord
) -> str:
    """Send the intro and say how it went to the mentor."""
    outcome = send_intro(deps, client, pair, proposal)
    refresh_homes(client, deps, pair.team_id, pair.mentor_id, pair.mentee_id)
    mentee = f"<@{pair.mentee_id}>"
    if outcome is Intro.SENT:
        return f"Thank you for saying yes! I've started a group DM with you and {mentee}."
    if outcome is Intro.MENTEE_GONE:
        return (
            f"Thank you for saying yes! {mentee}'s account is no longer active, so there's"
            " nobody to introduce; I've closed their request."
        )
    return (
        f"Thank you for saying yes! You're now {mentee}'s mentor, but I couldn't open a group"
        " DM just now: please send them a message to say hello."
    )


def send_intro(
    deps: Deps, client: WebClient, pair: repo.PairRecord, proposal: repo.ProposalRecord
) -> Intro:
    """Open a group DM with both and introduce them.

    Runs once per pair (only the Accept that won the compare-and-set gets here). A crash after
    the accept commits and before this DM leaves the pair without an intro; the mentor's
    answer then says so when Slack fails, but not when the process dies.
    """
    cfg = settings_of(deps)
    with deps.sessions.begin() as s:
        record = repo.get_request(s, pair.request_id)
    assert record is not None
    try:
        opened = client.conversations_open(users=f"{pair.mentor_id},{pair.mentee_id}")
    except SlackApiError as err:
        error = _error(err)
        log.warning("intro open failed pair=%s error=%s", pair.id, error)
        if error not in UNREACHABLE:
            return Intro.FAILED
        with deps.sessions.begin() as s:
            repo.end_pair(s, pair.id, None, deps.clock(), PairEnd.INACTIVE)
        return Intro.MENTEE_GONE
    channel = str(opened["channel"]["id"])
    text, blocks = views.intro_message(
        pair_id=pair.id,
        request=record.request,
        mentor_id=pair.mentor_id,
        reasons=proposal.reasons,
        every_days=cfg.checkin_every_days,
    )
    try:
        client.chat_postMessage(channel=channel, text=text, blocks=blocks)
    except SlackApiError as err:
        log.warning("intro post failed pair=%s error=%s", pair.id, _error(err))
        return Intro.FAILED
    with deps.sessions.begin() as s:
        repo.set_intro_channel(s, pair.id, channel)
    return Intro.SENT


def decline_message(outcome: AcceptOutcome, mentee_id: str) -> str:
    """What a Decline that did not take means, in a sentence."""
    return {
        AcceptOutcome.ALREADY_ACCEPTED: f"You've already said yes to <@{mentee_id}>. To stop,"
        " use the End mentoring button in your group DM.",
        AcceptOutcome.DECLINED: "You've already declined this one. Thanks for saying so!",
        AcceptOutcome.EXPIRED: "This request expired, so I've asked someone else. No worries!",
        AcceptOutcome.WITHDRAWN: f"<@{mentee_id}> doesn't need a mentor for this any more.",
        AcceptOutcome.NOT_YOURS: "This request was meant for someone else.",
    }.get(outcome, "I can't find this request any more.")


def tidy_withdrawn(client: WebClient, proposal: repo.ProposalRecord) -> None:
    """The mentee withdrew: take the buttons off the mentor's DM."""
    _update(
        client,
        proposal,
        f"<@{proposal.mentee_id}> withdrew their request, so there's nothing to answer."
        " Thanks for considering it!",
    )


def after_decline(deps: Deps, client: WebClient, proposal: repo.ProposalRecord) -> None:
    """A decline took: tidy the mentor's DM and ask the next mentor."""
    _update(
        client,
        proposal,
        f"You passed on mentoring <@{proposal.mentee_id}>. Thanks for letting me know!",
    )
    result = propose_next(deps, client, proposal.request_id)
    if isinstance(result, Unmatched):
        tell_unmatched(
            deps, client, result, lead="A quick update on your mentor request: I'm still looking."
        )


# Ending ---------------------------------------------------------------------------------------
def end_pair(deps: Deps, client: WebClient, pair_id: int, user_id: str) -> repo.PairRecord | None:
    """A member ends the pair; None when it was not theirs or already over."""
    with deps.sessions.begin() as s:
        pair = repo.end_pair(s, pair_id, user_id, deps.clock())
    if pair is not None:
        announce_end(client, pair, ended_by=user_id)
        refresh_homes(client, deps, pair.team_id, pair.mentor_id, pair.mentee_id)
    return pair


def announce_end(client: WebClient, pair: repo.PairRecord, *, ended_by: str | None) -> None:
    """Say so in the pair's group DM, and offer the mentee a new match."""
    mentor = f"<@{pair.mentor_id}>"
    if pair.end_reason is PairEnd.MENTOR_LEFT:
        note = f"{mentor} has stepped back from the mentoring programme, so this pair has ended."
        offer = (
            f"{mentor} has stepped back from the mentoring programme, so your mentoring with"
            " them has ended. Would you like me to find you someone new?"
        )
    else:
        note = (
            f"<@{ended_by}> has ended this mentoring pair. Thank you both for the time you gave it."
        )
        offer = (
            f"Your mentoring with {mentor} has ended. Whenever you're ready, I can find you"
            " someone new."
        )
    if pair.intro_channel:
        try:
            client.chat_postMessage(channel=pair.intro_channel, text=note, blocks=views.plain(note))
        except SlackApiError as err:
            log.warning("end note failed pair=%s error=%s", pair.id, _error(err))
    text, blocks = views.rematch_blocks(offer)
    dm(client, pair.mentee_id, text, blocks)


def mentor_left(
    deps: Deps, client: WebClient, team_id: str, mentor_id: str, *, skip: int | None = None
) -> repo.MentorExit | None:
    """Take a mentor out: tell their mentees, re-ask for what was waiting on them."""
    with deps.sessions.begin() as s:
        exit_ = repo.leave_programme(s, team_id, mentor_id, deps.clock())
    if exit_ is None:
        return None
    for pair in exit_.ended_pairs:
        announce_end(client, pair, ended_by=None)
    for proposal in exit_.withdrawn:
        if proposal.request_id != skip:
            propose_now(deps, client, proposal.request_id)
    return exit_


# Check-ins ------------------------------------------------------------------------------------
def send_checkins(deps: Deps, client: WebClient) -> int:
    """Create the month's check-ins that are due and deliver claimed ones; returns how many.

    A crash between the DM and marking it delivered resends it after the lease (a duplicate
    is possible there, a loss is not).
    """
    cfg = settings_of(deps)
    now = deps.clock()
    with deps.sessions.begin() as s:
        repo.schedule_due_checkins(s, now, every_days=cfg.checkin_every_days)
        claimed = repo.claim_checkins(s, now, lease=CHECKIN_LEASE)
    pacer = pacer_for(deps)
    sent = 0
    for checkin in claimed:
        with deps.sessions.begin() as s:
            pair = repo.get_pair(s, checkin.pair_id)
        error = "pair_ended" if pair is None or pair.ended_at else None
        if pair is not None and error is None:
            text, blocks = views.checkin_message(
                checkin.id, pair.other(checkin.user_id), as_mentor=checkin.user_id == pair.mentor_id
            )
            pacer.acquire(pair.team_id)
            if deps.clock() > now + CHECKIN_LEASE - CHECKIN_LEASE_MARGIN:
                # Slots shared with other senders came slowly: leave the rest to come back
                # after the lease rather than post on a lease another replica may take over.
                break
            try:
                client.chat_postMessage(channel=checkin.user_id, text=text, blocks=blocks)
                sent += 1
            except SlackApiError as err:
                error = _error(err)
                log.warning("checkin dm failed checkin=%s error=%s", checkin.id, error)
                if error not in UNREACHABLE:
                    continue  # stays claimed until the lease ends, then is retried
        with deps.sessions.begin() as s:
            repo.mark_checkin_delivered(s, checkin.id, deps.clock(), error=error)
    return sent
