"""In Chromium: HR's calibration queue (send a rating back with a reason, release it; release
all through its job's page listing the refused ones), the cycle's exports written by jobs and
downloaded from their pages, the list of jobs; an evaluator's feedback note on the RHK they
chose. axe-core and screenshots of the new pages."""

from __future__ import annotations

import csv
import io
import re
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from openpyxl import load_workbook
from playwright.sync_api import Browser, Download, Locator, Page, expect

from tests.browser.conftest import (
    ADMIN,
    Served,
    check_accessibility,
    new_page,
    screenshot,
    sign_in,
)
from tests.browser.test_appraisal_flow import open_agency
from tests.support.api import EMPLOYEE, EVALUATOR, HEAD
from tests.support.flow import INDICATOR, feedback_for

pytestmark = pytest.mark.slow  # serve and Chromium per test

PROGRESS = "Kemajuan dan ekspor"
JOB_TIMEOUT_MS = 30_000
"""How long a job page may take to offer its result (it reloads itself meanwhile)."""
PROGRESS_LINK = "Pekerjaan terlambat, tindak lanjut, dan jam pelatihan per unit"
XLSX, CSV = re.compile(r"^XLSX: "), re.compile(r"^CSV: ")
RATING = {"results_rating": "di_atas_ekspektasi", "behaviour_rating": "sesuai_ekspektasi"}


def step(served: Served, appraisal: dict[str, Any], trigger: str, who: str) -> dict[str, Any]:
    answer = served.api(
        "POST",
        f"/api/v1/appraisals/{appraisal['id']}/actions/{trigger}",
        who,
        json={"version": appraisal["version"]},
    )
    assert answer.status_code == 200, (trigger, answer.text)
    result: dict[str, Any] = answer.json()
    return result


def with_targets(served: Served, appraisal_id: int, who: str, *titles: str) -> dict[str, Any]:
    """The appraisal with an RHK per title, submitted by ``who`` and approved."""
    answer: Any = None
    for title in titles:
        answer = served.api(
            "POST",
            f"/api/v1/appraisals/{appraisal_id}/targets",
            who,
            json={"title": title, "indicators": [INDICATOR]},
        )
        assert answer.status_code == 201, answer.text
    appraisal = step(served, answer.json(), "submit_targets", who)
    evaluator = EVALUATOR if who == EMPLOYEE else HEAD
    return step(served, appraisal, "approve_targets", evaluator)


def rated(served: Served, appraisal_id: int) -> dict[str, Any]:
    """Budi's appraisal through his self-assessment to the evaluator's submitted rating."""
    appraisal = with_targets(served, appraisal_id, EMPLOYEE, "Layanan perizinan daring")
    appraisal = step(served, appraisal, "start_self_assessment", ADMIN)
    target = appraisal["targets"][0]
    realised = served.api(
        "PATCH",
        f"/api/v1/appraisals/{appraisal_id}/targets/{target['id']}"
        f"/indicators/{target['indicators'][0]['id']}",
        EMPLOYEE,
        json={"realisation_value": 14},
    )
    assert realised.status_code == 200, realised.text
    appraisal = step(served, realised.json(), "submit_self_assessment", EMPLOYEE)
    return submit_rating(served, appraisal)


def submit_rating(served: Served, appraisal: dict[str, Any]) -> dict[str, Any]:
    draft = served.api(
        "PUT",
        f"/api/v1/appraisals/{appraisal['id']}/evaluation",
        EVALUATOR,
        json={"version": appraisal["version"], **feedback_for(appraisal), **RATING},
    )
    assert draft.status_code == 200, draft.text
    return step(served, draft.json(), "submit_review", EVALUATOR)


def exported(page: Page, button: Locator, served: Served | None = None) -> bytes:
    """Start an export with ``button``, follow its job page until it offers the file, then
    download it (axe-core on the finished page; a screenshot if ``served`` is given)."""
    button.click()
    expect(page.get_by_role("heading", name="Ekspor", exact=True)).to_be_visible()
    link = page.get_by_role("link", name=re.compile(r"^Unduh "))
    # The job page reloads itself until the job is done: a busy machine takes longer than
    # expect's default 5 s to write the workbook, which is not what this test measures.
    expect(link).to_be_visible(timeout=JOB_TIMEOUT_MS)
    assert check_accessibility(page) == []
    if served is not None:
        screenshot(page, served, "hr-export-job-desktop")
    with page.expect_download() as info:
        link.click()
    download: Download = info.value
    return Path(download.path()).read_bytes()


