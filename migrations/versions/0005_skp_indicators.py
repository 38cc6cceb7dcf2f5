"""SKP with indicators, BerAKHLAK behaviour notes, evidence; the rating explained

Each existing target becomes an RHK with one indicator carrying its text target and
realisation; an existing evidence URL becomes a link evidence of that indicator.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-23 10:52:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from advanced_alchemy.types import DateTimeUTC
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BIGINT = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "behaviour_notes",
        sa.Column("appraisal_id", BIGINT, nullable=False),
        sa.Column("value", sa.String(length=40), nullable=False),
        sa.Column("expectation", sa.Text(), nullable=True),
        sa.Column("feedback", sa.Text(), nullable=True),
        sa.Column("id", BIGINT, nullable=False),
        sa.ForeignKeyConstraint(
            ["appraisal_id"],
            ["appraisals.id"],
            name=op.f("fk_behaviour_notes_appraisal_id_appraisals"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_behaviour_notes")),
        sa.UniqueConstraint("appraisal_id", "value", name=op.f("uq_behaviour_notes_appraisal_id")),
    )
    op.create_table(
        "indicators",
        sa.Column("target_id", BIGINT, nullable=False),
        sa.Column("position", BIGINT, nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("aspect", sa.String(length=20), nullable=False),
        sa.Column("target_value", sa.Numeric(precision=20, scale=4), nullable=True),
        sa.Column("target_unit", sa.String(length=100), nullable=True),
        sa.Column("target_text", sa.Text(), nullable=True),
        sa.Column("weight", sa.Numeric(precision=9, scale=4), nullable=True),
        sa.Column("realisation_value", sa.Numeric(precision=20, scale=4), nullable=True),
        sa.Column("realisation_text", sa.Text(), nullable=True),
        sa.Column("assessment", sa.String(length=30), nullable=True),
        sa.Column("created_at", DateTimeUTC(timezone=True), nullable=False),
        sa.Column("updated_at", DateTimeUTC(timezone=True), nullable=False),
        sa.Column("id", BIGINT, nullable=False),
        sa.ForeignKeyConstraint(
            ["target_id"],
            ["targets.id"],
            name=op.f("fk_indicators_target_id_targets"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_indicators")),
    )
    op.create_index(op.f("ix_indicators_target_id"), "indicators", ["target_id"], unique=False)
    op.create_table(
        "evidence",
        sa.Column("appraisal_id", BIGINT, nullable=False),
        sa.Column("indicator_id", BIGINT, nullable=False),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("url", sa.Text(), nullable=True),
        sa.Column("filename", sa.String(length=255), nullable=True),
        sa.Column("content_type", sa.String(length=100), nullable=True),
        sa.Column("size", sa.BigInteger(), nullable=True),
        sa.Column("sha256", sa.String(length=64), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("added_by_id", BIGINT, nullable=True),
        sa.Column("created_at", DateTimeUTC(timezone=True), nullable=False),
        sa.Column("id", BIGINT, nullable=False),
        sa.ForeignKeyConstraint(
            ["added_by_id"], ["accounts.id"], name=op.f("fk_evidence_added_by_id_accounts")
        ),
        sa.ForeignKeyConstraint(
            ["appraisal_id"],
            ["appraisals.id"],
            name=op.f("fk_evidence_appraisal_id_appraisals"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["indicator_id"],
            ["indicators.id"],
            name=op.f("fk_evidence_indicator_id_indicators"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_evidence")),
    )
    op.create_index(op.f("ix_evidence_appraisal_id"), "evidence", ["appraisal_id"], unique=False)
    op.create_index(op.f("ix_evidence_indicator_id"), "evidence", ["indicator_id"], unique=False)

    with op.batch_alter_table("appraisals") as batch_op:
        batch_op.add_column(
            sa.Column(
                "approach", sa.String(length=20), nullable=False, server_default="kuantitatif"
            )
        )
        batch_op.add_column(sa.Column("suggested_results_rating", sa.String(30), nullable=True))
        batch_op.add_column(sa.Column("departure_reason", sa.Text(), nullable=True))
    with op.batch_alter_table("appraisals") as batch_op:
        batch_op.alter_column("approach", server_default=None)

    op.execute(
        "INSERT INTO indicators (target_id, position, description, aspect, target_text,"
        " realisation_text, created_at, updated_at)"
        " SELECT id, 1, indicator, 'quantity', target, realization, created_at, updated_at"
        " FROM targets"
    )
    op.execute(
        "INSERT INTO evidence (appraisal_id, indicator_id, kind, url, note, added_by_id,"
        " created_at)"
        " SELECT t.appraisal_id, i.id, 'link', t.evidence_url, t.note,"
        " (SELECT ac.id FROM accounts ac JOIN appraisals ap ON ac.employee_id = ap.employee_id"
        "  WHERE ap.id = t.appraisal_id), t.updated_at"
        " FROM targets t JOIN indicators i ON i.target_id = t.id"
        " WHERE t.evidence_url IS NOT NULL"
    )
    with op.batch_alter_table("targets") as batch_op:
        batch_op.add_column(sa.Column("supports_id", BIGINT, nullable=True))
        batch_op.add_column(sa.Column("evaluator_feedback", sa.Text(), nullable=True))
        batch_op.create_index(batch_op.f("ix_targets_supports_id"), ["supports_id"], unique=False)
        batch_op.create_foreign_key(
            batch_op.f("fk_targets_supports_id_targets"),
            "targets",
            ["supports_id"],
            ["id"],
            ondelete="SET NULL",
        )
        batch_op.drop_column("indicator")
        batch_op.drop_column("target")
        batch_op.drop_column("realization")
        batch_op.drop_column("evidence_url")
        batch_op.drop_column("note")


def downgrade() -> None:
    with op.batch_alter_table("targets") as batch_op:
        batch_op.add_column(sa.Column("indicator", sa.Text(), nullable=False, server_default=""))
        batch_op.add_column(sa.Column("target", sa.Text(), nullable=False, server_default=""))
        batch_op.add_column(sa.Column("realization", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("evidence_url", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("note", sa.Text(), nullable=True))
        batch_op.drop_constraint(batch_op.f("fk_targets_supports_id_targets"), type_="foreignkey")
        batch_op.drop_index(batch_op.f("ix_targets_supports_id"))
        batch_op.drop_column("evaluator_feedback")
        batch_op.drop_column("supports_id")
    op.execute(
        "UPDATE targets SET"
        " indicator = COALESCE((SELECT description FROM indicators i WHERE i.target_id = targets.id"
        "  ORDER BY i.position LIMIT 1), ''),"
        " target = COALESCE((SELECT COALESCE(target_text, '') FROM indicators i"
        "  WHERE i.target_id = targets.id ORDER BY i.position LIMIT 1), ''),"
        " realization = (SELECT realisation_text FROM indicators i"
        "  WHERE i.target_id = targets.id ORDER BY i.position LIMIT 1)"
    )
    with op.batch_alter_table("appraisals") as batch_op:
        batch_op.drop_column("departure_reason")
        batch_op.drop_column("suggested_results_rating")
        batch_op.drop_column("approach")
    op.drop_index(op.f("ix_evidence_indicator_id"), table_name="evidence")
    op.drop_index(op.f("ix_evidence_appraisal_id"), table_name="evidence")
    op.drop_table("evidence")
    op.drop_index(op.f("ix_indicators_target_id"), table_name="indicators")
    op.drop_table("indicators")
    op.drop_table("behaviour_notes")
