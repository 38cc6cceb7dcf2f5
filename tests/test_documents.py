"""The printable SKP and evaluation document: who gets them when, what they show, HTML and PDF."""

from __future__ import annotations

import io
import sys
from typing import Any

import pytest
from pypdf import PdfReader

from tests.support.api import EMPLOYEE, EVALUATOR, HEAD, HR, PEER, Api
from tests.support.flow import (
    APPEAL,
    DECISION,
    INDICATOR,
    add_target,
    advance,
    evaluate,
    world,
)

EXPECTATION = "Menjawab setiap permohonan paling lama 3 hari kerja."
SESSION = {
    "held_on": "2026-01-05",
    "kind": "coaching",
    "topic": "Percepatan integrasi layanan",
    "agreed_actions": "Menyusun jadwal uji coba bersama vendor.",
}
NOTE = "Progres integrasi sudah 40%, lanjutkan."
VALUES_ID = (
    "Berorientasi Pelayanan",
    "Akuntabel",
    "Kompeten",
    "Harmonis",
    "Loyal",
    "Adaptif",
    "Kolaboratif",
)
PEOPLE = (
    ("Budi Santoso", EMPLOYEE, "Analis Kebijakan"),
    ("Siti Rahmawati", EVALUATOR, "Kepala Bidang"),
)
REVIEWER = ("Hendra Wijaya", HEAD, "Kepala Dinas")


def documents(appraisal: dict[str, Any], kind: str) -> str:
    return f"/api/v1/appraisals/{appraisal['id']}/documents/{kind}"


async def planned(api: Api, title: str = "Layanan perizinan daring") -> dict[str, Any]:
    """Budi's SKP: an RHK supporting Siti's, a second RHK with two indicators, expectations."""
    mine = await world(api)
    siti = await api.appraisal_of(EVALUATOR, EVALUATOR)
    siti = await add_target(api, siti, "Transformasi digital layanan publik", who=EVALUATOR)
    mine = await add_target(api, mine, title, supports_target_id=siti["targets"][0]["id"])
    quality = {
        **INDICATOR,
        "description": "Mutu layanan",
        "aspect": "quality",
        "target_unit": "poin",
    }
    response = await api.post(
        f"/api/v1/appraisals/{mine['id']}/targets",
        EMPLOYEE,
        {
            "title": "Pengelolaan aduan layanan",
            "indicators": [{**INDICATOR, "description": "Aduan terselesaikan"}, quality],
        },
    )
    assert response.status_code == 201, response.text
    mine = response.json()
    response = await api.put(
        f"/api/v1/appraisals/{mine['id']}/expectations",
        EVALUATOR,
        {"version": mine["version"], "expectations": {"berorientasi_pelayanan": EXPECTATION}},
    )
    assert response.status_code == 200, response.text
    result: dict[str, Any] = response.json()
    return result


async def with_dialogue(api: Api, appraisal: dict[str, Any]) -> dict[str, Any]:
    """In progress, with a coaching session and a feedback note recorded."""
    appraisal = await advance(api, appraisal, "in_progress")
    path = f"/api/v1/appraisals/{appraisal['id']}"
    response = await api.post(f"{path}/coaching", EVALUATOR, SESSION)
    assert response.status_code == 201, response.text
    target = appraisal["targets"][0]["id"]
    response = await api.post(f"{path}/targets/{target}/feedback", EVALUATOR, {"body": NOTE})
    assert response.status_code == 201, response.text
    return appraisal


def assert_people(html: str, *people: tuple[str, str, str]) -> None:
    for name, nip, position in people:
        assert name in html
        assert nip in html
        assert position in html


def pdf_text(content: bytes) -> str:
    assert content.startswith(b"%PDF")
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(content)).pages)


async def test_the_skp_shows_the_approved_plan_with_people_and_signatures(api: Api) -> None:
    appraisal = await advance(api, await planned(api), "in_progress")

    response = await api.get(documents(appraisal, "skp"), EMPLOYEE)

    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/html")
    html = response.text
    assert "SASARAN KINERJA PEGAWAI" in html
    assert "PEGAWAI YANG DINILAI" in html
    assert "PEJABAT PENILAI KINERJA" in html
    assert_people(html, *PEOPLE)
    assert "Bidang Aplikasi" in html  # unit kerja
    assert "SKP Tahunan 2026" in html
    assert "1 Januari 2026" in html
    assert "31 Desember 2026" in html
    assert "Transformasi digital layanan publik" in html  # RHK atasan yang diintervensi
    for text in ("Layanan perizinan daring", "Pengelolaan aduan layanan", "Aduan terselesaikan"):
        assert text in html
    assert "Mutu layanan" in html
    assert "12 layanan" in html
    assert "12 poin" in html
    assert "Kualitas" in html  # an aspect
    for value in VALUES_ID:
        assert value in html
    assert EXPECTATION in html
    assert "Pegawai yang Dinilai" in html  # signature blocks
    assert "Pejabat Penilai Kinerja" in html
    assert "5 Januari 2026" in html  # the day the targets were approved


