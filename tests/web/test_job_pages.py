"""The Jobs page of HR's menu: the jobs the reader may follow, the newest first, each with who
started it, its state, progress and what it came to; an export's page without its file once
the file's time is over."""

from __future__ import annotations

import re
from datetime import timedelta

from kinerja_flow.bootstrap import job_runner
from tests.support.api import AUDITOR, EMPLOYEE, HR, PASSWORD, Api
from tests.support.web import open_browser
from tests.test_job_files import export_job
from tests.test_reports import cycle_with_progress

ROW = re.compile(r'<tr id="job-(\d+)">(.*?)</tr>', re.S)


async def test_hr_lists_every_job_and_auditors_their_own(api: Api) -> None:
    cycle_id = await cycle_with_progress(api)
    audited = await export_job(api, cycle_id, AUDITOR)
    exported = await export_job(api, cycle_id, HR, format="xlsx")
    async with open_browser(api) as hr, open_browser(api) as auditor:
        await hr.sign_in(HR, PASSWORD)
        cycles = (await hr.get("/hr")).text
        assert '<a href="/hr/jobs">Pekerjaan</a>' in cycles  # in HR's menu
        page = await hr.get("/hr/jobs")
        assert page.status_code == 200
        rows = ROW.findall(page.text)
        ids = [int(job_id) for job_id, _row in rows]
        assert ids == sorted(ids, reverse=True)
        assert ids[:2] == [exported["id"], audited["id"]]
        newest = rows[0][1]
        assert f'href="/hr/jobs/{exported["id"]}"' in newest
        assert "Ekspor" in newest
        assert "rina@example.go.id" in newest  # who started it
        assert "Selesai" in newest
        assert f"6 baris ditulis ke appraisals-cycle-{cycle_id}.xlsx." in newest
        assert len(rows) == 4  # before them, the cycle's opening and the employee import
        assert "Membuka periode" in rows[2][1]
        assert "6 penilaian dibuka" in rows[2][1]
        assert "Berkas sudah diimpor. Pegawai baru: 6" in rows[3][1]

        only_exports = await hr.get("/hr/jobs", params={"kind": "cycle_export"})
        assert [int(i) for i, _r in ROW.findall(only_exports.text)] == ids[:2]
        assert '<option value="cycle_export" selected>' in only_exports.text
        none_queued = await hr.get("/hr/jobs", params={"state": "queued"})
        assert ROW.findall(none_queued.text) == []
        assert "Belum ada pekerjaan." in none_queued.text
        assert (await hr.get("/hr/jobs", params={"state": "finished"})).status_code in (400, 422)

        await auditor.sign_in(AUDITOR, PASSWORD)
        own = await auditor.get("/hr/jobs")
        assert [int(i) for i, _r in ROW.findall(own.text)] == [audited["id"]]
        await auditor.submit("/hr/jobs", "/language", {"locale": "en", "next": "/hr/jobs"})
        english = (await auditor.get("/hr/jobs")).text
        assert "<h1>Jobs</h1>" in english
        assert f"6 row(s) written to appraisals-cycle-{cycle_id}.csv." in english
        assert "Started by" in english
    async with open_browser(api) as employee:
        await employee.sign_in(EMPLOYEE, PASSWORD)
        assert (await employee.get("/hr/jobs")).status_code == 403


async def test_an_exports_page_says_when_its_file_was_removed(api: Api) -> None:
    cycle_id = await cycle_with_progress(api)
    job = await export_job(api, cycle_id, HR)
    async with open_browser(api) as hr:
        await hr.sign_in(HR, PASSWORD)
        page = (await hr.get(f"/hr/jobs/{job['id']}")).text
        assert f'href="/hr/jobs/{job["id"]}/file"' in page
        api.clock.advance(timedelta(hours=api.settings.job_files_hours, minutes=1))
        assert await job_runner(api.ctx).remove_old_files() == 1
        await hr.sign_in(HR, PASSWORD)  # a day later: the session ended meanwhile
        page = (await hr.get(f"/hr/jobs/{job['id']}")).text
        assert f'href="/hr/jobs/{job["id"]}/file"' not in page
        assert "Berkas telah dihapus beberapa waktu setelah pekerjaan selesai" in page
        gone = await hr.get(f"/hr/jobs/{job['id']}/file")
        assert gone.status_code == 410
        assert "text/html" in gone.headers["content-type"]
