from __future__ import annotations

import pytest

from bot.resources import DEFAULT_TEXTS, Resource, parse_resources


@pytest.mark.parametrize(
    ("topic", "first"),
    [
        ("self-harm", Resource.CRISIS),
        ("threat", Resource.EMERGENCY),
        ("safety", Resource.EMERGENCY),
        ("harassment", Resource.PEOPLE_TEAM),
        ("discrimination", Resource.PEOPLE_TEAM),
        ("pay-equity", Resource.PEOPLE_TEAM),
        ("fraud", Resource.ETHICS),
        ("legal", Resource.ETHICS),
        (None, Resource.PEOPLE_TEAM),
    ],
    ids=str,
)
def test_most_urgent_resource_comes_first(topic: str | None, first: Resource) -> None:
    shown = parse_resources({}).for_topic(topic)
    assert shown[0] == DEFAULT_TEXTS[first]
    assert len(shown) >= 2


def test_configured_texts_replace_defaults() -> None:
    env = {
        "ESCALATION_PEOPLE_TEAM": "Ask <https://hr.example.com|HR> in #people",
        "CONSULTING_CONTACT": "Ops",
    }
    resources = parse_resources(env)
    assert resources.for_topic("harassment")[0] == "Ask <https://hr.example.com|HR> in #people"
    assert resources.consulting_contact == "Ops"


def test_blank_setting_keeps_the_default() -> None:
    assert (
        parse_resources({"ESCALATION_ETHICS": "  "}).texts[Resource.ETHICS]
        == DEFAULT_TEXTS[Resource.ETHICS]
    )