async def test_each_document_exists_only_from_its_stage_on(api: Api) -> None:
    appraisal = await world(api)

    planning = await api.get(documents(appraisal, "skp"), EMPLOYEE)
    appraisal = await advance(api, appraisal, "targets_submitted")
    submitted = await api.get(documents(appraisal, "skp"), EVALUATOR)
    appraisal = await advance(api, appraisal, "in_progress")
    evaluation = await api.get(documents(appraisal, "evaluation"), HR)
    cancelled = await api.act(appraisal, "cancel", HR, reason="Pegawai mutasi ke instansi lain.")
    assert cancelled.status_code == 200, cancelled.text
    after_cancel = await api.get(documents(appraisal, "skp"), EMPLOYEE)

    assert planning.status_code == 409
    assert "menyetujui target" in planning.json()["detail"]
    assert submitted.status_code == 409
    assert evaluation.status_code == 409
    assert "memberi penilaian" in evaluation.json()["detail"]
    assert after_cancel.status_code == 409
    assert "dibatalkan" in after_cancel.json()["detail"]


async def test_documents_are_not_found_for_someone_who_may_not_see_the_appraisal(
    api: Api,
) -> None:
    appraisal = await advance(api, await world(api), "reviewed")

    skp = await api.get(documents(appraisal, "skp"), PEER)
    evaluation = await api.get(documents(appraisal, "evaluation"), PEER, params={"format": "pdf"})
    missing = await api.get("/api/v1/appraisals/99999/documents/skp", HR)

    assert (skp.status_code, evaluation.status_code, missing.status_code) == (404, 404, 404)


async def test_the_evaluation_is_a_draft_for_the_evaluator_and_hidden_from_the_employee(
    api: Api,
) -> None:
    appraisal = await advance(api, await world(api), "under_review")
    await evaluate(api, appraisal, results_rating="di_atas_ekspektasi")

    employee = await api.get(documents(appraisal, "evaluation"), EMPLOYEE)
    evaluator = await api.get(documents(appraisal, "evaluation"), EVALUATOR)
    hr = await api.get(documents(appraisal, "evaluation"), HR, params={"format": "pdf"})

    assert employee.status_code == 409
    assert "belum disampaikan" in employee.json()["detail"]
    assert "Umpan balik untuk" not in employee.text
    assert evaluator.status_code == 200
    assert "DRAF" in evaluator.text
    assert "Umpan balik untuk Layanan perizinan daring." in evaluator.text
    assert "Di atas ekspektasi" in evaluator.text
    assert hr.status_code == 200
    assert hr.headers["content-disposition"].endswith('-DRAF.pdf"')
    assert "DRAF" in pdf_text(hr.content)


async def test_the_evaluation_document_shows_the_result_the_dialogue_and_the_appeal(
    api: Api,
) -> None:
    appraisal = await with_dialogue(api, await planned(api))
    response = await api.put(
        f"/api/v1/cycles/{appraisal['cycle_id']}/units/BID1/result", HR, {"org_predikat": "baik"}
    )
    assert response.status_code == 200, response.text
    appraisal = await advance(api, appraisal, "follow_up")  # through an appeal, upheld

    response = await api.get(documents(appraisal, "evaluation"), EMPLOYEE)

    assert response.status_code == 200, response.text
    html = response.text
    assert "DOKUMEN EVALUASI KINERJA PEGAWAI" in html
    assert "DRAF" not in html
    assert_people(html, *PEOPLE, REVIEWER)
    assert "CAPAIAN KINERJA ORGANISASI" in html
    for title in ("Layanan perizinan daring", "Pengelolaan aduan layanan"):
        assert f"Umpan balik untuk {title}." in html  # the evaluator's feedback per RHK
    assert "14 layanan" in html  # realisation
    assert "116,7%" in html  # 14 of 12
    assert html.count("Perilaku sesuai harapan.") == 7  # feedback per BerAKHLAK value
    for value in VALUES_ID:
        assert value in html
    assert EXPECTATION in html
    assert "RATING HASIL KERJA" in html
    assert "Di atas ekspektasi" in html
    assert "RATING PERILAKU KERJA" in html
    assert "Sesuai ekspektasi" in html
    assert "PREDIKAT KINERJA PEGAWAI" in html
    assert appraisal["predikat"] == "baik"
    assert ">Baik<" in html  # the predikat, and the unit's organisation predikat
    assert APPEAL["reason"] in html
    assert "Dikuatkan" in html  # upheld
    assert DECISION["reason"] in html
    assert SESSION["topic"] in html
    assert SESSION["agreed_actions"] in html
    assert NOTE in html
    assert "Atasan Pejabat Penilai Kinerja" in html  # the reviewer signs the decided appeal


