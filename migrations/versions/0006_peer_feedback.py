"""Peer feedback (360) on an appraisal: requests and answers per core value

Revision ID: 0006
Revises: 0004
Create Date: 2026-11-23 10:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from advanced_alchemy.types import DateTimeUTC
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BIGINT = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "peer_requests",
        sa.Column("appraisal_id", BIGINT, nullable=False),
        sa.Column("peer_id", BIGINT, nullable=False),
        sa.Column("invited_by_id", BIGINT, nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("due", sa.Date(), nullable=False),
        sa.Column("answered_at", DateTimeUTC(timezone=True), nullable=True),
        sa.Column("created_at", DateTimeUTC(timezone=True), nullable=False),
        sa.Column("id", BIGINT, nullable=False),
        sa.ForeignKeyConstraint(
            ["appraisal_id"],
            ["appraisals.id"],
            name=op.f("fk_peer_requests_appraisal_id_appraisals"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["peer_id"], ["employees.id"], name=op.f("fk_peer_requests_peer_id_employees")
        ),
        sa.ForeignKeyConstraint(
            ["invited_by_id"],
            ["accounts.id"],
            name=op.f("fk_peer_requests_invited_by_id_accounts"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_peer_requests")),
        sa.UniqueConstraint("appraisal_id", "peer_id", name=op.f("uq_peer_requests_appraisal_id")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_peer_requests_token_hash")),
    )
    op.create_index(
        op.f("ix_peer_requests_appraisal_id"), "peer_requests", ["appraisal_id"], unique=False
    )
    op.create_index(op.f("ix_peer_requests_peer_id"), "peer_requests", ["peer_id"], unique=False)
    op.create_table(
        "peer_answers",
        sa.Column("request_id", BIGINT, nullable=False),
        sa.Column("value", sa.String(length=30), nullable=False),
        sa.Column("score", sa.SmallInteger(), nullable=False),
        sa.Column("comment", sa.Text(), nullable=True),
        sa.Column("id", BIGINT, nullable=False),
        sa.CheckConstraint("score BETWEEN 1 AND 5", name=op.f("ck_peer_answers_score_scale")),
        sa.ForeignKeyConstraint(
            ["request_id"],
            ["peer_requests.id"],
            name=op.f("fk_peer_answers_request_id_peer_requests"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_peer_answers")),
        sa.UniqueConstraint("request_id", "value", name=op.f("uq_peer_answers_request_id")),
    )


def downgrade() -> None:
    op.drop_table("peer_answers")
    op.drop_index(op.f("ix_peer_requests_peer_id"), table_name="peer_requests")
    op.drop_index(op.f("ix_peer_requests_appraisal_id"), table_name="peer_requests")
    op.drop_table("peer_requests")
