"""Follow-up items in the pages: the emailed link opens the item, its actions are forms, the
development plan lists it."""

from __future__ import annotations

import re

from tests.support.api import AUDITOR, EMPLOYEE, EVALUATOR, HEAD, HR, PASSWORD, PEER, Api
from tests.support.followups import PDF, acted, proposed, upload_certificate
from tests.support.web import csrf_of, open_browser


async def test_a_follow_up_item_is_approved_and_started_in_the_pages(api: Api) -> None:
    await api.setup_org()
    await api.sign_in_staff(EMPLOYEE, EVALUATOR, HEAD, HR, PEER, AUDITOR)
    item = await proposed(api, EMPLOYEE, EMPLOYEE)
    path = f"/followups/{item['id']}"
    async with open_browser(api) as evaluator, open_browser(api) as employee:
        await evaluator.sign_in(EVALUATOR, PASSWORD)
        await employee.sign_in(EMPLOYEE, PASSWORD)
        page = await evaluator.get(path)
        assert page.status_code == 200
        assert item["title"] in page.text
        version = re.search(r'name="version" value="(\d+)"', page.text)
        assert version
        approved = await evaluator.post(
            f"{path}/actions/approve",
            {"_csrf_token": csrf_of(page.text), "version": version.group(1)},
        )
        assert approved.status_code == 303, approved.text
        page = await employee.get(path)
        assert "Disetujui" in page.text or "approved" in page.text
        refused = await employee.post(
            f"{path}/actions/approve", {"_csrf_token": csrf_of(page.text), "version": "1"}
        )
        assert refused.status_code in (403, 409)
        plan = await employee.get("/development")
        assert plan.status_code == 200
        assert item["title"] in plan.text
        assert (await employee.get("/followups")).status_code == 200
        current = (await api.get(f"/api/v1/followups/{item['id']}", EMPLOYEE)).json()
        started = await acted(api, current, "start", EMPLOYEE)
        uploaded = await upload_certificate(api, started, EMPLOYEE)
        assert uploaded.status_code == 201, uploaded.text
        assert f'href="{path}/certificate"' in (await employee.get(path)).text
        assert (await evaluator.get(f"{path}/certificate")).content == PDF
    async with open_browser(api) as stranger:
        await stranger.sign_in(PEER, PASSWORD)
        assert (await stranger.get(path)).status_code == 404
