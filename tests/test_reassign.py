"""HR reassigns the evaluator or the appeal reviewer of an open appraisal, with a reason."""

from __future__ import annotations

from tests.support.api import EMPLOYEE, EVALUATOR, HEAD, HR, PEER, Api
from tests.support.flow import advance, world


async def test_the_head_gets_an_evaluator_and_can_then_submit(api: Api) -> None:
    await world(api)
    head = await api.appraisal_of(HEAD, HR)
    assert head["evaluator"] is None
    path = f"/api/v1/appraisals/{head['id']}"
    await api.post(
        f"{path}/targets",
        HEAD,
        {
            "title": "Visi dinas",
            "indicators": [{"description": "x", "target_value": 1, "target_unit": "unit"}],
        },
    )
    head = (await api.get(path, HEAD)).json()
    blocked = await api.act(head, "submit_targets", HEAD)
    assert blocked.status_code == 422
    assert blocked.json()["errors"][0]["field"] == "evaluator"
    body = {"version": head["version"], "evaluator_nip": HR, "reason": "Dinilai oleh Sekda"}
    moved = await api.post(f"{path}/reassign", HR, body)
    assert moved.status_code == 200, moved.text
    head = moved.json()
    assert head["evaluator"]["nip"] == HR
    assert (await api.act(head, "submit_targets", HEAD)).status_code == 200
    last = (await api.get(f"{path}/audit", HR)).json()[-2]
    assert (last["action"], last["reason"]) == ("appraisal.reassigned", "Dinilai oleh Sekda")


async def test_the_new_evaluator_takes_over_and_the_old_one_loses_access(api: Api) -> None:
    appraisal = await advance(api, await world(api), "targets_submitted")
    body = {"version": appraisal["version"], "evaluator_nip": PEER, "reason": "Mutasi jabatan"}
    moved = await api.post(f"/api/v1/appraisals/{appraisal['id']}/reassign", HR, body)
    assert moved.status_code == 200, moved.text
    appraisal = moved.json()
    assert (await api.act(appraisal, "approve_targets", EVALUATOR)).status_code == 404
    assert (await api.act(appraisal, "approve_targets", PEER)).status_code == 200


async def test_reassignment_is_refused_with_reasons(api: Api) -> None:
    appraisal = await world(api)
    path = f"/api/v1/appraisals/{appraisal['id']}/reassign"
    version = appraisal["version"]
    cases = [
        (EMPLOYEE, {"version": version, "evaluator_nip": HEAD, "reason": "x"}, 403),
        (HR, {"version": version, "reason": "x"}, 422),
        (HR, {"version": version, "evaluator_nip": EMPLOYEE, "reason": "x"}, 422),
        (HR, {"version": version, "evaluator_nip": "199901012020011999", "reason": "x"}, 422),
        (HR, {"version": version, "reviewer_nip": EVALUATOR, "reason": "x"}, 422),
        (HR, {"version": version, "evaluator_nip": HEAD}, 422),
        (HR, {"version": version - 1, "evaluator_nip": HEAD, "reason": "x"}, 409),
    ]
    for who, body, status in cases:
        response = await api.post(path, who, body)
        assert response.status_code == status, (body, response.text)
    unchanged = (await api.get(f"/api/v1/appraisals/{appraisal['id']}", HR)).json()
    assert (unchanged["version"], unchanged["evaluator"]["nip"]) == (version, EVALUATOR)
    closed = await advance(api, appraisal, "closed")
    late = await api.post(
        path, HR, {"version": closed["version"], "evaluator_nip": HEAD, "reason": "x"}
    )
    assert late.status_code == 409
