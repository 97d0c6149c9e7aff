"""Every callback_id, action_id and block_id the bot uses: one place, no string typos."""

COMMAND = "/coach-or-mentor"

# App Home
HOME_VIEW = "home"

# Guidance answer
GUIDANCE_ACTIONS_BLOCK = "guidance.next"

# Next-step buttons the guidance answer shows (listeners live with their features)

# Mentoring
MENTOR_SIGNUP_ACTION = "mentor_signup"
MENTOR_REQUEST_ACTION = "mentor_request"
MENTOR_SIGNUP_VIEW = "mentor_signup_view"
MENTOR_REQUEST_VIEW = "mentor_request_view"
MENTOR_DECLINE_VIEW = "mentor_decline_view"
MENTOR_DONE_VIEW = "mentoring_done_view"
MENTOR_ACCEPT_ACTION = "mentor_accept"
MENTOR_DECLINE_ACTION = "mentor_decline"
MENTORING_END_ACTION = "mentoring_end"
# One action id per answer (ids must differ within a block): mentoring_checkin_<answer>.
MENTORING_CHECKIN_PREFIX = "mentoring_checkin_"
# Modal blocks; each input's element uses its block's id as action_id.
MENTORING_TOPICS_BLOCK = "mentoring_topics"
MENTORING_OFFERS_BLOCK = "mentoring_offers"
MENTORING_WANTS_BLOCK = "mentoring_wants"
MENTORING_CAPACITY_BLOCK = "mentoring_capacity"
MENTORING_YEARS_BLOCK = "mentoring_years"
MENTORING_TEAM_BLOCK = "mentoring_team"
MENTORING_BIO_BLOCK = "mentoring_bio"
MENTORING_GOAL_BLOCK = "mentoring_goal"
MENTORING_PREFS_BLOCK = "mentoring_prefs"
MENTORING_DECLINE_REASON_BLOCK = "mentoring_decline_reason"
MENTORING_PREF_CLOSE_TZ = "close_tz"
MENTORING_PREF_OUTSIDE_TEAM = "outside_team"

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


# App Home, programme admin and privacy
HOME_ACTIONS_BLOCK = "home.actions"
HOME_MENTOR_PAUSE_ACTION = "home_mentor_pause"
HOME_MENTOR_RESUME_ACTION = "home_mentor_resume"
ADMIN_ACTIONS_BLOCK = "admin.actions"
ADMIN_CHART_ACTION = "admin_chart"
ADMIN_EXPORT_ACTION = "admin_export"
ADMIN_MATCH_ACTION = "admin_match"
ADMIN_MATCH_VIEW = "admin_match_view"
ADMIN_TOPICS_ACTION = "admin_topics"
ADMIN_TOPICS_VIEW = "admin_topics_view"
ADMIN_TOPICS_BLOCK = "admin_topics"
ADMIN_RESOURCES_ACTION = "admin_resources"
ADMIN_RESOURCES_VIEW = "admin_resources_view"
ADMIN_RESOURCE_BLOCK_PREFIX = "admin_resource_"
"""One input per escalation resource (and the consulting contact): admin_resource_<key>."""
NOTICE_VIEW = "notice_view"
"""A modal that only says something (answers to clicks from the home tab)."""
FORGET_ACTIONS_BLOCK = "forget.actions"
FORGET_CONFIRM_ACTION = "forget_confirm"
FORGET_CANCEL_ACTION = "forget_cancel"
