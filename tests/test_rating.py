"""The rating, explained: the suggestion rule, feedback per RHK and value, departures, release."""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction
from typing import Any

import pytest

from kinerja_flow.appraisals.models import Indicator
from kinerja_flow.appraisals.suggestion import suggest
from kinerja_flow.berakhlak import CORE_VALUES
from kinerja_flow.predikat import Rating
from tests.support.api import EMPLOYEE, EVALUATOR, HR, Api
from tests.support.flow import (
    add_target,
    advance,
    evaluate,
    feedback_for,
    indicator_path,
    realise_all,
    world,
)

ABOVE, MEETS, BELOW = Rating.ABOVE, Rating.MEETS, Rating.BELOW


def measured(target: str, real: str, aspect: str = "quantity", weight: str | None = None) -> Any:
    return Indicator(
        id=1,
        aspect=aspect,
        target_value=Decimal(target),
        realisation_value=Decimal(real),
        weight=Decimal(weight) if weight else None,
    )


@pytest.mark.parametrize(
    ("target", "real", "aspect", "level"),
    [
        ("10", "11", "quantity", ABOVE),  # exactly 110%
        ("100", "109.99", "quantity", MEETS),
        ("10", "9", "quality", MEETS),  # exactly 90%
        ("100", "89.99", "quantity", BELOW),
        ("10", "0", "quantity", BELOW),
        ("12", "10", "time", ABOVE),  # 12 months planned, done in 10: 120%
        ("10", "12", "time", BELOW),  # took longer: 83%
        ("100", "90", "cost", ABOVE),  # spent less: 111%
        ("100", "0", "cost", ABOVE),
    ],
)
def test_each_indicator_level_follows_the_achievement(
    target: str, real: str, aspect: str, level: Rating
) -> None:
    result = suggest("kuantitatif", [measured(target, real, aspect)])
    assert result.levels[0].level == level
    assert result.rating == level


def test_the_suggestion_is_the_weighted_mean_of_levels() -> None:
    above, below = measured("10", "12"), measured("10", "5")
    assert suggest("kuantitatif", [above, below]).score == Fraction(2)
    assert suggest("kuantitatif", [above, below]).rating == MEETS
    above.weight, below.weight = Decimal(3), Decimal(1)
    heavy = suggest("kuantitatif", [above, below])
    assert heavy.score == Fraction(5, 2)  # exactly the boundary: above
    assert heavy.rating == ABOVE
    above.weight = Decimal("2.99")
    assert suggest("kuantitatif", [above, below]).rating == MEETS
    meets, lower = measured("10", "10"), measured("10", "1")
    meets.weight, lower.weight = Decimal(1), Decimal(1)
    assert suggest("kuantitatif", [meets, lower]).score == Fraction(3, 2)
    assert suggest("kuantitatif", [meets, lower]).rating == MEETS


def test_qualitative_levels_come_from_the_evaluators_assessment() -> None:
    first = Indicator(id=1, aspect="quality", assessment="di_atas_ekspektasi")
    second = Indicator(id=2, aspect="quality", assessment=None)
    assert suggest("kualitatif", [first, second]).rating is None
    second.assessment = "di_atas_ekspektasi"
    assert suggest("kualitatif", [first, second]).rating == ABOVE


async def under_review(api: Api, realised: float = 14) -> dict[str, Any]:
    appraisal = await advance(api, await world(api), "self_assessment")
    appraisal = await realise_all(api, appraisal, realised)
    response = await api.act(appraisal, "submit_self_assessment", EMPLOYEE)
    assert response.status_code == 200, response.text
    result: dict[str, Any] = response.json()
    return result


async def view(api: Api, appraisal: dict[str, Any], who: str) -> dict[str, Any]:
    response = await api.get(f"/api/v1/appraisals/{appraisal['id']}", who)
    assert response.status_code == 200, response.text
    result: dict[str, Any] = response.json()
    return result


