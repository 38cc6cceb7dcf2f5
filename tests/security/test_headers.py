"""Response headers a browser acts on: no sniffing, no caching of personal data, no framing."""

from __future__ import annotations

from httpx import Response

from tests.support.api import EMPLOYEE, EVALUATOR, Api
from tests.support.flow import advance, world


def assert_private(response: Response) -> None:
    assert response.headers["x-content-type-options"] == "nosniff", response.headers
    assert "no-store" in response.headers["cache-control"], response.headers


async def test_every_api_answer_is_nosniff_and_not_stored(api: Api) -> None:
    appraisal = await world(api)
    for response in (
        await api.get("/api/v1/auth/me", EMPLOYEE),
        await api.get(f"/api/v1/appraisals/{appraisal['id']}", EMPLOYEE),
        await api.get("/api/v1/employees", EVALUATOR),
        await api.get("/public/units/DINAS/survey", EMPLOYEE),
        await api.client.get("/api/v1/appraisals"),  # 401
        await api.get("/api/v1/appraisals/999999", EMPLOYEE),  # 404
        await api.post("/api/v1/units", EMPLOYEE, {"code": "X"}),  # 422
        await api.client.get("/health"),
    ):
        assert_private(response)


async def test_printed_documents_keep_their_policy_and_cannot_be_framed(api: Api) -> None:
    appraisal = await advance(api, await world(api), "in_progress")
    html = await api.get(f"/api/v1/appraisals/{appraisal['id']}/documents/skp", EMPLOYEE)
    assert html.status_code == 200, html.text
    assert_private(html)
    policy = html.headers["content-security-policy"]
    assert "default-src 'none'" in policy
    assert "frame-ancestors 'none'" in policy
    assert html.headers["referrer-policy"] == "no-referrer"
    pdf = await api.get(
        f"/api/v1/appraisals/{appraisal['id']}/documents/skp", EMPLOYEE, params={"format": "pdf"}
    )
    assert pdf.status_code == 200
    assert pdf.headers["content-type"] == "application/pdf"
    assert_private(pdf)


async def test_a_wrong_method_says_which_methods_are_allowed(api: Api) -> None:
    await api.create_admin()
    response = await api.client.delete("/api/v1/units", headers=api.auth("admin"))
    assert response.status_code == 405
    assert response.json()["status_code"] == 405
    allowed = {method.strip() for method in response.headers["allow"].split(",")}
    assert allowed == {"GET", "POST", "OPTIONS"}
