"""Every model, imported in one place so the metadata (and Alembic) sees them all."""

from storage.base import Base
from storage.goals import CheckinRow, DigestRow, GoalRow
from storage.people import PersonRow

__all__ = ["Base", "CheckinRow", "DigestRow", "GoalRow", "PersonRow"]
