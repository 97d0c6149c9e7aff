"""Every callback_id, action_id and block_id the bot uses: one place, no string typos."""

COMMAND = "/coach-or-mentor"

# App Home
HOME_VIEW = "home"
