"""app.yaml and the code stay in step: what the code needs is declared, nothing more."""

from __future__ import annotations

import ast
from pathlib import Path

import yaml
from slack_sdk import WebClient

from handlers.slack_api import METHOD_SCOPES, SLASH_COMMAND_SCOPE

ROOT = Path(__file__).resolve().parents[2]
HANDLERS = ROOT / "handlers"
# Modules that talk to Slack on behalf of tests and the sandbox, not the bot itself.
NOT_THE_BOT = {"fakeslack.py", "signed.py"}
WEB_METHODS = {name for name in dir(WebClient) if not name.startswith("_")}


def manifest() -> dict:  # type: ignore[type-arg]
    return yaml.safe_load((ROOT / "app.yaml").read_text())


def _calls() -> list[ast.Call]:
    found: list[ast.Call] = []
    for path in HANDLERS.rglob("*.py"):
        if path.name in NOT_THE_BOT:
            continue
        found.extend(n for n in ast.walk(ast.parse(path.read_text())) if isinstance(n, ast.Call))
    return found


def _literal_first_arg(call: ast.Call, attr: str) -> str | None:
    func = call.func
    if isinstance(func, ast.Attribute) and func.attr == attr and call.args:
        first = call.args[0]
        if isinstance(first, ast.Constant) and isinstance(first.value, str):
            return first.value
    return None


def code_events() -> set[str]:
    return {e for c in _calls() if (e := _literal_first_arg(c, "event"))}


def code_commands() -> set[str]:
    return {e for c in _calls() if (e := _literal_first_arg(c, "command"))} | _command_constants()


def _command_constants() -> set[str]:
    from handlers import ids

    return {ids.COMMAND}


def code_methods() -> set[str]:
    """Web API methods called as client.<method>(...) anywhere in the bot's code."""
    names: set[str] = set()
    for call in _calls():
        func = call.func
        if isinstance(func, ast.Attribute) and func.attr in WEB_METHODS and "_" in func.attr:
            names.add(func.attr)
    return names


def api_name(python_name: str) -> str:
    if python_name == "files_upload_v2":
        return "files.getUploadURLExternal"
    return python_name.replace("_", ".")


def test_every_called_method_has_a_scope_entry() -> None:
    called = {api_name(m) for m in code_methods()}
    missing = sorted(m for m in called if m not in METHOD_SCOPES)
    assert missing == [], f"add these to handlers/slack_api.py with their scopes: {missing}"


def test_manifest_scopes_are_exactly_what_the_code_uses() -> None:
    called = {api_name(m) for m in code_methods()}
    if "files.getUploadURLExternal" in called:
        called.add("files.completeUploadExternal")
    needed = {scope for method in called for scope in METHOD_SCOPES.get(method, ())}
    needed.add(SLASH_COMMAND_SCOPE)
    declared = set(manifest()["oauth_config"]["scopes"]["bot"])
    assert sorted(declared - needed) == [], "requested but unused"
    assert sorted(needed - declared) == [], "used but not requested"


def test_scope_table_has_no_stale_methods() -> None:
    called = {api_name(m) for m in code_methods()} | {"auth.test"}
    if "files.getUploadURLExternal" in called:
        called.add("files.completeUploadExternal")
    assert sorted(set(METHOD_SCOPES) - called) == []


def test_manifest_events_are_exactly_the_handled_ones() -> None:
    declared = set(manifest()["settings"]["event_subscriptions"]["bot_events"])
    assert declared == code_events()


def test_manifest_commands_are_exactly_the_handled_ones() -> None:
    declared = {c["command"] for c in manifest()["features"]["slash_commands"]}
    assert declared == code_commands()
    for command in manifest()["features"]["slash_commands"]:
        assert command["usage_hint"]
        assert command["url"].endswith("/slack/events")


def test_manifest_enables_home_interactivity_and_socket_mode() -> None:
    data = manifest()
    assert data["features"]["app_home"]["home_tab_enabled"] is True
    assert data["features"]["app_home"]["messages_tab_enabled"] is True
    assert data["settings"]["interactivity"]["is_enabled"] is True
    assert data["settings"]["socket_mode_enabled"] is True
    assert data["settings"]["interactivity"]["request_url"].endswith("/slack/events")
