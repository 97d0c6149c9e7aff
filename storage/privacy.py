"""Forget a person: every feature deletes its rows about them; the trend keeps only counts."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session

from storage import goals, mentoring, people, programme, report


@dataclass(frozen=True)
class Forgotten:
    """What was deleted, and who must hear that a pair or a coach went away."""

    mentoring: mentoring.MentoringForgotten
    goals: goals.GoalsForgotten
    people: int

    @property
    def deleted(self) -> dict[str, int]:
        """Rows deleted (or changed) per table."""
        return {**self.mentoring.deleted, **self.goals.deleted, "people": self.people}


def forget_person(session: Session, team_id: str, user_id: str) -> Forgotten:
    """Delete everything about the person in one transaction (the caller's).

    Their weekly counts are added to the aggregate counters first, with the same queries the
    report uses, so programme totals do not change when their rows go.
    """
    amounts = report.weekly_amounts(session, team_id, since=None, user_id=user_id)
    programme.add_counts(session, team_id, amounts)
    forgotten = Forgotten(
        mentoring=mentoring.forget_person(session, team_id, user_id),
        goals=goals.forget_person(session, team_id, user_id),
        people=people.forget_person(session, team_id, user_id),
    )
    programme.forget_editor(session, user_id)
    return forgotten