async def test_the_result_is_explained_and_hidden_from_the_employee_until_release(
    api: Api,
) -> None:
    appraisal = await under_review(api)
    evaluator_view = await view(api, appraisal, EVALUATOR)
    explanation = evaluator_view["rating"]
    assert explanation["suggested_results_rating"] == "di_atas_ekspektasi"
    [basis] = explanation["basis"]
    assert basis["level"] == "di_atas_ekspektasi"
    assert basis["achievement"] == pytest.approx(14 / 12)
    assert explanation["suggestion_score"] == 3

    draft = await evaluate(
        api,
        appraisal,
        results_rating="di_atas_ekspektasi",
        behaviour_rating="sesuai_ekspektasi",
        comment="Kinerja sangat baik pada integrasi layanan.",
    )
    secret_words = ("Umpan balik untuk", "Perilaku sesuai harapan", "di_atas_ekspektasi")
    employee_view = await view(api, draft, EMPLOYEE)
    assert employee_view["results_rating"] is None
    assert employee_view["rating"]["suggested_results_rating"] is None
    assert all(b["feedback"] is None for b in employee_view["behaviour"])
    assert employee_view["targets"][0]["evaluator_feedback"] is None
    employee_trail = (await api.get(f"/api/v1/appraisals/{draft['id']}/audit", EMPLOYEE)).text
    for words in secret_words:
        assert words not in str(employee_view)
        assert words not in employee_trail
    assert (
        "Perilaku sesuai harapan"
        in (await api.get(f"/api/v1/appraisals/{draft['id']}/audit", HR)).text
    )

    released = await api.act(draft, "submit_review", EVALUATOR)
    assert released.status_code == 200, released.text
    employee_view = await view(api, draft, EMPLOYEE)
    rating = employee_view["rating"]
    assert (rating["results_rating"], rating["behaviour_rating"], rating["predikat"]) == (
        "di_atas_ekspektasi",
        "sesuai_ekspektasi",
        "baik",
    )
    assert rating["departs_from_suggestion"] is False
    assert rating["matrix_cell"] == (
        "Rating hasil kerja 'Di atas ekspektasi' dan rating perilaku kerja "
        "'Sesuai ekspektasi' menghasilkan predikat 'Baik'."
    )
    assert employee_view["targets"][0]["evaluator_feedback"].startswith("Umpan balik untuk")
    assert [b["value"] for b in employee_view["behaviour"]] == [v.value for v in CORE_VALUES]
    assert employee_view["behaviour"][0]["name"] == "Berorientasi Pelayanan"
    assert employee_view["review_comment"] == "Kinerja sangat baik pada integrasi layanan."


async def test_departing_from_the_suggestion_needs_a_written_reason_that_is_kept(
    api: Api,
) -> None:
    appraisal = await evaluate(api, await under_review(api))
    refused = await api.act(
        appraisal,
        "submit_review",
        EVALUATOR,
        results_rating="sesuai_ekspektasi",
        behaviour_rating="sesuai_ekspektasi",
    )
    assert refused.status_code == 422
    assert [e["field"] for e in refused.json()["errors"]] == ["departure_reason"]
    assert (await view(api, appraisal, EVALUATOR))["version"] == appraisal["version"]

    reason = "Sebagian layanan belum stabil di akhir periode."
    done = await api.act(
        appraisal,
        "submit_review",
        EVALUATOR,
        results_rating="sesuai_ekspektasi",
        behaviour_rating="sesuai_ekspektasi",
        departure_reason=reason,
    )
    assert done.status_code == 200, done.text
    rating = (await view(api, appraisal, EMPLOYEE))["rating"]
    assert rating["suggested_results_rating"] == "di_atas_ekspektasi"
    assert rating["results_rating"] == "sesuai_ekspektasi"
    assert rating["departs_from_suggestion"] is True
    assert rating["departure_reason"] == reason
    trail = (await api.get(f"/api/v1/appraisals/{appraisal['id']}/audit", EMPLOYEE)).json()
    review = next(e for e in trail if e["action"] == "appraisal.submit_review")
    assert review["data"]["suggested_results_rating"] == "di_atas_ekspektasi"
    assert review["data"]["departure_reason"] == reason


async def test_the_review_needs_feedback_on_every_rhk_and_value(api: Api) -> None:
    appraisal = await under_review(api)
    ratings = {"results_rating": "di_atas_ekspektasi", "behaviour_rating": "sesuai_ekspektasi"}
    refused = await api.act(appraisal, "submit_review", EVALUATOR, **ratings)
    assert refused.status_code == 422
    assert refused.json()["errors"][0]["field"] == "target_feedback"
    partial = feedback_for(appraisal)
    partial["behaviour_feedback"] = partial["behaviour_feedback"][:6]
    saved = await api.put(
        f"/api/v1/appraisals/{appraisal['id']}/evaluation",
        EVALUATOR,
        {"version": appraisal["version"], **partial},
    )
    assert saved.status_code == 200, saved.text
    refused = await api.act(saved.json(), "submit_review", EVALUATOR, **ratings)
    [error] = refused.json()["errors"]
    assert (error["field"], "kolaboratif" in error["message"]) == ("behaviour_feedback", True)


