"""Each scheduler's latest pass, for the scheduler lag in /metrics

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-01 01:50:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from advanced_alchemy.types import DateTimeUTC
from alembic import op

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "scheduler_passes",
        sa.Column("worker", sa.String(length=80), primary_key=True),
        sa.Column("finished_at", DateTimeUTC(timezone=True), nullable=False),
        sa.Column("lag_seconds", sa.Double(), nullable=False),
        sa.Column("taken", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("scheduler_passes")
