"""The SKP: RHKs with indicators, the approach, cascading, and who may change what when."""

from __future__ import annotations

import asyncio
from typing import Any

from tests.support.api import EMPLOYEE, EVALUATOR, HR, PEER, Api
from tests.support.flow import INDICATOR, add_target, advance, indicator_path, world

QUALITY = {
    "description": "Kepuasan pengguna layanan",
    "aspect": "quality",
    "target_text": "Survei menunjukkan pengguna puas",
}


def base(appraisal: dict[str, Any]) -> str:
    return f"/api/v1/appraisals/{appraisal['id']}"


async def current(api: Api, appraisal: dict[str, Any], who: str = EMPLOYEE) -> dict[str, Any]:
    response = await api.get(base(appraisal), who)
    assert response.status_code == 200, response.text
    result: dict[str, Any] = response.json()
    return result


async def events(api: Api, appraisal: dict[str, Any]) -> list[str]:
    trail = (await api.get(f"{base(appraisal)}/audit", HR)).json()
    return [event["action"] for event in trail]


async def test_an_rhk_carries_several_indicators_with_their_targets(api: Api) -> None:
    appraisal = await world(api)
    weighted = {**INDICATOR, "target_value": 12.5, "weight": 60}
    response = await api.post(
        f"{base(appraisal)}/targets",
        EMPLOYEE,
        {
            "title": "Layanan perizinan daring",
            "indicators": [weighted, {**QUALITY, "weight": 40}],
        },
    )
    assert response.status_code == 201, response.text
    [rhk] = response.json()["targets"]
    assert rhk["title"] == "Layanan perizinan daring"
    first, second = rhk["indicators"]
    assert (first["target_value"], first["target_unit"], first["aspect"]) == (
        12.5,
        "layanan",
        "quantity",
    )
    assert (first["weight"], second["weight"]) == (60, 40)
    assert second["target_value"] is None
    assert second["target_text"] == "Survei menunjukkan pengguna puas"
    assert [i["position"] for i in rhk["indicators"]] == [1, 2]
    assert response.json() == (await api.get(base(appraisal), EMPLOYEE)).json()
    added = (await api.get(f"{base(appraisal)}/audit", HR)).json()[-1]
    assert added["action"] == "target.added"
    assert added["data"]["indicators"][0]["target_value"] == "12.5"


async def test_incomplete_or_malformed_targets_are_422_and_write_nothing(api: Api) -> None:
    appraisal = await add_target(api, await world(api))
    before = await current(api, appraisal)
    trail = await events(api, appraisal)
    path = f"{base(appraisal)}/targets"
    bad_bodies: list[dict[str, Any]] = [
        {"title": "", "indicators": [INDICATOR]},
        {"title": "x"},
        {"title": "x", "indicators": []},
        {"title": "x", "indicators": [{**INDICATOR, "target_unit": None}]},
        {"title": "x", "indicators": [{"description": "y"}]},
        {"title": "x", "indicators": [{**INDICATOR, "target_value": 0}]},
        {"title": "x", "indicators": [{**INDICATOR, "aspect": "mood"}]},
        {"title": "x", "indicators": [{**INDICATOR, "weight": -5}]},
        {"title": "x", "indicators": [INDICATOR], "evil": 1},
        {"title": "x", "indicators": [INDICATOR], "supports_target_id": 999999},
    ]
    for body in bad_bodies:
        response = await api.post(path, EMPLOYEE, body)
        assert response.status_code == 422, (body, response.text)
        assert response.json()["errors"], response.text
    unitless = await api.post(
        path, EMPLOYEE, {"title": "x", "indicators": [QUALITY, {**INDICATOR, "target_unit": None}]}
    )
    assert [e["field"] for e in unitless.json()["errors"]] == ["indicators[1].target_unit"]
    broken_edit = await api.patch(indicator_path(before), EMPLOYEE, {"target_unit": None})
    assert broken_edit.status_code == 422, broken_edit.text
    assert await current(api, appraisal) == before
    assert await events(api, appraisal) == trail


