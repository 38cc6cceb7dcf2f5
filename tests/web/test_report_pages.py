"""A cycle's progress and exports on HR's pages, downloaded with the web session: the same
tables as the API's exports, each written by a job whose page offers the file; auditors
export too, others may not."""

from __future__ import annotations

import re

from httpx import Response

from kinerja_flow.lib.tables import XLSX_TYPE
from tests.support.api import AUDITOR, EMPLOYEE, HR, PASSWORD, PEER, Api
from tests.support.web import Browser, open_browser
from tests.test_reports import csv_rows, cycle_with_progress, xlsx_rows

EXPORT_FORM = re.compile(r'action="(/hr/cycles/\d+/exports/[^"]+)"')
DOWNLOAD = re.compile(r'href="(/hr/jobs/\d+/file)"')


async def exported(
    browser: Browser, page: str, table: str, fields: dict[str, str]
) -> tuple[Response, Response]:
    """Start an export from ``page``'s form, follow its job page to the end and download the
    file it offers: the job page, and the download."""
    cycle = re.search(r"/hr/cycles/(\d+)", page)
    assert cycle, page
    started = await browser.submit(page, f"/hr/cycles/{cycle.group(1)}/exports/{table}", fields)
    done = await browser.finished_job(started)
    link = DOWNLOAD.search(done.text)
    assert link, done.text
    return done, await browser.get(link.group(1))


async def test_hr_downloads_the_cycles_tables_from_its_pages(api: Api) -> None:
    cycle_id = await cycle_with_progress(api)
    async with open_browser(api) as hr:
        await hr.sign_in(HR, PASSWORD)
        dashboard = (await hr.get(f"/hr/cycles/{cycle_id}")).text
        assert set(EXPORT_FORM.findall(dashboard)) == {
            f"/hr/cycles/{cycle_id}/exports/{table}"
            for table in ("appraisals", "followups", "training-hours")
        }
        for table in ("appraisals", "followups", "training-hours"):
            for output in ("csv", "xlsx"):
                done, from_page = await exported(
                    hr, f"/hr/cycles/{cycle_id}", table, {"format": output}
                )
                from_api = await api.export(cycle_id, table, HR, {"format": output})
                assert from_page.status_code == 200, from_page.text
                name = from_api.headers["content-disposition"]
                assert from_page.headers["content-disposition"] == name
                assert from_page.headers["cache-control"] == "private, no-store"
                assert name.split('"')[1] in done.text  # the page names the file it offers
                if output == "csv":  # the same table as the API's, to the byte
                    assert from_page.content == from_api.content
                else:
                    assert from_page.headers["content-type"] == XLSX_TYPE
                    assert xlsx_rows(from_page.content) == xlsx_rows(from_api.content)

        _done, appraisals = await exported(
            hr, f"/hr/cycles/{cycle_id}", "appraisals", {"format": "xlsx"}
        )
        budi = next(row for row in xlsx_rows(appraisals.content) if row["nip"] == EMPLOYEE)
        assert (budi["name"], budi["predikat"], budi["overdue"]) == ("Budi Santoso", "baik", True)
        _done, hours = await exported(
            hr,
            f"/hr/cycles/{cycle_id}/progress?unit_code=BID1",
            "training-hours",
            {"unit_code": "BID1"},
        )
        by_nip = {row["nip"]: row["hours"] for row in csv_rows(hours.content)}
        assert {nip: by_nip[nip] for nip in (EMPLOYEE, PEER)} == {EMPLOYEE: "24", PEER: "0"}
        assert {row["unit_code"] for row in csv_rows(hours.content)} == {"BID1"}

        page = f"/hr/cycles/{cycle_id}/progress"
        missing = await hr.submit(page, f"/hr/cycles/{cycle_id}/exports/salaries", {})
        assert missing.status_code == 404
        assert "text/html" in missing.headers["content-type"]
        unknown = await hr.submit(
            page, f"/hr/cycles/{cycle_id}/exports/appraisals", {"unit_code": "NOPE"}
        )
        assert unknown.status_code == 404
        pdf = await hr.submit(page, f"/hr/cycles/{cycle_id}/exports/appraisals", {"format": "pdf"})
        assert pdf.status_code == 422
        assert 'role="alert"' in pdf.text  # beside the exports, on the progress page
        assert (await hr.get(f"/hr/cycles/{cycle_id}/exports/appraisals")).status_code == 405


