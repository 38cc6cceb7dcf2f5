"""Who sees which appraisal: own, as evaluator, as reviewer; HR and auditors all; others 404."""

from __future__ import annotations

from tests.support.api import AUDITOR, EMPLOYEE, EVALUATOR, HEAD, HR, PEER, Api
from tests.support.flow import world


async def listed(api: Api, who: str, **params: str) -> set[str]:
    response = await api.get("/api/v1/appraisals", who, params=params)
    assert response.status_code == 200, response.text
    return {item["employee"]["nip"] for item in response.json()["items"]}


async def test_each_person_sees_what_they_have_a_role_in(api: Api) -> None:
    appraisal = await world(api)
    assert await listed(api, EMPLOYEE) == {EMPLOYEE}
    assert await listed(api, EVALUATOR) == {EVALUATOR, EMPLOYEE, PEER}
    assert await listed(api, EVALUATOR, role="evaluator") == {EMPLOYEE, PEER}
    assert await listed(api, HEAD, role="reviewer") == {EMPLOYEE, PEER}
    assert len(await listed(api, HR)) == 6
    assert len(await listed(api, AUDITOR)) == 6
    for who in (EMPLOYEE, EVALUATOR, HEAD, HR, AUDITOR):
        assert (await api.get(f"/api/v1/appraisals/{appraisal['id']}", who)).status_code == 200
    assert (await api.get(f"/api/v1/appraisals/{appraisal['id']}", PEER)).status_code == 404
    assert (await api.get(f"/api/v1/appraisals/{appraisal['id']}/audit", PEER)).status_code == 404


async def test_auditor_reads_but_cannot_act(api: Api) -> None:
    appraisal = await world(api)
    seen = (await api.get(f"/api/v1/appraisals/{appraisal['id']}", AUDITOR)).json()
    assert seen["allowed_actions"] == []
    assert (await api.act(appraisal, "cancel", AUDITOR, reason="x")).status_code == 403


async def test_list_filters_by_state_and_paginates(api: Api) -> None:
    await world(api)
    page = (await api.get("/api/v1/appraisals", HR, params={"limit": 2, "offset": 0})).json()
    assert page["total"] == 6
    assert len(page["items"]) == 2
    rest = (await api.get("/api/v1/appraisals", HR, params={"limit": 10, "offset": 2})).json()
    assert len(rest["items"]) == 4
    assert not {i["id"] for i in page["items"]} & {i["id"] for i in rest["items"]}
    # a page past the end is empty but still counts them all, even far past the end
    for offset in (6, 2**48):
        beyond = await api.get("/api/v1/appraisals", HR, params={"limit": 5, "offset": offset})
        assert beyond.status_code == 200, beyond.text
        assert beyond.json()["items"] == []
        assert beyond.json()["total"] == 6
    assert (await api.get("/api/v1/appraisals", HR, params={"state": "closed"})).json()[
        "total"
    ] == 0


async def test_other_employees_targets_cannot_be_touched(api: Api) -> None:
    appraisal = await world(api)
    body = {
        "title": "Sabotase",
        "indicators": [{"description": "x", "target_value": 1, "target_unit": "unit"}],
    }
    assert (
        await api.post(f"/api/v1/appraisals/{appraisal['id']}/targets", PEER, body)
    ).status_code == 404
    assert (
        await api.post(f"/api/v1/appraisals/{appraisal['id']}/targets", EVALUATOR, body)
    ).status_code == 403
