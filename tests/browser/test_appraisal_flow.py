"""In Chromium, by the three roles: a whole appraisal with an evidence upload, an appeal and its
decision; the survey on a phone; axe-core on the main pages; screenshots of them."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Browser, FilePayload, Page, expect

from tests.browser.conftest import (
    Served,
    check_accessibility,
    new_page,
    prepare_agency,
    screenshot,
    sign_in,
)
from tests.support.api import EMPLOYEE, EVALUATOR, HEAD, HR, PASSWORD
from tests.support.jobs import finished

pytestmark = pytest.mark.slow  # serve and Chromium per test

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
STAFF = {
    EMPLOYEE: "budi@example.go.id",
    EVALUATOR: "siti@example.go.id",
    HEAD: "hendra@example.go.id",
    HR: "rina@example.go.id",
}


def open_agency(served: Served, **cycle: object) -> int:
    """The agency with passwords for the staff and an opened cycle (``cycle``: other fields
    of its creation); the employee's appraisal."""
    prepare_agency(served)
    for email in STAFF.values():
        link = served.link_in_mail(email, r"/set-password\?token=[\w\-]+")
        answer = served.http.post(
            "/api/v1/auth/set-password",
            json={"token": link.rsplit("=", 1)[1], "password": PASSWORD},
        )
        assert answer.status_code == 204, answer.text
    created = served.api(
        "POST",
        "/api/v1/cycles",
        json={
            "name": "SKP Tahunan 2026",
            "period_start": "2026-01-01",
            "period_end": "2026-12-31",
            "kind": "annual",
            "deadlines": {"targets_due": "2026-12-31", "review_due": "2026-12-31"},
            **cycle,
        },
    )
    assert created.status_code == 201, created.text
    opened = served.api("POST", f"/api/v1/cycles/{created.json()['id']}/open")
    assert finished(opened, lambda url: served.api("GET", url))["state"] == "done"
    items = served.api("GET", "/api/v1/appraisals?limit=1000").json()["items"]
    return next(int(i["id"]) for i in items if i["employee"]["nip"] == EMPLOYEE)


def act(page: Page, button: str) -> None:
    """Press ``button`` and wait until the page shows it was saved."""
    with page.expect_response(lambda response: "saved=1" in response.url):
        page.get_by_role("button", name=button, exact=True).first.click()
    expect(page.get_by_text("Tersimpan.")).to_be_visible()


