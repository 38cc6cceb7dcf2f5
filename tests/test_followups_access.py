"""Who sees and does what on follow-up items: each role, and every route's refusals in order
(404 for strangers, 403 for a role that may not, 409 not now or stale, 422 bad input)."""

from __future__ import annotations

from typing import Any

import pytest

from tests.support.api import AUDITOR, EMPLOYEE, EVALUATOR, HEAD, HR, PEER, Api
from tests.support.flow import add_target, world
from tests.support.followups import ITEMS, act, acted, propose, proposed


async def staff(api: Api) -> None:
    await api.setup_org()
    await api.sign_in_staff(EMPLOYEE, EVALUATOR, HEAD, HR, PEER, AUDITOR)


async def titles(api: Api, who: str) -> list[str]:
    page = await api.get(ITEMS, who)
    assert page.status_code == 200, page.text
    return sorted(item["title"] for item in page.json()["items"])


async def test_each_role_sees_its_items_and_strangers_see_nothing(api: Api) -> None:
    await staff(api)
    budi = await proposed(api, EVALUATOR, EMPLOYEE, title="Budi: pelatihan")
    await proposed(api, EVALUATOR, PEER, title="Dewi: pelatihan")
    await proposed(api, HEAD, EVALUATOR, title="Siti: pelatihan")
    assert await titles(api, EMPLOYEE) == ["Budi: pelatihan"]
    assert await titles(api, PEER) == ["Dewi: pelatihan"]
    assert await titles(api, EVALUATOR) == ["Budi: pelatihan", "Dewi: pelatihan", "Siti: pelatihan"]
    assert await titles(api, HEAD) == ["Siti: pelatihan"]
    everything = ["Budi: pelatihan", "Dewi: pelatihan", "Siti: pelatihan"]
    assert await titles(api, HR) == await titles(api, AUDITOR) == everything

    path = f"{ITEMS}/{budi['id']}"
    for who, status in ((EMPLOYEE, 200), (EVALUATOR, 200), (HR, 200), (AUDITOR, 200)):
        assert (await api.get(path, who)).status_code == status, who
    for who in (PEER, HEAD):
        assert (await api.get(path, who)).status_code == 404, who
        assert (await api.get(f"{path}/audit", who)).status_code == 404
        assert (await act(api, budi, "approve", who)).status_code == 404
        assert (await api.patch(path, who, {"version": 1, "title": "x"})).status_code == 404
        assert (await api.get(f"{path}/certificate", who)).status_code == 404
    assert (await act(api, budi, "approve", AUDITOR)).status_code == 403
    assert (await api.patch(path, AUDITOR, {"version": 1, "title": "x"})).status_code == 403


async def test_the_evaluator_of_an_appraisal_item_is_the_appraisal_s_evaluator(api: Api) -> None:
    appraisal = await world(api)
    item = await proposed(api, EMPLOYEE, EMPLOYEE, appraisal_id=appraisal["id"])
    assert (item["appraisal_id"], item["cycle_id"]) == (appraisal["id"], appraisal["cycle_id"])
    reassigned = await api.post(
        f"/api/v1/appraisals/{appraisal['id']}/reassign",
        HR,
        {"version": appraisal["version"], "evaluator_nip": PEER, "reason": "Kepala bidang cuti."},
    )
    assert reassigned.status_code == 200, reassigned.text
    assert (await api.get(f"{ITEMS}/{item['id']}", EVALUATOR)).status_code == 404
    seen = (await api.get(f"{ITEMS}/{item['id']}", PEER)).json()
    assert seen["evaluator"]["nip"] == PEER
    assert seen["allowed_actions"] == ["approve", "reject"]
    trail = (await api.get(f"/api/v1/appraisals/{appraisal['id']}/audit", EMPLOYEE)).json()
    assert "followup.proposed" in [event["action"] for event in trail]


async def test_who_may_add_items_for_whom(api: Api) -> None:
    appraisal = await world(api)
    for who in (PEER, HEAD, AUDITOR):
        refused = await propose(api, who, EMPLOYEE)
        assert refused.status_code == 403, (who, refused.text)
    for who in (EMPLOYEE, EVALUATOR, HR):
        assert (await propose(api, who, EMPLOYEE)).status_code == 201
    cancelled = await api.act(appraisal, "cancel", HR, reason="Pegawai pindah instansi.")
    assert cancelled.status_code == 200
    late = await propose(api, EVALUATOR, EMPLOYEE, appraisal_id=appraisal["id"])
    assert late.status_code == 409, late.text
    assert (await propose(api, PEER, EMPLOYEE, appraisal_id=appraisal["id"])).status_code == 403


BAD_ITEMS: list[tuple[dict[str, Any], str]] = [
    ({"employee_nip": "199999999999999999"}, "employee_nip"),
    ({"employee_nip": "12"}, "employee_nip"),
    ({"due": "2025-12-31"}, "due"),
    ({"title": " "}, "title"),
    ({"title": "Pelatihan\x00"}, "title"),
    ({"details": {"kind": "flying"}}, "details"),
    ({"details": {"kind": "coaching", "hours": 4}}, "details.hours"),
    ({"details": {"kind": "training", "hours": "4"}}, "details.hours"),
    ({"details": {"kind": "training", "hours": 0}}, "details.hours"),
    ({"details": {"kind": "training", "start": "2026-03-01", "end": "2026-02-01"}}, "details.end"),
    ({"details": {"kind": "mentoring", "mentor_nip": EMPLOYEE}}, "details.mentor_nip"),
    ({"details": {"kind": "mentoring", "mentor_nip": "199999999999999999"}}, "details.mentor_nip"),
    ({"appraisal_id": "1"}, "appraisal_id"),
    ({"appraisal_id": 2**64}, "appraisal_id"),
    ({"appraisal_id": 999999}, "appraisal_id"),
    ({"target_id": 1}, "target_id"),
    ({"core_value": "jujur"}, "core_value"),
    ({"owner": "mentor"}, "owner"),
    ({"colour": "blue"}, "colour"),
]