async def test_planning_fields_only_while_planning_realisation_only_in_self_assessment(
    api: Api,
) -> None:
    appraisal = await add_target(api, await world(api))
    indicator = indicator_path(appraisal)
    edited = await api.patch(
        indicator, EMPLOYEE, {"target_value": 15, "version": appraisal["version"]}
    )
    assert edited.status_code == 200, edited.text
    assert edited.json()["targets"][0]["indicators"][0]["target_value"] == 15
    assert edited.json()["version"] == appraisal["version"] + 1
    early = await api.patch(indicator, EMPLOYEE, {"realisation_value": 3})
    assert early.status_code == 409
    by_evaluator = await api.patch(indicator, EVALUATOR, {"target_value": 1})
    assert by_evaluator.status_code == 403
    appraisal = await advance(api, edited.json(), "in_progress")
    for response in (
        await api.patch(indicator, EMPLOYEE, {"target_value": 1}),
        await api.post(
            f"{base(appraisal)}/targets", EMPLOYEE, {"title": "x", "indicators": [INDICATOR]}
        ),
        await api.post(
            f"{base(appraisal)}/targets/{appraisal['targets'][0]['id']}/indicators",
            EMPLOYEE,
            QUALITY,
        ),
        await api.patch(
            f"{base(appraisal)}/targets/{appraisal['targets'][0]['id']}", EMPLOYEE, {"title": "y"}
        ),
    ):
        assert response.status_code == 409, response.text
    appraisal = await advance(api, appraisal, "self_assessment")
    mixed = await api.patch(indicator, EMPLOYEE, {"realisation_value": 9, "target_value": 9})
    assert mixed.status_code == 422
    realised = await api.patch(
        indicator, EMPLOYEE, {"realisation_value": 13.25, "realisation_text": "Semua daring"}
    )
    assert realised.status_code == 200, realised.text
    measured = realised.json()["targets"][0]["indicators"][0]
    assert (measured["realisation_value"], measured["realisation_text"]) == (13.25, "Semua daring")


async def test_indicators_are_added_and_removed_but_an_rhk_keeps_one(api: Api) -> None:
    appraisal = await add_target(api, await world(api))
    rhk = f"{base(appraisal)}/targets/{appraisal['targets'][0]['id']}"
    added = await api.post(f"{rhk}/indicators", EMPLOYEE, QUALITY)
    assert added.status_code == 201, added.text
    indicators = added.json()["targets"][0]["indicators"]
    assert [i["description"] for i in indicators] == [
        INDICATOR["description"],
        QUALITY["description"],
    ]
    removed = await api.client.delete(
        f"{rhk}/indicators/{indicators[0]['id']}", headers=api.auth(EMPLOYEE)
    )
    assert removed.status_code == 200, removed.text
    [last] = removed.json()["targets"][0]["indicators"]
    refused = await api.client.delete(f"{rhk}/indicators/{last['id']}", headers=api.auth(EMPLOYEE))
    assert refused.status_code == 409
    assert len((await current(api, appraisal))["targets"][0]["indicators"]) == 1


async def test_a_quantitative_skp_needs_numbers_and_the_approach_is_the_employees_choice(
    api: Api,
) -> None:
    appraisal = await world(api)
    appraisal = await add_target(api, appraisal, "Kualitas layanan")
    response = await api.post(
        f"{base(appraisal)}/targets/{appraisal['targets'][0]['id']}/indicators", EMPLOYEE, QUALITY
    )
    appraisal = response.json()
    assert appraisal["approach"] == "kuantitatif"
    refused = await api.act(appraisal, "submit_targets", EMPLOYEE)
    assert refused.status_code == 422
    [error] = refused.json()["errors"]
    assert error["field"] == "indicators"
    assert "Kepuasan pengguna layanan" in error["message"]

    approach = f"{base(appraisal)}/approach"
    body = {"version": appraisal["version"], "approach": "kualitatif"}
    assert (await api.put(approach, EVALUATOR, body)).status_code == 403
    assert (await api.put(approach, EMPLOYEE, {**body, "approach": "lain"})).status_code == 422
    assert (await api.put(approach, EMPLOYEE, {**body, "version": 1})).status_code == 409
    chosen = await api.put(approach, EMPLOYEE, body)
    assert chosen.status_code == 200, chosen.text
    assert chosen.json()["approach"] == "kualitatif"
    assert "skp.approach_set" in await events(api, appraisal)
    submitted = await api.act(chosen.json(), "submit_targets", EMPLOYEE)
    assert submitted.status_code == 200, submitted.text
    late = await api.put(approach, EMPLOYEE, {**body, "version": submitted.json()["version"]})
    assert late.status_code == 409


async def test_weights_are_given_to_every_indicator_or_to_none(api: Api) -> None:
    appraisal = await world(api)
    response = await api.post(
        f"{base(appraisal)}/targets",
        EMPLOYEE,
        {"title": "x", "indicators": [{**INDICATOR, "weight": 70}, INDICATOR]},
    )
    refused = await api.act(response.json(), "submit_targets", EMPLOYEE)
    assert refused.status_code == 422
    assert refused.json()["errors"][0]["field"] == "weight"


