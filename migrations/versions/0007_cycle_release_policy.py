"""A cycle's distribution policy: warn about or block a release that breaks the pattern

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-29 10:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("cycles") as batch_op:
        batch_op.add_column(
            sa.Column(
                "distribution_policy",
                sa.String(length=10),
                server_default="warn",
                nullable=False,
            )
        )


def downgrade() -> None:
    with op.batch_alter_table("cycles") as batch_op:
        batch_op.drop_column("distribution_policy")
