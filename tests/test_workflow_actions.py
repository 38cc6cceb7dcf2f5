"""Each workflow row: allowed, wrong person, wrong state, stale version, guards."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pytest

from tests.support.api import EMPLOYEE, EVALUATOR, HEAD, HR, PEER, Api
from tests.support.flow import add_target, advance, evaluate, realise_all, world
from tests.support.followups import end_followups


@dataclass(frozen=True)
class Row:
    trigger: str
    source: str
    dest: str
    who: str
    wrong_who: str
    payload: dict[str, Any] = field(default_factory=dict)
    bad_payloads: tuple[dict[str, Any], ...] = ()


ROWS = [
    Row("submit_targets", "planning", "targets_submitted", EMPLOYEE, EVALUATOR),
    Row(
        "return_targets",
        "targets_submitted",
        "planning",
        EVALUATOR,
        EMPLOYEE,
        {"comment": "Indikator belum terukur."},
        ({}, {"comment": "   "}),
    ),
    Row("approve_targets", "targets_submitted", "in_progress", EVALUATOR, HR),
    Row("start_self_assessment", "in_progress", "self_assessment", HR, EVALUATOR),
    Row("submit_self_assessment", "self_assessment", "under_review", EMPLOYEE, EVALUATOR),
    Row(
        "submit_review",
        "under_review",
        "reviewed",
        EVALUATOR,
        EMPLOYEE,
        {"results_rating": "di_atas_ekspektasi", "behaviour_rating": "di_atas_ekspektasi"},
        (
            {},
            {"results_rating": "di_atas_ekspektasi"},
            {"results_rating": "x", "behaviour_rating": "y"},
        ),
    ),
    Row("acknowledge", "reviewed", "follow_up", EMPLOYEE, EVALUATOR),
    Row(
        "file_appeal",
        "reviewed",
        "appealed",
        EMPLOYEE,
        EVALUATOR,
        {"reason": "Bukti dukung tidak dipertimbangkan."},
        ({}, {"reason": ""}),
    ),
    Row(
        "decide_appeal",
        "appealed",
        "follow_up",
        HEAD,
        EVALUATOR,
        {"decision": "upheld", "reason": "Penilaian sesuai bukti."},
        (
            {"reason": "tanpa keputusan"},
            {"decision": "changed", "reason": "tanpa rating baru"},
            {"decision": "upheld"},
            {"decision": "maybe", "reason": "x"},
        ),
    ),
    Row("close", "follow_up", "closed", HR, EMPLOYEE),
    Row(
        "cancel",
        "in_progress",
        "cancelled",
        HR,
        EVALUATOR,
        {"reason": "Pegawai pindah instansi."},
        ({}, {"reason": " "}),
    ),
]


async def trail(api: Api, appraisal_id: int) -> list[dict[str, Any]]:
    """The appraisal's own events (its follow-up items' events show in its trail too)."""
    response = await api.get(f"/api/v1/appraisals/{appraisal_id}/audit", HR)
    assert response.status_code == 200, response.text
    events: list[dict[str, Any]] = response.json()
    return [event for event in events if not event["action"].startswith("followup.")]


async def assert_unchanged(api: Api, before: dict[str, Any], events: int) -> None:
    now = (await api.get(f"/api/v1/appraisals/{before['id']}", HR)).json()
    assert (now["state"], now["version"]) == (before["state"], before["version"])
    assert len(await trail(api, before["id"])) == events


@pytest.mark.parametrize("row", ROWS, ids=lambda row: row.trigger)
async def test_transition(api: Api, row: Row) -> None:
    appraisal = await advance(api, await world(api), row.source)
    events = len(await trail(api, appraisal["id"]))

    stale = await api.act(
        {**appraisal, "version": appraisal["version"] - 1}, row.trigger, row.who, **row.payload
    )
    assert stale.status_code == 409, stale.text
    await assert_unchanged(api, appraisal, events)

    wrong_person = await api.act(appraisal, row.trigger, row.wrong_who, **row.payload)
    assert wrong_person.status_code == 403, wrong_person.text
    await assert_unchanged(api, appraisal, events)

    stranger = await api.act(appraisal, row.trigger, PEER, **row.payload)
    assert stranger.status_code == 404, stranger.text
    await assert_unchanged(api, appraisal, events)

    for bad in row.bad_payloads:
        refused = await api.act(appraisal, row.trigger, row.who, **bad)
        assert refused.status_code == 422, (bad, refused.text)
        assert refused.json()["errors"], refused.text
        await assert_unchanged(api, appraisal, events)

    if row.trigger == "submit_targets":  # guard: at least one target
        refused = await api.act(appraisal, row.trigger, row.who)
        assert refused.status_code == 422
        assert refused.json()["errors"][0]["field"] == "targets"
        await assert_unchanged(api, appraisal, events)
        appraisal = await add_target(api, appraisal)
    if row.trigger == "submit_self_assessment":  # guard: every target has a realisation
        refused = await api.act(appraisal, row.trigger, row.who)
        assert refused.status_code == 422
        assert "Jumlah layanan terintegrasi" in refused.json()["errors"][0]["message"]
        await assert_unchanged(api, appraisal, events)
        appraisal = await realise_all(api, appraisal)
    if row.trigger == "submit_review":  # guard: feedback on every RHK and every value
        refused = await api.act(appraisal, row.trigger, row.who, **row.payload)
        assert refused.status_code == 422
        fields = [error["field"] for error in refused.json()["errors"]]
        assert fields == ["target_feedback"], refused.text
        await assert_unchanged(api, appraisal, events)
        appraisal = await evaluate(api, appraisal)
    if row.trigger == "close":  # guard: every follow-up item the rules proposed has ended
        refused = await api.act(appraisal, row.trigger, row.who, **row.payload)
        assert refused.status_code == 422
        assert refused.json()["errors"][0]["field"] == "followups"
        await end_followups(api, appraisal, HR)
    events = len(await trail(api, appraisal["id"]))

    done = await api.act(appraisal, row.trigger, row.who, **row.payload)
    assert done.status_code == 200, done.text
    after = done.json()
    assert after["state"] == row.dest
    shown = await api.get(f"/api/v1/appraisals/{appraisal['id']}", row.who)
    assert after == shown.json()  # the answer is the appraisal as it now reads
    assert after["version"] == appraisal["version"] + 1
    last = (await trail(api, appraisal["id"]))[-1]
    assert (last["action"], last["from_state"], last["to_state"]) == (
        f"appraisal.{row.trigger}",
        row.source,
        row.dest,
    )
    assert len(await trail(api, appraisal["id"])) == events + 1

    again = await api.act(after, row.trigger, row.who, **row.payload)
    assert again.status_code == 409, again.text
    await assert_unchanged(api, after, events + 1)


async def test_allowed_actions_follow_role_and_state(api: Api) -> None:
    appraisal = await world(api)
    allowed = {
        who: (await api.get(f"/api/v1/appraisals/{appraisal['id']}", who)).json()["allowed_actions"]
        for who in (EMPLOYEE, EVALUATOR, HEAD, HR)
    }
    assert allowed == {EMPLOYEE: ["submit_targets"], EVALUATOR: [], HEAD: [], HR: ["cancel"]}
    appraisal = await advance(api, appraisal, "targets_submitted")
    evaluator_view = (await api.get(f"/api/v1/appraisals/{appraisal['id']}", EVALUATOR)).json()
    assert sorted(evaluator_view["allowed_actions"]) == ["approve_targets", "return_targets"]
    assert (await api.get(f"/api/v1/appraisals/{appraisal['id']}", PEER)).status_code == 404


async def test_unknown_trigger_is_404(api: Api) -> None:
    appraisal = await world(api)
    response = await api.act(appraisal, "promote_to_minister", EMPLOYEE)
    assert response.status_code == 404


async def test_missing_version_is_422(api: Api) -> None:
    appraisal = await world(api)
    response = await api.post(
        f"/api/v1/appraisals/{appraisal['id']}/actions/submit_targets", EMPLOYEE, {}
    )
    assert response.status_code == 422
    assert any(error["field"] == "version" for error in response.json()["errors"]), response.text
