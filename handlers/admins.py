"""Who is a programme admin: ADMIN_USER_IDS, and optionally the workspace's own admins."""

from __future__ import annotations

import logging

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from handlers.deps import Deps

log = logging.getLogger(__name__)

REFUSAL = (
    "Sorry, that is for programme admins only, so I haven't changed anything."
    " If you think you should be one, ask whoever runs coach-or-mentor to add you."
)


def is_admin(client: WebClient, deps: Deps, user_id: str) -> bool:
    """Checked on the server for every admin action; Slack's answer is asked each time."""
    if not user_id:
        return False
    if user_id in deps.settings.admin_user_ids:
        return True
    if not deps.settings.programme.admins_include_workspace_admins:
        return False
    try:
        user = client.users_info(user=user_id).get("user") or {}
    except SlackApiError as err:
        log.warning("users.info failed user=%s error=%s", user_id, err.response.get("error"))
        return False
    return bool(user.get("is_admin") or user.get("is_owner")) and not user.get("deleted")
