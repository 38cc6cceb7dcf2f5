"""HR reassigns the evaluator or the appeal reviewer of an open appraisal, with a reason."""

from __future__ import annotations

from tests.support.api import EMPLOYEE, EVALUATOR, HEAD, HR, ORG_CSV, PEER, Api
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


async def test_a_reassignment_emails_the_old_and_the_new_evaluator(api: Api) -> None:
    appraisal = await advance(api, await world(api), "targets_submitted")
    body = {"version": appraisal["version"], "evaluator_nip": PEER, "reason": "Mutasi jabatan"}
    moved = await api.post(f"/api/v1/appraisals/{appraisal['id']}/reassign", HR, body)
    assert moved.status_code == 200, moved.text
    (told_new,) = await api.outbox(to="dewi@example.go.id", kind="appraisal_assigned")
    assert "Budi Santoso" in told_new.body_text
    assert "Mutasi jabatan" in told_new.body_text
    assert "Siti Rahmawati" in told_new.body_text  # whom she takes over from
    assert f"/appraisals/{appraisal['id']}" in told_new.body_text
    (told_old,) = await api.outbox(to="siti@example.go.id", kind="appraisal_unassigned")
    assert "Dewi Lestari" in told_old.body_text
    assert f"/appraisals/{appraisal['id']}" not in told_old.body_text  # no longer hers to open
    assert not await api.outbox(to="budi@example.go.id", kind="appraisal_assigned")
    await api.deliver()
    assert any("Pejabat Penilai" in str(m["Subject"]) for m in api.mail.to("dewi@example.go.id"))


async def test_a_new_supervisor_in_the_import_takes_over_the_open_appraisals(api: Api) -> None:
    """Budi moves under Dewi: she becomes his evaluator (Siti, her superior, his reviewer);
    the approval waiting for Siti now waits for Dewi; both are told, the trail says why."""
    budi = await advance(api, await world(api), "targets_submitted")
    line = f"{EMPLOYEE},Budi Santoso,budi@example.go.id,BID1,Analis Kebijakan,{EVALUATOR},\n"
    assert line in ORG_CSV
    moved = ORG_CSV.replace(line, line.replace(f",{EVALUATOR},", f",{PEER},"))
    response = await api.import_csv(moved)
    assert response.status_code == 200, response.text
    result = response.json()
    assert sorted((r["part"], r["before_nip"], r["after_nip"]) for r in result["reassigned"]) == [
        ("evaluator", EVALUATOR, PEER),
        ("reviewer", HEAD, EVALUATOR),
    ]
    assert {r["employee_nip"] for r in result["reassigned"]} == {EMPLOYEE}

    after = (await api.get(f"/api/v1/appraisals/{budi['id']}", HR)).json()
    assert (after["evaluator"]["nip"], after["reviewer"]["nip"]) == (PEER, EVALUATOR)
    assert after["version"] > budi["version"]
    assert (await api.act(after, "approve_targets", EVALUATOR)).status_code in (403, 404)
    assert (
        "approve_targets"
        in (await api.get(f"/api/v1/appraisals/{budi['id']}", PEER)).json()["allowed_actions"]
    )
    (assigned,) = await api.outbox(to="dewi@example.go.id", kind="appraisal_assigned")
    assert "Budi Santoso" in assigned.body_text
    assert await api.outbox(to="siti@example.go.id", kind="appraisal_unassigned")
    trail = (await api.get(f"/api/v1/appraisals/{budi['id']}/audit", HR)).json()
    last = [e for e in trail if e["action"] == "appraisal.reassigned"][-1]
    assert last["reason"] == "the supervisor changed in the employee import"
    assert set(last["data"]) == {"evaluator", "reviewer"}

    # The same file again changes nothing and tells nobody.
    again = await api.import_csv(moved)
    assert again.json()["reassigned"] == []
    assert len(await api.outbox(to="dewi@example.go.id", kind="appraisal_assigned")) == 1
