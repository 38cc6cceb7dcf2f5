"""Cycles: creation, opening (once), scope, and counts per state."""

from __future__ import annotations

import asyncio
import time

import pytest
from sqlalchemy import text

from kinerja_flow.cycles import service as cycles_service
from tests.conftest import ONLY_POSTGRESQL
from tests.support.api import EMPLOYEE, EVALUATOR, HEAD, HR, Api
from tests.support.flow import advance, world


async def test_open_creates_one_appraisal_per_employee_with_evaluator_and_reviewer(
    api: Api,
) -> None:
    await api.setup_org()
    await api.sign_in_staff(EMPLOYEE, HR)
    opened = await api.open_cycle()
    assert opened["created"] == 6
    assert opened["without_evaluator"] == [HEAD]
    cycle = opened["cycle"]
    assert cycle["counts"] == {"planning": 6}
    assert cycle["total"] == 6
    mine = await api.appraisal_of(EMPLOYEE, EMPLOYEE)
    assert mine["evaluator"]["nip"] == EVALUATOR
    assert mine["reviewer"]["nip"] == HEAD
    assert mine["due"] == "2026-01-31"
    invitations = await api.outbox(to="budi@example.go.id", kind="skp_open")
    assert len(invitations) == 1
    assert "SKP Tahunan 2026" in invitations[0].body_text


async def test_each_cycle_opening_email_names_its_own_cycle(api: Api) -> None:
    """Subjects are rendered once per cycle and reused: a second cycle gets its own."""
    await api.setup_org()
    await api.open_cycle()
    await api.open_cycle(name="SKP Semester II 2026", kind="semester")
    subjects = [mail.subject for mail in await api.outbox(to="budi@example.go.id", kind="skp_open")]
    assert len(subjects) == 2
    assert "SKP Tahunan 2026" in subjects[0]
    assert "SKP Semester II 2026" in subjects[1]
    assert "SKP Tahunan 2026" not in subjects[1]


async def test_opening_twice_creates_nothing_new(api: Api) -> None:
    await api.setup_org()
    opened = await api.open_cycle()
    again = await api.run(f"/api/v1/cycles/{opened['cycle']['id']}/open", "admin")
    assert again.status_code == 200
    assert again.json()["created"] == 0
    assert again.json()["already_open"] == 6
    assert len(await api.outbox(kind="skp_open")) == 6


async def test_the_evaluator_comes_from_the_chart_and_follows_a_new_supervisor(api: Api) -> None:
    """Set when the cycle opens; a supervisor changed by a later import reaches the open
    appraisal (issue 7; the details are in test_reassign)."""
    await api.setup_org()
    await api.sign_in_staff(EMPLOYEE)
    await api.open_cycle()
    assert (await api.appraisal_of(EMPLOYEE, EMPLOYEE))["evaluator"]["nip"] == EVALUATOR
    moved = (
        await api.import_csv(
            "nip,name,email,unit_code,position,supervisor_nip,roles\n"
            "199003032015031003,Budi Santoso,budi@example.go.id,BID1,Analis Kebijakan,"
            "197001011995031001,\n"
        )
    ).json()
    assert moved["updated"] == 1
    mine = await api.appraisal_of(EMPLOYEE, EMPLOYEE)
    assert mine["evaluator"]["nip"] == HEAD
    assert mine["reviewer"] is None  # the head has no superior: HR names one


async def test_scope_by_unit_includes_sub_units(api: Api) -> None:
    await api.setup_org()
    response = await api.post(
        "/api/v1/units", "admin", {"code": "BID2", "name": "Bidang Lain", "parent_code": "DINAS"}
    )
    assert response.status_code == 201
    scoped = await api.open_cycle(unit_codes=["BID1"])
    assert scoped["created"] == 3  # the evaluator and two staff in BID1
    whole = await api.open_cycle(name="Semua", unit_codes=["DINAS"])
    assert whole["created"] == 6


async def test_counts_follow_states(api: Api) -> None:
    appraisal = await world(api)
    await advance(api, appraisal, "in_progress")
    cycle = (await api.get(f"/api/v1/cycles/{appraisal['cycle_id']}", HR)).json()
    assert cycle["counts"] == {"planning": 5, "in_progress": 1}


async def test_only_hr_creates_and_opens(api: Api) -> None:
    await api.setup_org()
    await api.sign_in_staff(EMPLOYEE, HR)
    body = {
        "name": "X",
        "period_start": "2026-01-01",
        "period_end": "2026-06-30",
        "kind": "semester",
    }
    assert (await api.post("/api/v1/cycles", EMPLOYEE, body)).status_code == 403
    created = await api.post("/api/v1/cycles", HR, body)
    assert created.status_code == 201
    assert (
        await api.run(f"/api/v1/cycles/{created.json()['id']}/open", EMPLOYEE)
    ).status_code == 403


async def test_bad_cycles_are_refused_with_reasons(api: Api) -> None:
    await api.setup_org()
    bad = {
        "name": "X",
        "period_start": "2026-12-31",
        "period_end": "2026-01-01",
        "kind": "annual",
        "unit_codes": ["NOPE"],
        "deadlines": {"targets_due": "2025-01-01"},
    }
    response = await api.post("/api/v1/cycles", "admin", bad)
    assert response.status_code == 422
    fields = {error["field"] for error in response.json()["errors"]}
    assert fields == {"period_end", "unit_codes", "deadlines.targets_due"}
    wrong_kind = await api.post("/api/v1/cycles", "admin", {**bad, "kind": "weekly"})
    assert wrong_kind.status_code == 422
    listed = await api.get("/api/v1/cycles", "admin")
    assert listed.json() == []
    missing = await api.get("/api/v1/cycles/999", "admin")
    assert missing.status_code == 404


@ONLY_POSTGRESQL
async def test_a_large_opening_leaves_the_appraisals_planned_for_as_they_now_are(
    api: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Opening many appraisals at once vacuums and analyzes them (PostgreSQL), so HR's lists
    read right after it are planned for the table as it now is, not for the few rows it had (a
    page of a cycle of 100,000 took 150 ms on the old plan). Here "many" is lowered to the
    standard agency's six."""
    await api.setup_org()
    monkeypatch.setattr(cycles_service, "ANALYZE_AFTER", 6)

    async def maintained() -> tuple[int, int]:
        async with api.ctx.engine.connect() as connection:
            row = (
                await connection.execute(
                    text(
                        "SELECT vacuum_count, analyze_count FROM pg_stat_user_tables "
                        "WHERE relname = 'appraisals'"
                    )
                )
            ).one()
            return int(row.vacuum_count), int(row.analyze_count)

    before = await maintained()
    assert (await api.open_cycle())["created"] == 6
    started = time.monotonic()
    while any(now <= then for now, then in zip(await maintained(), before, strict=True)):
        assert time.monotonic() - started < 5, "the appraisals were not vacuumed and analyzed"
        await asyncio.sleep(0.1)
