"""Continuous feedback and coaching sessions while the work is being done."""

from __future__ import annotations

from typing import Any

from tests.support.api import AUDITOR, EMPLOYEE, EVALUATOR, HEAD, HR, PEER, Api
from tests.support.flow import add_target, advance, world

SESSION = {
    "held_on": "2026-01-05",
    "kind": "coaching",
    "topic": "Percepatan integrasi layanan",
    "agreed_actions": "Susun jadwal uji coba dengan dinas teknis",
}


async def in_progress(api: Api) -> dict[str, Any]:
    return await advance(api, await world(api), "in_progress")


async def test_both_parties_write_feedback_and_record_sessions(api: Api) -> None:
    appraisal = await in_progress(api)
    target_id = appraisal["targets"][0]["id"]
    base = f"/api/v1/appraisals/{appraisal['id']}"
    by_evaluator = await api.post(
        f"{base}/targets/{target_id}/feedback",
        EVALUATOR,
        {"body": "Capaian bulan ini baik, perhatikan kualitas data."},
    )
    assert by_evaluator.status_code == 201, by_evaluator.text
    assert by_evaluator.json()["author_role"] == "evaluator"
    by_employee = await api.post(
        f"{base}/targets/{target_id}/feedback",
        EMPLOYEE,
        {"body": "Terima kasih, data akan divalidasi ulang."},
    )
    assert by_employee.json()["author_role"] == "employee"
    session = await api.post(f"{base}/coaching", EVALUATOR, SESSION)
    assert session.status_code == 201, session.text

    for who in (EMPLOYEE, EVALUATOR, HEAD, HR, AUDITOR):
        dialogue = (await api.get(f"{base}/dialogue", who)).json()
        assert [n["author_role"] for n in dialogue["feedback"]] == ["evaluator", "employee"]
        assert dialogue["sessions"][0]["agreed_actions"] == SESSION["agreed_actions"]
    assert (await api.get(f"{base}/dialogue", PEER)).status_code == 404

    trail = (await api.get(f"{base}/audit", EMPLOYEE)).json()
    actions = [event["action"] for event in trail[-3:]]
    assert actions == ["feedback.added", "feedback.added", "coaching.recorded"]
    assert trail[-1]["data"]["topic"] == SESSION["topic"]


async def test_only_the_parties_and_only_in_progress(api: Api) -> None:
    appraisal = await add_target(api, await world(api))
    target_id = appraisal["targets"][0]["id"]
    base = f"/api/v1/appraisals/{appraisal['id']}"
    too_early = await api.post(f"{base}/targets/{target_id}/feedback", EVALUATOR, {"body": "x"})
    assert too_early.status_code == 409
    appraisal = await advance(api, appraisal, "in_progress")
    for who, status in ((HR, 403), (HEAD, 403), (AUDITOR, 403), (PEER, 404)):
        response = await api.post(f"{base}/coaching", who, SESSION)
        assert response.status_code == status, (who, response.text)
    appraisal = await advance(api, appraisal, "self_assessment")
    too_late = await api.post(f"{base}/coaching", EMPLOYEE, SESSION)
    assert too_late.status_code == 409
    dialogue = (await api.get(f"{base}/dialogue", EMPLOYEE)).json()
    assert dialogue == {"feedback": [], "sessions": []}


async def test_bad_input_is_refused_and_nothing_is_written(api: Api) -> None:
    appraisal = await in_progress(api)
    base = f"/api/v1/appraisals/{appraisal['id']}"
    events = len((await api.get(f"{base}/audit", HR)).json())
    bad_sessions = [
        {**SESSION, "held_on": "2025-12-31"},  # before the period
        {**SESSION, "held_on": "2026-03-01"},  # after today (the test clock is 2026-01-05)
        {**SESSION, "kind": "gossip"},
        {**SESSION, "topic": ""},
        {**SESSION, "minutes": 30},
    ]
    for body in bad_sessions:
        response = await api.post(f"{base}/coaching", EVALUATOR, body)
        assert response.status_code == 422, (body, response.text)
    empty = await api.post(
        f"{base}/targets/{appraisal['targets'][0]['id']}/feedback", EVALUATOR, {"body": ""}
    )
    assert empty.status_code == 422
    foreign = await api.post(f"{base}/targets/999999/feedback", EVALUATOR, {"body": "x"})
    assert foreign.status_code == 404
    assert (await api.get(f"{base}/dialogue", EVALUATOR)).json() == {"feedback": [], "sessions": []}
    assert len((await api.get(f"{base}/audit", HR)).json()) == events
