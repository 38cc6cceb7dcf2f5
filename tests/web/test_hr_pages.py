"""HR's pages: the import with its preview, cycles and their dashboard, units with the QR code,
accounts, the audit trail; auditors read them without the forms."""

from __future__ import annotations

import io
import re

from openpyxl import Workbook
from sqlalchemy import func, select, text

from kinerja_flow.org.models import Employee
from tests.support.api import AUDITOR, EMPLOYEE, ORG_CSV, PASSWORD, Api
from tests.support.flow import world
from tests.support.web import Browser, csrf_of, open_browser

BAD_CSV = (
    "nip,name,email,unit_code,position,supervisor_nip,roles\n"
    "199003032015031003,Budi Santoso,budi@example.go.id,BID1,Analis,,\n"
    "123,Tanpa NIP,x@example.go.id,BID1,Analis,,\n"
    "199104042016022004,Dewi,dewi@example.go.id,NOPE,Pranata,,\n"
)


async def employees(api: Api) -> int:
    async with api.ctx.sessions() as session:
        return int(await session.scalar(select(func.count()).select_from(Employee)) or 0)


async def sign_in_admin(api: Api, web: Browser) -> None:
    await api.create_admin()
    await web.sign_in("admin@bkpsdm.example.go.id", PASSWORD)


async def test_the_import_previews_every_bad_line_then_imports_a_good_file(
    api: Api, web: Browser
) -> None:
    await sign_in_admin(api, web)
    for code, parent in (("DINAS", None), ("BID1", "DINAS")):
        await api.post(
            "/api/v1/units", "admin", {"code": code, "name": code, "parent_code": parent}
        )
    opened = await web.get("/hr/import")
    bad = await web.finished_job(
        await web.post(
            "/hr/import",
            {"_csrf_token": csrf_of(opened.text), "step": "preview"},
            files={"file": ("pegawai.csv", BAD_CSV.encode(), "text/csv")},
        )
    )
    assert "Baris 3" in bad.text
    assert "Baris 4" in bad.text
    assert "Baris 2" not in bad.text
    assert await employees(api) == 0
    preview = await web.finished_job(
        await web.post(
            "/hr/import",
            {"_csrf_token": csrf_of(opened.text), "step": "preview"},
            files={"file": ("pegawai.csv", ORG_CSV.encode(), "text/csv")},
        )
    )
    assert "Pratinjau" in preview.text
    assert await employees(api) == 0  # the preview wrote nothing
    assert await api.outbox() == []
    preview_id = re.search(r'name="preview" value="(\d+)"', preview.text)
    assert preview_id, preview.text
    imported = await web.finished_job(
        await web.post(
            "/hr/import",
            {"_csrf_token": csrf_of(preview.text), "step": "import", "preview": preview_id[1]},
        )
    )
    assert "sudah diimpor" in imported.text
    assert await employees(api) == 6
    again = await web.post(  # the preview's file went to the import: it cannot be used twice
        "/hr/import",
        {"_csrf_token": csrf_of(preview.text), "step": "import", "preview": preview_id[1]},
    )
    assert again.status_code == 409
    assert await employees(api) == 6
    dry = await api.import_csv(ORG_CSV, params={"dry_run": "true"})
    assert dry.status_code == 200
    assert dry.json()["unchanged"] == 6


async def test_the_import_takes_a_workbook_and_shows_its_progress_page(
    api: Api, web: Browser
) -> None:
    await sign_in_admin(api, web)
    for code, parent in (("DINAS", None), ("BID1", "DINAS")):
        await api.post(
            "/api/v1/units", "admin", {"code": code, "name": code, "parent_code": parent}
        )
    opened = await web.get("/hr/import")
    assert ".xlsx" in opened.text
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    for line in ORG_CSV.splitlines():
        sheet.append(line.split(","))
    sheet.append(["123", "Tanpa NIP", "x@example.go.id", "BID1", "Analis", "", ""])  # row 8
    content = io.BytesIO()
    workbook.save(content)
    started = await web.post(
        "/hr/import",
        {"_csrf_token": csrf_of(opened.text), "step": "preview"},
        files={"file": ("pegawai.xlsx", content.getvalue(), "application/octet-stream")},
    )
    assert started.status_code == 303
    # The page of a job under way reloads itself without JavaScript and polls with htmx; the
    # fragment htmx asks for is the status box alone.
    location = started.headers["location"]
    fragment = await web.get(location, headers={"HX-Request": "true", "HX-Target": "job"})
    assert fragment.status_code == 200
    assert fragment.text.lstrip().startswith('<section id="job"')
    failed = await web.finished_job(started)
    assert "Baris 8" in failed.text
    assert "Baris 7" not in failed.text
    problems = await web.get(f"{location}/problems.csv")
    assert problems.status_code == 200
    assert "123" in problems.text.splitlines()[1]
    assert await employees(api) == 0


