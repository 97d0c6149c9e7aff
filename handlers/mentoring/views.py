"""Pure Block Kit builders and form readers for the mentoring programme."""

from __future__ import annotations

import functools
from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

import orjson
from slack_sdk.models.blocks import (
    ActionsBlock,
    Block,
    ButtonElement,
    CheckboxesElement,
    ConfirmObject,
    ContextBlock,
    InputBlock,
    MarkdownTextObject,
    NumberInputElement,
    Option,
    PlainTextInputElement,
    SectionBlock,
    StaticMultiSelectElement,
    StaticSelectElement,
)
from slack_sdk.models.views import View

from bot.mentoring import (
    MAX_BIO_CHARS,
    MAX_CAPACITY,
    MAX_YEARS,
    OFFER_ORDER,
    MentorProfile,
    MentorRequest,
    Offer,
    Taxonomy,
)
from bot.mentoring.forms import (
    MAX_GOAL_CHARS,
    MAX_MENTOR_TOPICS,
    MAX_REQUEST_TOPICS,
    MAX_TEAM_CHARS,
    Field,
)
from bot.mentoring.lifecycle import CHECKIN_LABELS, CheckinAnswer
from bot.text import escape_mrkdwn
from handlers import ids
from storage.mentoring import MentorRecord, PairRecord, RequestRecord

Blocks = list[dict[str, Any]]

# Which modal block shows the error for each form field.
FIELD_BLOCKS: dict[str, str] = {
    Field.TOPICS: ids.MENTORING_TOPICS_BLOCK,
    Field.OFFERS: ids.MENTORING_OFFERS_BLOCK,
    Field.WANTS: ids.MENTORING_WANTS_BLOCK,
    Field.CAPACITY: ids.MENTORING_CAPACITY_BLOCK,
    Field.YEARS: ids.MENTORING_YEARS_BLOCK,
    Field.TEAM: ids.MENTORING_TEAM_BLOCK,
    Field.BIO: ids.MENTORING_BIO_BLOCK,
    Field.GOAL: ids.MENTORING_GOAL_BLOCK,
}

OFFER_TEXT: dict[Offer, tuple[str, str]] = {
    Offer.ADVICE: ("Advice", "what worked for me, and what didn't"),
    Offer.SUPPORT: ("Support", "a sounding board when things get hard"),
    Offer.INTRODUCTIONS: ("Introductions", "people worth knowing"),
}

FIRST_MEETING = (
    "1. *Introductions:* the paths that brought you here, and what you each enjoy about work.\n"
    "2. *The goal:* what would make this worthwhile for {mentee} six months from now.\n"
    "3. *How you'll work:* how often to meet (every two to four weeks suits most pairs),"
    " for how long, and how to reach each other in between.\n"
    "4. *One small step* for {mentee} to try before you next meet."
)


escape = escape_mrkdwn


def quote(text: str) -> str:
    """User text as a mrkdwn block quote."""
    return "\n".join("&gt; " + line for line in escape(text).splitlines() or [""])


def _and(words: list[str]) -> str:
    if len(words) <= 1:
        return "".join(words)
    return ", ".join(words[:-1]) + " and " + words[-1]


def topic_labels(slugs: Iterable[str], taxonomy: Taxonomy) -> str:
    """Topic labels in display order, joined for a sentence."""
    return ", ".join(escape(taxonomy.label(s)) for s in taxonomy.ordered(slugs))


def offer_words(offers: Iterable[Offer]) -> str:
    """'advice, support and introductions' in the canonical order."""
    chosen = set(offers)
    return _and([o.value for o in OFFER_ORDER if o in chosen])


# Modals ---------------------------------------------------------------------------------------
def _topic_options(taxonomy: Taxonomy) -> list[Option]:
    return [Option(value=t.slug, label=t.label) for t in taxonomy.topics]


def _chosen(options: list[Option], values: Iterable[str]) -> list[Option] | None:
    wanted = set(values)
    chosen = [o for o in options if o.value in wanted]
    return chosen or None


def _offer_options() -> list[Option]:
    return [
        Option(value=o.value, label=OFFER_TEXT[o][0], description=OFFER_TEXT[o][1])
        for o in OFFER_ORDER
    ]


def _topics_input(taxonomy: Taxonomy, saved: Iterable[str], most: int, label: str) -> InputBlock:
    options = _topic_options(taxonomy)
    return InputBlock(
        block_id=ids.MENTORING_TOPICS_BLOCK,
        label=label,
        element=StaticMultiSelectElement(
            action_id=ids.MENTORING_TOPICS_BLOCK,
            placeholder="Choose topics",
            options=options,
            initial_options=_chosen(options, saved),
            max_selected_items=most,
        ),
        hint=f"Up to {most}.",
    )