def test_a_whole_appraisal_by_the_three_roles(served: Served, chromium: Browser) -> None:
    appraisal_id = open_agency(served)
    employee = new_page(chromium, served)
    sign_in(employee, EMPLOYEE)
    expect(employee.get_by_role("heading", name="Tugas saya")).to_be_visible()
    assert check_accessibility(employee) == []
    screenshot(employee, served, "employee-tasks-desktop")
    employee.get_by_role("link", name="SKP saya").click()
    expect(employee.get_by_role("heading", name=re.compile("SKP saya"))).to_be_visible()
    employee.get_by_label("Rencana hasil kerja (RHK)").fill("Layanan perizinan daring")
    employee.locator("#new-description").fill("Jumlah layanan terintegrasi")
    employee.locator("#new-value").fill("12")
    employee.locator("#new-unit").fill("layanan")
    act(employee, "Tambahkan RHK")
    assert check_accessibility(employee) == []
    screenshot(employee, served, "employee-appraisal-planning-desktop")
    act(employee, "Ajukan target")

    evaluator = new_page(chromium, served)
    sign_in(evaluator, EVALUATOR)
    evaluator.goto("/team")
    expect(evaluator.get_by_role("heading", name="Tim saya")).to_be_visible()
    assert check_accessibility(evaluator) == []
    screenshot(evaluator, served, "supervisor-team-desktop")
    evaluator.get_by_role("link", name="Budi Santoso").first.click()
    act(evaluator, "Setujui target")

    hr = new_page(chromium, served)
    sign_in(hr, HR)
    hr.goto(f"/appraisals/{appraisal_id}")
    act(hr, "Mulai penilaian mandiri")

    employee.goto(f"/appraisals/{appraisal_id}")
    employee.get_by_label("Realisasi (layanan)").fill("14")
    act(employee, "Simpan realisasi")
    employee.locator("summary", has_text="Tambah bukti dukung").click()
    employee.get_by_label("Berkas (PDF, gambar, dokumen perkantoran)").set_input_files(
        files=[FilePayload(name="laporan.pdf", mimeType="application/pdf", buffer=PDF)]
    )
    act(employee, "Lampirkan")
    expect(employee.get_by_role("link", name="laporan.pdf")).to_be_visible()
    act(employee, "Kirim penilaian mandiri")

    evaluator.goto(f"/appraisals/{appraisal_id}")
    evaluator.get_by_label("Umpan balik atas RHK ini").fill("Target tercapai lebih awal.")
    for field in evaluator.locator("textarea[name^='behaviour_feedback-']").all():
        field.fill("Sesuai harapan.")
    evaluator.get_by_label("Rating hasil kerja", exact=True).select_option("di_atas_ekspektasi")
    evaluator.get_by_label("Rating perilaku kerja", exact=True).select_option("sesuai_ekspektasi")
    evaluator.get_by_label("Catatan untuk pegawai").fill("Kerja yang baik.")
    act(evaluator, "Simpan draf")
    assert check_accessibility(evaluator) == []
    screenshot(evaluator, served, "supervisor-rating-desktop")
    with evaluator.expect_download() as download:
        evaluator.get_by_role("link", name="laporan.pdf").first.click()
    assert download.value.suggested_filename == "laporan.pdf"
    act(evaluator, "Kirim penilaian")

    employee.goto(f"/appraisals/{appraisal_id}")
    expect(employee.get_by_text("sisa 14 hari", exact=True)).to_be_visible()
    expect(employee.get_by_text("Predikat: Baik")).to_be_visible()
    screenshot(employee, served, "employee-result-desktop")
    employee.locator("summary", has_text="Ajukan keberatan").click()
    employee.get_by_label("Alasan").fill("Bukti realisasi belum dipertimbangkan.")
    act(employee, "Ajukan keberatan")

    head = new_page(chromium, served)
    sign_in(head, HEAD)
    expect(head.get_by_role("link", name="Budi Santoso")).to_be_visible()
    head.get_by_role("link", name="Budi Santoso").click()
    expect(head.locator("#appeal").get_by_text("Bukti realisasi belum")).to_be_visible()
    head.get_by_label("Kuatkan penilaian").check()
    head.get_by_label("Alasan keputusan").fill("Penilaian sudah sesuai bukti.")
    assert check_accessibility(head) == []
    screenshot(head, served, "reviewer-appeal-desktop")
    act(head, "Putuskan keberatan")

    final = served.api("GET", f"/api/v1/appraisals/{appraisal_id}").json()
    assert final["state"] == "follow_up"
    assert final["appeal"]["decision"] == "upheld"
    for phone_name, who, main in (
        ("employee", EMPLOYEE, "/tasks"),
        ("supervisor", EVALUATOR, "/team"),
        ("reviewer", HEAD, "/tasks"),
    ):
        phone = new_page(chromium, served, phone=True)
        sign_in(phone, who)
        phone.goto(main)
        screenshot(phone, served, f"{phone_name}-{main.strip('/')}-phone")
        assert phone.evaluate("document.documentElement.scrollWidth") <= 360
        assert check_accessibility(phone) == []
        phone.goto(f"/appraisals/{appraisal_id}")
        screenshot(phone, served, f"{phone_name}-appraisal-phone")
        assert phone.evaluate("document.documentElement.scrollWidth") <= 360
    for page in (employee, evaluator, hr, head):
        assert page.outside_requests == []  # type: ignore[attr-defined]


def test_the_survey_on_a_phone(served: Served, chromium: Browser) -> None:
    prepare_agency(served)
    phone = new_page(chromium, served, phone=True)
    phone.goto("/s/BID1")
    expect(phone.get_by_text("Bidang Aplikasi")).to_be_visible()
    assert check_accessibility(phone) == []
    assert phone.evaluate("document.documentElement.scrollWidth") <= 360
    for group in phone.locator("fieldset").all():
        group.get_by_role("radio").nth(3).check()
    phone.get_by_label("Saran (opsional)").fill("Pelayanan cepat.")
    screenshot(phone, served, "public-survey-phone")
    phone.get_by_role("button", name="Kirim").click()
    expect(phone.locator("[role=status]")).to_be_visible()
    report = served.api("GET", "/api/v1/units/BID1/ikm").json()
    assert report["responses"] == 1
    assert phone.outside_requests == []  # type: ignore[attr-defined]