def test_hr_calibrates_and_downloads_the_cycles_tables(served: Served, chromium: Browser) -> None:
    appraisal_id = open_agency(served, workflow="appraisal_calibrated")
    appraisal = rated(served, appraisal_id)
    assert appraisal["state"] == "calibration"
    cycle_id = appraisal["cycle_id"]

    hr = new_page(chromium, served)
    sign_in(hr, ADMIN)
    hr.goto(f"/hr/cycles/{cycle_id}")
    hr.get_by_role("link", name="1 nilai menunggu kalibrasi").click()
    expect(hr.get_by_role("heading", name="Kalibrasi: SKP Tahunan 2026")).to_be_visible()
    row = hr.locator(f"#appraisal-{appraisal_id}")
    expect(row.get_by_text("Budi Santoso")).to_be_visible()
    expect(row.get_by_text("Baik", exact=True)).to_be_visible()
    assert check_accessibility(hr) == []
    screenshot(hr, served, "hr-calibration-desktop")
    phone = new_page(chromium, served, phone=True)
    sign_in(phone, ADMIN)
    phone.goto(hr.url)
    screenshot(phone, served, "hr-calibration-phone")
    assert phone.evaluate("document.documentElement.scrollWidth") <= 360

    reason = "Bukti capaian triwulan IV belum dilampirkan."
    row.locator("summary", has_text="Kembalikan ke pejabat penilai").click()
    row.get_by_label("Alasan").fill(reason)
    row.get_by_role("button", name="Kembalikan ke pejabat penilai").click()
    expect(hr.get_by_text("Kembalikan ke pejabat penilai: Budi Santoso.")).to_be_visible()
    expect(hr.get_by_text("Tidak ada yang menunggu kalibrasi.")).to_be_visible()
    sent_back = served.api("GET", f"/api/v1/appraisals/{appraisal_id}").json()
    assert sent_back["state"] == "under_review"
    trail = served.api("GET", f"/api/v1/appraisals/{appraisal_id}/audit").json()
    assert trail[-1]["reason"] == reason

    submit_rating(served, sent_back)  # the evaluator rates again
    hr.reload()
    hr.get_by_role("button", name="Terbitkan hasil: Budi Santoso").click()
    expect(hr.get_by_text("Terbitkan hasil: Budi Santoso.")).to_be_visible()
    released = served.api("GET", f"/api/v1/appraisals/{appraisal_id}", EMPLOYEE).json()
    assert (released["state"], released["predikat"]) == ("reviewed", "baik")

    hr.get_by_role("link", name="Kembali ke periode").click()
    hr.get_by_role(
        "link", name="Pekerjaan terlambat, tindak lanjut, dan jam pelatihan per unit"
    ).click()
    expect(hr.get_by_role("heading", name="Kemajuan dan ekspor: SKP Tahunan 2026")).to_be_visible()
    assert check_accessibility(hr) == []
    screenshot(hr, served, "hr-progress-desktop")
    appraisals = hr.locator("#exports li").first
    book = load_workbook(
        io.BytesIO(exported(hr, appraisals.get_by_role("button", name=XLSX), served))
    )
    header, *rows = [[cell.value for cell in r] for r in book.worksheets[0].iter_rows()]
    budi = dict(zip(header, next(r for r in rows if r[0] == EMPLOYEE), strict=True))
    assert (budi["name"], budi["state"], budi["predikat"]) == ("Budi Santoso", "reviewed", "baik")
    assert len(rows) == 6

    hr.get_by_role("link", name="Kembali ke kemajuan periode").click()
    hr.get_by_label("Unit (beserta sub-unitnya)").select_option("BID1")
    hr.get_by_role("button", name="Tampilkan").click()
    expect(
        hr.get_by_role("heading", name="Kemajuan dan ekspor: SKP Tahunan 2026 · Bidang Aplikasi")
    ).to_be_visible()
    training = hr.locator("li", has_text="Jam pelajaran pelatihan (JP):")
    text = exported(hr, training.get_by_role("button", name=CSV)).decode("utf-8-sig")
    hours = list(csv.DictReader(io.StringIO(text)))
    assert {row["unit_code"] for row in hours} == {"BID1"}
    assert EMPLOYEE in {row["nip"] for row in hours}
    for page in (hr, phone):
        assert page.outside_requests == []  # type: ignore[attr-defined]


