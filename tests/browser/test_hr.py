"""In Chromium, as HR: the import with a bad file (every bad line, nothing written) and a good
one, a cycle opened and its dashboard; the auditor reads it; axe-core and screenshots."""

from __future__ import annotations

import pytest
from playwright.sync_api import Browser, FilePayload, expect

from tests.browser.conftest import (
    ADMIN,
    Served,
    check_accessibility,
    new_page,
    screenshot,
    sign_in,
)
from tests.support.api import AUDITOR, ORG_CSV, PASSWORD
from tests.support.cli import create_admin

pytestmark = pytest.mark.slow  # serve and Chromium per test

BAD_CSV = (
    "nip,name,email,unit_code,position,supervisor_nip,roles\n"
    "199003032015031003,Budi Santoso,budi@example.go.id,BID1,Analis,,\n"
    "123,Tanpa NIP,x@example.go.id,BID1,Analis,,\n"
    "199104042016022004,Dewi,dewi@example.go.id,NOPE,Pranata,,\n"
)


def csv_file(text: str) -> FilePayload:
    return FilePayload(name="pegawai.csv", mimeType="text/csv", buffer=text.encode())


def test_hr_imports_opens_a_cycle_and_reads_its_dashboard(
    served: Served, chromium: Browser
) -> None:
    create_admin(ADMIN, PASSWORD, served.env)
    hr = new_page(chromium, served)
    sign_in(hr, ADMIN)
    expect(hr.get_by_role("heading", name="Periode penilaian")).to_be_visible()
    hr.get_by_role("link", name="Unit", exact=True).click()
    for code, name, parent in (
        ("DINAS", "Dinas Kominfo", ""),
        ("BID1", "Bidang Aplikasi", "DINAS"),
    ):
        hr.get_by_label("Kode", exact=True).fill(code)
        hr.get_by_label("Nama", exact=True).fill(name)
        hr.get_by_label("Bagian dari (kode)").fill(parent)
        hr.get_by_role("button", name="Tambah", exact=True).click()
        expect(hr.get_by_role("cell", name=name)).to_be_visible()
    expect(hr.get_by_role("link", name="Kode QR (SVG)").first).to_be_visible()
    screenshot(hr, served, "hr-units-desktop")

    hr.get_by_role("link", name="Impor pegawai").click()
    hr.get_by_label("Berkas CSV atau XLSX").set_input_files(files=[csv_file(BAD_CSV)])
    hr.get_by_role("button", name="Periksa berkas").click()
    # The check runs as a job: its page follows it (htmx) until every bad line is listed.
    expect(hr.get_by_text("Baris 3")).to_be_visible()
    expect(hr.get_by_text("Baris 4")).to_be_visible()
    expect(hr.get_by_text("Tidak ada yang disimpan. Perbaiki")).to_be_visible()
    assert check_accessibility(hr) == []
    screenshot(hr, served, "hr-import-errors-desktop")
    assert served.api("GET", "/api/v1/employees").json()["total"] == 0
    hr.get_by_role("link", name="Periksa berkas").click()
    hr.get_by_label("Berkas CSV atau XLSX").set_input_files(files=[csv_file(ORG_CSV)])
    hr.get_by_role("button", name="Periksa berkas").click()
    expect(hr.get_by_text("Pratinjau: belum ada yang disimpan.")).to_be_visible()
    assert served.api("GET", "/api/v1/employees").json()["total"] == 0
    hr.get_by_role("button", name="Impor berkas ini").click()
    expect(hr.get_by_text("Berkas sudah diimpor.")).to_be_visible()
    screenshot(hr, served, "hr-import-done-desktop")
    assert served.api("GET", "/api/v1/employees").json()["total"] == 6

    hr.get_by_role("link", name="Periode", exact=True).click()
    hr.get_by_label("Nama", exact=True).fill("SKP Tahunan 2026")
    hr.get_by_label("Awal periode").fill("2026-01-01")
    hr.get_by_label("Akhir periode").fill("2026-12-31")
    hr.get_by_role("button", name="Buat periode").click()
    expect(hr.get_by_role("button", name="Buka periode")).to_be_visible()
    dashboard = hr.url
    hr.get_by_role("button", name="Buka periode").click()
    # Opening runs as a job: its page follows it, then leads back to the dashboard.
    expect(hr.get_by_text("penilaian dibuka")).to_be_visible()
    assert check_accessibility(hr) == []
    screenshot(hr, served, "hr-cycle-opened-desktop")
    hr.get_by_role("link", name="Kembali ke periode").click()
    expect(hr.locator("svg.chart").first).to_be_visible()
    assert check_accessibility(hr) == []
    screenshot(hr, served, "hr-cycle-dashboard-desktop")
    assert hr.url == dashboard
    phone = new_page(chromium, served, phone=True)
    sign_in(phone, ADMIN)
    phone.goto(dashboard)
    screenshot(phone, served, "hr-cycle-dashboard-phone")

    link = served.link_in_mail("agus@example.go.id", r"/set-password\?token=[\w\-]+")
    auditor = new_page(chromium, served)
    auditor.goto(link)
    auditor.get_by_label("Kata sandi baru").fill(PASSWORD)
    auditor.get_by_label("Ulangi kata sandi yang sama").fill(PASSWORD)
    auditor.get_by_role("button", name="Simpan kata sandi").click()
    expect(auditor.get_by_text("Kata sandi Anda sudah diatur")).to_be_visible()
    sign_in(auditor, AUDITOR)
    auditor.goto("/hr")
    expect(auditor.get_by_role("heading", name="Periode penilaian")).to_be_visible()
    assert auditor.get_by_role("button", name="Buat periode").count() == 0
    auditor.goto(dashboard)
    assert check_accessibility(auditor) == []
    screenshot(auditor, served, "auditor-cycle-dashboard-desktop")
    auditor.get_by_role("link", name="Jejak audit").click()
    expect(auditor.get_by_text("Rantai belum pernah diverifikasi")).to_be_visible()
    auditor.get_by_role("button", name="Verifikasi seluruh rantai sekarang").click()
    expect(auditor.get_by_text("Rantai hash utuh")).to_be_visible()
    auditor.get_by_role("link", name="Kembali ke jejak audit").click()
    expect(auditor.get_by_text("Rantai hash utuh")).to_be_visible()
    screenshot(auditor, served, "auditor-audit-desktop")
    auditor.set_viewport_size({"width": 360, "height": 740})
    auditor.goto(dashboard)
    screenshot(auditor, served, "auditor-cycle-dashboard-phone")
    hr.set_viewport_size({"width": 360, "height": 740})
    hr.goto("/hr/units")
    screenshot(hr, served, "hr-units-phone")
    for page in (hr, phone, auditor):
        assert page.outside_requests == []  # type: ignore[attr-defined]
