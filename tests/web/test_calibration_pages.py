"""HR's calibration queue on the pages: each rating beside its unit's pattern, released or
sent back with a reason, one by one or all at once with the refusals marked; auditors read
it; a cycle on the plain workflow has no queue."""

from __future__ import annotations

import re
from typing import Any

from tests.support.api import AUDITOR, EMPLOYEE, EVALUATOR, HEAD, HR, PASSWORD, PEER, Api
from tests.support.flow import world
from tests.support.web import Browser, csrf_of, open_browser
from tests.test_calibration import (
    ABOVE,
    MEETS,
    calibrated_world,
    detail,
    rated,
    set_org_predikat,
)


async def state_of(api: Api, appraisal: dict[str, Any]) -> str:
    return str((await detail(api, appraisal, HR))["state"])


async def test_hr_releases_one_rating_and_sends_another_back_with_a_reason(
    api: Api,
) -> None:
    await calibrated_world(api, policy="warn")
    budi = await rated(api, EMPLOYEE, EVALUATOR, ABOVE, MEETS)
    dewi = await rated(api, PEER, EVALUATOR, MEETS, MEETS)
    cycle_id = budi["cycle_id"]
    queue = f"/hr/cycles/{cycle_id}/calibration"
    async with open_browser(api) as hr:
        await hr.sign_in(HR, PASSWORD)
        dashboard = (await hr.get(f"/hr/cycles/{cycle_id}")).text
        assert f'href="{queue}">2 nilai menunggu kalibrasi' in dashboard
        overview = (await hr.get("/hr")).text
        assert f'href="{queue}">2 nilai menunggu kalibrasi' in overview
        page = await hr.get(queue)
        assert page.status_code == 200
        assert len(page.content) < 150 * 1024
        assert "2 nilai menunggu" in page.text
        assert "Budi Santoso" in page.text
        assert "Dewi Lestari" in page.text
        assert "Siti Rahmawati" in page.text  # the evaluator
        assert "Di atas ekspektasi" in page.text  # ratings named, not coded
        assert "di_atas_ekspektasi" not in page.text

        released = await hr.post(
            f"{queue}/{budi['id']}/release",
            {"_csrf_token": csrf_of(page.text), "version": str(budi["version"])},
        )
        assert released.status_code == 200, released.text
        assert "Terbitkan hasil: Budi Santoso." in released.text
        assert await state_of(api, budi) == "reviewed"
        assert f'id="appraisal-{budi["id"]}"' not in released.text  # left the queue
        assert (await detail(api, budi, EMPLOYEE))["predikat"] == "baik"

        no_reason = await hr.post(
            f"{queue}/{dewi['id']}/send_back",
            {"_csrf_token": csrf_of(page.text), "version": str(dewi["version"])},
        )
        assert no_reason.status_code == 422
        assert 'role="alert"' in no_reason.text
        assert await state_of(api, dewi) == "calibration"
        stale = await hr.post(
            f"{queue}/{dewi['id']}/send_back",
            {"_csrf_token": csrf_of(page.text), "version": "1", "reason": "Cek bukti."},
        )
        assert stale.status_code == 409
        reason = "Predikat belum didukung bukti capaian triwulan IV."
        sent_back = await hr.post(
            f"{queue}/{dewi['id']}/send_back",
            {"_csrf_token": csrf_of(page.text), "version": str(dewi["version"]), "reason": reason},
        )
        assert sent_back.status_code == 200, sent_back.text
        assert await state_of(api, dewi) == "under_review"
        assert "Tidak ada yang menunggu kalibrasi." in sent_back.text
        trail = (await api.get(f"/api/v1/appraisals/{dewi['id']}/audit", HR)).json()
        assert (trail[-1]["action"], trail[-1]["reason"]) == ("appraisal.send_back", reason)


