"""Block Kit for coaching goals: pure builders from the core's wording to Slack's blocks."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date, datetime, time, timedelta

from slack_sdk.models.blocks import (
    ActionsBlock,
    Block,
    ButtonElement,
    ConfirmObject,
    ContextBlock,
    DatePickerElement,
    InputBlock,
    MarkdownTextObject,
    Option,
    PlainTextInputElement,
    SectionBlock,
    StaticSelectElement,
    TimePickerElement,
    UserSelectElement,
)
from slack_sdk.models.views import View

from bot.goals import Cadence, GoalField, GoalSpec, GoalStatus, Weekday, spell_date
from bot.goals.messages import (
    NOTE_LABEL,
    NOTE_PROMPT,
    RESUME_VALUE,
    WHAT_HELPED_PROMPT,
    WRAPUP_VALUE,
    Choice,
    Line,
    Mention,
    Message,
    WrapupOffer,
)
from bot.text import escape_mrkdwn
from handlers import ids
from storage.goals import Goal

ChoiceAction = Callable[[Choice], tuple[str, str]]
"""Maps a button of a message to its (action_id, value)."""

_CADENCE_LABELS = {Cadence.WEEKLY: "Every week", Cadence.FORTNIGHTLY: "Every two weeks"}
_STATUS_LABELS = {
    GoalStatus.ACTIVE: "active",
    GoalStatus.PAUSED: "paused",
    GoalStatus.FINISHED: "finished",
    GoalStatus.ABANDONED: "dropped",
}


escape = escape_mrkdwn


def _line(line: Line) -> str:
    """One line of a message as mrkdwn: text escaped, mentions rendered."""
    return "".join(
        f"<@{span.user_id}>" if isinstance(span, Mention) else escape(span) for span in line
    )


def render(message: Message, action: ChoiceAction | None = None) -> list[Block]:
    """A core `Message` as blocks: heading, lines, then its buttons."""
    blocks: list[Block] = []
    if message.heading:
        blocks.append(SectionBlock(text=MarkdownTextObject(text=f"*{escape(message.heading)}*")))
    if message.lines:
        text = "\n".join(_line(line) for line in message.lines)
        blocks.append(SectionBlock(text=MarkdownTextObject(text=text[:3000])))
    if message.choices and action is not None:
        buttons = []
        for choice in message.choices:
            action_id, value = action(choice)
            buttons.append(ButtonElement(text=choice.label, action_id=action_id, value=value))
        blocks.append(ActionsBlock(elements=buttons))
    return blocks


def checkin_actions(checkin_id: int) -> ChoiceAction:
    """Buttons of a check-in or nudge: each answer carries the check-in id."""

    def action(choice: Choice) -> tuple[str, str]:
        return ids.GOAL_ANSWER_PREFIX + choice.value, str(checkin_id)

    return action


def checkin_blocks(message: Message, checkin_id: int) -> list[Block]:
    """A check-in (or nudge) DM: the answers plus "add a note"."""
    blocks = render(message, checkin_actions(checkin_id))
    note = ButtonElement(text=NOTE_LABEL, action_id=ids.GOAL_NOTE_ACTION, value=str(checkin_id))
    if blocks and isinstance(blocks[-1], ActionsBlock):
        blocks[-1].elements.append(note)
    else:
        blocks.append(ActionsBlock(elements=[note]))
    return blocks


def goal_actions(goal_id: int) -> ChoiceAction:
    """Buttons that act on a goal: resume, wrap up, outcomes and the wrap-up offers."""

    def action(choice: Choice) -> tuple[str, str]:
        if choice.value == RESUME_VALUE:
            return ids.GOAL_RESUME_ACTION, str(goal_id)
        if choice.value == WRAPUP_VALUE:
            return ids.GOAL_WRAPUP_ACTION, str(goal_id)
        if choice.value == WrapupOffer.NEXT_GOAL.value:
            return ids.GOAL_NEW_ACTION, str(goal_id)
        if choice.value == WrapupOffer.FIND_MENTOR.value:
            return ids.MENTOR_REQUEST_ACTION, str(goal_id)
        return ids.GOAL_OUTCOME_PREFIX + choice.value, str(goal_id)

    return action


def wrapup_blocks(message: Message, goal_id: int) -> list[Block]:
    """The wrap-up DM: the outcomes plus "what helped"."""
    blocks = render(message, goal_actions(goal_id))
    helped = ButtonElement(
        text="Share what helped", action_id=ids.GOAL_HELPED_ACTION, value=str(goal_id)
    )
    blocks.append(ActionsBlock(elements=[helped]))
    return blocks


def text_modal(callback_id: str, title: str, block_id: str, prompt: str, metadata: str) -> View:
    """A one-field modal for a note."""
    element = PlainTextInputElement(
        action_id=ids.GOAL_FIELD_ACTION, multiline=True, max_length=1000
    )
    return View(
        type="modal",
        callback_id=callback_id,
        title=title,
        submit="Save",
        close="Cancel",
        private_metadata=metadata,
        blocks=[InputBlock(block_id=block_id, label=prompt, element=element)],
    )


def note_modal(checkin_id: int) -> View:
    """The "add a note" modal of a check-in."""
    return text_modal(
        ids.GOAL_NOTE_VIEW, "Add a note", ids.GOAL_NOTE_BLOCK, NOTE_PROMPT, str(checkin_id)
    )


def helped_modal(goal_id: int) -> View:
    """The "what helped" modal of a wrap-up."""
    return text_modal(
        ids.GOAL_HELPED_VIEW, "What helped", ids.GOAL_HELPED_BLOCK, WHAT_HELPED_PROMPT, str(goal_id)
    )


def goal_modal(today: date, spec: GoalSpec | None = None, goal_id: int | None = None) -> View:
    """The goal modal: new (empty, sensible defaults) or editing an existing goal."""
    end = spec.end_date if spec else today + timedelta(weeks=6)
    cadence = spec.cadence if spec else Cadence.WEEKLY
    weekday = spec.weekday if spec else Weekday.MONDAY
    at = spec.local_time if spec else time(9, 0)
    cadences = [Option(value=c.value, label=label) for c, label in _CADENCE_LABELS.items()]
    weekdays = [Option(value=day.name.lower(), label=day.label) for day in Weekday]
    coach = UserSelectElement(action_id=ids.GOAL_FIELD_ACTION, placeholder="Pick a person")
    if spec and spec.coach_id:
        coach = UserSelectElement(
            action_id=ids.GOAL_FIELD_ACTION, placeholder="Pick a person", initial_user=spec.coach_id
        )
    blocks: Sequence[Block] = [
        _input(
            GoalField.TITLE,
            "Your goal",
            PlainTextInputElement(
                action_id=ids.GOAL_FIELD_ACTION,
                max_length=150,
                initial_value=spec.title if spec else None,
                placeholder="One skill or behaviour, e.g. give clearer feedback in 1:1s",
            ),
        ),
        _input(
            GoalField.SUCCESS,
            "How will you know it worked?",
            PlainTextInputElement(
                action_id=ids.GOAL_FIELD_ACTION,
                multiline=True,
                max_length=500,
                initial_value=spec.success if spec else None,
            ),
        ),
        _input(
            GoalField.END_DATE,
            "End date",
            DatePickerElement(action_id=ids.GOAL_FIELD_ACTION, initial_date=end.isoformat()),
            hint="Coaching goals are time-limited: pick a date a few weeks away.",
        ),
        _input(
            GoalField.CADENCE,
            "Check in",
            StaticSelectElement(
                action_id=ids.GOAL_FIELD_ACTION,
                options=cadences,
                initial_option=cadences[list(Cadence).index(cadence)],
            ),
        ),
        _input(
            GoalField.WEEKDAY,
            "On",
            StaticSelectElement(
                action_id=ids.GOAL_FIELD_ACTION,
                options=weekdays,
                initial_option=weekdays[int(weekday)],
            ),
        ),
        _input(
            GoalField.LOCAL_TIME,
            "At (your local time)",
            TimePickerElement(action_id=ids.GOAL_FIELD_ACTION, initial_time=f"{at:%H:%M}"),
        ),
        _input(
            GoalField.COACH,
            "Coach",
            coach,
            optional=True,
            hint="Your coach sees this goal and a short summary of your check-ins.",
        ),
    ]
    return View(
        type="modal",
        callback_id=ids.GOAL_MODAL_VIEW,
        title="Edit coaching goal" if spec else "New coaching goal",
        submit="Save",
        close="Cancel",
        private_metadata="" if goal_id is None else str(goal_id),
        blocks=list(blocks),
    )


def _input(
    field: GoalField,
    label: str,
    element: object,
    *,
    optional: bool = False,
    hint: str | None = None,
) -> InputBlock:
    """One input block of the goal modal, with its block id from `ids.goal_block`."""
    return InputBlock(
        block_id=ids.goal_block(field.value),
        label=label,
        element=element,  # type: ignore[arg-type]
        optional=optional,
        hint=hint,
    )


def goal_list_blocks(goals: Sequence[Goal], next_due: dict[int, datetime | None]) -> list[Block]:
    """The person's open goals, each with the buttons that fit its state."""
    if not goals:
        return [
            SectionBlock(text=MarkdownTextObject(text="You have no open coaching goals.")),
            ActionsBlock(
                elements=[ButtonElement(text="Set a coaching goal", action_id=ids.GOAL_NEW_ACTION)]
            ),
        ]
    blocks: list[Block] = []
    for goal in goals:
        blocks.append(SectionBlock(text=MarkdownTextObject(text=_goal_summary(goal, next_due))))
        blocks.append(ActionsBlock(block_id=f"goal_{goal.id}", elements=_goal_buttons(goal)))
    blocks.append(
        ContextBlock(elements=[MarkdownTextObject(text="Only you and your coach see your goals.")])
    )
    return blocks


