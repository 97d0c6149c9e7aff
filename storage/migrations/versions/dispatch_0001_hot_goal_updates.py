"""goals updated in place by the dispatcher: review_at no longer indexed, room left on pages

Revision ID: dispatch_0001
Revises: scale_0001
Create Date: 2026-12-07

Every check-in sent moves its goal on (last period, DM channel, review time). With `review_at`
indexed, each of those updates wrote a new entry into all five goal indexes; without an indexed
column among those it changes, and with free space on the page (fillfactor), PostgreSQL updates
the row in place (a HOT update) and writes no index entry at all. The review pass, the index's
only reader, scans the goals instead (see storage.goals_queue.due_reviews). Fillfactor 50: a
batch often updates every goal of a page (goals created together fall due together), and each
needs room for its new version (see storage.goals.GOALS_FILLFACTOR).

The fillfactor applies to pages written from now on: existing full pages gain room only as
vacuum frees old row versions on them. SQLite has no such setting.
"""

from collections.abc import Sequence

from alembic import op

revision: str = "dispatch_0001"
down_revision: str | None = "scale_0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("goals", schema=None) as batch_op:
        batch_op.drop_index("ix_goals_review_at")
    if op.get_bind().dialect.name == "postgresql":
        op.execute("ALTER TABLE goals SET (fillfactor = 50)")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("ALTER TABLE goals RESET (fillfactor)")
    with op.batch_alter_table("goals", schema=None) as batch_op:
        batch_op.create_index("ix_goals_review_at", ["review_at"], unique=False)
