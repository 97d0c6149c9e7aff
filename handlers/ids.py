"""Every callback_id, action_id and block_id the bot uses: one place, no string typos."""

COMMAND = "/coach-or-mentor"

# App Home
HOME_VIEW = "home"

# Coaching goals
GOAL_NEW_ACTION = "goal_new"
"""The "Set a coaching goal" button (the guidance answer and the wrap-up show it)."""
GOAL_MODAL_VIEW = "goal_modal"
GOAL_NOTE_VIEW = "goal_note_modal"
GOAL_HELPED_VIEW = "goal_helped_modal"
GOAL_FIELD_ACTION = "value"
GOAL_ANSWER_PREFIX = "goal_answer:"
GOAL_OUTCOME_PREFIX = "goal_outcome:"
GOAL_NOTE_ACTION = "goal_note"
GOAL_HELPED_ACTION = "goal_helped"
GOAL_WRAPUP_ACTION = "goal_wrapup"
GOAL_FIND_MENTOR_ACTION = "goal_find_mentor"
GOAL_EDIT_ACTION = "goal_edit"
GOAL_PAUSE_ACTION = "goal_pause"
GOAL_RESUME_ACTION = "goal_resume"
GOAL_FINISH_ACTION = "goal_finish"
GOAL_ABANDON_ACTION = "goal_abandon"
GOAL_NOTE_BLOCK = "goal_note"
GOAL_HELPED_BLOCK = "goal_helped"
GOAL_METADATA_EVENT = "coaching_goal_dm"
"""The message metadata event type that carries a dispatched DM's key."""


def goal_block(field: str) -> str:
    """The block id of a goal modal field."""
    return f"goal_{field}"
