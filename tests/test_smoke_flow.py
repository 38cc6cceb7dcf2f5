"""The whole life of one appraisal through the public API, start to finish."""

from __future__ import annotations

from typing import Any

from tests.support.api import AUDITOR, EMPLOYEE, EVALUATOR, HEAD, HR, PEER, Api
from tests.support.flow import evaluate
from tests.support.followups import end_followups


async def test_full_lifecycle_with_appeal(api: Api) -> None:
    await api.setup_org()
    await api.sign_in_staff(EMPLOYEE, EVALUATOR, HEAD, HR, PEER, AUDITOR)
    opened = await api.open_cycle()
    assert opened["created"] == 6

    appraisal = await api.appraisal_of(EMPLOYEE, EMPLOYEE)
    assert appraisal["state"] == "planning"
    assert appraisal["allowed_actions"] == ["submit_targets"]
    response = await api.post(
        f"/api/v1/appraisals/{appraisal['id']}/targets",
        EMPLOYEE,
        {
            "title": "Aplikasi layanan perizinan daring",
            "indicators": [
                {"description": "Jumlah layanan", "target_value": 12, "target_unit": "layanan"}
            ],
        },
    )
    assert response.status_code == 201, response.text
    appraisal = response.json()
    steps: tuple[tuple[str, str, dict[str, Any]], ...] = (
        ("submit_targets", EMPLOYEE, {}),
        ("approve_targets", EVALUATOR, {}),
        ("start_self_assessment", HR, {}),
    )
    for trigger, who, payload in steps:
        response = await api.act(appraisal, trigger, who, **payload)
        assert response.status_code == 200, response.text
        appraisal = response.json()
    target = appraisal["targets"][0]
    response = await api.patch(
        f"/api/v1/appraisals/{appraisal['id']}/targets/{target['id']}"
        f"/indicators/{target['indicators'][0]['id']}",
        EMPLOYEE,
        {"realisation_value": 12},
    )
    assert response.status_code == 200, response.text
    response = await api.act(response.json(), "submit_self_assessment", EMPLOYEE)
    assert response.status_code == 200, response.text
    appraisal = await evaluate(api, response.json())
    for trigger, who, payload in (
        (
            "submit_review",
            EVALUATOR,
            {
                "results_rating": "di_atas_ekspektasi",
                "behaviour_rating": "sesuai_ekspektasi",
                "departure_reason": "Integrasi juga mencakup layanan kabupaten tetangga.",
            },
        ),
        (
            "file_appeal",
            EMPLOYEE,
            {"reason": "Realisasi melebihi target; perilaku dinilai tanpa umpan balik."},
        ),
        (
            "decide_appeal",
            HEAD,
            {
                "decision": "changed",
                "reason": "Bukti mendukung",
                "results_rating": "di_atas_ekspektasi",
                "behaviour_rating": "di_atas_ekspektasi",
            },
        ),
        ("close", HR, {}),
    ):
        if trigger == "close":  # the rules proposed a reward and training: HR ends them
            proposals = (await api.get("/api/v1/followups", HR)).json()["items"]
            assert sorted(item["kind"] for item in proposals) == ["reward", "training"]
            await end_followups(api, appraisal, HR)
        response = await api.act(appraisal, trigger, who, **payload)
        assert response.status_code == 200, (trigger, response.text)
        appraisal = response.json()
    assert appraisal["state"] == "closed"
    assert appraisal["predikat"] == "sangat_baik"
    assert appraisal["appeal"]["original_predikat"] == "baik"

    delivered = await api.deliver()
    assert delivered > 0
    subjects = [m["Subject"] for m in api.mail.to("budi@example.go.id")]
    assert len(subjects) >= 5
    verify = await api.get("/api/v1/audit/verify", AUDITOR)
    assert verify.json()["ok"] is True
