"""HR finds an employee's appraisal by NIP or name and reassigns its evaluator with a reason;
the cycle's opening names those without an evaluator with a link to each."""

from __future__ import annotations

import re

from tests.support.api import AUDITOR, EMPLOYEE, HEAD, HR, PASSWORD, PEER, Api
from tests.support.flow import world
from tests.support.web import Browser, csrf_of

FOUND_ROW = re.compile(r'<a href="/appraisals/(\d+)">([^<]+)</a>')


async def test_hr_finds_an_appraisal_by_nip_or_name_and_reassigns_it(
    api: Api, web: Browser
) -> None:
    appraisal = await world(api)
    listing = f"/hr/cycles/{appraisal['cycle_id']}/appraisals"
    await web.sign_in(HR, PASSWORD)
    everyone = FOUND_ROW.findall((await web.get(listing)).text)
    assert len(everyone) == 6
    by_name = FOUND_ROW.findall((await web.get(listing, params={"q": "dewi"})).text)
    assert [name for _id, name in by_name] == ["Dewi Lestari"]
    by_nip = FOUND_ROW.findall((await web.get(listing, params={"q": EMPLOYEE[:8]})).text)
    assert [name for _id, name in by_nip] == ["Budi Santoso"]
    nothing = await web.get(listing, params={"q": "%"})  # a wildcard is only a character
    assert FOUND_ROW.findall(nothing.text) == []
    assert "Tidak ada penilaian pegawai dengan NIP atau nama ini." in nothing.text
    planning = FOUND_ROW.findall(
        (await web.get(listing, params={"q": "a", "state": "planning"})).text
    )
    assert len(planning) == 6
    assert FOUND_ROW.findall((await web.get(listing, params={"state": "closed"})).text) == []
    api_found = await api.get("/api/v1/appraisals", HR, params={"q": "DEWI"})
    assert [item["employee"]["nip"] for item in api_found.json()["items"]] == [PEER]

    dewi_id = by_name[0][0]
    page = await web.get(f"/appraisals/{dewi_id}")
    version = re.search(r'name="version" value="(\d+)"', page.text)
    assert version
    moved = await web.post(
        f"/appraisals/{dewi_id}/reassign",
        {
            "_csrf_token": csrf_of(page.text),
            "version": version.group(1),
            "evaluator_nip": AUDITOR,
            "reason": "Kepala bidang cuti panjang.",
        },
    )
    assert moved.status_code == 303, moved.text
    after = (await api.get(f"/api/v1/appraisals/{dewi_id}", HR)).json()
    assert after["evaluator"]["nip"] == AUDITOR
    shown = (await web.get(moved.headers["location"])).text
    assert "Agus Pratama" in shown
    assert "Kepala bidang cuti panjang." in shown  # the reason, in the history


async def test_the_opening_links_each_employee_without_an_evaluator(api: Api, web: Browser) -> None:
    await api.setup_org()
    await web.sign_in("admin@bkpsdm.example.go.id", PASSWORD)
    created = await api.post(
        "/api/v1/cycles",
        "admin",
        {
            "name": "SKP 2026",
            "period_start": "2026-01-01",
            "period_end": "2026-12-31",
            "kind": "annual",
        },
    )
    cycle_id = created.json()["id"]
    page = await web.get(f"/hr/cycles/{cycle_id}")
    opened = await web.finished_job(  # opening runs as a job; its page ends with the result
        await web.post(f"/hr/cycles/{cycle_id}/open", {"_csrf_token": csrf_of(page.text)})
    )
    # The head of the agency has no superior: no evaluator, linked to find the appraisal.
    link = f'href="/hr/cycles/{cycle_id}/appraisals?q={HEAD}">{HEAD}</a>'
    assert link in opened.text