def _goal_summary(goal: Goal, next_due: dict[int, datetime | None]) -> str:
    """One goal in the list: title, state, end date, rhythm and next check-in."""
    spec = goal.spec
    state = _STATUS_LABELS[goal.status]
    if goal.needs_attention:
        state += ", needs attention"
    cadence = _CADENCE_LABELS[spec.cadence].lower()
    rhythm = f"{cadence} on {spec.weekday.label} at {spec.local_time:%H:%M}"
    text = (
        f"*{escape(spec.title)}* ({state})\nUntil {spell_date(spec.end_date)}, check-ins {rhythm}"
        f" ({escape(goal.tz_name)})."
    )
    due = next_due.get(goal.id)
    if due is not None and goal.status is GoalStatus.ACTIVE:
        text += f"\nNext check-in: <!date^{int(due.timestamp())}^{{date_long}} at {{time}}|soon>."
    if spec.coach_id:
        text += f"\nCoach: <@{spec.coach_id}>"
    return text


def _goal_buttons(goal: Goal) -> list[ButtonElement]:
    """Edit / pause or resume / finish / abandon, for one goal."""
    value = str(goal.id)
    buttons = [ButtonElement(text="Edit", action_id=ids.GOAL_EDIT_ACTION, value=value)]
    if goal.status is GoalStatus.ACTIVE:
        buttons.append(ButtonElement(text="Pause", action_id=ids.GOAL_PAUSE_ACTION, value=value))
    else:
        buttons.append(ButtonElement(text="Resume", action_id=ids.GOAL_RESUME_ACTION, value=value))
    buttons.append(
        ButtonElement(text="Finish", action_id=ids.GOAL_FINISH_ACTION, value=value, style="primary")
    )
    buttons.append(
        ButtonElement(
            text="Drop",
            action_id=ids.GOAL_ABANDON_ACTION,
            value=value,
            style="danger",
            confirm=ConfirmObject(
                title="Drop this goal?",
                text="Check-ins stop and the goal is closed. This cannot be undone.",
                confirm="Drop it",
                deny="Keep it",
            ),
        )
    )
    return buttons


def notice_modal(text: str) -> View:
    """A modal that only says something (for clicks from the home tab)."""
    return View(
        type="modal",
        callback_id=ids.NOTICE_VIEW,
        title="Coaching goals",
        close="Close",
        blocks=[SectionBlock(text=MarkdownTextObject(text=text))],
    )
