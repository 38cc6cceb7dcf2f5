"""A cycle's progress and exports on HR's pages, downloaded with the web session: the same
tables as the API's exports; auditors read them, others may not."""

from __future__ import annotations

import re

from kinerja_flow.lib.tables import XLSX_TYPE
from tests.support.api import AUDITOR, EMPLOYEE, HR, PASSWORD, PEER, Api
from tests.support.web import open_browser
from tests.test_reports import csv_rows, cycle_with_progress, xlsx_rows


async def test_hr_downloads_the_cycles_tables_from_its_pages(api: Api) -> None:
    cycle_id = await cycle_with_progress(api)
    async with open_browser(api) as hr:
        await hr.sign_in(HR, PASSWORD)
        dashboard = (await hr.get(f"/hr/cycles/{cycle_id}")).text
        links = set(re.findall(r'href="(/hr/cycles/\d+/exports/[^"]+)"', dashboard))
        assert {link.replace("&amp;", "&") for link in links} == {
            f"/hr/cycles/{cycle_id}/exports/{table}?format={output}"
            for table in ("appraisals", "followups", "training-hours")
            for output in ("csv", "xlsx")
        }
        for table in ("appraisals", "followups", "training-hours"):
            for output in ("csv", "xlsx"):
                path = f"exports/{table}?format={output}"
                from_page = await hr.get(f"/hr/cycles/{cycle_id}/{path}")
                from_api = await api.get(f"/api/v1/cycles/{cycle_id}/{path}", HR)
                assert from_page.status_code == 200, from_page.text
                assert (
                    from_page.headers["content-disposition"]
                    == (from_api.headers["content-disposition"])
                )
                if output == "csv":  # the same table as the API's, to the byte
                    assert from_page.content == from_api.content
                else:
                    assert from_page.headers["content-type"] == XLSX_TYPE
                    assert xlsx_rows(from_page.content) == xlsx_rows(from_api.content)

        appraisals = xlsx_rows(
            (await hr.get(f"/hr/cycles/{cycle_id}/exports/appraisals?format=xlsx")).content
        )
        budi = next(row for row in appraisals if row["nip"] == EMPLOYEE)
        assert (budi["name"], budi["predikat"], budi["overdue"]) == ("Budi Santoso", "baik", True)
        hours = csv_rows(
            (await hr.get(f"/hr/cycles/{cycle_id}/exports/training-hours?unit_code=BID1")).content
        )
        assert {row["nip"]: row["hours"] for row in hours if row["nip"] in (EMPLOYEE, PEER)} == {
            EMPLOYEE: "24",
            PEER: "0",
        }
        assert {row["unit_code"] for row in hours} == {"BID1"}

        missing = await hr.get(f"/hr/cycles/{cycle_id}/exports/salaries")
        assert missing.status_code == 404
        assert "text/html" in missing.headers["content-type"]
        unknown = await hr.get(f"/hr/cycles/{cycle_id}/exports/appraisals?unit_code=NOPE")
        assert unknown.status_code == 404


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
        assert "exports/appraisals?format=csv&amp;unit_code=BID1" in bidang.text

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
        assert f'href="/hr/cycles/{cycle_id}/exports/followups?format=xlsx"' in followups
        assert f'href="/hr/cycles/{cycle_id}/exports/training-hours?format=csv"' in followups


async def test_auditors_download_too_and_employees_may_not(api: Api) -> None:
    cycle_id = await cycle_with_progress(api)
    path = f"/hr/cycles/{cycle_id}/exports/appraisals?format=csv"
    async with open_browser(api) as auditor, open_browser(api) as employee:
        await auditor.sign_in(AUDITOR, PASSWORD)
        read = await auditor.get(path)
        assert read.status_code == 200
        assert len(csv_rows(read.content)) == 6
        assert (await auditor.get(f"/hr/cycles/{cycle_id}/progress")).status_code == 200
        await employee.sign_in(EMPLOYEE, PASSWORD)
        refused = await employee.get(path)
        assert refused.status_code == 403
        assert "text/html" in refused.headers["content-type"]
        assert "exports/" not in (await employee.get("/followups")).text
    async with open_browser(api) as stranger:
        sent_away = await stranger.get(path)
        assert sent_away.status_code == 303
        assert sent_away.headers["location"].startswith("/sign-in?next=")
