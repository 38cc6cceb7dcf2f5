"""Deadlines that act: the log of reminders, escalations and system triggers taken (one row per
case, stay in a state and step), appraisals found by state and entry time, and the daily digest
preference of an account

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-01 09:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from advanced_alchemy.types import DateTimeUTC
from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BIGINT = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "deadline_steps",
        sa.Column("case_kind", sa.String(length=30), nullable=False),
        sa.Column("case_id", BIGINT, nullable=False),
        sa.Column("state", sa.String(length=40), nullable=False),
        sa.Column("entered_at", DateTimeUTC(timezone=True), nullable=False),
        sa.Column("step", sa.String(length=80), nullable=False),
        sa.Column("due_at", DateTimeUTC(timezone=True), nullable=False),
        sa.Column("outcome", sa.String(length=10), nullable=False),
        sa.Column("detail", sa.String(length=500), nullable=True),
        sa.Column("taken_at", DateTimeUTC(timezone=True), nullable=False),
        sa.Column("worker", sa.String(length=80), nullable=True),
        sa.Column("id", BIGINT, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_deadline_steps")),
        sa.UniqueConstraint(
            "case_kind",
            "case_id",
            "state",
            "entered_at",
            "step",
            name=op.f("uq_deadline_steps_case_kind"),
        ),
    )
    op.create_index("ix_deadline_steps_taken_at", "deadline_steps", ["taken_at"], unique=False)
    op.create_index(
        "ix_appraisals_state_entered", "appraisals", ["state", "state_changed_at"], unique=False
    )
    with op.batch_alter_table("accounts") as batch_op:
        batch_op.add_column(
            sa.Column("digest", sa.Boolean(), server_default=sa.false(), nullable=False)
        )
        batch_op.add_column(sa.Column("digest_sent_on", sa.Date(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("accounts") as batch_op:
        batch_op.drop_column("digest_sent_on")
        batch_op.drop_column("digest")
    op.drop_index("ix_appraisals_state_entered", table_name="appraisals")
    op.drop_index("ix_deadline_steps_taken_at", table_name="deadline_steps")
    op.drop_table("deadline_steps")