def _years_input(saved: int | None, label: str) -> InputBlock:
    return InputBlock(
        block_id=ids.MENTORING_YEARS_BLOCK,
        label=label,
        element=NumberInputElement(
            action_id=ids.MENTORING_YEARS_BLOCK,
            is_decimal_allowed=False,
            min_value="0",
            max_value=str(MAX_YEARS),
            initial_value=None if saved is None else str(saved),
        ),
    )


def _team_input(saved: str, hint: str) -> InputBlock:
    return InputBlock(
        block_id=ids.MENTORING_TEAM_BLOCK,
        label="Team or department",
        optional=True,
        element=PlainTextInputElement(
            action_id=ids.MENTORING_TEAM_BLOCK,
            max_length=MAX_TEAM_CHARS,
            initial_value=saved or None,
        ),
        hint=hint,
    )


def signup_modal_json(taxonomy: Taxonomy, saved: MentorProfile | None) -> dict[str, Any]:
    """The sign-up modal as the JSON Slack gets; the blank one is rendered once per taxonomy.

    Rendering it (slack_sdk checks every block and option as it writes the dict) cost about
    1.6 ms of CPU for a modal that is the same for everyone without a saved profile.
    """
    if saved is not None:
        return signup_modal(taxonomy, saved).to_dict()
    result: dict[str, Any] = orjson.loads(_blank_signup(taxonomy))  # a fresh copy each call
    return result


@functools.lru_cache(maxsize=8)
def _blank_signup(taxonomy: Taxonomy) -> bytes:
    return orjson.dumps(signup_modal(taxonomy, None).to_dict())


def signup_modal(taxonomy: Taxonomy, saved: MentorProfile | None) -> View:
    """The mentor sign-up modal, filled with the saved profile when there is one."""
    offers = _offer_options()
    capacity = [
        Option(value=str(n), label="0 (pause for now)" if n == 0 else str(n))
        for n in range(MAX_CAPACITY + 1)
    ]
    current_capacity = str(saved.capacity) if saved else "2"
    intro = (
        "Mentoring is a longer-term relationship: you share advice, support and"
        " introductions with someone earlier on the path. You'll give back, pass on what you"
        " know and stay close to your field. I only ever propose someone to you; you decide."
    )
    blocks: list[Block] = [
        SectionBlock(text=MarkdownTextObject(text=intro)),
        _topics_input(
            taxonomy, saved.topics if saved else (), MAX_MENTOR_TOPICS, "Topics you can help with"
        ),
        InputBlock(
            block_id=ids.MENTORING_OFFERS_BLOCK,
            label="What you can offer",
            element=CheckboxesElement(
                action_id=ids.MENTORING_OFFERS_BLOCK,
                options=offers,
                initial_options=_chosen(offers, [o.value for o in saved.offers] if saved else ()),
            ),
        ),
        InputBlock(
            block_id=ids.MENTORING_CAPACITY_BLOCK,
            label="How many mentees at a time",
            element=StaticSelectElement(
                action_id=ids.MENTORING_CAPACITY_BLOCK,
                options=capacity,
                initial_option=next(o for o in capacity if o.value == current_capacity),
            ),
        ),
        _years_input(saved.years if saved else None, "Years of work experience"),
        _team_input(saved.team if saved else "", "Mentees can ask for someone outside their team."),
        InputBlock(
            block_id=ids.MENTORING_BIO_BLOCK,
            label="A short bio",
            optional=True,
            element=PlainTextInputElement(
                action_id=ids.MENTORING_BIO_BLOCK,
                multiline=True,
                max_length=MAX_BIO_CHARS,
                initial_value=(saved.bio if saved else "") or None,
                placeholder="What you've done, and what you enjoy helping with.",
            ),
        ),
    ]
    return View(
        type="modal",
        callback_id=ids.MENTOR_SIGNUP_VIEW,
        title="Mentor profile" if saved else "Become a mentor",
        submit="Save" if saved else "Sign up",
        close="Cancel",
        blocks=blocks,
    )


