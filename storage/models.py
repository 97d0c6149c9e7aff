"""Every model, imported in one place so the metadata (and Alembic) sees them all."""

from storage.base import Base
from storage.events import SlackEventRow
from storage.goals import CheckinRow as GoalCheckinRow
from storage.goals import DigestRow, GoalRow
from storage.mentoring import CheckinRow as MentoringCheckinRow
from storage.mentoring import MentorRow, PairRow, ProposalRow, RequestRow
from storage.pacing import SendPacingRow
from storage.people import PersonRow
from storage.programme import AggregateCounterRow, AppSettingRow

__all__ = [
    "AggregateCounterRow",
    "AppSettingRow",
    "Base",
    "DigestRow",
    "GoalCheckinRow",
    "GoalRow",
    "MentorRow",
    "MentoringCheckinRow",
    "PairRow",
    "PersonRow",
    "ProposalRow",
    "RequestRow",
    "SendPacingRow",
    "SlackEventRow",
]
