"""survey responses (public satisfaction, IKM)

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-22 08:50:03.757551
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from advanced_alchemy.types import DateTimeUTC
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ANSWERS = [f"a{number}" for number in range(1, 10)]


def upgrade() -> None:
    op.create_table(
        "survey_responses",
        sa.Column("unit_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        *(sa.Column(column, sa.SmallInteger(), nullable=False) for column in ANSWERS),
        sa.Column("comment", sa.String(length=2000), nullable=True),
        sa.Column("client_hash", sa.String(length=64), nullable=False),
        sa.Column("fingerprint", sa.String(length=64), nullable=False),
        sa.Column("created_at", DateTimeUTC(timezone=True), nullable=False),
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        *(
            sa.CheckConstraint(
                f"{column} BETWEEN 1 AND 4", name=op.f(f"ck_survey_responses_{column}_scale")
            )
            for column in ANSWERS
        ),
        sa.ForeignKeyConstraint(
            ["unit_id"], ["units.id"], name=op.f("fk_survey_responses_unit_id_units")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_survey_responses")),
    )
    with op.batch_alter_table("survey_responses", schema=None) as batch_op:
        batch_op.create_index(
            "ix_survey_responses_unit_client_created",
            ["unit_id", "client_hash", "created_at"],
            unique=False,
        )
        batch_op.create_index(
            "ix_survey_responses_unit_created", ["unit_id", "created_at"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("survey_responses", schema=None) as batch_op:
        batch_op.drop_index("ix_survey_responses_unit_created")
        batch_op.drop_index("ix_survey_responses_unit_client_created")

    op.drop_table("survey_responses")
