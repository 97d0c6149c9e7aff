"""Programme admin through the real path: every action checks the admin on the server."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import create_engine, func, select

from bot.mentoring import MentorProfile
from bot.mentoring.model import Offer
from bot.settings import parse_settings
from handlers import ids, live
from handlers.admins import REFUSAL
from handlers.deps import Deps
from handlers.fakeslack import FakeSlack
from storage import db, programme
from storage import mentoring as mentoring_repo
from storage.mentoring import ProposalRow
from tests.conftest import RunningBot, start_bot
from tests.handlers.test_home import home_click
from tests.programme_seed import ALICE, TEAM, _request, seed

ADMIN = "U0ADMIN01"
STRANGER = "U0STRANGE"
HARASSMENT = "My manager keeps making comments about my body and touching me, it makes me afraid"


@pytest.fixture
def admin_bot(fake_slack: FakeSlack, db_url: str) -> Iterator[RunningBot]:
    """The bot with one programme admin, on SQLite and PostgreSQL."""
    fake_slack.add_user(ADMIN)
    fake_slack.add_user(STRANGER)
    yield from start_bot(fake_slack, db_url, ADMIN_USER_IDS=ADMIN)


@pytest.fixture
def seeded(admin_bot: RunningBot) -> RunningBot:
    with admin_bot.deps.sessions.begin() as session:
        seed(session, admin_bot.clock.now)
    return admin_bot


def _view(args: dict[str, Any]) -> dict[str, Any]:
    view = args["view"]
    return view if isinstance(view, dict) else json.loads(view)


def _uploads(bot: RunningBot) -> dict[str, bytes]:
    return bot.slack.uploads()


def _stored(bot: RunningBot) -> dict[str, Any]:
    with bot.deps.sessions.begin() as session:
        return programme.all_settings(session)


# refusals --------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "text", ["admin", "admin export", "admin chart", "admin topics", "admin resources"]
)
def test_a_non_admin_is_refused_politely_and_nothing_happens(seeded: RunningBot, text: str) -> None:
    bot = seeded
    reply = bot.http.command(STRANGER, text).json()
    assert reply["text"] == REFUSAL
    assert not bot.slack.wait_for(
        lambda s: bool(
            s.calls("files.getUploadURLExternal") or s.calls("views.open") or s.uploads()
        ),
        timeout=0.3,
    )


def test_a_non_admin_clicking_admin_buttons_gets_a_refusal_only(seeded: RunningBot) -> None:
    bot = seeded
    bot.http.block_action(STRANGER, ids.ADMIN_EXPORT_ACTION)
    assert bot.slack.wait_for(lambda s: any(r.get("text") == REFUSAL for r in s.responses()))
    home_click(bot, STRANGER, ids.ADMIN_CHART_ACTION)  # from the home tab: a modal says no
    assert bot.slack.wait_for(lambda s: len(s.ok_calls("views.open")) == 1)
    assert REFUSAL in json.dumps(_view(bot.slack.ok_calls("views.open")[0].args))
    assert not bot.slack.calls("files.getUploadURLExternal")


def test_a_non_admin_cannot_store_settings_or_run_a_round(seeded: RunningBot) -> None:
    bot = seeded
    topics = {ids.ADMIN_TOPICS_BLOCK: {ids.ADMIN_TOPICS_BLOCK: {"value": "Hacking"}}}
    reply = bot.http.view_submission(STRANGER, ids.ADMIN_TOPICS_VIEW, topics).json()
    assert reply["response_action"] == "update" and REFUSAL in json.dumps(reply)
    key = ids.ADMIN_RESOURCE_BLOCK_PREFIX + "people_team"
    texts = {key: {key: {"value": "Call me instead"}}}
    bot.http.view_submission(STRANGER, ids.ADMIN_RESOURCES_VIEW, texts)
    assert _stored(bot) == {}
    with bot.deps.sessions.begin() as session:
        before = session.scalar(select(func.count()).select_from(ProposalRow))
    reply = bot.http.view_submission(
        STRANGER, ids.ADMIN_MATCH_VIEW, {}, private_metadata=TEAM
    ).json()
    assert REFUSAL in json.dumps(reply)
    with bot.deps.sessions.begin() as session:
        assert session.scalar(select(func.count()).select_from(ProposalRow)) == before
    home_click(bot, STRANGER, ids.ADMIN_MATCH_ACTION)
    assert bot.slack.wait_for(lambda s: len(s.ok_calls("views.update")) == 1)
    assert REFUSAL in json.dumps(_view(bot.slack.ok_calls("views.update")[0].args))


def test_workspace_admins_count_only_when_configured(
    fake_slack: FakeSlack, sqlite_url: str
) -> None:
    fake_slack.add_user("U0OWNER01", is_owner=True)
    for include, expected in (("false", REFUSAL), ("true", "Programme health")):
        gen = start_bot(fake_slack, sqlite_url, ADMINS_INCLUDE_WORKSPACE_ADMINS=include)
        bot = next(gen)
        try:
            assert expected in json.dumps(bot.http.command("U0OWNER01", "admin").json())
        finally:
            gen.close()


# what admins get -------------------------------------------------------------------------------
def test_admin_report_is_counts_only(seeded: RunningBot) -> None:
    body = seeded.http.command(ADMIN, "admin").json()
    rendered = json.dumps(body)
    assert "Programme health" in rendered
    assert "Active pairs: *2*" in rendered
    assert "Open requests: *1*" in rendered
    for private in ("Speak up in planning", "my private note", "private hopes"):
        assert private not in rendered


def test_chart_is_drawn_and_uploaded_to_the_admins_dm(seeded: RunningBot) -> None:
    bot = seeded
    bot.http.block_action(ADMIN, ids.ADMIN_CHART_ACTION)
    assert bot.slack.wait_for(lambda s: len(s.ok_calls("files.completeUploadExternal")) == 1)
    complete = bot.slack.ok_calls("files.completeUploadExternal")[0].args
    opened = bot.slack.ok_calls("conversations.open")[-1].args
    assert opened["users"] == ADMIN
    assert complete["channel_id"].startswith("D")
    (png,) = _uploads(bot).values()
    assert png.startswith(b"\x89PNG\r\n\x1a\n") and len(png) > 10_000


def test_export_uploads_two_csv_files_without_private_text(seeded: RunningBot) -> None:
    bot = seeded
    reply = bot.http.command(ADMIN, "admin export").json()
    assert "DM" in reply["text"]
    assert bot.slack.wait_for(lambda s: len(s.ok_calls("files.completeUploadExternal")) == 1)
    names = [c.args["filename"] for c in bot.slack.ok_calls("files.getUploadURLExternal")]
    assert sorted(n.split("-")[0] for n in names) == ["aggregates", "matches"]
    files = list(_uploads(bot).values())
    assert len(files) == 2
    for content in files:
        text = content.decode()
        for private in ("Speak up", "my private note", "private hopes", "secret success"):
            assert private not in text
    by_header = {f.decode().split(",", 1)[0]: f.decode() for f in files}
    matches = list(csv.DictReader(io.StringIO(by_header["pair_id"])))
    assert len(matches) == 3
    assert {m["status"] for m in matches} == {"active", "ended"}
    assert all(m["mentor_id"] for m in matches)
    aggregates = list(csv.DictReader(io.StringIO(by_header["scope"])))
    window = {r["metric"]: r["value"] for r in aggregates if r["scope"] == "window"}
    assert window["pairs_started"] == "3"
    now = {r["metric"]: r["value"] for r in aggregates if r["scope"] == "now"}
    assert now["active_pairs"] == "2" and now["open_requests"] == "1"


def test_match_round_preview_then_confirm(admin_bot: RunningBot) -> None:
    bot = admin_bot
    now = bot.clock.now
    with bot.deps.sessions.begin() as session:
        mentoring_repo.save_mentor(
            session,
            team_id=TEAM,
            profile=MentorProfile(
                user_id=ALICE,
                topics=frozenset({"leadership"}),
                offers=frozenset({Offer.ADVICE}),
                capacity=2,
                years=10,
            ),
            now=now,
        )
        for mentee in ("U0MENTEE1", "U0MENTEE2"):
            mentoring_repo.open_request(session, team_id=TEAM, request=_request(mentee), now=now)
    bot.slack.add_user(ALICE)
    bot.http.block_action(ADMIN, ids.ADMIN_MATCH_ACTION)
    assert bot.slack.wait_for(lambda s: len(s.ok_calls("views.update")) == 1)
    preview = _view(bot.slack.ok_calls("views.update")[0].args)
    assert preview["callback_id"] == ids.ADMIN_MATCH_VIEW
    rendered = json.dumps(preview, ensure_ascii=False)
    assert "*2* proposals would go out" in rendered
    assert "<@U0MENTEE1> → <@U0ALICE01>" in rendered and "<@U0MENTEE2>" in rendered
    with bot.deps.sessions.begin() as session:
        assert session.scalar(select(func.count()).select_from(ProposalRow)) == 0
    reply = bot.http.view_submission(ADMIN, ids.ADMIN_MATCH_VIEW, {}, private_metadata=TEAM)
    assert reply.json()["response_action"] == "update"
    assert bot.slack.wait_for(
        lambda s: any(
            "Match round done" in str(c.args.get("text")) for c in s.ok_calls("chat.postMessage")
        )
    )
    with bot.deps.sessions.begin() as session:
        assert session.scalar(select(func.count()).select_from(ProposalRow)) == 2
    assert bot.slack.messages(bot.slack._dm_channel([ALICE]))


# editing without a redeploy --------------------------------------------------------------------
def test_topics_edited_in_slack_reach_the_signup_modal(admin_bot: RunningBot) -> None:
    bot = admin_bot
    bot.http.command(ADMIN, "admin topics")
    assert bot.slack.wait_for(lambda s: len(s.ok_calls("views.open")) == 1)
    editor = _view(bot.slack.ok_calls("views.open")[0].args)
    assert "leadership=Leadership" in json.dumps(editor)
    new = "leadership=Leadership\nGardening at scale"
    values = {ids.ADMIN_TOPICS_BLOCK: {ids.ADMIN_TOPICS_BLOCK: {"value": new}}}
    reply = bot.http.view_submission(ADMIN, ids.ADMIN_TOPICS_VIEW, values).json()
    assert "2 topics" in json.dumps(reply)
    assert (
        _stored(bot)[live.TOPICS_KEY]
        == "leadership=Leadership\ngardening-at-scale=Gardening at scale"
    )
    bot.http.block_action(ADMIN, ids.MENTOR_SIGNUP_ACTION)
    assert bot.slack.wait_for(lambda s: len(s.ok_calls("views.open")) == 2)
    signup = json.dumps(_view(bot.slack.ok_calls("views.open")[1].args))
    assert "Gardening at scale" in signup and "Public speaking" not in signup

    bad = {ids.ADMIN_TOPICS_BLOCK: {ids.ADMIN_TOPICS_BLOCK: {"value": "Same\nsame"}}}
    reply = bot.http.view_submission(ADMIN, ids.ADMIN_TOPICS_VIEW, bad).json()
    assert reply["response_action"] == "errors" and ids.ADMIN_TOPICS_BLOCK in reply["errors"]
    empty = {ids.ADMIN_TOPICS_BLOCK: {ids.ADMIN_TOPICS_BLOCK: {"value": ""}}}
    bot.http.view_submission(ADMIN, ids.ADMIN_TOPICS_VIEW, empty)
    assert live.TOPICS_KEY not in _stored(bot)


def test_escalation_texts_edited_in_slack_reach_the_guidance_answer(admin_bot: RunningBot) -> None:
    bot = admin_bot
    key = ids.ADMIN_RESOURCE_BLOCK_PREFIX + "people_team"
    values = {key: {key: {"value": "*People team*: message <#C0PEOPLE|people-help> any time."}}}
    reply = bot.http.view_submission(ADMIN, ids.ADMIN_RESOURCES_VIEW, values).json()
    assert reply["response_action"] == "update"
    answer = json.dumps(bot.http.command(STRANGER, HARASSMENT).json())
    assert "people-help" in answer
    assert "Employee assistance" in answer  # the others keep the configured text
    bot.http.view_submission(ADMIN, ids.ADMIN_RESOURCES_VIEW, {})
    assert live.RESOURCES_KEY not in _stored(bot)
    assert "people-help" not in json.dumps(bot.http.command(STRANGER, HARASSMENT).json())


# the cache -------------------------------------------------------------------------------------
class _Ticks:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_stored_settings_are_read_at_most_once_per_refresh(sqlite_url: str) -> None:
    engine = db.make_engine(sqlite_url)
    ticks = _Ticks()
    deps = Deps(
        settings=parse_settings({"DATABASE_URL": sqlite_url}),
        engine=engine,
        sessions=db.make_sessions(engine),
        live=live.LiveConfig(refresh_s=30, monotonic=ticks),
    )
    try:
        assert live.resources(deps) == deps.settings.resources
        for _ in range(100):
            live.resources(deps)
            live.mentoring(deps)
        assert deps.live.loads == 1
        with deps.sessions.begin() as session:
            programme.put_setting(
                session, live.RESOURCES_KEY, {"ethics": "Ask Legal"}, now=_now(), by=ADMIN
            )
        ticks.now += 29
        assert live.resources(deps) == deps.settings.resources  # another process's edit: later
        ticks.now += 2
        assert "Ask Legal" in live.resources(deps).texts.values()
        assert deps.live.loads == 2
    finally:
        engine.dispose()


def test_an_unreadable_database_keeps_the_last_values(sqlite_url: str) -> None:
    broken = create_engine("postgresql+psycopg://nobody@127.0.0.1:1/none")
    ticks = _Ticks()
    deps = Deps(
        settings=parse_settings({}),
        engine=broken,
        sessions=db.make_sessions(broken),
        live=live.LiveConfig(refresh_s=30, monotonic=ticks),
    )
    assert live.resources(deps) == deps.settings.resources
    assert live.mentoring(deps) == deps.settings.mentoring
    broken.dispose()


def _now() -> Any:
    from tests.conftest import START

    return START


def test_a_failed_upload_is_said_plainly(seeded: RunningBot) -> None:
    bot = seeded
    bot.slack.fail("files.completeUploadExternal", error="not_in_channel")
    bot.http.command(ADMIN, "admin chart")
    assert bot.slack.wait_for(
        lambda s: any("couldn't upload" in str(r.get("text")) for r in s.responses())
    )
