"""Mentoring settings: defaults, overrides, and errors that name the variable."""

from __future__ import annotations

import pytest

from bot.mentoring import DEFAULT_TAXONOMY, DEFAULT_WEIGHTS, Weights
from bot.mentoring.settings import MatchingMode, parse_mentoring_settings, slugify
from bot.settings import SettingsError, parse_settings


def test_defaults() -> None:
    settings = parse_settings({}).mentoring
    assert settings.mode is MatchingMode.BOTH
    assert (settings.instant, settings.rounds) == (True, True)
    assert settings.proposal_expiry_hours == 72
    assert settings.round_every_hours == 24
    assert settings.checkin_every_days == 30
    assert settings.taxonomy == DEFAULT_TAXONOMY
    assert settings.weights == DEFAULT_WEIGHTS


@pytest.mark.parametrize(
    ("mode", "instant", "rounds"),
    [("instant", True, False), ("rounds", False, True), (" BOTH ", True, True)],
    ids=["instant", "rounds", "both-any-case"],
)
def test_modes(mode: str, instant: bool, rounds: bool) -> None:
    settings = parse_mentoring_settings({"MENTORING_MODE": mode})
    assert (settings.instant, settings.rounds) == (instant, rounds)


def test_overrides() -> None:
    settings = parse_mentoring_settings(
        {
            "MENTORING_PROPOSAL_EXPIRY_HOURS": "48",
            "MENTORING_ROUND_EVERY_HOURS": "6",
            "MENTORING_CHECKIN_EVERY_DAYS": "14",
            "MENTORING_TOPICS": "Career growth; sre=Site reliability\nData & AI",
            "MENTORING_WEIGHTS": "topics=0.6, load=0, full_experience_gap=4",
        }
    )
    assert settings.proposal_expiry_hours == 48
    assert settings.round_every_hours == 6
    assert settings.checkin_every_days == 14
    assert [(t.slug, t.label) for t in settings.taxonomy.topics] == [
        ("career-growth", "Career growth"),
        ("sre", "Site reliability"),
        ("data-ai", "Data & AI"),
    ]
    assert settings.weights == Weights(topics=0.6, load=0.0, full_experience_gap=4)


@pytest.mark.parametrize(
    ("env", "variable", "words"),
    [
        ({"MENTORING_MODE": "sometimes"}, "MENTORING_MODE", "instant, rounds or both"),
        ({"MENTORING_PROPOSAL_EXPIRY_HOURS": "0"}, "MENTORING_PROPOSAL_EXPIRY_HOURS", "1 to 720"),
        ({"MENTORING_ROUND_EVERY_HOURS": "daily"}, "MENTORING_ROUND_EVERY_HOURS", "whole number"),
        ({"MENTORING_CHECKIN_EVERY_DAYS": "400"}, "MENTORING_CHECKIN_EVERY_DAYS", "7 to 90"),
        ({"MENTORING_TOPICS": "A; a"}, "MENTORING_TOPICS", "twice"),
        ({"MENTORING_TOPICS": "Bad Slug=Label"}, "MENTORING_TOPICS", "slug=Label"),
        ({"MENTORING_TOPICS": "!!!"}, "MENTORING_TOPICS", "slug=Label"),
        ({"MENTORING_TOPICS": "x" * 76}, "MENTORING_TOPICS", "75 characters"),
        ({"MENTORING_TOPICS": ";".join(f"t{i}" for i in range(101))}, "MENTORING_TOPICS", "100"),
        ({"MENTORING_WEIGHTS": "speed=1"}, "MENTORING_WEIGHTS", "names topics"),
        ({"MENTORING_WEIGHTS": "topics"}, "MENTORING_WEIGHTS", "name=value"),
        ({"MENTORING_WEIGHTS": "topics=lots"}, "MENTORING_WEIGHTS", "number"),
        ({"MENTORING_WEIGHTS": "topics=nan"}, "MENTORING_WEIGHTS", "finite"),
        ({"MENTORING_WEIGHTS": "topics=-1"}, "MENTORING_WEIGHTS", "not negative"),
        ({"MENTORING_WEIGHTS": "full_experience_gap=2.5"}, "MENTORING_WEIGHTS", "number"),
        (
            {"MENTORING_WEIGHTS": "topics=0,offers=0,time_zone=0,experience=0,load=0"},
            "MENTORING_WEIGHTS",
            "positive",
        ),
    ],
    ids=[
        "mode",
        "expiry-zero",
        "cadence-word",
        "checkin-too-long",
        "topic-twice",
        "bad-slug",
        "no-letters",
        "label-too-long",
        "too-many-topics",
        "unknown-weight",
        "weight-without-value",
        "weight-not-a-number",
        "weight-nan",
        "weight-negative",
        "gap-not-whole",
        "all-weights-zero",
    ],
)
def test_errors_name_the_variable(env: dict[str, str], variable: str, words: str) -> None:
    with pytest.raises(SettingsError) as err:
        parse_settings(env)
    assert err.value.variable == variable
    assert words in str(err.value)


@pytest.mark.parametrize(
    ("label", "slug"),
    [("Career growth", "career-growth"), ("  Data & AI ", "data-ai"), ("C++", "c")],
    ids=["words", "symbols", "trailing-symbols"],
)
def test_slugify(label: str, slug: str) -> None:
    assert slugify(label) == slug
