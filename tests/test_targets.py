"""Targets: changed only by the employee, only in the right state, never silently overwritten."""

from __future__ import annotations

import asyncio

from tests.support.api import EMPLOYEE, EVALUATOR, Api
from tests.support.flow import add_target, advance, world


async def test_targets_change_only_while_planning(api: Api) -> None:
    appraisal = await add_target(api, await world(api))
    target = appraisal["targets"][0]
    path = f"/api/v1/appraisals/{appraisal['id']}/targets/{target['id']}"
    edited = await api.patch(
        path, EMPLOYEE, {"target": "15 layanan", "version": appraisal["version"]}
    )
    assert edited.status_code == 200
    assert edited.json()["targets"][0]["target"] == "15 layanan"
    assert edited.json()["version"] == appraisal["version"] + 1
    early = await api.patch(path, EMPLOYEE, {"realization": "3 layanan"})
    assert early.status_code == 409
    appraisal = await advance(api, edited.json(), "in_progress")
    late = await api.patch(path, EMPLOYEE, {"target": "1 layanan"})
    assert late.status_code == 409
    add_late = await api.post(
        f"/api/v1/appraisals/{appraisal['id']}/targets",
        EMPLOYEE,
        {"title": "x", "indicator": "y", "target": "z"},
    )
    assert add_late.status_code == 409


async def test_stale_target_edit_is_409(api: Api) -> None:
    appraisal = await add_target(api, await world(api))
    target = appraisal["targets"][0]
    path = f"/api/v1/appraisals/{appraisal['id']}/targets/{target['id']}"
    first = await api.patch(
        path, EMPLOYEE, {"target": "13 layanan", "version": appraisal["version"]}
    )
    assert first.status_code == 200
    second = await api.patch(
        path, EMPLOYEE, {"target": "14 layanan", "version": appraisal["version"]}
    )
    assert second.status_code == 409
    current = (await api.get(f"/api/v1/appraisals/{appraisal['id']}", EMPLOYEE)).json()
    assert current["targets"][0]["target"] == "13 layanan"


async def test_approving_after_targets_changed_is_refused(api: Api) -> None:
    """The evaluator approves what they saw: a target added meanwhile makes their version stale."""
    appraisal = await advance(api, await world(api), "targets_submitted")
    returned = await api.act(
        appraisal, "return_targets", EVALUATOR, comment="Tambah indikator kualitas"
    )
    seen_by_evaluator = returned.json()
    await add_target(api, seen_by_evaluator, "Kualitas layanan")
    resubmit = await api.act(
        {**seen_by_evaluator, "version": seen_by_evaluator["version"] + 1},
        "submit_targets",
        EMPLOYEE,
    )
    assert resubmit.status_code == 200
    stale_approval = await api.act(seen_by_evaluator, "approve_targets", EVALUATOR)
    assert stale_approval.status_code == 409


async def test_concurrent_actions_on_one_version_let_exactly_one_through(api: Api) -> None:
    appraisal = await advance(api, await world(api), "targets_submitted")
    results = await asyncio.gather(
        api.act(appraisal, "approve_targets", EVALUATOR),
        api.act(appraisal, "return_targets", EVALUATOR, comment="Perbaiki"),
    )
    codes = sorted(response.status_code for response in results)
    assert codes == [200, 409]
    final = (await api.get(f"/api/v1/appraisals/{appraisal['id']}", EVALUATOR)).json()
    assert final["version"] == appraisal["version"] + 1


async def test_bad_target_input_is_422_and_writes_nothing(api: Api) -> None:
    appraisal = await world(api)
    path = f"/api/v1/appraisals/{appraisal['id']}/targets"
    assert (
        await api.post(path, EMPLOYEE, {"title": "", "indicator": "x", "target": "y"})
    ).status_code == 422
    assert (await api.post(path, EMPLOYEE, {"title": "x"})).status_code == 422
    assert (
        await api.post(path, EMPLOYEE, {"title": "x", "indicator": "y", "target": "z", "evil": 1})
    ).status_code == 422
    appraisal = await add_target(api, appraisal)
    target_path = f"{path}/{appraisal['targets'][0]['id']}"
    appraisal = await advance(api, appraisal, "self_assessment")
    bad_url = await api.patch(target_path, EMPLOYEE, {"evidence_url": "javascript:alert(1)"})
    assert bad_url.status_code == 422
    current = (await api.get(f"/api/v1/appraisals/{appraisal['id']}", EMPLOYEE)).json()
    assert current["targets"][0]["evidence_url"] is None
    assert current["version"] == appraisal["version"]