async def test_a_cycle_from_creation_to_its_dashboard_and_bulk_action(
    api: Api, web: Browser
) -> None:
    await api.setup_org()
    await web.sign_in("admin@bkpsdm.example.go.id", PASSWORD)
    page = await web.get("/hr")
    created = await web.post(
        "/hr/cycles",
        {
            "_csrf_token": csrf_of(page.text),
            "name": "SKP 2026",
            "kind": "annual",
            "period_start": "2026-01-01",
            "period_end": "2026-12-31",
            "workflow": "appraisal",
            "distribution_policy": "warn",
        },
    )
    assert created.status_code == 303
    dashboard = created.headers["location"]
    page = await web.get(dashboard)
    assert "Buka periode" in page.text
    cycle_id = dashboard.rsplit("/", 1)[1]
    opened = await web.finished_job(
        await web.post(f"/hr/cycles/{cycle_id}/open", {"_csrf_token": csrf_of(page.text)})
    )
    assert "penilaian dibuka" in opened.text
    assert f'href="/hr/cycles/{cycle_id}"' in opened.text  # back to the dashboard
    assert "<svg" in (await web.get(dashboard)).text
    bulk = await web.finished_job(
        await web.post(
            f"/hr/cycles/{cycle_id}/actions/start_self_assessment",
            {"_csrf_token": csrf_of(page.text)},
        )
    )
    assert "0 berhasil" in bulk.text
    listed = await web.get(f"/hr/cycles/{cycle_id}/appraisals?state=planning")
    assert "Budi Santoso" in listed.text
    qr = await web.get("/hr/units/BID1/qr.svg")
    assert qr.status_code == 200
    assert qr.headers["content-type"].startswith("image/svg+xml")
    assert qr.text.startswith("<svg")
    assert (await web.get("/hr/units/NOPE/qr.svg")).status_code == 404
    audit = await web.get("/hr/audit")
    assert "Rantai belum pernah diverifikasi" in audit.text
    checked = await web.finished_job(
        await web.post("/hr/audit/verify", {"_csrf_token": csrf_of(audit.text)})
    )
    assert "Rantai hash utuh" in checked.text
    assert 'href="/hr/audit"' in checked.text  # back to the trail
    again = await web.get("/hr/audit")
    assert "Rantai hash utuh" in again.text
    assert "Diverifikasi" in again.text


async def test_accounts_are_invited_again_and_deactivated_with_a_reason(
    api: Api, web: Browser
) -> None:
    await api.setup_org()
    await web.sign_in("admin@bkpsdm.example.go.id", PASSWORD)
    page = await web.get("/hr/accounts?q=budi")
    assert "budi@example.go.id" in page.text
    account = re.search(r"/hr/accounts/(\d+)/reinvite", page.text)
    assert account
    again = await web.post(
        f"/hr/accounts/{account.group(1)}/reinvite", {"_csrf_token": csrf_of(page.text)}
    )
    assert again.status_code == 200
    assert len(await api.outbox(to="budi@example.go.id", kind="invitation")) == 2
    no_reason = await web.post(
        f"/hr/accounts/{account.group(1)}/deactivate", {"_csrf_token": csrf_of(page.text)}
    )
    assert no_reason.status_code == 422
    gone = await web.post(
        f"/hr/accounts/{account.group(1)}/deactivate",
        {"_csrf_token": csrf_of(page.text), "reason": "Pensiun"},
    )
    assert gone.status_code == 200
    assert "nonaktif" in gone.text


async def test_auditors_read_without_forms_and_employees_may_not_enter(api: Api) -> None:
    await world(api)
    async with open_browser(api) as auditor:
        await auditor.sign_in(AUDITOR, PASSWORD)
        overview = await auditor.get("/hr")
        assert overview.status_code == 200
        assert "Buat periode" not in overview.text
        cycle = re.search(r'href="/hr/cycles/(\d+)"', overview.text)
        assert cycle
        dashboard = await auditor.get(f"/hr/cycles/{cycle.group(1)}")
        assert dashboard.status_code == 200
        assert "Buka periode" not in dashboard.text
        refused = await auditor.post(
            f"/hr/cycles/{cycle.group(1)}/actions/close", {"_csrf_token": csrf_of(dashboard.text)}
        )
        assert refused.status_code == 403
        units = await auditor.post(
            "/hr/units", {"_csrf_token": csrf_of(dashboard.text), "code": "X", "name": "X"}
        )
        assert units.status_code == 403
    async with open_browser(api) as employee:
        await employee.sign_in(EMPLOYEE, PASSWORD)
        assert (await employee.get("/hr")).status_code == 403
        assert (await employee.get("/hr/accounts")).status_code == 403


async def test_a_verification_of_the_audit_trail_names_the_event_that_was_changed(
    api: Api, web: Browser
) -> None:
    """The chain is verified as a job; a changed event is named, on the job's page and on the
    audit trail's page afterwards."""
    await api.setup_org()
    await api.open_cycle()
    async with api.ctx.sessions() as session:
        await session.execute(text("UPDATE audit_events SET reason = 'diubah' WHERE seq = 2"))
        await session.commit()
    await web.sign_in("admin@bkpsdm.example.go.id", PASSWORD)
    checked = await web.finished_job(await web.submit("/hr/audit", "/hr/audit/verify", {}))
    assert "Rantai hash rusak pada peristiwa 2" in checked.text
    assert "Rantai hash rusak pada peristiwa 2" in (await web.get("/hr/audit")).text
    jobs = await web.get("/hr/jobs?kind=audit_verify")
    assert "Verifikasi jejak audit" in jobs.text
    assert "Rantai hash rusak pada peristiwa 2" in jobs.text
    await api.sign_in_staff(AUDITOR)
    async with open_browser(api) as auditor:  # the verdict is theirs to read too
        await auditor.sign_in(AUDITOR, PASSWORD)
        read = await auditor.get("/hr/audit")
        assert "Rantai hash rusak pada peristiwa 2" in read.text
        assert "admin@bkpsdm.example.go.id" in read.text  # who asked for it
    await api.sign_in_staff(EMPLOYEE)
    async with open_browser(api) as employee:
        await employee.sign_in(EMPLOYEE, PASSWORD)
        mine = await api.appraisal_of(EMPLOYEE, EMPLOYEE)
        home = await employee.get(f"/appraisals/{mine['id']}")
        refused = await employee.post("/hr/audit/verify", {"_csrf_token": csrf_of(home.text)})
        assert refused.status_code == 403, refused.text
    listed = await api.get("/api/v1/jobs?kind=audit_verify", "admin")
    assert listed.json()["total"] == 1  # the employee's request queued nothing
