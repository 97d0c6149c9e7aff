"""send pacing shared by replicas; leaner check-in indexes

Revision ID: scale_0001
Revises: home_0001
Create Date: 2026-11-23
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "scale_0001"
down_revision: str | None = "home_0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "send_pacing",
        sa.Column("team_id", sa.String(length=32), nullable=False),
        sa.Column("tat", sa.Double(), nullable=False),
        sa.PrimaryKeyConstraint("team_id", name=op.f("pk_send_pacing")),
    )
    # The unique (goal_id, kind, period) already serves lookups by goal.
    with op.batch_alter_table("goal_checkins", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_goal_checkins_goal_id"))
        batch_op.drop_index(batch_op.f("ix_goal_checkins_due"))
        batch_op.drop_index(batch_op.f("ix_goal_checkins_lease"))
        batch_op.create_index(
            "ix_goal_checkins_due",
            ["due_at"],
            unique=False,
            postgresql_where=sa.text("status = 'pending'"),
            sqlite_where=sa.text("status = 'pending'"),
        )
        batch_op.create_index(
            "ix_goal_checkins_lease",
            ["lease_expires_at"],
            unique=False,
            postgresql_where=sa.text("status = 'claimed'"),
            sqlite_where=sa.text("status = 'claimed'"),
        )


def downgrade() -> None:
    with op.batch_alter_table("goal_checkins", schema=None) as batch_op:
        batch_op.drop_index("ix_goal_checkins_lease")
        batch_op.drop_index("ix_goal_checkins_due")
        batch_op.create_index(
            batch_op.f("ix_goal_checkins_lease"), ["status", "lease_expires_at"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_goal_checkins_due"), ["status", "due_at"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_goal_checkins_goal_id"), ["goal_id"], unique=False)
    op.drop_table("send_pacing")