def request_modal(taxonomy: Taxonomy, saved: MentorRequest | None, *, editing: bool) -> View:
    """The find-a-mentor modal; `saved` prefills it (the open request, or the last one)."""
    wants = _offer_options()
    prefs = [
        Option(value=ids.MENTORING_PREF_CLOSE_TZ, label="Someone in a time zone close to mine"),
        Option(value=ids.MENTORING_PREF_OUTSIDE_TEAM, label="Someone outside my team"),
    ]
    chosen_prefs = []
    if saved and saved.prefers_close_tz:
        chosen_prefs.append(ids.MENTORING_PREF_CLOSE_TZ)
    if saved and saved.outside_my_team:
        chosen_prefs.append(ids.MENTORING_PREF_OUTSIDE_TEAM)
    intro = (
        "A mentor is someone more experienced who helps you grow over months, not one skill"
        " by a deadline. Tell me what you're after and I'll find someone who fits and"
        " ask them first."
    )
    blocks: list[Block] = [
        SectionBlock(text=MarkdownTextObject(text=intro)),
        _topics_input(
            taxonomy, saved.topics if saved else (), MAX_REQUEST_TOPICS, "What you'd like help with"
        ),
        InputBlock(
            block_id=ids.MENTORING_WANTS_BLOCK,
            label="What you hope for",
            element=CheckboxesElement(
                action_id=ids.MENTORING_WANTS_BLOCK,
                options=wants,
                initial_options=_chosen(wants, [o.value for o in saved.wants] if saved else ()),
            ),
        ),
        InputBlock(
            block_id=ids.MENTORING_GOAL_BLOCK,
            label="In a sentence or two, what would you like to get out of it?",
            element=PlainTextInputElement(
                action_id=ids.MENTORING_GOAL_BLOCK,
                multiline=True,
                max_length=MAX_GOAL_CHARS,
                initial_value=(saved.goal if saved else "") or None,
            ),
            hint="Your mentor sees this before saying yes.",
        ),
        _years_input(saved.years if saved else None, "Your years of work experience"),
        _team_input(saved.team if saved else "", "Needed if you'd like someone outside it."),
        InputBlock(
            block_id=ids.MENTORING_PREFS_BLOCK,
            label="Preferences",
            optional=True,
            element=CheckboxesElement(
                action_id=ids.MENTORING_PREFS_BLOCK,
                options=prefs,
                initial_options=_chosen(prefs, chosen_prefs),
            ),
        ),
    ]
    return View(
        type="modal",
        callback_id=ids.MENTOR_REQUEST_VIEW,
        title="Your request" if editing else "Find a mentor",
        submit="Save" if editing else "Ask",
        close="Cancel",
        blocks=blocks,
    )


def decline_modal(proposal_id: int, mentee_id: str) -> View:
    """Ask for an optional reason before declining."""
    return View(
        type="modal",
        callback_id=ids.MENTOR_DECLINE_VIEW,
        private_metadata=str(proposal_id),
        title="Decline",
        submit="Decline",
        close="Back",
        blocks=[
            SectionBlock(
                text=MarkdownTextObject(
                    text=f"No problem. I'll ask someone else to mentor <@{mentee_id}>;"
                    " they won't know you were asked."
                )
            ),
            InputBlock(
                block_id=ids.MENTORING_DECLINE_REASON_BLOCK,
                label="Anything the programme should know?",
                optional=True,
                element=PlainTextInputElement(
                    action_id=ids.MENTORING_DECLINE_REASON_BLOCK,
                    multiline=True,
                    max_length=500,
                    placeholder="Optional: for example, too busy this quarter",
                ),
                hint="Only the programme's admins can see this; never the person who asked.",
            ),
        ],
    )


def done_view(title: str, message: str) -> View:
    """A modal that just says something (after a submit)."""
    return View(
        type="modal",
        callback_id=ids.MENTOR_DONE_VIEW,
        title=title,
        close="Close",
        blocks=[SectionBlock(text=MarkdownTextObject(text=message))],
    )


# Reading submissions --------------------------------------------------------------------------
def _state(values: Mapping[str, Any], block: str) -> Mapping[str, Any]:
    return (values.get(block) or {}).get(block) or {}


def _selected(values: Mapping[str, Any], block: str) -> list[str]:
    options = _state(values, block).get("selected_options") or []
    return [str(o.get("value") or "") for o in options]


def _text(values: Mapping[str, Any], block: str) -> str:
    state = _state(values, block)
    selected = state.get("selected_option")
    if isinstance(selected, Mapping):
        return str(selected.get("value") or "")
    return str(state.get("value") or "")


def read_signup(values: Mapping[str, Any]) -> dict[str, Any]:
    """Sign-up modal values as keyword arguments for validate_mentor_form."""
    return {
        "topics": _selected(values, ids.MENTORING_TOPICS_BLOCK),
        "offers": _selected(values, ids.MENTORING_OFFERS_BLOCK),
        "capacity": _text(values, ids.MENTORING_CAPACITY_BLOCK),
        "years": _text(values, ids.MENTORING_YEARS_BLOCK),
        "team": _text(values, ids.MENTORING_TEAM_BLOCK),
        "bio": _text(values, ids.MENTORING_BIO_BLOCK),
    }


