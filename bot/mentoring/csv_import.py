"""Checks for programme spreadsheets: mentor and mentee rows from CSV text."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Generic, TypeVar
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from bot.mentoring.model import (
    DEFAULT_TAXONOMY,
    MAX_CAPACITY,
    MAX_YEARS,
    MentorProfile,
    MentorRequest,
    Offer,
    Taxonomy,
)
from bot.mentoring.scoring import offset_minutes

MENTOR_COLUMNS = (
    "slack_user_id",
    "name",
    "topics",
    "offers",
    "capacity",
    "timezone",
    "team",
    "years",
)
MENTEE_COLUMNS = ("slack_user_id", "name", "topics", "wants", "timezone", "team", "years")
MAX_NAME_CHARS = 80
_SLACK_USER_ID = re.compile(r"^[UW][A-Z0-9]{2,20}$")

T = TypeVar("T")


@dataclass(frozen=True)
class RowError:
    """A bad row: its line number in the file and what is wrong with it."""

    line: int
    reason: str


@dataclass(frozen=True)
class ImportedRow(Generic[T]):
    """A good row: its line number, the person's name and the parsed value."""

    line: int
    name: str
    value: T


@dataclass(frozen=True)
class ImportResult(Generic[T]):
    """Every good row and every bad one; write nothing unless `errors` is empty."""

    rows: tuple[ImportedRow[T], ...]
    errors: tuple[RowError, ...]


class _RowProblem(ValueError):
    """A reason a single cell or row cannot be used."""


def parse_mentors_csv(
    text: str, *, now: datetime, taxonomy: Taxonomy = DEFAULT_TAXONOMY
) -> ImportResult[MentorProfile]:
    """Parse mentor rows; time zones are resolved to offsets at `now`."""

    def build(row: dict[str, str]) -> MentorProfile:
        tz_name = _zone(row["timezone"])
        return MentorProfile(
            user_id=row["slack_user_id"].strip(),
            topics=_topics(row["topics"], taxonomy),
            offers=_offers(row["offers"], "offers"),
            capacity=_number(row["capacity"], MAX_CAPACITY, "capacity"),
            years=_number(row["years"], MAX_YEARS, "years"),
            team=" ".join(row["team"].split()),
            tz_name=tz_name,
            utc_offset_minutes=offset_minutes(tz_name, 0, now),
        )

    return _parse(text, MENTOR_COLUMNS, build)


def parse_mentees_csv(
    text: str, *, now: datetime, taxonomy: Taxonomy = DEFAULT_TAXONOMY
) -> ImportResult[MentorRequest]:
    """Parse mentee rows into requests without an id (storage assigns one) or goal."""

    def build(row: dict[str, str]) -> MentorRequest:
        tz_name = _zone(row["timezone"])
        return MentorRequest(
            request_id="",
            mentee_id=row["slack_user_id"].strip(),
            topics=_topics(row["topics"], taxonomy),
            wants=_offers(row["wants"], "wants"),
            years=_number(row["years"], MAX_YEARS, "years"),
            team=" ".join(row["team"].split()),
            tz_name=tz_name,
            utc_offset_minutes=offset_minutes(tz_name, 0, now),
        )

    return _parse(text, MENTEE_COLUMNS, build)


def _parse(
    text: str, columns: tuple[str, ...], build: Callable[[dict[str, str]], T]
) -> ImportResult[T]:
    """Check the header, then every row, collecting good rows and errors by line."""
    reader = csv.reader(io.StringIO(text))
    header = next(reader, None)
    if header is None:
        return ImportResult((), (RowError(1, "The file is empty."),))
    names = [h.strip().casefold() for h in header]
    missing = [c for c in columns if c not in names]
    if missing:
        return ImportResult((), (RowError(1, f"Missing columns: {', '.join(missing)}."),))
    rows: list[ImportedRow[T]] = []
    errors: list[RowError] = []
    seen: dict[str, int] = {}
    for line, cells in _numbered(reader):
        if not any(c.strip() for c in cells):
            continue
        if len(cells) != len(names):
            errors.append(RowError(line, f"Expected {len(names)} cells, found {len(cells)}."))
            continue
        row = dict(zip(names, cells, strict=True))
        try:
            user_id = _user_id(row["slack_user_id"])
            if user_id in seen:
                raise _RowProblem(f"{user_id} already appears on line {seen[user_id]}.")
            name = _name(row["name"])
            value = build(row)
        except _RowProblem as problem:
            errors.append(RowError(line, str(problem)))
            continue
        seen[user_id] = line
        rows.append(ImportedRow(line, name, value))
    return ImportResult(tuple(rows), tuple(errors))


def _numbered(reader: Iterator[list[str]]) -> Iterator[tuple[int, list[str]]]:
    """Pair each row with the line it starts on (quoted cells may span lines)."""
    previous_end = 1
    for cells in reader:
        yield previous_end + 1, cells
        previous_end = reader.line_num  # type: ignore[attr-defined]


def _user_id(text: str) -> str:
    """A Slack user id such as U0123ABCD."""
    value = text.strip()
    if not _SLACK_USER_ID.match(value):
        raise _RowProblem(f"'{value}' is not a Slack user id (like U0123ABCD).")
    return value


def _name(text: str) -> str:
    """A non-empty display name of reasonable length."""
    value = " ".join(text.split())
    if not value:
        raise _RowProblem("The name is empty.")
    if len(value) > MAX_NAME_CHARS:
        raise _RowProblem(f"The name is longer than {MAX_NAME_CHARS} characters.")
    return value


def _topics(text: str, taxonomy: Taxonomy) -> frozenset[str]:
    """Topics separated by ';', given as slugs or labels."""
    parts = [p.strip() for p in text.split(";") if p.strip()]
    if not parts:
        raise _RowProblem("List at least one topic.")
    unknown = [p for p in parts if taxonomy.find(p) is None]
    if unknown:
        raise _RowProblem(f"Unknown topics: {', '.join(unknown)}.")
    return frozenset(slug for p in parts if (slug := taxonomy.find(p)) is not None)


def _offers(text: str, column: str) -> frozenset[Offer]:
    """Offers separated by ';': advice, support, introductions."""
    parts = [p.strip().casefold() for p in text.split(";") if p.strip()]
    if not parts:
        raise _RowProblem(f"List at least one of advice, support, introductions in {column}.")
    known = {o.value: o for o in Offer}
    unknown = [p for p in parts if p not in known]
    if unknown:
        raise _RowProblem(f"Unknown {column}: {', '.join(unknown)}.")
    return frozenset(known[p] for p in parts)


def _number(text: str, high: int, column: str) -> int:
    """A whole number from 0 to `high`."""
    value = text.strip()
    if not value.isascii() or not value.isdigit() or int(value) > high:
        raise _RowProblem(f"{column} must be a whole number from 0 to {high}, not '{value}'.")
    return int(value)


def _zone(text: str) -> str:
    """An IANA time zone name that zoneinfo knows."""
    value = text.strip()
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        raise _RowProblem(f"'{value}' is not a time zone name (like Europe/Paris).") from None
    return value
