"""HR's global powers stop at their own case: another HR officer must act there."""

from __future__ import annotations

from typing import Any

from tests.support.api import EMPLOYEE, EVALUATOR, HEAD, HR, Api
from tests.support.flow import REVIEW, add_target, evaluate, realise_all, world

OWN_CASE = "another HR officer must"


def refused_as_own_case(response: Any) -> None:
    assert response.status_code == 403, response.text
    assert OWN_CASE in response.json()["detail"], response.text


async def english(api: Api, path: str, who: str, body: dict[str, Any]) -> Any:
    return await api.client.post(
        path, json=body, headers={**api.auth(who), "Accept-Language": "en"}
    )


async def test_hr_cannot_act_as_hr_on_their_own_appraisal(api: Api) -> None:
    await world(api)
    mine = await api.appraisal_of(HR, HR)
    base = f"/api/v1/appraisals/{mine['id']}"
    cancel = await english(
        api, f"{base}/actions/cancel", HR, {"version": mine["version"], "reason": "x"}
    )
    refused_as_own_case(cancel)
    reassign = await english(
        api,
        f"{base}/reassign",
        HR,
        {"version": mine["version"], "evaluator_nip": EVALUATOR, "reason": "pindah"},
    )
    refused_as_own_case(reassign)
    assert "cancel" not in mine["allowed_actions"]
    # Nothing was written, and another HR officer can do it.
    again = (await api.get(base, HR)).json()
    assert (again["state"], again["version"]) == ("planning", mine["version"])
    done = await api.act(mine, "cancel", "admin", reason="Pegawai pindah instansi")
    assert done.status_code == 200, done.text
    assert done.json()["state"] == "cancelled"


async def test_hr_cannot_close_their_own_appraisal(api: Api) -> None:
    await world(api)
    mine = await add_target(api, await api.appraisal_of(HR, HR), who=HR)
    for trigger, who in (("submit_targets", HR), ("approve_targets", HEAD)):
        response = await api.act(mine, trigger, who)
        assert response.status_code == 200, response.text
        mine = response.json()
    refused_as_own_case(
        await english(
            api,
            f"/api/v1/appraisals/{mine['id']}/actions/start_self_assessment",
            HR,
            {"version": mine["version"]},
        )
    )
    started = await api.act(mine, "start_self_assessment", "admin")
    assert started.status_code == 200, started.text


async def test_hr_cannot_act_as_hr_where_they_evaluate(api: Api) -> None:
    appraisal = await world(api)
    moved = await api.post(
        f"/api/v1/appraisals/{appraisal['id']}/reassign",
        "admin",
        {"version": appraisal["version"], "evaluator_nip": HR, "reason": "Atasan cuti panjang"},
    )
    assert moved.status_code == 200, moved.text
    appraisal = await add_target(api, await api.appraisal_of(EMPLOYEE, EMPLOYEE))
    submitted = await api.act(appraisal, "submit_targets", EMPLOYEE)
    assert submitted.status_code == 200, submitted.text
    # As the evaluator she approves; as HR on the same case she may not.
    approved = await api.act(submitted.json(), "approve_targets", HR)
    assert approved.status_code == 200, approved.text
    refused_as_own_case(
        await english(
            api,
            f"/api/v1/appraisals/{appraisal['id']}/actions/cancel",
            HR,
            {"version": approved.json()["version"], "reason": "x"},
        )
    )
    refused_as_own_case(
        await english(
            api,
            f"/api/v1/appraisals/{appraisal['id']}/actions/start_self_assessment",
            HR,
            {"version": approved.json()["version"]},
        )
    )


async def test_bulk_actions_skip_the_officers_own_case(api: Api) -> None:
    appraisal = await world(api)
    path = f"/api/v1/cycles/{appraisal['cycle_id']}/actions/cancel"
    mine = await api.appraisal_of(HR, HR)
    result = await api.run(path, HR, {"reason": "Siklus diulang"})
    assert result.status_code == 200, result.text
    [refused] = result.json()["refused"]
    assert (refused["appraisal_id"], refused["status_code"]) == (mine["id"], 403)
    assert "petugas HR lain" in refused["reason"]  # another HR officer must do it
    assert result.json()["fired"] == 5
    assert (await api.get(f"/api/v1/appraisals/{mine['id']}", HR)).json()["state"] == "planning"


async def test_hr_cannot_release_or_send_back_their_own_calibrated_result(api: Api) -> None:
    await world(api)
    cycle = await api.open_cycle(name="SKP terkalibrasi", workflow="appraisal_calibrated")
    page = await api.get(
        "/api/v1/appraisals", HR, params={"cycle_id": cycle["cycle"]["id"], "limit": 100}
    )
    [mine] = [a for a in page.json()["items"] if a["employee"]["nip"] == HR]
    detail = (await api.get(f"/api/v1/appraisals/{mine['id']}", HR)).json()
    detail = await add_target(api, detail, who=HR)
    for trigger, who in (
        ("submit_targets", HR),
        ("approve_targets", HEAD),
        ("start_self_assessment", "admin"),
    ):
        response = await api.act(detail, trigger, who)
        assert response.status_code == 200, (trigger, response.text)
        detail = response.json()
    detail = await realise_all(api, detail, who=HR)
    submitted = await api.act(detail, "submit_self_assessment", HR)
    assert submitted.status_code == 200, submitted.text
    rated = await evaluate(api, submitted.json(), who=HEAD)
    rated = (await api.act(rated, "submit_review", HEAD, **REVIEW)).json()
    assert rated["state"] == "calibration"
    base = f"/api/v1/appraisals/{rated['id']}/actions"
    refused_as_own_case(await english(api, f"{base}/release", HR, {"version": rated["version"]}))
    refused_as_own_case(
        await english(
            api, f"{base}/send_back", HR, {"version": rated["version"], "reason": "ulang"}
        )
    )
    released = await api.act(rated, "release", "admin")
    assert released.status_code == 200, released.text
    assert released.json()["state"] == "reviewed"
