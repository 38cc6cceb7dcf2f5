"""HR moves a whole cycle at once instead of one appraisal at a time."""

from __future__ import annotations

from tests.support.api import EMPLOYEE, EVALUATOR, HR, PEER, Api
from tests.support.flow import advance, world


async def test_hr_starts_self_assessment_for_every_ready_appraisal(api: Api) -> None:
    mine = await advance(api, await world(api), "in_progress")
    peer = await api.appraisal_of(PEER, PEER)
    await api.post(
        f"/api/v1/appraisals/{peer['id']}/targets",
        PEER,
        {
            "title": "Data",
            "indicators": [{"description": "Jumlah", "target_value": 5, "target_unit": "unit"}],
        },
    )
    peer = await api.appraisal_of(PEER, PEER)
    for trigger, who in (("submit_targets", PEER), ("approve_targets", EVALUATOR)):
        response = await api.act(peer, trigger, who)
        assert response.status_code == 200, response.text
        peer = response.json()

    started = await api.run(
        f"/api/v1/cycles/{mine['cycle_id']}/actions/start_self_assessment", HR, {}
    )
    assert started.status_code == 200, started.text
    assert started.json() == {"fired": 2, "refused": []}
    cycle = (await api.get(f"/api/v1/cycles/{mine['cycle_id']}", HR)).json()
    assert cycle["counts"] == {"planning": 4, "self_assessment": 2}
    trail = (await api.get(f"/api/v1/appraisals/{mine['id']}/audit", EMPLOYEE)).json()
    assert trail[-1]["action"] == "appraisal.start_self_assessment"
    assert len(await api.outbox(to="budi@example.go.id", kind="self_assessment_open")) == 1
    again = await api.run(
        f"/api/v1/cycles/{mine['cycle_id']}/actions/start_self_assessment", HR, {}
    )
    assert again.json() == {"fired": 0, "refused": []}


async def test_bulk_guards_and_roles_still_apply(api: Api) -> None:
    appraisal = await world(api)
    path = f"/api/v1/cycles/{appraisal['cycle_id']}/actions"
    no_reason = await api.run(f"{path}/cancel", "admin", {})
    assert no_reason.status_code == 200
    assert no_reason.json()["fired"] == 0
    assert {r["status_code"] for r in no_reason.json()["refused"]} == {422}
    by_employee = await api.run(f"{path}/cancel", EMPLOYEE, {"reason": "x"})
    assert by_employee.json()["fired"] == 0
    assert [r["status_code"] for r in by_employee.json()["refused"]] == [403]
    assert (await api.run(f"{path}/nope", "admin", {})).status_code == 404
    cancelled = await api.run(f"{path}/cancel", "admin", {"reason": "Siklus dibatalkan"})
    assert cancelled.json() == {"fired": 6, "refused": []}
