"""Continuous feedback notes and coaching sessions

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-22 09:20:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from advanced_alchemy.types import DateTimeUTC
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BIGINT = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "feedback_notes",
        sa.Column("appraisal_id", BIGINT, nullable=False),
        sa.Column("target_id", BIGINT, nullable=False),
        sa.Column("author_id", BIGINT, nullable=False),
        sa.Column("author", sa.String(length=320), nullable=False),
        sa.Column("author_role", sa.String(length=20), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("created_at", DateTimeUTC(timezone=True), nullable=False),
        sa.Column("id", BIGINT, nullable=False),
        sa.ForeignKeyConstraint(
            ["appraisal_id"],
            ["appraisals.id"],
            name=op.f("fk_feedback_notes_appraisal_id_appraisals"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["target_id"],
            ["targets.id"],
            name=op.f("fk_feedback_notes_target_id_targets"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["author_id"], ["accounts.id"], name=op.f("fk_feedback_notes_author_id_accounts")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_feedback_notes")),
    )
    op.create_index(
        op.f("ix_feedback_notes_appraisal_id"), "feedback_notes", ["appraisal_id"], unique=False
    )
    op.create_table(
        "coaching_sessions",
        sa.Column("appraisal_id", BIGINT, nullable=False),
        sa.Column("held_on", sa.Date(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("topic", sa.Text(), nullable=False),
        sa.Column("agreed_actions", sa.Text(), nullable=False),
        sa.Column("recorded_by_id", BIGINT, nullable=False),
        sa.Column("recorded_by", sa.String(length=320), nullable=False),
        sa.Column("created_at", DateTimeUTC(timezone=True), nullable=False),
        sa.Column("id", BIGINT, nullable=False),
        sa.ForeignKeyConstraint(
            ["appraisal_id"],
            ["appraisals.id"],
            name=op.f("fk_coaching_sessions_appraisal_id_appraisals"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["recorded_by_id"],
            ["accounts.id"],
            name=op.f("fk_coaching_sessions_recorded_by_id_accounts"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_coaching_sessions")),
    )
    op.create_index(
        op.f("ix_coaching_sessions_appraisal_id"),
        "coaching_sessions",
        ["appraisal_id"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_coaching_sessions_appraisal_id"), table_name="coaching_sessions")
    op.drop_table("coaching_sessions")
    op.drop_index(op.f("ix_feedback_notes_appraisal_id"), table_name="feedback_notes")
    op.drop_table("feedback_notes")