def test_release_all_goes_through_its_job_to_the_refusals_then_the_jobs_list(
    served: Served, chromium: Browser
) -> None:
    appraisal_id = open_agency(served, workflow="appraisal_calibrated", distribution_policy="block")
    appraisal = rated(served, appraisal_id)
    cycle_id = appraisal["cycle_id"]
    unit = served.api(  # Budi alone in his unit, "baik": 100% breaks "at most 70% baik"
        "PUT", f"/api/v1/cycles/{cycle_id}/units/BID1/result", json={"org_predikat": "baik"}
    )
    assert unit.status_code == 200, unit.text

    hr = new_page(chromium, served)
    sign_in(hr, ADMIN)
    hr.goto(f"/hr/cycles/{cycle_id}/calibration")
    hr.get_by_role("button", name="Terbitkan hasil: semua yang memungkinkan").click()
    expect(hr.get_by_role("heading", name="Tindakan untuk seluruh periode")).to_be_visible()
    expect(hr.get_by_text("Terbitkan hasil: 0 berhasil, 1 ditolak.")).to_be_visible(
        timeout=JOB_TIMEOUT_MS
    )
    refused = hr.locator(f"#refused-{appraisal_id}")
    expect(refused.get_by_role("link", name=f"#{appraisal_id}")).to_be_visible()
    expect(refused.get_by_role("cell", name=EMPLOYEE)).to_be_visible()
    expect(refused.get_by_role("cell", name="Budi Santoso")).to_be_visible()
    expect(refused).to_contain_text("Paling banyak 70% pegawai berpredikat Baik.")
    assert check_accessibility(hr) == []
    screenshot(hr, served, "hr-bulk-job-desktop")
    still = served.api("GET", f"/api/v1/appraisals/{appraisal_id}").json()
    assert still["state"] == "calibration"
    hr.get_by_role("link", name="Kembali ke antrean kalibrasi").click()
    expect(hr.get_by_role("heading", name="Kalibrasi: SKP Tahunan 2026")).to_be_visible()

    hr.get_by_role("navigation", name="Menu kepegawaian").get_by_role(
        "link", name="Pekerjaan"
    ).click()
    expect(hr.get_by_role("heading", name="Pekerjaan", exact=True)).to_be_visible()
    rows = hr.locator("tbody tr")
    expect(rows).to_have_count(3)  # the release, the cycle's opening, the employee import
    newest = rows.first
    expect(newest).to_contain_text("Tindakan untuk seluruh periode")
    expect(newest).to_contain_text(ADMIN)
    expect(newest).to_contain_text("Terbitkan hasil: 0 berhasil, 1 ditolak.")
    expect(rows.nth(1)).to_contain_text("Membuka periode")
    expect(rows.last).to_contain_text("Impor pegawai")
    assert check_accessibility(hr) == []
    screenshot(hr, served, "hr-jobs-desktop")
    hr.get_by_label("Jenis").select_option(label="Membuka periode")
    hr.get_by_role("button", name="Tampilkan").click()
    expect(hr.locator("tbody tr")).to_have_count(1)
    phone = new_page(chromium, served, phone=True)
    sign_in(phone, ADMIN)
    phone.goto("/hr/jobs")
    screenshot(phone, served, "hr-jobs-phone")
    assert phone.evaluate("document.documentElement.scrollWidth") <= 360
    hr.locator("tbody tr").first.get_by_role("link").click()
    expect(hr.get_by_text("6 penilaian dibuka, 0 sudah terbuka sebelumnya.")).to_be_visible()
    for page in (hr, phone):
        assert page.outside_requests == []  # type: ignore[attr-defined]


def test_the_evaluator_writes_feedback_on_the_rhk_they_choose(
    served: Served, chromium: Browser
) -> None:
    open_agency(served)
    items = served.api("GET", "/api/v1/appraisals?limit=1000").json()["items"]
    siti = next(int(i["id"]) for i in items if i["employee"]["nip"] == EVALUATOR)
    second = "Dokumen kebijakan tata kelola data"
    with_targets(served, siti, EVALUATOR, "Layanan perizinan daring", second)

    head = new_page(chromium, served)
    sign_in(head, HEAD)
    head.goto(f"/appraisals/{siti}")
    head.locator("summary", has_text="Tambah umpan balik pada RHK").click()
    head.get_by_label("RHK yang dibahas").select_option(label=f"2. {second}")
    note = "Libatkan bidang statistik dalam rancangan kebijakan."
    head.get_by_label("Umpan Balik", exact=True).fill(note)
    head.locator("#dialogue").get_by_role("button", name="Simpan").first.click()
    expect(head.get_by_text("Tersimpan.")).to_be_visible()
    entry = head.locator("#dialogue li", has_text=note)
    expect(entry.get_by_text(f"RHK: {second}")).to_be_visible()
    dialogue = served.api("GET", f"/api/v1/appraisals/{siti}/dialogue", HEAD).json()
    targets = served.api("GET", f"/api/v1/appraisals/{siti}", HEAD).json()["targets"]
    assert [f["target_id"] for f in dialogue["feedback"]] == [targets[1]["id"]]

    head.locator("summary", has_text="Catat sesi bimbingan").click()
    head.get_by_label("Tanggal").fill(min(date.today(), date(2026, 12, 31)).isoformat())
    head.get_by_label("Jenis").select_option(label="Konseling kinerja")
    head.get_by_label("Topik").fill("Capaian triwulan I")
    head.locator("#dialogue").get_by_role("button", name="Simpan").last.click()
    session = head.locator("#dialogue li", has_text="Capaian triwulan I")
    expect(session).to_contain_text("Konseling kinerja")
    assert check_accessibility(head) == []
    screenshot(head, served, "supervisor-dialogue-desktop")
    assert head.outside_requests == []  # type: ignore[attr-defined]