def read_request(values: Mapping[str, Any]) -> dict[str, Any]:
    """Request modal values as keyword arguments for validate_request_form."""
    prefs = set(_selected(values, ids.MENTORING_PREFS_BLOCK))
    return {
        "topics": _selected(values, ids.MENTORING_TOPICS_BLOCK),
        "wants": _selected(values, ids.MENTORING_WANTS_BLOCK),
        "goal": _text(values, ids.MENTORING_GOAL_BLOCK),
        "years": _text(values, ids.MENTORING_YEARS_BLOCK),
        "team": _text(values, ids.MENTORING_TEAM_BLOCK),
        "prefers_close_tz": ids.MENTORING_PREF_CLOSE_TZ in prefs,
        "outside_my_team": ids.MENTORING_PREF_OUTSIDE_TEAM in prefs,
    }


def form_errors(errors: Mapping[str, str]) -> dict[str, str]:
    """Validation errors keyed by the modal block that shows them."""
    return {FIELD_BLOCKS[field]: message for field, message in errors.items()}


# Messages -------------------------------------------------------------------------------------
def _md(text: str) -> SectionBlock:
    return SectionBlock(text=MarkdownTextObject(text=text))


def _bullets(lines: Iterable[str]) -> str:
    return "\n".join(f"• {escape(line)}" for line in lines)


def _when(moment: datetime) -> str:
    """A date Slack shows in each reader's own time zone."""
    stamp = int(moment.timestamp())
    fallback = moment.strftime("%d %b %Y %H:%M UTC")
    return f"<!date^{stamp}^{{date_short_pretty}} at {{time}}|{fallback}>"


def _dump(blocks: list[Block]) -> Blocks:
    return [b.to_dict() for b in blocks]


def proposal_message(
    *,
    proposal_id: int,
    request: MentorRequest,
    reasons: Iterable[str],
    expires_at: datetime,
    taxonomy: Taxonomy,
) -> tuple[str, Blocks]:
    """The mentor's DM: who asks, what for, why them, and Accept / Decline."""
    mentee = f"<@{request.mentee_id}>"
    facts = [
        MarkdownTextObject(text=f"*Topics*\n{topic_labels(request.topics, taxonomy)}"),
        MarkdownTextObject(text=f"*Hoping for*\n{offer_words(request.wants)}"),
        MarkdownTextObject(text=f"*Experience*\n{_years(request.years)}"),
    ]
    if request.team:
        facts.append(MarkdownTextObject(text=f"*Team*\n{escape(request.team)}"))
    blocks: list[Block] = [
        _md(f"*Would you mentor {mentee}?* They asked for a mentor, and you look like a good fit."),
        SectionBlock(fields=facts),
    ]
    if request.goal:
        blocks.append(_md(f"*In their words*\n{quote(request.goal)}"))
    blocks += [
        _md(f"*Why you*\n{_bullets(reasons)}"),
        ContextBlock(
            elements=[
                MarkdownTextObject(
                    text=f"Please answer by {_when(expires_at)}. If you can't, I'll ask someone"
                    " else; they won't know you were asked."
                )
            ]
        ),
        ActionsBlock(
            elements=[
                ButtonElement(
                    text="Accept",
                    action_id=ids.MENTOR_ACCEPT_ACTION,
                    value=str(proposal_id),
                    style="primary",
                ),
                ButtonElement(
                    text="Decline", action_id=ids.MENTOR_DECLINE_ACTION, value=str(proposal_id)
                ),
            ]
        ),
    ]
    return f"Would you mentor {mentee}? They asked for a mentor.", _dump(blocks)


def _years(years: int) -> str:
    return "1 year" if years == 1 else f"{years} years"


def end_button(pair_id: int) -> ButtonElement:
    """A button that ends a pair, with a confirmation."""
    return ButtonElement(
        text="End mentoring",
        action_id=ids.MENTORING_END_ACTION,
        value=str(pair_id),
        confirm=ConfirmObject(
            title="End this mentoring?",
            text="You'll both be told, and the mentee can ask for someone new.",
            confirm="End it",
            deny="Keep going",
        ),
    )


