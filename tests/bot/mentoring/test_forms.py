"""Field-by-field checks of the sign-up and request modals."""

from __future__ import annotations

import pytest

from bot.mentoring import MentorProfile, MentorRequest, Offer
from bot.mentoring.forms import validate_mentor_form, validate_request_form

GOOD_MENTOR = {
    "user_id": "U1",
    "topics": ["leadership", "writing"],
    "offers": ["advice", "introductions"],
    "capacity": "2",
    "years": "12",
    "team": "  Data   Platform ",
    "bio": "I led two teams.",
    "tz_name": "Europe/Paris",
    "utc_offset_minutes": 60,
}


def test_good_mentor_form_gives_a_profile():
    got = validate_mentor_form(**GOOD_MENTOR)
    assert got == MentorProfile(
        user_id="U1",
        topics=frozenset({"leadership", "writing"}),
        offers=frozenset({Offer.ADVICE, Offer.INTRODUCTIONS}),
        capacity=2,
        years=12,
        team="Data Platform",
        tz_name="Europe/Paris",
        utc_offset_minutes=60,
        bio="I led two teams.",
    )


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"topics": []}, "topics"),
        ({"topics": ["leadership", "juggling"]}, "topics"),
        ({"topics": ["career-growth", "career-change", "promotion", "leadership", "new-manager",
                     "public-speaking", "writing", "feedback", "negotiation"]}, "topics"),
        ({"offers": []}, "offers"),
        ({"offers": ["money"]}, "offers"),
        ({"capacity": "6"}, "capacity"),
        ({"capacity": "-1"}, "capacity"),
        ({"capacity": "2.5"}, "capacity"),
        ({"capacity": ""}, "capacity"),
        ({"capacity": "٣"}, "capacity"),
        ({"years": "61"}, "years"),
        ({"years": "ten"}, "years"),
        ({"team": "x" * 81}, "team"),
        ({"bio": "x" * 501}, "bio"),
    ],
    ids=["no-topic", "unknown-topic", "too-many-topics", "no-offer", "unknown-offer",
         "capacity-over-5", "capacity-negative", "capacity-fraction", "capacity-empty",
         "capacity-non-ascii-digit", "years-too-many", "years-not-a-number", "team-too-long",
         "bio-over-500"],
)  # fmt: skip
def test_bad_mentor_field_gets_its_own_error(changes, field):
    got = validate_mentor_form(**{**GOOD_MENTOR, **changes})
    assert isinstance(got, dict)
    assert set(got) == {field}
    assert got[field]


@pytest.mark.parametrize(
    ("changes", "ok"),
    [
        ({"bio": "x" * 500}, True),
        ({"capacity": "0"}, True),
        ({"capacity": "5"}, True),
        ({"bio": ""}, True),
    ],
    ids=["bio-at-limit", "capacity-zero-is-paused", "capacity-five", "bio-optional"],
)
def test_mentor_limits_are_inclusive(changes, ok):
    assert isinstance(validate_mentor_form(**{**GOOD_MENTOR, **changes}), MentorProfile) is ok


def test_several_bad_fields_are_all_reported():
    got = validate_mentor_form(**{**GOOD_MENTOR, "topics": [], "capacity": "9", "bio": "x" * 600})
    assert set(got) == {"topics", "capacity", "bio"}


GOOD_REQUEST = {
    "request_id": "R1",
    "mentee_id": "U2",
    "topics": ["public-speaking"],
    "wants": ["support"],
    "goal": " Speak at the all-hands without panic. ",
    "years": "1",
    "team": "Sales",
    "prefers_close_tz": True,
    "outside_my_team": True,
}


def test_good_request_form_gives_a_request():
    got = validate_request_form(**GOOD_REQUEST)
    assert isinstance(got, MentorRequest)
    assert got.goal == "Speak at the all-hands without panic."
    assert got.wants == frozenset({Offer.SUPPORT})
    assert got.prefers_close_tz and got.outside_my_team


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"topics": []}, "topics"),
        ({"topics": ["nope"]}, "topics"),
        ({"topics": ["career-growth", "career-change", "promotion", "leadership",
                     "new-manager", "writing"]}, "topics"),
        ({"wants": []}, "wants"),
        ({"wants": ["advice", "cash"]}, "wants"),
        ({"goal": "   "}, "goal"),
        ({"goal": "x" * 1001}, "goal"),
        ({"years": "-3"}, "years"),
        ({"team": ""}, "team"),
    ],
    ids=["no-topic", "unknown-topic", "more-than-five-topics", "no-hope", "unknown-hope",
         "empty-goal", "goal-too-long", "negative-years", "outside-team-needs-a-team"],
)  # fmt: skip
def test_bad_request_field_gets_its_own_error(changes, field):
    got = validate_request_form(**{**GOOD_REQUEST, **changes})
    assert isinstance(got, dict)
    assert set(got) == {field}
