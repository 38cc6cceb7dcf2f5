"""Drive the standard employee's appraisal to any state through the public API."""

from __future__ import annotations

from typing import Any

from tests.support.api import AUDITOR, EMPLOYEE, EVALUATOR, HEAD, HR, PEER, Api
from tests.support.followups import end_followups

REVIEW = {"results_rating": "di_atas_ekspektasi", "behaviour_rating": "sesuai_ekspektasi"}
APPEAL = {"reason": "Bukti realisasi belum dipertimbangkan."}
DECISION = {"decision": "upheld", "reason": "Penilaian sudah sesuai bukti."}

PATH: list[tuple[str, str, str, dict[str, Any]]] = [
    # (state before, trigger, who, payload)
    ("planning", "submit_targets", EMPLOYEE, {}),
    ("targets_submitted", "approve_targets", EVALUATOR, {}),
    ("in_progress", "start_self_assessment", HR, {}),
    ("self_assessment", "submit_self_assessment", EMPLOYEE, {}),
    ("under_review", "submit_review", EVALUATOR, REVIEW),
    ("reviewed", "file_appeal", EMPLOYEE, APPEAL),
    ("appealed", "decide_appeal", HEAD, DECISION),
    ("follow_up", "close", HR, {}),
]


async def world(api: Api) -> dict[str, Any]:
    """Org, accounts for everyone, an opened cycle; returns the employee's appraisal.

    Built over HTTP once per database and worker, then replayed (tests/support/seed.py).
    """

    async def build() -> None:
        await api.setup_org()
        await api.sign_in_staff(EMPLOYEE, EVALUATOR, HEAD, HR, PEER, AUDITOR)
        await api.open_cycle()

    await api.seeded("world", build)
    return await api.appraisal_of(EMPLOYEE, EMPLOYEE)


INDICATOR = {
    "description": "Jumlah layanan terintegrasi",
    "aspect": "quantity",
    "target_value": 12,
    "target_unit": "layanan",
}
REALISED = 14
"""14 of 12 is 117%: the suggested results rating is above expectations, as REVIEW rates."""


async def add_target(
    api: Api,
    appraisal: dict[str, Any],
    title: str = "Layanan perizinan daring",
    who: str = EMPLOYEE,
    **extra: Any,
) -> dict[str, Any]:
    response = await api.post(
        f"/api/v1/appraisals/{appraisal['id']}/targets",
        who,
        {"title": title, "indicators": [INDICATOR], **extra},
    )
    assert response.status_code == 201, response.text
    result: dict[str, Any] = response.json()
    return result


def indicator_path(appraisal: dict[str, Any], target: int = 0, indicator: int = 0) -> str:
    rhk = appraisal["targets"][target]
    return (
        f"/api/v1/appraisals/{appraisal['id']}/targets/{rhk['id']}"
        f"/indicators/{rhk['indicators'][indicator]['id']}"
    )


async def realise_all(
    api: Api, appraisal: dict[str, Any], value: float = REALISED, who: str = EMPLOYEE
) -> dict[str, Any]:
    for t, target in enumerate(appraisal["targets"]):
        for i in range(len(target["indicators"])):
            response = await api.patch(
                indicator_path(appraisal, t, i), who, {"realisation_value": value}
            )
            assert response.status_code == 200, response.text
            appraisal = response.json()
    return appraisal


def feedback_for(appraisal: dict[str, Any]) -> dict[str, Any]:
    """An evaluation draft with feedback on every RHK and every BerAKHLAK value."""
    return {
        "target_feedback": [
            {"target_id": t["id"], "feedback": f"Umpan balik untuk {t['title']}."}
            for t in appraisal["targets"]
        ],
        "behaviour_feedback": [
            {"value": b["value"], "feedback": "Perilaku sesuai harapan."}
            for b in appraisal["behaviour"]
        ],
    }


async def evaluate(
    api: Api, appraisal: dict[str, Any], who: str = EVALUATOR, **draft: Any
) -> dict[str, Any]:
    """Save the evaluator's draft: feedback everywhere, plus ``draft``."""
    response = await api.put(
        f"/api/v1/appraisals/{appraisal['id']}/evaluation",
        who,
        {"version": appraisal["version"], **feedback_for(appraisal), **draft},
    )
    assert response.status_code == 200, response.text
    result: dict[str, Any] = response.json()
    return result


async def advance(api: Api, appraisal: dict[str, Any], to_state: str) -> dict[str, Any]:
    """Fire the happy-path triggers until the appraisal is in ``to_state``."""
    states = [state for state, *_rest in PATH]
    for state, trigger, who, payload in PATH[states.index(appraisal["state"]) :]:
        if appraisal["state"] == to_state:
            return appraisal
        assert appraisal["state"] == state, (appraisal["state"], state)
        if trigger == "submit_targets" and not appraisal["targets"]:
            appraisal = await add_target(api, appraisal)
        if trigger == "submit_self_assessment":
            appraisal = await realise_all(api, appraisal)
        if trigger == "submit_review":
            appraisal = await evaluate(api, appraisal)
        if trigger == "close":  # the rules proposed follow-ups on the way in: end them first
            await end_followups(api, appraisal, HR)
        response = await api.act(appraisal, trigger, who, **payload)
        assert response.status_code == 200, (trigger, response.text)
        appraisal = response.json()
    assert appraisal["state"] == to_state
    return appraisal
