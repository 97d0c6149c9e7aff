"""The life of a request, a proposal and a pair: states, and the few rules about time."""

from __future__ import annotations

from datetime import datetime, timedelta
from enum import StrEnum


class RequestStatus(StrEnum):
    """Where a mentee's request stands."""

    OPEN = "open"
    MATCHED = "matched"
    WITHDRAWN = "withdrawn"
    CLOSED = "closed"


class ProposalStatus(StrEnum):
    """Where a mentor's consent stands."""

    PENDING = "pending"
    ACCEPTED = "accepted"
    DECLINED = "declined"
    EXPIRED = "expired"
    WITHDRAWN = "withdrawn"


class PairStatus(StrEnum):
    """Whether a mentoring pair is still going."""

    ACTIVE = "active"
    ENDED = "ended"


class PairEnd(StrEnum):
    """Why a pair ended."""

    BY_MEMBER = "by_member"
    MENTOR_LEFT = "mentor_left"
    INACTIVE = "inactive"


class CheckinAnswer(StrEnum):
    """The one-click answers to the monthly "how is it going?"."""

    GOOD = "good"
    OK = "ok"
    NOT_WORKING = "not_working"


CHECKIN_LABELS: dict[CheckinAnswer, str] = {
    CheckinAnswer.GOOD: "Going well",
    CheckinAnswer.OK: "It's OK",
    CheckinAnswer.NOT_WORKING: "Not working",
}


class AcceptOutcome(StrEnum):
    """What a click on Accept turned out to mean."""

    ACCEPTED = "accepted"
    ALREADY_ACCEPTED = "already_accepted"
    EXPIRED = "expired"
    DECLINED = "declined"
    WITHDRAWN = "withdrawn"
    NOT_YOURS = "not_yours"
    NOT_FOUND = "not_found"


def outcome_for(status: ProposalStatus, *, expired: bool) -> AcceptOutcome:
    """Name the outcome of an Accept that did not win the proposal."""
    if status is ProposalStatus.ACCEPTED:
        return AcceptOutcome.ALREADY_ACCEPTED
    if status is ProposalStatus.DECLINED:
        return AcceptOutcome.DECLINED
    if status is ProposalStatus.WITHDRAWN:
        return AcceptOutcome.WITHDRAWN
    if status is ProposalStatus.EXPIRED or expired:
        return AcceptOutcome.EXPIRED
    return AcceptOutcome.NOT_FOUND


def expires_at(now: datetime, hours: int) -> datetime:
    """When a proposal made at `now` stops waiting for the mentor."""
    return now + timedelta(hours=hours)


def next_checkin(after: datetime, every_days: int) -> datetime:
    """When the next "how is it going?" is due after `after`."""
    return after + timedelta(days=every_days)
