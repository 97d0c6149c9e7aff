"""Checks for the mentor sign-up and mentor request modals, field by field."""

from __future__ import annotations

from collections.abc import Sequence
from enum import StrEnum

from bot.mentoring.model import (
    DEFAULT_TAXONOMY,
    MAX_BIO_CHARS,
    MAX_CAPACITY,
    MAX_YEARS,
    MentorProfile,
    MentorRequest,
    Offer,
    Taxonomy,
)

MAX_MENTOR_TOPICS = 8
MAX_REQUEST_TOPICS = 5
MAX_TEAM_CHARS = 80
MAX_GOAL_CHARS = 1000

FormErrors = dict[str, str]


class Field(StrEnum):
    """Keys of the modal fields that can carry an error message."""

    TOPICS = "topics"
    OFFERS = "offers"
    WANTS = "wants"
    CAPACITY = "capacity"
    YEARS = "years"
    TEAM = "team"
    BIO = "bio"
    GOAL = "goal"


def validate_mentor_form(
    *,
    user_id: str,
    topics: Sequence[str],
    offers: Sequence[str],
    capacity: str,
    years: str,
    team: str,
    bio: str,
    tz_name: str = "",
    utc_offset_minutes: int = 0,
    paused: bool = False,
    taxonomy: Taxonomy = DEFAULT_TAXONOMY,
) -> MentorProfile | FormErrors:
    """Turn submitted sign-up values into a profile, or say what to fix next to each field."""
    errors: FormErrors = {}
    topic_set = _topics(topics, taxonomy, MAX_MENTOR_TOPICS, Field.TOPICS, errors)
    offer_set = _offers(offers, Field.OFFERS, "Pick at least one thing you can offer.", errors)
    slots = _whole_number(capacity, 0, MAX_CAPACITY, Field.CAPACITY, errors)
    experience = _whole_number(years, 0, MAX_YEARS, Field.YEARS, errors)
    team_name = _team(team, errors)
    text = bio.strip()
    if len(text) > MAX_BIO_CHARS:
        errors[Field.BIO] = f"Keep the bio to {MAX_BIO_CHARS} characters (it has {len(text)})."
    if errors or slots is None or experience is None:
        return errors
    return MentorProfile(
        user_id=user_id,
        topics=topic_set,
        offers=offer_set,
        capacity=slots,
        years=experience,
        team=team_name,
        tz_name=tz_name,
        utc_offset_minutes=utc_offset_minutes,
        bio=text,
        paused=paused,
    )


def validate_request_form(
    *,
    request_id: str,
    mentee_id: str,
    topics: Sequence[str],
    wants: Sequence[str],
    goal: str,
    years: str,
    team: str,
    prefers_close_tz: bool,
    outside_my_team: bool,
    tz_name: str = "",
    utc_offset_minutes: int = 0,
    taxonomy: Taxonomy = DEFAULT_TAXONOMY,
) -> MentorRequest | FormErrors:
    """Turn submitted request values into a request, or say what to fix next to each field."""
    errors: FormErrors = {}
    topic_set = _topics(topics, taxonomy, MAX_REQUEST_TOPICS, Field.TOPICS, errors)
    want_set = _offers(wants, Field.WANTS, "Pick at least one thing you hope for.", errors)
    experience = _whole_number(years, 0, MAX_YEARS, Field.YEARS, errors)
    team_name = _team(team, errors)
    text = goal.strip()
    if not text:
        errors[Field.GOAL] = "Say in a sentence what you would like to get out of it."
    elif len(text) > MAX_GOAL_CHARS:
        errors[Field.GOAL] = f"Keep the goal to {MAX_GOAL_CHARS} characters (it has {len(text)})."
    if outside_my_team and not team_name and Field.TEAM not in errors:
        errors[Field.TEAM] = "Tell us your team so we can look outside it."
    if errors or experience is None:
        return errors
    return MentorRequest(
        request_id=request_id,
        mentee_id=mentee_id,
        topics=topic_set,
        wants=want_set,
        years=experience,
        goal=text,
        prefers_close_tz=prefers_close_tz,
        outside_my_team=outside_my_team,
        team=team_name,
        tz_name=tz_name,
        utc_offset_minutes=utc_offset_minutes,
    )


def _topics(
    values: Sequence[str], taxonomy: Taxonomy, most: int, field: Field, errors: FormErrors
) -> frozenset[str]:
    """Known topic slugs, with an error for none, unknown ones or too many."""
    unknown = [v for v in values if v not in taxonomy]
    chosen = frozenset(v for v in values if v in taxonomy)
    if unknown:
        errors[field] = f"Not on the topic list: {', '.join(sorted(set(unknown)))}."
    elif not chosen:
        errors[field] = "Pick at least one topic."
    elif len(chosen) > most:
        errors[field] = f"Pick at most {most} topics so the match stays focused."
    return chosen


def _offers(
    values: Sequence[str], field: Field, empty: str, errors: FormErrors
) -> frozenset[Offer]:
    """Known offers, with an error for none or unknown ones."""
    known = {o.value: o for o in Offer}
    unknown = [v for v in values if v not in known]
    if unknown:
        errors[field] = f"Choose from advice, support and introductions (not {', '.join(unknown)})."
    elif not values:
        errors[field] = empty
    return frozenset(known[v] for v in values if v in known)


def _whole_number(text: str, low: int, high: int, field: Field, errors: FormErrors) -> int | None:
    """A whole number within [low, high], or None with an error."""
    cleaned = text.strip()
    if not cleaned.isascii() or not cleaned.isdigit():
        errors[field] = f"Enter a whole number from {low} to {high}."
        return None
    value = int(cleaned)
    if not low <= value <= high:
        errors[field] = f"Enter a whole number from {low} to {high}."
        return None
    return value


def _team(team: str, errors: FormErrors) -> str:
    """The team name with spaces tidied, with an error when it is too long."""
    name = " ".join(team.split())
    if len(name) > MAX_TEAM_CHARS:
        errors[Field.TEAM] = f"Keep the team name to {MAX_TEAM_CHARS} characters."
    return name
