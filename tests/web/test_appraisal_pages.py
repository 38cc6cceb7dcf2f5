"""A whole appraisal through the pages (forms posted as a browser without JavaScript does)."""

from __future__ import annotations

import re

from tests.support.api import EMPLOYEE, EVALUATOR, HEAD, HR, PASSWORD, PEER, Api
from tests.support.flow import advance, world
from tests.support.web import Browser, csrf_of, open_browser

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def version_of(html: str) -> str:
    found = re.search(r'name="version" value="(\d+)"', html)
    assert found, "no version on the page"
    return found.group(1)


async def post_on(web: Browser, page: str, action: str, fields: dict[str, str]) -> str:
    """Post a form of ``page`` (with its CSRF token and the version shown); return the page
    the browser lands on."""
    opened = await web.get(page)
    assert opened.status_code == 200, opened.text
    data = {"_csrf_token": csrf_of(opened.text), "version": version_of(opened.text), **fields}
    answer = await web.post(action, data)
    assert answer.status_code == 303, answer.text
    landed = await web.get(answer.headers["location"])
    assert landed.status_code == 200
    return landed.text


async def test_a_whole_appraisal_through_the_pages(api: Api) -> None:
    appraisal = await world(api)
    page = f"/appraisals/{appraisal['id']}"
    async with (
        open_browser(api) as employee,
        open_browser(api) as evaluator,
        open_browser(api) as hr,
        open_browser(api) as head,
    ):
        for browser, who in ((employee, EMPLOYEE), (evaluator, EVALUATOR), (hr, HR), (head, HEAD)):
            await browser.sign_in(who, PASSWORD)
        tasks = await employee.get("/tasks")
        assert "Ajukan target" in tasks.text
        html = await post_on(
            employee,
            page,
            f"{page}/targets",
            {
                "title": "Layanan perizinan daring",
                "indicator_description": "Jumlah layanan terintegrasi",
                "indicator_aspect": "quantity",
                "indicator_target_value": "12",
                "indicator_target_unit": "layanan",
            },
        )
        assert "Layanan perizinan daring" in html
        html = await post_on(employee, page, f"{page}/actions/submit_targets", {})
        assert "Target diajukan" in html or "targets_submitted" in html
        assert "Setujui target" in (await evaluator.get("/tasks")).text
        await post_on(evaluator, page, f"{page}/actions/approve_targets", {})
        await post_on(hr, page, f"{page}/actions/start_self_assessment", {})
        current = (await api.get(f"/api/v1/appraisals/{appraisal['id']}", EMPLOYEE)).json()
        rhk = current["targets"][0]
        indicator = f"{page}/targets/{rhk['id']}/indicators/{rhk['indicators'][0]['id']}"
        await post_on(employee, page, f"{indicator}/realisation", {"realisation_value": "14"})
        opened = await employee.get(page)
        upload = await employee.post(
            f"{indicator}/evidence",
            {"_csrf_token": csrf_of(opened.text), "version": version_of(opened.text)},
            files={"file": ("laporan.pdf", PDF, "application/pdf")},
        )
        assert upload.status_code == 303, upload.text
        html = (await employee.get(page)).text
        assert "laporan.pdf" in html
        evidence_link = re.search(r'href="(/evidence/\d+)"', html)
        assert evidence_link
        downloaded = await evaluator.get(evidence_link.group(1))
        assert downloaded.content == PDF
        await post_on(employee, page, f"{page}/actions/submit_self_assessment", {})
        rating = {
            f"target_feedback-{rhk['id']}": "Target tercapai.",
            **{f"behaviour_feedback-{b['value']}": "Sesuai harapan." for b in current["behaviour"]},
            "results_rating": "di_atas_ekspektasi",
            "behaviour_rating": "sesuai_ekspektasi",
            "comment": "Kerja bagus.",
        }
        html = await post_on(evaluator, page, f"{page}/evaluation", {**rating, "submit": "draft"})
        assert "Target tercapai." in html
        missing = await employee.get(page)
        assert "Target tercapai." not in missing.text  # concealed until release
        await post_on(evaluator, page, f"{page}/evaluation", {**rating, "submit": "review"})
        html = (await employee.get(page)).text
        assert "Baik" in html
        assert "sisa 14 hari" in html
        await post_on(
            employee, page, f"{page}/actions/file_appeal", {"reason": "Bukti belum dinilai."}
        )
        html = (await head.get(page)).text
        assert "Bukti belum dinilai." in html
        assert "Putuskan keberatan" in html
        await post_on(
            head,
            page,
            f"{page}/actions/decide_appeal",
            {"decision": "upheld", "reason": "Penilaian sesuai bukti."},
        )
        final = (await api.get(f"/api/v1/appraisals/{appraisal['id']}", EMPLOYEE)).json()
        assert final["state"] == "follow_up"
        assert final["appeal"]["decision"] == "upheld"
        skp = await employee.get(f"{page}/documents/skp")
        assert skp.status_code == 200
        assert "Sasaran Kinerja Pegawai" in skp.text or "SASARAN KINERJA" in skp.text.upper()


async def test_a_refused_form_shows_why_and_strangers_get_404(api: Api, web: Browser) -> None:
    appraisal = await world(api)
    page = f"/appraisals/{appraisal['id']}"
    await web.sign_in(EMPLOYEE, PASSWORD)
    opened = await web.get(page)
    refused = await web.post(
        f"{page}/actions/submit_targets",
        {"_csrf_token": csrf_of(opened.text), "version": version_of(opened.text)},
    )
    assert refused.status_code == 422  # no RHK yet: the guard's reason is on the page
    assert 'role="alert"' in refused.text
    stale = await web.post(
        f"{page}/actions/submit_targets", {"_csrf_token": csrf_of(opened.text), "version": "99"}
    )
    assert stale.status_code == 409
    async with open_browser(api) as other:
        await other.sign_in(PEER, PASSWORD)  # a colleague who is not on this appraisal
        hidden = await other.get(page)
        assert hidden.status_code == 404
        assert "text/html" in hidden.headers["content-type"]
        for path in (f"{page}x", "/appraisals/99999999999999999999", "/evidence/abc"):
            assert (await other.get(path)).status_code == 404


async def test_an_employee_finds_their_own_appraisal_when_nothing_waits_for_them(
    api: Api,
) -> None:
    appraisal = await advance(api, await world(api), "under_review")  # the evaluator's turn
    async with open_browser(api) as employee:
        await employee.sign_in(EMPLOYEE, PASSWORD)
        tasks = (await employee.get("/tasks")).text
    mine = tasks[tasks.index("Penilaian saya") :]
    assert f'href="/appraisals/{appraisal["id"]}"' in mine
    assert "SKP Tahunan 2026" in mine
    assert 'href="/development"' in mine