def intro_message(
    *, pair_id: int, request: MentorRequest, mentor_id: str, reasons: Iterable[str], every_days: int
) -> tuple[str, Blocks]:
    """The group DM that introduces a new pair."""
    mentor, mentee = f"<@{mentor_id}>", f"<@{request.mentee_id}>"
    blocks: list[Block] = [
        _md(
            f"*{mentee}, meet {mentor}!* {mentor} has agreed to be your mentor."
            " Welcome to the programme, both of you."
        ),
        _md(f"*Why you two*\n{_bullets(reasons)}"),
    ]
    if request.goal:
        blocks.append(_md(f"*What {mentee} hopes to get out of it*\n{quote(request.goal)}"))
    blocks += [
        _md("*A first meeting of 30 minutes could cover:*\n" + FIRST_MEETING.format(mentee=mentee)),
        ContextBlock(
            elements=[
                MarkdownTextObject(
                    text=f"I'll check in with each of you every {every_days} days. Either of you"
                    " can end this at any time; no reasons needed."
                )
            ]
        ),
        ActionsBlock(elements=[end_button(pair_id)]),
    ]
    return f"{mentee}, meet {mentor}: you're now a mentoring pair.", _dump(blocks)


def rematch_blocks(message: str) -> tuple[str, Blocks]:
    """A DM that offers to find a new mentor."""
    blocks: list[Block] = [
        _md(message),
        ActionsBlock(
            elements=[
                ButtonElement(
                    text="Find me a mentor",
                    action_id=ids.MENTOR_REQUEST_ACTION,
                    value="rematch",
                    style="primary",
                )
            ]
        ),
    ]
    return message, _dump(blocks)


def checkin_message(checkin_id: int, other_id: str, *, as_mentor: bool) -> tuple[str, Blocks]:
    """The monthly "how is it going?" with one-click answers."""
    role = "mentoring" if as_mentor else "being mentored by"
    question = f"How is {role} <@{other_id}> going?"
    blocks: list[Block] = [
        _md(f"*{question}* One click is enough."),
        ActionsBlock(
            elements=[
                ButtonElement(
                    text=CHECKIN_LABELS[answer],
                    action_id=ids.MENTORING_CHECKIN_PREFIX + answer.value,
                    value=str(checkin_id),
                    style="primary" if answer is CheckinAnswer.GOOD else None,
                )
                for answer in CheckinAnswer
            ]
        ),
        ContextBlock(
            elements=[
                MarkdownTextObject(text=f"Your answer goes to the programme, not to <@{other_id}>.")
            ]
        ),
    ]
    return question, _dump(blocks)


def checkin_thanks(answer: CheckinAnswer, pair_id: int) -> tuple[str, Blocks]:
    """What replaces the check-in once answered."""
    said = f"Thanks! You said: *{CHECKIN_LABELS[answer]}*."
    if answer is not CheckinAnswer.NOT_WORKING:
        return said, _dump([_md(said)])
    message = (
        f"{said} Sorry it isn't working. Saying so to each other often helps; if it has run"
        " its course, you can end it here and the mentee can ask for someone new."
    )
    return message, _dump([_md(message), ActionsBlock(elements=[end_button(pair_id)])])


def plain(text: str) -> Blocks:
    """A single mrkdwn section."""
    return _dump([_md(text)])


def status_message(
    *,
    user_id: str,
    mentor: MentorRecord | None,
    request: RequestRecord | None,
    waiting_on_mentor: bool,
    pairs: list[PairRecord],
    taxonomy: Taxonomy,
) -> tuple[str, Blocks]:
    """Where the person stands in the programme, with an End button per active pair."""
    lines: list[str] = []
    if mentor and not mentor.left:
        p = mentor.profile
        state = " You're *paused*: I won't propose anyone." if p.paused else ""
        lines.append(
            f"*As a mentor:* {topic_labels(p.topics, taxonomy)}; room for {p.capacity}.{state}"
        )
    else:
        lines.append("*As a mentor:* not signed up (`/coach-or-mentor mentor`).")
    if request:
        waiting = (
            "I've asked a mentor and I'm waiting for their answer."
            if waiting_on_mentor
            else "I'm looking for a mentor who fits."
        )
        lines.append(
            f"*Your request:* {topic_labels(request.request.topics, taxonomy)}. {waiting}"
            " (`/coach-or-mentor find-mentor withdraw` to withdraw it.)"
        )
    blocks: list[Block] = [_md("\n".join(lines))]
    for pair in pairs:
        since = pair.started_at.strftime("%d %b %Y")
        who = (
            f"You mentor <@{pair.mentee_id}>"
            if pair.mentor_id == user_id
            else f"<@{pair.mentor_id}> mentors you"
        )
        blocks.append(
            SectionBlock(
                text=MarkdownTextObject(text=f"{who}, since {since}."),
                accessory=end_button(pair.id),
            )
        )
    if not pairs:
        blocks.append(_md("You have no active mentoring pairs."))
    return "Your mentoring", _dump(blocks)
