"""Follow-up items have deadlines too: by their `due` date the owner is reminded, and once it
has passed the evaluator and HR are told; taken by the same scheduler, exactly once."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from kinerja_flow.scheduler import Scheduler
from tests.support.api import AUDITOR, EMPLOYEE, EVALUATOR, HEAD, HR, PEER, Api
from tests.support.followups import acted, proposed, trail

WIB = timezone(timedelta(hours=7))
BUDI, SITI, RINA = "budi@example.go.id", "siti@example.go.id", "rina@example.go.id"


def wib(month: int, day: int, hour: int = 0) -> datetime:
    return datetime(2026, month, day, hour, tzinfo=WIB)


async def at(api: Api, moment: datetime) -> None:
    api.clock.advance(moment - api.clock.now())


async def tick(api: Api) -> None:
    report = await Scheduler(api.ctx).run_once()
    assert not report.failed, report


async def test_an_overdue_item_reminds_its_owner_then_tells_the_evaluator_and_hr(
    api: Api,
) -> None:
    await api.setup_org()
    await api.sign_in_staff(EMPLOYEE, EVALUATOR, HEAD, HR, PEER, AUDITOR)
    item = await proposed(api, EMPLOYEE, EMPLOYEE)
    assert (item["due"], item["owner"]) == ("2026-04-05", "employee")
    item = await acted(api, item, "approve", EVALUATOR)

    await at(api, wib(3, 28, 23))
    await tick(api)
    assert await api.outbox(to=BUDI, kind="deadline_reminder") == []
    await at(api, wib(3, 29))  # 7 days before
    await tick(api)
    (first,) = await api.outbox(to=BUDI, kind="deadline_reminder")
    assert "05-04-2026" in first.body_text
    assert "Pelatihan analisis kebijakan" in first.body_text
    assert f"https://kinerja.example.go.id/followups/{item['id']}" in first.body_text

    item = await acted(api, item, "start", EMPLOYEE)  # a new stay: in progress
    await at(api, wib(4, 4, 8))
    await tick(api)
    assert len(await api.outbox(to=BUDI, kind="deadline_reminder")) == 2
    assert await api.outbox(to=SITI, kind="deadline_escalation") == []

    await at(api, wib(4, 6))
    await tick(api)
    await tick(api)  # nothing twice
    for address in (SITI, RINA, "admin@bkpsdm.example.go.id"):
        (told,) = await api.outbox(to=address, kind="deadline_escalation")
        assert "Budi Santoso" in told.body_text
    assert await api.outbox(to=BUDI, kind="deadline_escalation") == []
    events = [
        (e["action"], e["actor"])
        for e in await trail(api, item, AUDITOR)
        if e["action"].startswith("followup.deadline")
    ]
    assert events == [
        ("followup.deadline_reminder", "system"),
        ("followup.deadline_reminder", "system"),
        ("followup.deadline_escalation", "system"),
    ]