@pytest.mark.parametrize(("change", "field"), BAD_ITEMS, ids=[f for _c, f in BAD_ITEMS])
async def test_a_bad_item_is_refused_with_its_field(
    api: Api, change: dict[str, Any], field: str
) -> None:
    await staff(api)
    body = {"employee_nip": EMPLOYEE, "title": "Pelatihan", "details": {"kind": "training"}}
    response = await api.post(ITEMS, EVALUATOR, {**body, **change})
    assert response.status_code == 422, response.text
    fields = [error["field"] for error in response.json()["errors"]]
    assert any(f == field or f.startswith(field) or field.startswith(f) for f in fields), fields
    assert await titles(api, HR) == []


async def test_an_rhk_of_another_appraisal_is_not_a_motive(api: Api) -> None:
    appraisal = await world(api)
    appraisal = await add_target(api, appraisal)
    rhk = appraisal["targets"][0]["id"]
    ok = await proposed(
        api, EVALUATOR, EMPLOYEE, appraisal_id=appraisal["id"], target_id=rhk, core_value="kompeten"
    )
    assert ok["target"]["title"] == "Layanan perizinan daring"
    assert ok["core_value"] == "kompeten"
    other = await propose(api, EVALUATOR, PEER, target_id=rhk)
    assert other.status_code == 422


async def test_editing_follows_the_state_and_the_role(api: Api) -> None:
    await staff(api)
    item = await proposed(api, EMPLOYEE, EMPLOYEE)
    path = f"{ITEMS}/{item['id']}"
    edited = await api.patch(
        path, EMPLOYEE, {"version": item["version"], "title": "Pelatihan data", "due": "2026-06-30"}
    )
    assert edited.status_code == 200, edited.text
    item = edited.json()
    assert (item["title"], item["due"], item["version"]) == ("Pelatihan data", "2026-06-30", 2)
    stale = await api.patch(path, EMPLOYEE, {"version": 1, "title": "x"})
    assert stale.status_code == 409
    kind = await api.patch(
        path, EMPLOYEE, {"version": item["version"], "details": {"kind": "coaching"}}
    )
    assert kind.status_code == 422
    assert kind.json()["errors"][0]["field"] == "details.kind"
    item = await acted(api, item, "approve", EVALUATOR)
    # the employee edits a proposal only; once approved, the state lets others edit: 403
    assert (
        await api.patch(path, EMPLOYEE, {"version": item["version"], "title": "y"})
    ).status_code == 403
    hours = await api.patch(
        path,
        EVALUATOR,
        {"version": item["version"], "details": {"kind": "training", "hours": 32}},
    )
    assert hours.status_code == 200, hours.text
    assert hours.json()["details"]["hours"] == 32
    events = (await api.get(f"{path}/audit", HR)).json()
    updates = [e["data"] for e in events if e["action"] == "followup.updated"]
    assert updates[0]["after"] == {"title": "Pelatihan data", "due": "2026-06-30"}
    assert updates[1]["before"]["details"]["hours"] == 24
    assert updates[1]["after"]["details"]["hours"] == 32


@pytest.mark.parametrize(
    "path",
    [
        f"{ITEMS}/1%00",
        f"{ITEMS}/99999999999999999999",
        f"{ITEMS}/99999999999999999999/audit",
        "/api/v1/employees/1990%00/development",
    ],
)
async def test_paths_that_cannot_name_anything_are_404(api: Api, path: str) -> None:
    await staff(api)
    assert (await api.get(path, HR)).status_code == 404


@pytest.mark.parametrize(
    "query",
    [
        {"cycle_id": "99999999999999999999"},
        {"cycle_id": "abc"},
        {"kind": "flying"},
        {"owner": "mentor"},
        {"overdue": "maybe"},
        {"limit": "0"},
        {"offset": "-1"},
        {"unit_code": "BID1\x00"},
    ],
)
async def test_bad_list_filters_are_422(api: Api, query: dict[str, str]) -> None:
    await staff(api)
    response = await api.get(ITEMS, HR, params=query)
    assert response.status_code in (400, 422), response.text


async def test_action_bodies_are_strict(api: Api) -> None:
    await staff(api)
    item = await proposed(api, EMPLOYEE, EMPLOYEE)
    path = f"{ITEMS}/{item['id']}/actions/reject"
    for body in (
        {"version": "1", "reason": "x"},
        {"reason": "x"},
        {"version": 1, "reason": "\x00"},
    ):
        response = await api.post(path, EVALUATOR, body)
        assert response.status_code == 422, (body, response.text)
    assert (await api.post(path, PEER, {"version": 1, "reason": "x"})).status_code == 404
