"""Every callback_id, action_id and block_id the bot uses: one place, no string typos."""

COMMAND = "/coach-or-mentor"

# App Home
HOME_VIEW = "home"

# Guidance answer
GUIDANCE_ACTIONS_BLOCK = "guidance.next"

# Next-step buttons the guidance answer shows (listeners live with their features)
GOAL_NEW_ACTION = "goal.new"
MENTOR_REQUEST_ACTION = "mentor.request.open"
MENTOR_SIGNUP_ACTION = "mentor.signup.open"
