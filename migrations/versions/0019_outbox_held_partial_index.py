"""Outbox: index only the held emails by address (every other email added an entry no query
reads, at a random place in the index)

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-01 19:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0019"
down_revision: str | None = "0018"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

HELD_ONLY = sa.text("status = 'held'")


def upgrade() -> None:
    op.drop_index("ix_outbox_held", table_name="outbox_messages")
    op.create_index(
        "ix_outbox_held",
        "outbox_messages",
        ["to_address"],
        postgresql_where=HELD_ONLY,
        sqlite_where=HELD_ONLY,
    )


def downgrade() -> None:
    op.drop_index("ix_outbox_held", table_name="outbox_messages")
    op.create_index("ix_outbox_held", "outbox_messages", ["status", "to_address"])