async def test_the_organisation_result_says_when_it_is_not_set(api: Api) -> None:
    appraisal = await advance(api, await world(api), "reviewed")

    response = await api.get(documents(appraisal, "evaluation"), EVALUATOR)

    assert response.status_code == 200
    assert "belum ditetapkan" in response.text
    assert "Atasan Pejabat Penilai Kinerja" not in response.text  # no appeal decided


async def test_pdf_documents_are_real_pdfs_with_the_people_and_the_predikat(api: Api) -> None:
    appraisal = await advance(api, await world(api), "reviewed")

    evaluation = await api.get(
        documents(appraisal, "evaluation"), EMPLOYEE, params={"format": "pdf"}
    )
    skp = await api.get(documents(appraisal, "skp"), EMPLOYEE, params={"format": "pdf"})

    assert evaluation.status_code == 200, evaluation.text
    assert evaluation.headers["content-type"] == "application/pdf"
    assert evaluation.headers["content-disposition"] == (
        f'inline; filename="Evaluasi-Kinerja-{EMPLOYEE}-SKP-Tahunan-2026.pdf"'
    )
    text = pdf_text(evaluation.content)
    assert "Budi Santoso" in text
    assert EMPLOYEE in text
    assert "PREDIKAT KINERJA PEGAWAI" in text
    assert "Baik" in text
    assert skp.status_code == 200, skp.text
    assert skp.headers["content-disposition"] == (
        f'inline; filename="SKP-{EMPLOYEE}-SKP-Tahunan-2026.pdf"'
    )
    text = pdf_text(skp.content)
    assert "SASARAN KINERJA PEGAWAI" in text
    assert "Budi Santoso" in text
    assert EMPLOYEE in text


async def test_documents_follow_accept_language(api: Api) -> None:
    appraisal = await advance(api, await world(api), "reviewed")
    english = {**api.auth(EMPLOYEE), "Accept-Language": "en"}

    skp = await api.client.get(documents(appraisal, "skp"), headers=english)
    evaluation = await api.client.get(documents(appraisal, "evaluation"), headers=english)

    assert "EMPLOYEE PERFORMANCE TARGETS" in skp.text
    assert "SASARAN KINERJA PEGAWAI" not in skp.text
    assert "Service-oriented" in skp.text
    assert "Employee appraised" in skp.text
    assert "January 5, 2026" in skp.text
    assert "EMPLOYEE PERFORMANCE EVALUATION DOCUMENT" in evaluation.text
    assert "Above expectations" in evaluation.text
    assert "not yet set" in evaluation.text


async def test_every_user_text_is_escaped(api: Api) -> None:
    appraisal = await planned(api, title="<script>alert('rhk')</script>")
    appraisal = await advance(api, appraisal, "in_progress")

    response = await api.get(documents(appraisal, "skp"), EMPLOYEE)

    assert response.status_code == 200
    assert "<script>" not in response.text
    assert "&lt;script&gt;alert(&#39;rhk&#39;)&lt;/script&gt;" in response.text
    assert "default-src 'none'" in response.headers["content-security-policy"]


async def test_pdf_answers_503_when_weasyprint_cannot_load(
    api: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    appraisal = await advance(api, await world(api), "in_progress")
    monkeypatch.setitem(sys.modules, "weasyprint", None)  # as on a server without Pango

    pdf = await api.get(documents(appraisal, "skp"), EMPLOYEE, params={"format": "pdf"})
    html = await api.get(documents(appraisal, "skp"), EMPLOYEE)

    assert pdf.status_code == 503
    assert "Pango" in pdf.json()["detail"]
    assert html.status_code == 200
