"""The outbox keeps each email's context (JSON); the worker renders the bodies at delivery

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-01 04:40:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0016"
down_revision: str | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("outbox_messages") as batch_op:
        batch_op.add_column(sa.Column("context", sa.Text(), nullable=False, server_default="{}"))
        batch_op.alter_column("body_text", existing_type=sa.Text(), nullable=True)
        batch_op.alter_column("body_html", existing_type=sa.Text(), nullable=True)


def downgrade() -> None:
    """Messages still waiting keep their subject; their bodies cannot be rendered without the
    application, so they are dropped rather than sent empty."""
    op.execute(
        "DELETE FROM outbox_messages WHERE body_text IS NULL AND status IN ('pending', 'held')"
    )
    op.execute("UPDATE outbox_messages SET body_text = '', body_html = '' WHERE body_text IS NULL")
    with op.batch_alter_table("outbox_messages") as batch_op:
        batch_op.alter_column("body_text", existing_type=sa.Text(), nullable=False)
        batch_op.alter_column("body_html", existing_type=sa.Text(), nullable=False)
        batch_op.drop_column("context")
