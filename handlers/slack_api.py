"""The Web API methods the bot calls and the bot scopes each needs (checked in CI against
Slack's method reference, and against app.yaml by the manifest test)."""

from __future__ import annotations

# Only the scopes this bot needs for its use of the method (Slack often lists alternatives).
METHOD_SCOPES: dict[str, tuple[str, ...]] = {
    "auth.test": (),
    "chat.postMessage": ("chat:write",),
    "conversations.history": ("im:history",),
    "chat.update": ("chat:write",),
    # A DM with one person (im) or a group DM introducing a pair (mpim).
    "conversations.open": ("im:write", "mpim:write"),
    "users.info": ("users:read",),
    "views.open": (),
    "views.publish": (),
    "views.update": (),
    # files_upload_v2: the admin's chart and CSV export, uploaded to their DM.
    "files.getUploadURLExternal": ("files:write",),
    "files.completeUploadExternal": ("files:write",),
}

# Scopes that come with a feature rather than a method call.
SLASH_COMMAND_SCOPE = "commands"
