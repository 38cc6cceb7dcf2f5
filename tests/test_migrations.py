"""The migrations build exactly the schema the models describe, on SQLite and PostgreSQL."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from alembic import command

from kinerja_flow.lib.migrate import alembic_config, upgrade


def test_models_and_migrations_agree(database_url: str) -> None:
    command.check(alembic_config(database_url))  # raises when autogenerate would find a change


def test_existing_targets_become_rhks_with_one_indicator(tmp_path: Path) -> None:
    """Upgrading a database from before indicators keeps every target, realisation and link."""
    url = f"sqlite+aiosqlite:///{tmp_path / 'old.sqlite3'}"
    upgrade(url, "0004")
    with sqlite3.connect(tmp_path / "old.sqlite3") as db:
        db.executescript(
            """
            INSERT INTO units (id, code, name, created_at, updated_at)
                VALUES (1, 'U', 'Unit', '2026-01-05', '2026-01-05');
            INSERT INTO employees (id, nip, name, email, unit_id, position, active,
                created_at, updated_at)
                VALUES (1, '199003032015031003', 'Budi', 'b@x.id', 1, 'Analis', 1,
                '2026-01-05', '2026-01-05');
            INSERT INTO accounts (id, employee_id, email, roles, granted_roles, locale, active,
                created_at, updated_at)
                VALUES (7, 1, 'b@x.id', '', '', 'id', 1, '2026-01-05', '2026-01-05');
            INSERT INTO cycles (id, name, kind, period_start, period_end, workflow,
                created_at, updated_at)
                VALUES (1, 'C', 'annual', '2026-01-01', '2026-12-31', 'appraisal',
                '2026-01-05', '2026-01-05');
            INSERT INTO appraisals (id, cycle_id, employee_id, workflow, state, version,
                state_changed_at, created_at, updated_at)
                VALUES (1, 1, 1, 'appraisal', 'self_assessment', 3,
                '2026-01-05', '2026-01-05', '2026-01-05');
            INSERT INTO targets (id, appraisal_id, position, title, indicator, target,
                realization, evidence_url, note, created_at, updated_at)
                VALUES (1, 1, 1, 'Layanan', 'Jumlah layanan', '12 layanan', '12 layanan',
                'https://arsip.example.go.id/1', 'catatan', '2026-01-05', '2026-01-05');
            INSERT INTO feedback_notes (id, appraisal_id, target_id, author_id, author,
                author_role, body, created_at)
                VALUES (1, 1, 1, 7, 'b@x.id', 'employee', 'Sudah 6 layanan', '2026-03-01');
            """
        )
    upgrade(url)
    with sqlite3.connect(tmp_path / "old.sqlite3") as db:
        indicator = db.execute(
            "SELECT target_id, description, target_text, realisation_text FROM indicators"
        ).fetchall()
        evidence = db.execute("SELECT kind, url, note, added_by_id FROM evidence").fetchall()
        approach = db.execute("SELECT approach FROM appraisals").fetchall()
        notes = db.execute("SELECT target_id, body FROM feedback_notes").fetchall()
    assert indicator == [(1, "Jumlah layanan", "12 layanan", "12 layanan")]
    assert evidence == [("link", "https://arsip.example.go.id/1", "catatan", 7)]
    assert approach == [("kuantitatif",)]
    assert notes == [(1, "Sudah 6 layanan")]  # rebuilding the targets table kept its references
