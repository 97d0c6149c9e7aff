from __future__ import annotations

import pytest

from bot.settings import DEFAULT_DATABASE_URL, Secret, SettingsError, mask_url, parse_settings


def test_defaults_need_nothing() -> None:
    settings = parse_settings({})
    assert settings.database_url == DEFAULT_DATABASE_URL
    assert settings.slack_api_url == "https://slack.com/api/"
    assert settings.log_level == "INFO"
    assert settings.database_pool_size == 10
    assert settings.missing_for_socket_mode() == ["SLACK_BOT_TOKEN", "SLACK_APP_TOKEN"]
    assert settings.missing_for_http_mode() == ["SLACK_BOT_TOKEN", "SLACK_SIGNING_SECRET"]


@pytest.mark.parametrize(
    ("env", "variable"),
    [
        ({"SLACK_BOT_TOKEN": "xapp-wrong"}, "SLACK_BOT_TOKEN"),
        ({"SLACK_APP_TOKEN": "xoxb-wrong"}, "SLACK_APP_TOKEN"),
        ({"DATABASE_URL": "mysql://x"}, "DATABASE_URL"),
        ({"DATABASE_URL": "no-scheme"}, "DATABASE_URL"),
        ({"LOG_LEVEL": "loud"}, "LOG_LEVEL"),
        ({"ADMIN_USER_IDS": "U123ABC, bob"}, "ADMIN_USER_IDS"),
        ({"SLACK_API_URL": "ftp://x"}, "SLACK_API_URL"),
        ({"DATABASE_POOL_SIZE": "0"}, "DATABASE_POOL_SIZE"),
    ],
    ids=[
        "bot-token-prefix",
        "app-token-prefix",
        "db-scheme",
        "db-no-scheme",
        "log-level",
        "admin-ids",
        "api-url",
        "pool-size",
    ],
)
def test_errors_name_the_variable(env: dict[str, str], variable: str) -> None:
    with pytest.raises(SettingsError) as err:
        parse_settings(env)
    assert err.value.variable == variable
    assert str(err.value).startswith(variable + ":")


def test_values_are_parsed() -> None:
    settings = parse_settings(
        {
            "SLACK_BOT_TOKEN": "xoxb-1",
            "SLACK_APP_TOKEN": "xapp-1",
            "DATABASE_URL": "postgresql://u:p@h/db",
            "LOG_LEVEL": "debug",
            "ADMIN_USER_IDS": "U01ABC, W02DEF;U03GHI",
            "SLACK_API_URL": "http://127.0.0.1:9/api",
            "DATABASE_POOL_SIZE": "16",
        }
    )
    assert settings.database_pool_size == 16
    assert settings.database_url == "postgresql+psycopg://u:p@h/db"
    assert settings.log_level == "DEBUG"
    assert settings.admin_user_ids == frozenset({"U01ABC", "W02DEF", "U03GHI"})
    assert settings.slack_api_url == "http://127.0.0.1:9/api/"
    assert settings.missing_for_socket_mode() == []


def test_secrets_never_show() -> None:
    settings = parse_settings({"SLACK_BOT_TOKEN": "xoxb-very-secret", "SLACK_SIGNING_SECRET": "s3"})
    assert "very-secret" not in repr(settings)
    assert "s3" not in str(settings.slack_signing_secret)
    assert settings.slack_bot_token.reveal() == "xoxb-very-secret"
    assert Secret("a") == Secret("a")
    assert not Secret("")


def test_settings_are_frozen() -> None:
    settings = parse_settings({})
    with pytest.raises(AttributeError):
        settings.log_level = "DEBUG"  # type: ignore[misc]


@pytest.mark.parametrize(
    ("url", "masked"),
    [
        ("postgresql+psycopg://bob:hunter2@db:5432/x", "postgresql+psycopg://bob:***@db:5432/x"),
        ("postgresql+psycopg://bob@db/x", "postgresql+psycopg://bob@db/x"),
        ("sqlite:///a.db", "sqlite:///a.db"),
    ],
    ids=["password", "no-password", "sqlite"],
)
def test_mask_url(url: str, masked: str) -> None:
    assert mask_url(url) == masked