async def test_a_qualitative_skp_is_suggested_from_the_evaluators_assessments(api: Api) -> None:
    appraisal = await world(api)
    response = await api.post(
        f"/api/v1/appraisals/{appraisal['id']}/targets",
        EMPLOYEE,
        {
            "title": "Tata kelola arsip",
            "indicators": [
                {"description": "Arsip tertata", "aspect": "quality", "target_text": "Rapi"},
                {"description": "Arsip digital", "aspect": "quality", "target_text": "Lengkap"},
            ],
        },
    )
    appraisal = response.json()
    response = await api.put(
        f"/api/v1/appraisals/{appraisal['id']}/approach",
        EMPLOYEE,
        {"version": appraisal["version"], "approach": "kualitatif"},
    )
    appraisal = await advance(api, response.json(), "self_assessment")
    for index in range(2):
        response = await api.patch(
            indicator_path(appraisal, 0, index), EMPLOYEE, {"realisation_text": "Selesai"}
        )
        assert response.status_code == 200, response.text
    response = await api.act(response.json(), "submit_self_assessment", EMPLOYEE)
    appraisal = await evaluate(api, response.json())
    refused = await api.act(
        appraisal,
        "submit_review",
        EVALUATOR,
        results_rating="sesuai_ekspektasi",
        behaviour_rating="sesuai_ekspektasi",
    )
    assert refused.json()["errors"][0]["field"] == "assessments"
    first, second = appraisal["targets"][0]["indicators"]
    appraisal = await evaluate(
        api,
        appraisal,
        assessments=[
            {"indicator_id": first["id"], "assessment": "di_atas_ekspektasi"},
            {"indicator_id": second["id"], "assessment": "sesuai_ekspektasi"},
        ],
    )
    assert appraisal["rating"]["suggestion_score"] == 2.5
    assert appraisal["rating"]["suggested_results_rating"] == "di_atas_ekspektasi"
    done = await api.act(
        appraisal,
        "submit_review",
        EVALUATOR,
        results_rating="di_atas_ekspektasi",
        behaviour_rating="di_atas_ekspektasi",
    )
    assert done.status_code == 200, done.text
    assert done.json()["predikat"] == "sangat_baik"


async def test_bad_evaluation_drafts_are_refused_and_write_nothing(api: Api) -> None:
    appraisal = await under_review(api)
    path = f"/api/v1/appraisals/{appraisal['id']}/evaluation"
    version = {"version": appraisal["version"]}
    bad = [
        (EVALUATOR, {**version, "target_feedback": [{"target_id": 999999, "feedback": "x"}]}, 422),
        (EVALUATOR, {**version, "assessments": [{"indicator_id": 1, "assessment": "hebat"}]}, 422),
        (EVALUATOR, {**version, "behaviour_feedback": [{"value": "jujur", "feedback": "x"}]}, 422),
        (EVALUATOR, {**version, "results_rating": "luar_biasa"}, 422),
        (EVALUATOR, {"version": appraisal["version"] - 1, "comment": "x"}, 409),
        (EMPLOYEE, {**version, "results_rating": "di_atas_ekspektasi"}, 403),
        (HR, {**version, "results_rating": "di_atas_ekspektasi"}, 403),
    ]
    for who, body, status in bad:
        response = await api.put(path, who, body)
        assert response.status_code == status, (body, response.text)
    assert (await view(api, appraisal, EVALUATOR))["version"] == appraisal["version"]
    reviewed = await advance(api, await evaluate(api, appraisal), "reviewed")
    late = await api.put(path, EVALUATOR, {"version": reviewed["version"], "comment": "x"})
    assert late.status_code == 409


async def test_the_leaders_expectations_are_set_per_value_while_planning(api: Api) -> None:
    appraisal = await add_target(api, await world(api))
    path = f"/api/v1/appraisals/{appraisal['id']}/expectations"
    body = {
        "version": appraisal["version"],
        "expectations": {"akuntabel": "Laporan keuangan tepat waktu setiap bulan."},
    }
    assert (await api.put(path, EMPLOYEE, body)).status_code == 403
    wrong_value = {**body, "expectations": {"jujur": "x"}}
    assert (await api.put(path, EVALUATOR, wrong_value)).status_code == 422
    done = await api.put(path, EVALUATOR, body)
    assert done.status_code == 200, done.text
    seen = await view(api, appraisal, EMPLOYEE)
    by_value = {b["value"]: b["expectation"] for b in seen["behaviour"]}
    assert by_value["akuntabel"] == "Laporan keuangan tepat waktu setiap bulan."
    assert by_value["kompeten"] is None
    approved = await advance(api, seen, "in_progress")
    late = await api.put(path, EVALUATOR, {**body, "version": approved["version"]})
    assert late.status_code == 409


async def test_the_evaluator_sees_the_units_public_satisfaction_while_rating(api: Api) -> None:
    appraisal = await under_review(api)
    for answers in ([4] * 9, [3] * 9):
        response = await api.client.post(
            "/public/units/BID1/survey", json={"answers": answers, "comment": str(answers[0])}
        )
        assert response.status_code == 201, response.text
    ikm = (await view(api, appraisal, EVALUATOR))["unit_ikm"]
    assert ikm == {
        "unit_code": "BID1",
        "unit_name": "Bidang Aplikasi",
        "index": 87.5,
        "category": "B",
        "responses": 2,
    }
    assert (await view(api, appraisal, EMPLOYEE))["unit_ikm"] is None