async def test_the_progress_page_shows_overdue_work_follow_ups_and_training_per_unit(
    api: Api,
) -> None:
    cycle_id = await cycle_with_progress(api)
    progress = (await api.get(f"/api/v1/cycles/{cycle_id}/progress", HR)).json()
    async with open_browser(api) as hr:
        await hr.sign_in(HR, PASSWORD)
        page = await hr.get(f"/hr/cycles/{cycle_id}/progress")
        assert page.status_code == 200
        assert len(page.content) < 150 * 1024
        text = page.text
        training = progress["total"]["training"]
        assert (
            f"{training['hours']} JP untuk {training['employees']} pegawai; "
            f"{training['below_minimum']} di bawah minimum {training['minimum']} JP"
        ) in text
        assert "Pelatihan" in text  # follow-up kinds named, not coded
        assert ">training<" not in text
        assert f'href="/hr/cycles/{cycle_id}/progress?unit_code=DINAS"' in text
        bidang = await hr.get(f"/hr/cycles/{cycle_id}/progress?unit_code=BID1")
        assert "Bidang" in bidang.text or "BID1" in bidang.text
        assert '<input type="hidden" name="unit_code" value="BID1">' in bidang.text

        overdue_link = f'href="/followups?cycle_id={cycle_id}&amp;overdue=true"'
        assert overdue_link in text
        overdue = (await hr.get(f"/followups?cycle_id={cycle_id}&overdue=true")).text
        assert "Coaching penulisan" in overdue  # due 5 April, now 10 April
        assert "Pelatihan analisis kebijakan" not in overdue
        trainings = (await hr.get("/followups", params={"kind": "training"})).text
        assert "Pelatihan analisis kebijakan" in trainings
        assert '<option value="training" selected>Pelatihan</option>' in trainings
        mentoring = (await hr.get("/followups", params={"kind": "mentoring"})).text
        assert "Pelatihan analisis kebijakan" not in mentoring
        assert "Belum ada butir tindak lanjut." in mentoring
        verified = (await hr.get("/followups", params={"state": "verified"})).text
        assert "Pelatihan analisis kebijakan" in verified
        assert "1 butir" in verified
        assert (await hr.get("/followups", params={"kind": "salary"})).status_code == 422

        followups = (await hr.get("/followups")).text
        assert f'action="/hr/cycles/{cycle_id}/exports/followups"' in followups
        assert f'action="/hr/cycles/{cycle_id}/exports/training-hours"' in followups


async def test_auditors_download_too_and_employees_may_not(api: Api) -> None:
    cycle_id = await cycle_with_progress(api)
    page = f"/hr/cycles/{cycle_id}/progress"
    action = f"/hr/cycles/{cycle_id}/exports/appraisals"
    async with open_browser(api) as auditor, open_browser(api) as employee:
        await auditor.sign_in(AUDITOR, PASSWORD)
        done, read = await exported(auditor, page, "appraisals", {"format": "csv"})
        assert read.status_code == 200
        assert len(csv_rows(read.content)) == 6
        file = DOWNLOAD.search(done.text)
        assert file
        await employee.sign_in(EMPLOYEE, PASSWORD)
        refused = await employee.submit("/tasks", action, {"format": "csv"})
        assert refused.status_code == 403
        assert "text/html" in refused.headers["content-type"]
        assert (await employee.get(file.group(1))).status_code == 403  # HR's pages
        assert "exports/" not in (await employee.get("/followups")).text
    async with open_browser(api) as stranger:
        sent_away = await stranger.get(file.group(1))
        assert sent_away.status_code == 303
        assert sent_away.headers["location"].startswith("/sign-in?next=")
