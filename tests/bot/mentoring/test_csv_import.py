"""Programme spreadsheets: good rows parsed, bad rows reported by line number."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from bot.mentoring import Offer
from bot.mentoring.csv_import import RowError, parse_mentees_csv, parse_mentors_csv

NOW = datetime(2026, 7, 1, tzinfo=UTC)
MENTOR_HEADER = "slack_user_id,name,topics,offers,capacity,timezone,team,years\n"
MENTEE_HEADER = "slack_user_id,name,topics,wants,timezone,team,years\n"
GOOD_MENTOR = (
    "U01AAA,Ada Lovelace,leadership;Public speaking,advice;introductions,2,Europe/Paris,R&D,15\n"
)


def test_good_mentor_rows_are_parsed():
    text = MENTOR_HEADER + GOOD_MENTOR + "U02BBB,Grace,writing,support,0,America/New_York,Ops,30\n"
    result = parse_mentors_csv(text, now=NOW)
    assert result.errors == ()
    first, second = result.rows
    assert (first.line, first.name) == (2, "Ada Lovelace")
    assert first.value.topics == frozenset({"leadership", "public-speaking"})
    assert first.value.offers == frozenset({Offer.ADVICE, Offer.INTRODUCTIONS})
    assert first.value.utc_offset_minutes == 120
    assert second.value.capacity == 0
    assert second.value.utc_offset_minutes == -240


@pytest.mark.parametrize(
    ("row", "needle"),
    [
        ("u01aaa,Ada,leadership,advice,2,Europe/Paris,R&D,15", "Slack user id"),
        ("U09ZZZ,,leadership,advice,2,Europe/Paris,R&D,15", "name is empty"),
        ("U09ZZZ,Ada,,advice,2,Europe/Paris,R&D,15", "at least one topic"),
        ("U09ZZZ,Ada,leadership;juggling,advice,2,Europe/Paris,R&D,15", "juggling"),
        ("U09ZZZ,Ada,leadership,,2,Europe/Paris,R&D,15", "at least one"),
        ("U09ZZZ,Ada,leadership,advice;money,2,Europe/Paris,R&D,15", "money"),
        ("U09ZZZ,Ada,leadership,advice,6,Europe/Paris,R&D,15", "capacity"),
        ("U09ZZZ,Ada,leadership,advice,two,Europe/Paris,R&D,15", "capacity"),
        ("U09ZZZ,Ada,leadership,advice,2,Mars/Olympus,R&D,15", "time zone"),
        ("U09ZZZ,Ada,leadership,advice,2,../etc/passwd,R&D,15", "time zone"),
        ("U09ZZZ,Ada,leadership,advice,2,Europe/Paris,R&D,-1", "years"),
        ("U09ZZZ,Ada,leadership,advice,2,Europe/Paris,R&D", "Expected 8 cells"),
    ],
    ids=["bad-user-id", "empty-name", "no-topic", "unknown-topic", "no-offer", "unknown-offer",
         "capacity-over-5", "capacity-not-number", "unknown-zone", "path-as-zone",
         "negative-years", "missing-cell"],
)  # fmt: skip
def test_bad_mentor_row_is_reported_on_its_line(row, needle):
    text = MENTOR_HEADER + GOOD_MENTOR + row + "\n"
    result = parse_mentors_csv(text, now=NOW)
    assert [r.line for r in result.rows] == [2]
    (error,) = result.errors
    assert error.line == 3
    assert needle.casefold() in error.reason.casefold()


def test_duplicate_ids_are_errors_naming_the_first_line():
    text = MENTOR_HEADER + GOOD_MENTOR + "\n" + GOOD_MENTOR
    result = parse_mentors_csv(text, now=NOW)
    assert result.errors == (RowError(4, "U01AAA already appears on line 2."),)


def test_quoted_multiline_cell_keeps_line_numbers():
    text = MENTOR_HEADER + 'U01AAA,"Ada\nLovelace",leadership,advice,2,UTC,R&D,15\n' + "bad\n"
    result = parse_mentors_csv(text, now=NOW)
    assert result.rows[0].line == 2
    assert result.errors[0].line == 4


@pytest.mark.parametrize(
    ("text", "needle"),
    [("", "empty"), ("slack_user_id,name,topics\n", "Missing columns: offers, capacity")],
    ids=["empty-file", "missing-columns"],
)
def test_bad_header_is_line_one(text, needle):
    result = parse_mentors_csv(text, now=NOW)
    assert result.rows == ()
    assert result.errors[0].line == 1
    assert needle in result.errors[0].reason


def test_mentee_rows_are_parsed_and_checked():
    text = (
        MENTEE_HEADER
        + "U03CCC,Lin,Changing careers,support,Asia/Kolkata,Sales,2\n"
        + "U04DDD,Sam,writing,advice,Asia/Kolkata,Sales,70\n"
        + "U05EEE,Kim,writing,advice,Nowhere/Land,Sales,3\n"
    )
    result = parse_mentees_csv(text, now=NOW)
    (row,) = result.rows
    assert row.value.topics == frozenset({"career-change"})
    assert row.value.utc_offset_minutes == 330
    assert [e.line for e in result.errors] == [3, 4]
