"""Follow-up items (development plans) with sessions and checkpoints; the rules' single run

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-30 22:05:14
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from advanced_alchemy.types import DateTimeUTC
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BIGINT = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "followup_proposal_runs",
        sa.Column("appraisal_id", BIGINT, autoincrement=False, nullable=False),
        sa.Column("ran_at", DateTimeUTC(timezone=True), nullable=False),
        sa.Column("proposed", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["appraisal_id"],
            ["appraisals.id"],
            name=op.f("fk_followup_proposal_runs_appraisal_id_appraisals"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("appraisal_id", name=op.f("pk_followup_proposal_runs")),
    )
    op.create_table(
        "followups",
        sa.Column("workflow", sa.String(length=50), nullable=False),
        sa.Column("state", sa.String(length=40), nullable=False),
        sa.Column("version", BIGINT, nullable=False),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("employee_id", BIGINT, nullable=False),
        sa.Column("appraisal_id", BIGINT, nullable=True),
        sa.Column("target_id", BIGINT, nullable=True),
        sa.Column("core_value", sa.String(length=40), nullable=True),
        sa.Column("owner", sa.String(length=20), nullable=False),
        sa.Column("mentor_id", BIGINT, nullable=True),
        sa.Column("title", sa.String(length=500), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("due", sa.Date(), nullable=False),
        sa.Column("details", sa.JSON(), nullable=False),
        sa.Column("sources", sa.JSON(), nullable=False),
        sa.Column("added_by_id", BIGINT, nullable=True),
        sa.Column("added_by", sa.String(length=320), nullable=False),
        sa.Column("outcome", sa.String(length=20), nullable=True),
        sa.Column("end_reason", sa.Text(), nullable=True),
        sa.Column("completed_at", DateTimeUTC(timezone=True), nullable=True),
        sa.Column("certificate_sha256", sa.String(length=64), nullable=True),
        sa.Column("certificate_filename", sa.String(length=255), nullable=True),
        sa.Column("certificate_content_type", sa.String(length=100), nullable=True),
        sa.Column("certificate_size", sa.BigInteger(), nullable=True),
        sa.Column("certificate_uploaded_at", DateTimeUTC(timezone=True), nullable=True),
        sa.Column("state_changed_at", DateTimeUTC(timezone=True), nullable=False),
        sa.Column("created_at", DateTimeUTC(timezone=True), nullable=False),
        sa.Column("updated_at", DateTimeUTC(timezone=True), nullable=False),
        sa.Column("id", BIGINT, nullable=False),
        sa.ForeignKeyConstraint(
            ["added_by_id"], ["accounts.id"], name=op.f("fk_followups_added_by_id_accounts")
        ),
        sa.ForeignKeyConstraint(
            ["appraisal_id"],
            ["appraisals.id"],
            name=op.f("fk_followups_appraisal_id_appraisals"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["employee_id"], ["employees.id"], name=op.f("fk_followups_employee_id_employees")
        ),
        sa.ForeignKeyConstraint(
            ["mentor_id"], ["employees.id"], name=op.f("fk_followups_mentor_id_employees")
        ),
        sa.ForeignKeyConstraint(
            ["target_id"],
            ["targets.id"],
            name=op.f("fk_followups_target_id_targets"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_followups")),
    )
    with op.batch_alter_table("followups", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_followups_appraisal_id"), ["appraisal_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_followups_employee_id"), ["employee_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_followups_mentor_id"), ["mentor_id"], unique=False)
        batch_op.create_index("ix_followups_state_due", ["state", "due"], unique=False)

    op.create_table(
        "followup_checkpoints",
        sa.Column("followup_id", BIGINT, nullable=False),
        sa.Column("due_on", sa.Date(), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("reviewed_on", sa.Date(), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("created_at", DateTimeUTC(timezone=True), nullable=False),
        sa.Column("id", BIGINT, nullable=False),
        sa.ForeignKeyConstraint(
            ["followup_id"],
            ["followups.id"],
            name=op.f("fk_followup_checkpoints_followup_id_followups"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_followup_checkpoints")),
    )
    with op.batch_alter_table("followup_checkpoints", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_followup_checkpoints_followup_id"), ["followup_id"], unique=False
        )

    op.create_table(
        "followup_sessions",
        sa.Column("followup_id", BIGINT, nullable=False),
        sa.Column("held_on", sa.Date(), nullable=False),
        sa.Column("notes", sa.Text(), nullable=False),
        sa.Column("recorded_by_id", BIGINT, nullable=True),
        sa.Column("recorded_by", sa.String(length=320), nullable=False),
        sa.Column("created_at", DateTimeUTC(timezone=True), nullable=False),
        sa.Column("id", BIGINT, nullable=False),
        sa.ForeignKeyConstraint(
            ["followup_id"],
            ["followups.id"],
            name=op.f("fk_followup_sessions_followup_id_followups"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["recorded_by_id"],
            ["accounts.id"],
            name=op.f("fk_followup_sessions_recorded_by_id_accounts"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_followup_sessions")),
    )
    with op.batch_alter_table("followup_sessions", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_followup_sessions_followup_id"), ["followup_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("followup_sessions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_followup_sessions_followup_id"))

    op.drop_table("followup_sessions")
    with op.batch_alter_table("followup_checkpoints", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_followup_checkpoints_followup_id"))

    op.drop_table("followup_checkpoints")
    with op.batch_alter_table("followups", schema=None) as batch_op:
        batch_op.drop_index("ix_followups_state_due")
        batch_op.drop_index(batch_op.f("ix_followups_mentor_id"))
        batch_op.drop_index(batch_op.f("ix_followups_employee_id"))
        batch_op.drop_index(batch_op.f("ix_followups_appraisal_id"))

    op.drop_table("followups")
    op.drop_table("followup_proposal_runs")
