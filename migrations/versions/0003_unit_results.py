"""unit results (organisation predikat per cycle and unit)

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-22 09:10:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from advanced_alchemy.types import DateTimeUTC
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BIGINT = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
ORG_PREDIKAT = ("istimewa", "baik", "butuh_perbaikan", "kurang", "sangat_kurang")


def upgrade() -> None:
    op.create_table(
        "unit_results",
        sa.Column("cycle_id", BIGINT, nullable=False),
        sa.Column("unit_id", BIGINT, nullable=False),
        sa.Column("org_predikat", sa.String(length=30), nullable=False),
        sa.Column("set_by_id", BIGINT, nullable=False),
        sa.Column("set_at", DateTimeUTC(timezone=True), nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("id", BIGINT, nullable=False),
        sa.CheckConstraint(
            "org_predikat IN ({})".format(", ".join(f"'{p}'" for p in ORG_PREDIKAT)),
            name=op.f("ck_unit_results_org_predikat_valid"),
        ),
        sa.ForeignKeyConstraint(
            ["cycle_id"], ["cycles.id"], name=op.f("fk_unit_results_cycle_id_cycles")
        ),
        sa.ForeignKeyConstraint(
            ["unit_id"], ["units.id"], name=op.f("fk_unit_results_unit_id_units")
        ),
        sa.ForeignKeyConstraint(
            ["set_by_id"], ["accounts.id"], name=op.f("fk_unit_results_set_by_id_accounts")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_unit_results")),
        sa.UniqueConstraint("cycle_id", "unit_id", name=op.f("uq_unit_results_cycle_id")),
    )
    op.create_index(op.f("ix_unit_results_unit_id"), "unit_results", ["unit_id"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_unit_results_unit_id"), table_name="unit_results")
    op.drop_table("unit_results")