async def test_an_rhk_supports_one_of_the_evaluators_rhks(api: Api) -> None:
    appraisal = await world(api)
    own = await api.appraisal_of(EVALUATOR, EVALUATOR)
    own = await add_target(api, own, "Transformasi digital layanan", who=EVALUATOR)
    superior_rhk = own["targets"][0]
    listed = await api.get(f"{base(appraisal)}/superior-targets", EMPLOYEE)
    assert listed.status_code == 200
    assert listed.json() == [
        {"id": superior_rhk["id"], "appraisal_id": own["id"], "title": superior_rhk["title"]}
    ]
    appraisal = await add_target(api, appraisal, supports_target_id=superior_rhk["id"])
    assert appraisal["targets"][0]["supports"] == listed.json()[0]

    colleague = await api.appraisal_of(PEER, PEER)
    colleague = await add_target(api, colleague, "Pusat data", who=PEER)
    not_superior = await api.post(
        f"{base(appraisal)}/targets",
        EMPLOYEE,
        {
            "title": "x",
            "indicators": [INDICATOR],
            "supports_target_id": colleague["targets"][0]["id"],
        },
    )
    assert not_superior.status_code == 422
    assert not_superior.json()["errors"][0]["field"] == "supports_target_id"

    cascade = await api.get(f"/api/v1/appraisals/{own['id']}/cascade", EVALUATOR)
    assert cascade.status_code == 200, cascade.text
    [entry] = cascade.json()
    assert entry["target_id"] == superior_rhk["id"]
    assert [(s["employee_nip"], s["title"]) for s in entry["supported_by"]] == [
        (EMPLOYEE, "Layanan perizinan daring")
    ]
    unlinked = await api.patch(
        f"{base(appraisal)}/targets/{appraisal['targets'][0]['id']}",
        EMPLOYEE,
        {"supports_target_id": None},
    )
    assert unlinked.json()["targets"][0]["supports"] is None
    cascade = await api.get(f"/api/v1/appraisals/{own['id']}/cascade", EVALUATOR)
    assert cascade.json()[0]["supported_by"] == []


async def test_the_evaluator_reopens_approved_planning_with_a_reason(api: Api) -> None:
    appraisal = await advance(api, await world(api), "in_progress")
    assert "reopen_planning" in (await current(api, appraisal, EVALUATOR))["allowed_actions"]
    assert (await api.act(appraisal, "reopen_planning", EMPLOYEE)).status_code == 403
    assert (await api.act(appraisal, "reopen_planning", EVALUATOR)).status_code == 422
    reopened = await api.act(
        appraisal, "reopen_planning", EVALUATOR, comment="Ada tugas tambahan dari pimpinan."
    )
    assert reopened.status_code == 200, reopened.text
    appraisal = reopened.json()
    assert appraisal["state"] == "planning"
    assert appraisal["return_comment"] == "Ada tugas tambahan dari pimpinan."
    await api.deliver()
    [notice] = await api.outbox(to="budi@example.go.id", kind="planning_reopened")
    assert "Ada tugas tambahan dari pimpinan." in notice.body_text
    appraisal = await add_target(api, appraisal, "Tugas tambahan")
    appraisal = await advance(api, appraisal, "in_progress")
    assert [t["title"] for t in appraisal["targets"]] == [
        "Layanan perizinan daring",
        "Tugas tambahan",
    ]
    trail = await api.get(f"{base(appraisal)}/audit", EMPLOYEE)
    reopen = next(e for e in trail.json() if e["action"] == "appraisal.reopen_planning")
    assert (reopen["from_state"], reopen["to_state"]) == ("in_progress", "planning")


async def test_stale_edit_is_409_and_keeps_the_first(api: Api) -> None:
    appraisal = await add_target(api, await world(api))
    path = indicator_path(appraisal)
    first = await api.patch(path, EMPLOYEE, {"target_value": 13, "version": appraisal["version"]})
    assert first.status_code == 200
    second = await api.patch(path, EMPLOYEE, {"target_value": 14, "version": appraisal["version"]})
    assert second.status_code == 409
    assert (await current(api, appraisal))["targets"][0]["indicators"][0]["target_value"] == 13


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
    final = await current(api, appraisal, EVALUATOR)
    assert final["version"] == appraisal["version"] + 1
