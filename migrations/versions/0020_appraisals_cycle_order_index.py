"""Appraisals: index a cycle's appraisals in the order its list shows them (a page of a cycle of
100,000 sorted them all on SQLite, and on PostgreSQL read the other cycles' too)

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-01 21:40:00
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0020"
down_revision: str | None = "0019"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index("ix_appraisals_cycle_order", "appraisals", ["cycle_id", "id"])


def downgrade() -> None:
    op.drop_index("ix_appraisals_cycle_order", table_name="appraisals")
