"""Accounts: notify ``kinerja_accounts`` on every change to what a caller is made of
(PostgreSQL), so each ``serve`` process may keep callers in memory between requests

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-01 18:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0018"
down_revision: str | None = "0017"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Once per statement, whatever number of rows it touched: one notice for an import of 8,000.
# The payload is empty, except for a listener's heartbeat (``kinerja.beat``, set for its own
# transaction): sent through this trigger, it proves the trigger is there and enabled.
_CREATE = (
    """
CREATE FUNCTION kinerja_accounts_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('kinerja_accounts', coalesce(current_setting('kinerja.beat', true), ''));
    RETURN NULL;
END
$$
""",
    """
CREATE TRIGGER accounts_changed
    AFTER INSERT OR DELETE OR TRUNCATE
        OR UPDATE OF employee_id, email, roles, granted_roles, locale, credential_epoch, active
    ON accounts FOR EACH STATEMENT EXECUTE FUNCTION kinerja_accounts_changed()
""",
)
_DROP = (
    "DROP TRIGGER accounts_changed ON accounts",
    "DROP FUNCTION kinerja_accounts_changed()",
)


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for statement in _CREATE:
            op.execute(statement)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for statement in _DROP:
            op.execute(statement)
