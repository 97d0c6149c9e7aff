"""Every model, imported in one place so the metadata (and Alembic) sees them all."""

from storage.base import Base
from storage.events import SlackEventRow
from storage.mentoring import CheckinRow, MentorRow, PairRow, ProposalRow, RequestRow
from storage.people import PersonRow

__all__ = [
    "Base",
    "CheckinRow",
    "MentorRow",
    "PairRow",
    "PersonRow",
    "ProposalRow",
    "RequestRow",
    "SlackEventRow",
]
