"""Emails to a person who chose the daily digest wait in the outbox for it, with their link

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-01 01:30:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("outbox_messages") as batch_op:
        batch_op.add_column(sa.Column("link", sa.String(length=2000), nullable=True))
        batch_op.create_index("ix_outbox_held", ["status", "to_address"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("outbox_messages") as batch_op:
        batch_op.drop_index("ix_outbox_held")
        batch_op.drop_column("link")