async def test_releasing_all_marks_those_the_units_pattern_refuses(api: Api) -> None:
    await calibrated_world(api, policy="block")
    budi = await rated(api, EMPLOYEE, EVALUATOR, ABOVE, MEETS)  # BID1: baik
    dewi = await rated(api, PEER, EVALUATOR, MEETS, MEETS)  # BID1: baik
    agus = await rated(api, AUDITOR, HEAD, ABOVE, MEETS)  # DINAS: baik
    cycle_id = budi["cycle_id"]
    await set_org_predikat(api, cycle_id, "BID1", "baik")  # 100% baik breaks "at most 70%"
    queue = f"/hr/cycles/{cycle_id}/calibration"
    async with open_browser(api) as hr:
        await hr.sign_in(HR, PASSWORD)
        page = (await hr.get(queue)).text
        assert "Penerbitan ditolak selama distribusi unit menyalahi polanya." in page
        assert "Paling banyak 70% pegawai berpredikat Baik." in page
        started = await hr.post(f"{queue}/all/release", {"_csrf_token": csrf_of(page)})
        answer = await hr.finished_job(started)  # a job, its page followed to the end
        assert "1 berhasil, 2 ditolak." in answer.text
        for refused in (budi, dewi):
            row = re.search(rf'id="refused-{refused["id"]}".*?</tr>', answer.text, re.S)
            assert row, refused["employee"]["name"]
            for shown in (refused["employee"]["nip"], refused["employee"]["name"]):
                assert f"<td>{shown}</td>" in row.group(0)
            assert "Paling banyak 70% pegawai berpredikat Baik." in row.group(0)  # why
        assert f'href="{queue}"' in answer.text  # back to the queue
        assert await state_of(api, agus) == "reviewed"
        assert [await state_of(api, a) for a in (budi, dewi)] == ["calibration"] * 2


async def test_auditors_read_the_queue_and_the_plain_workflow_has_none(api: Api) -> None:
    await calibrated_world(api)
    budi = await rated(api, EMPLOYEE, EVALUATOR, ABOVE, MEETS)
    queue = f"/hr/cycles/{budi['cycle_id']}/calibration"
    async with open_browser(api) as auditor, open_browser(api) as employee:
        await auditor.sign_in(AUDITOR, PASSWORD)
        read = await auditor.get(queue)
        assert read.status_code == 200
        assert "Budi Santoso" in read.text
        assert "/calibration/" not in read.text  # no form
        refused = await auditor.post(
            f"{queue}/{budi['id']}/release",
            {"_csrf_token": csrf_of(read.text), "version": str(budi["version"])},
        )
        assert refused.status_code == 403
        every = await auditor.post(f"{queue}/all/release", {"_csrf_token": csrf_of(read.text)})
        assert every.status_code == 403  # no job started either
        jobs = (await api.get("/api/v1/jobs", HR, params={"kind": "cycle_action"})).json()
        assert jobs["items"] == []
        assert await state_of(api, budi) == "calibration"
        await employee.sign_in(EMPLOYEE, PASSWORD)
        assert (await employee.get(queue)).status_code == 403


async def test_a_cycle_without_calibration_says_so(api: Api, web: Browser) -> None:
    appraisal = await world(api)
    await web.sign_in(HR, PASSWORD)
    dashboard = (await web.get(f"/hr/cycles/{appraisal['cycle_id']}")).text
    assert "/calibration" not in dashboard
    # The cycle's coded values are named: kind, workflow, policy, organisation predikat.
    assert "Tahunan · Tanpa kalibrasi · kebijakan distribusi: peringatkan" in dashboard
    assert '<option value="istimewa">Istimewa</option>' in dashboard
    assert '<option value="kurang">Kurang</option>' in dashboard  # not the IKM's "Kurang Baik"
    overview = (await web.get("/hr")).text
    assert '<option value="appraisal_calibrated">Dengan kalibrasi oleh BKPSDM</option>' in overview
    assert '<option value="semester">Semesteran</option>' in overview
    page = await web.get(f"/hr/cycles/{appraisal['cycle_id']}/calibration")
    assert page.status_code == 200
    assert "tidak ada kalibrasi" in page.text
