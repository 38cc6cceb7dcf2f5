"""HR tracks follow-ups: the list's filters (cycle, unit with sub-units, kind, state, owner,
overdue) and pagination, and one employee's development plan with training hours per year."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from tests.support.api import AUDITOR, EMPLOYEE, EVALUATOR, HEAD, HR, PEER, Api
from tests.support.flow import world
from tests.support.followups import ITEMS, acted, proposed, upload_certificate


async def titles(api: Api, who: str = HR, **query: Any) -> list[str]:
    page = await api.get(ITEMS, who, params={key: str(value) for key, value in query.items()})
    assert page.status_code == 200, page.text
    return sorted(item["title"] for item in page.json()["items"])


async def agency(api: Api) -> dict[str, Any]:
    appraisal = await world(api)
    await proposed(api, EMPLOYEE, EMPLOYEE, title="budi-training", appraisal_id=appraisal["id"])
    await proposed(api, EVALUATOR, PEER, title="dewi-coaching", details={"kind": "coaching"})
    await proposed(
        api, HR, EVALUATOR, title="siti-reward", details={"kind": "reward"}, due="2026-02-01"
    )
    await proposed(api, HEAD, HR, title="rina-training")
    return appraisal


async def test_the_list_filters_and_paginates(api: Api) -> None:
    appraisal = await agency(api)
    everything = ["budi-training", "dewi-coaching", "rina-training", "siti-reward"]
    assert await titles(api) == everything
    assert await titles(api, unit_code="DINAS") == everything  # with its sub-unit BID1
    assert await titles(api, unit_code="BID1") == ["budi-training", "dewi-coaching", "siti-reward"]
    assert await titles(api, unit_code="NOWHERE") == []
    assert await titles(api, cycle_id=appraisal["cycle_id"]) == ["budi-training"]
    assert await titles(api, kind="coaching") == ["dewi-coaching"]
    assert await titles(api, owner="hr") == ["siti-reward"]
    assert await titles(api, owner="evaluator") == ["dewi-coaching"]
    page = (await api.get(ITEMS, HR, params={"kind": "reward"})).json()
    await acted(api, page["items"][0], "approve", HR)
    assert await titles(api, state="approved") == ["siti-reward"]
    assert await titles(api, state="proposed", kind="training") == [
        "budi-training",
        "rina-training",
    ]

    first = (await api.get(ITEMS, AUDITOR, params={"limit": 3, "offset": 0})).json()
    rest = (await api.get(ITEMS, AUDITOR, params={"limit": 3, "offset": 3})).json()
    assert (first["total"], len(first["items"]), rest["total"], len(rest["items"])) == (4, 3, 4, 1)
    assert first["items"][0]["title"] == "siti-reward"  # soonest due first
    assert {i["id"] for i in first["items"]}.isdisjoint({i["id"] for i in rest["items"]})
    assert await titles(api, EVALUATOR, unit_code="DINAS") == [
        "budi-training",
        "dewi-coaching",
        "siti-reward",
    ]


async def test_overdue_items_are_those_past_due_and_not_ended(api: Api) -> None:
    await agency(api)
    assert await titles(api, overdue="true") == []
    api.clock.advance(timedelta(days=30))
    assert await titles(api, overdue="true") == ["siti-reward"]
    api.clock.advance(timedelta(days=61))
    assert await titles(api, overdue="true") == [
        "budi-training",
        "dewi-coaching",
        "rina-training",
        "siti-reward",
    ]
    page = (await api.get(ITEMS, HR, params={"kind": "reward"})).json()
    assert page["items"][0]["overdue"] is True
    await acted(api, page["items"][0], "reject", HR, reason="Tidak ada anggaran tahun ini.")
    assert await titles(api, overdue="true") == ["budi-training", "dewi-coaching", "rina-training"]
    assert await titles(api, overdue="false") == ["siti-reward"]


async def done_training(api: Api, hours: int, end: str) -> None:
    item = await proposed(
        api,
        EVALUATOR,
        EMPLOYEE,
        title=f"pelatihan {hours} JP",
        details={"kind": "training", "hours": hours, "end": end},
    )
    item = await acted(api, item, "approve", EVALUATOR)
    item = await acted(api, item, "start", EMPLOYEE)
    item = (await upload_certificate(api, item, EMPLOYEE)).json()
    await acted(api, item, "complete", EMPLOYEE)


async def test_the_development_plan_counts_training_hours_per_year(api: Api) -> None:
    await world(api)
    await done_training(api, 16, "2026-01-05")
    await done_training(api, 24, "2026-01-02")
    await done_training(api, 8, "2025-12-20")
    open_one = await proposed(api, EMPLOYEE, EMPLOYEE, title="belum selesai")
    path = f"/api/v1/employees/{EMPLOYEE}/development"
    plan = (await api.get(path, EMPLOYEE)).json()
    assert plan["employee"]["nip"] == EMPLOYEE
    assert plan["minimum_jp"] == 20
    assert plan["training_hours"] == [
        {"year": 2025, "hours": 8, "minimum": 20, "below_minimum": True},
        {"year": 2026, "hours": 40, "minimum": 20, "below_minimum": False},
    ]
    assert len(plan["items"]) == 4
    assert open_one["id"] in {item["id"] for item in plan["items"]}
    this_year = (await api.get(path, HR, params={"year": 2025})).json()
    assert this_year["training_hours"] == [
        {"year": 2025, "hours": 8, "minimum": 20, "below_minimum": True}
    ]
    assert [item["title"] for item in this_year["items"]] == ["pelatihan 8 JP"]
    for who in (EVALUATOR, HR, AUDITOR):
        assert (await api.get(path, who)).status_code == 200, who
    for who in (PEER, HEAD):
        assert (await api.get(path, who)).status_code == 404, who
    assert (
        await api.get("/api/v1/employees/199999999999999999/development", HR)
    ).status_code == 404
    for year in ("1999", "abc", "99999999999999999999"):
        refused = await api.get(path, HR, params={"year": year})
        assert refused.status_code in (400, 422), year
