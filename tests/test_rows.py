"""Reads straight on the driver (``lib/rows.py``): what every appraisal, list and sign-in shows
is read that way, so it must be exactly what SQLAlchemy reads, value for value and type for type
(dates, times, decimals, JSON, flags), and a write's answer must see the write."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from sqlalchemy import Select, select, update

from kinerja_flow.accounts.models import Account
from kinerja_flow.accounts.service import PRINCIPAL
from kinerja_flow.appraisals.models import Appraisal
from kinerja_flow.appraisals.read_model import HEAD_OF_ANY, HEAD_OF_MINE, SKP, read_head
from kinerja_flow.feedback.models import ANSWER_COLUMNS, SurveyResponse
from kinerja_flow.feedback.service import _sums
from kinerja_flow.followups.appraisal_links import APPRAISAL_FOLLOWUPS
from kinerja_flow.lib.db import begin_write
from kinerja_flow.lib.rows import fetch_all
from kinerja_flow.org.models import Employee
from tests.support.api import Api
from tests.support.flow import add_target, advance, world


def typed(rows: Any) -> list[list[tuple[type, Any]]]:
    """Each value with its type: 12 and Decimal("12.00") are equal, but not what a page shows."""
    return [[(type(value), value) for value in row] for row in rows]


async def test_rows_read_straight_are_what_sqlalchemy_reads(api: Api) -> None:
    appraisal = await world(api)
    # A second RHK makes the SKP several rows; the path through the appeal fills in the
    # evaluation's flags and notes, the appeal's times and the proposed follow-ups' JSON.
    appraisal = await add_target(api, appraisal, title="Kajian kebijakan")
    appraisal = await advance(api, appraisal, "follow_up")
    assert appraisal["followups"], "the rules proposed follow-ups on the way in"
    employee_id = appraisal["employee"]["id"]
    async with api.ctx.sessions() as session:
        account_id = await session.scalar(
            select(Account.id).where(Account.employee_id == employee_id)
        )
    cycle = await api.get(f"/api/v1/cycles/{appraisal['cycle_id']}", "admin")
    period_start = date.fromisoformat(cycle.json()["period_start"])
    reads: list[tuple[Select[Any], dict[str, Any]]] = [
        (HEAD_OF_ANY, {"appraisal_id": appraisal["id"]}),
        (HEAD_OF_MINE, {"appraisal_id": appraisal["id"], "me": employee_id}),
        (SKP, {"appraisal_id": appraisal["id"]}),
        (
            APPRAISAL_FOLLOWUPS,
            {
                "appraisal_id": appraisal["id"],
                "employee_id": employee_id,
                "period_start": period_start,
            },
        ),
        (PRINCIPAL, {"account_id": account_id}),
    ]
    async with api.ctx.autocommit() as connection:
        for statement, params in reads:
            straight = typed(await fetch_all(connection, statement, params))
            through = typed((await connection.execute(statement, params)).all())
            assert straight, statement
            assert straight == through, statement


async def test_sums_over_a_period_bind_times_as_sqlalchemy_does(api: Api) -> None:
    """The IKM's period is bound as times (SQLite keeps them as text): the responses of the
    period are counted, the one before it is not, and SQLAlchemy counts the same."""
    appraisal = await world(api)
    now = api.clock.now()
    async with api.ctx.sessions() as session:
        found = await session.get(Employee, appraisal["employee"]["id"])
        assert found is not None
        unit_id = found.unit_id
        for days_ago in (0, 1, 40):
            session.add(
                SurveyResponse(
                    unit_id=unit_id,
                    **dict.fromkeys(ANSWER_COLUMNS, 4),
                    client_hash=f"client-{days_ago}",
                    fingerprint=f"fingerprint-{days_ago}",
                    created_at=now - timedelta(days=days_ago),
                )
            )
        await session.commit()
    params = {
        "unit_id": unit_id,
        "since": now - timedelta(days=30),
        "until": now + timedelta(days=1),
    }
    async with api.ctx.autocommit() as connection:
        straight = typed(await fetch_all(connection, _sums(True, True), params))
        through = typed((await connection.execute(_sums(True, True), params)).all())
    assert straight == through
    assert straight[0][0] == (int, 2)
    assert straight[0][1] == (int, 8)


async def test_a_read_inside_a_write_sees_the_write(api: Api) -> None:
    """A write's answer is read in its own transaction (on PostgreSQL before the COMMIT): it
    shows the change; a rolled-back change is seen nowhere after."""
    appraisal = await world(api)
    async with api.ctx.sessions() as session:
        await begin_write(session)
        await session.execute(
            update(Appraisal)
            .where(Appraisal.id == appraisal["id"])
            .values(return_comment="Mohon diperbaiki.")
        )
        head = await read_head(session, appraisal["id"], None)
        assert head is not None
        assert head.return_comment == "Mohon diperbaiki."
        await session.rollback()
    async with api.ctx.autocommit() as connection:
        head = await read_head(connection, appraisal["id"], None)
        assert head is not None
        assert head.return_comment is None
