"""Inputs that used to answer 500: each is now a 4xx with the usual error body, writing nothing.

Sent as a client (or an attacker) would send them, on SQLite and PostgreSQL alike.
"""

from __future__ import annotations

from typing import Any

import pytest
from httpx import Response
from sqlalchemy import func, select

from kinerja_flow.appraisals.models import Target
from kinerja_flow.feedback.models import SurveyResponse
from kinerja_flow.org.models import Employee, Unit
from tests.support.api import ADMIN_EMAIL, EMPLOYEE, HR, ORG_CSV, PASSWORD, Api, Outcome
from tests.support.flow import INDICATOR, world

HEADER = ORG_CSV.splitlines()[0]
BUDI_LINE = ORG_CSV.splitlines()[3]
SURVEY = [4, 3, 4, 4, 3, 4, 4, 4, 3]
BEYOND_64_BITS = "9223372036854775808"


def assert_error(
    response: Response | Outcome, status: int, field: str | None = None
) -> dict[str, Any]:
    """The usual error body: ``status_code``, ``detail`` and, for 422, the fields at fault."""
    assert response.status_code == status, response.text
    body: dict[str, Any] = response.json()
    assert body["status_code"] == status
    assert isinstance(body["detail"], str)
    assert body["detail"]
    if field is not None:
        assert field in [error["field"] for error in body["errors"]], body
    return body


async def count(api: Api, model: Any) -> int:
    async with api.ctx.sessions() as session:
        return int(await session.scalar(select(func.count()).select_from(model)) or 0)


async def test_a_body_nested_50000_deep_or_not_utf8_is_refused(api: Api) -> None:
    await api.setup_org()
    units = await count(api, Unit)
    json = {"Content-Type": "application/json", **api.auth("admin")}
    deep = b'{"code": "X", "name": ' + b"[" * 50_000 + b"]" * 50_000 + b"}"
    assert_error(await api.client.post("/api/v1/units", content=deep, headers=json), 422)
    deep_any = b"[" * 50_000 + b"]" * 50_000
    assert_error(await api.client.post("/api/v1/units", content=deep_any, headers=json), 422)
    latin1 = '{"code": "SEKRE", "name": "Sekretariat Daerah ©"}'.encode("latin-1")
    assert_error(await api.client.post("/api/v1/units", content=latin1, headers=json), 422)
    assert await count(api, Unit) == units


async def test_a_json_body_sent_as_another_type_is_415(api: Api) -> None:
    await api.create_admin()
    response = await api.client.post(
        "/api/v1/units",
        content=b'{"code": "SEKRE", "name": "Sekretariat"}',
        headers={"Content-Type": "text/plain", **api.auth("admin")},
    )
    assert_error(response, 415)
    assert await count(api, Unit) == 0


@pytest.mark.parametrize(
    "path",
    [
        f"/api/v1/appraisals/{BEYOND_64_BITS}",
        f"/api/v1/appraisals/{BEYOND_64_BITS}/audit",
        f"/api/v1/cycles/{BEYOND_64_BITS}",
        f"/api/v1/evidence/{BEYOND_64_BITS}/file",
        f"/api/v1/appraisals/{'9' * 5000}",
    ],
)
async def test_an_id_beyond_64_bits_is_not_found(api: Api, path: str) -> None:
    await api.create_admin()
    assert_error(await api.get(path, "admin"), 404)


async def test_an_id_beyond_64_bits_in_a_write_is_not_found(api: Api) -> None:
    appraisal = await world(api)
    response = await api.post(
        f"/api/v1/appraisals/{BEYOND_64_BITS}/targets", EMPLOYEE, {"title": "x", "indicators": []}
    )
    assert_error(response, 404)
    response = await api.post(
        f"/api/v1/peer-requests/{BEYOND_64_BITS}/answer", EMPLOYEE, {"answers": []}
    )
    assert_error(response, 404)
    assert appraisal["version"] == (await api.appraisal_of(EMPLOYEE, EMPLOYEE))["version"]


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ({"offset": "99999999999999999999"}, "offset"),
        ({"offset": BEYOND_64_BITS}, "offset"),
        ({"cycle_id": BEYOND_64_BITS}, "cycle_id"),
        ({"cycle_id": "-" + BEYOND_64_BITS + "1"}, "cycle_id"),
    ],
)
async def test_a_query_integer_beyond_64_bits_is_422(
    api: Api, query: dict[str, str], field: str
) -> None:
    await api.create_admin()
    assert_error(await api.get("/api/v1/appraisals", "admin", params=query), 422, field)


async def test_the_ikm_of_all_time_is_reported(api: Api) -> None:
    await api.setup_org()
    sent = await api.client.post("/public/units/DINAS/survey", json={"answers": SURVEY})
    assert sent.status_code == 201, sent.text
    report = await api.get(
        "/api/v1/units/DINAS/ikm", "admin", params={"from": "0001-01-01", "to": "9999-12-31"}
    )
    assert report.status_code == 200, report.text
    assert report.json()["responses"] == 1
    assert report.json()["to"] == "9999-12-31"


async def test_a_csv_cell_beyond_the_csv_readers_limit_is_a_line_error(api: Api) -> None:
    await api.setup_org()
    names_before = await employee_names(api)
    big = (
        f"{HEADER}\n{BUDI_LINE}\n199104042016022004,{'x' * 5_000_000},dewi@example.go.id,BID1,P,,\n"
    )
    response = await api.import_csv(big)
    body = assert_error(response, 422)
    assert [error["line"] for error in body["errors"]] == [3]
    assert await employee_names(api) == names_before


async def employee_names(api: Api) -> dict[str, str]:
    async with api.ctx.sessions() as session:
        rows = await session.execute(select(Employee.nip, Employee.name))
        return {nip: name for nip, name in rows.all()}


async def test_nul_is_refused_in_every_kind_of_text(api: Api) -> None:
    appraisal = await world(api)
    units, targets = await count(api, Unit), await count(api, Target)
    surveys, names = await count(api, SurveyResponse), await employee_names(api)

    unit = await api.post("/api/v1/units", "admin", {"code": "SEKRE", "name": "Sekre\x00tariat"})
    assert_error(unit, 422, "name")
    target = await api.post(
        f"/api/v1/appraisals/{appraisal['id']}/targets",
        EMPLOYEE,
        {"title": "Layanan\x00", "indicators": [{**INDICATOR, "description": "a\x00b"}]},
    )
    body = assert_error(target, 422, "title")
    assert "indicators[0].description" in [error["field"] for error in body["errors"]]
    csv_line = BUDI_LINE.replace("Budi Santoso", "Budi\x00Santoso")
    imported = await api.import_csv(f"{HEADER}\n{csv_line}\n")
    assert [error["line"] for error in assert_error(imported, 422)["errors"]] == [2]
    sign_in = await api.client.post(
        "/api/v1/auth/token", json={"username": "budi\x00@example.go.id", "password": PASSWORD}
    )
    assert_error(sign_in, 422, "username")
    survey = await api.client.post(
        "/public/units/DINAS/survey", json={"answers": SURVEY, "comment": "Ramah\x00"}
    )
    assert_error(survey, 422, "comment")
    for path in (
        "/api/v1/units/DI%00NAS/ikm",
        "/public/units/DI%00NAS/survey",
        "/public/peer-feedback/abc%00def",
    ):
        assert_error(await api.get(path, "admin"), 404)
    assert_error(await api.get("/api/v1/employees", HR, params={"q": "Bu\x00di"}), 422, "q")

    assert (await count(api, Unit), await count(api, Target)) == (units, targets)
    assert (await count(api, SurveyResponse), await employee_names(api)) == (surveys, names)


async def test_line_breaks_are_refused_in_single_line_text_and_kept_in_free_text(
    api: Api,
) -> None:
    await api.setup_org()
    unit = await api.post("/api/v1/units", "admin", {"code": "SEKRE", "name": "Sekre\ntariat"})
    assert_error(unit, 422, "name")
    tab = await api.post("/api/v1/units", "admin", {"code": "SEKRE", "name": "Sekre\ttariat"})
    assert_error(tab, 422, "name")
    comment = "Pelayanan cepat.\n\tPetugas ramah.\r\nTerima kasih."
    survey = await api.client.post(
        "/public/units/DINAS/survey", json={"answers": SURVEY, "comment": comment}
    )
    assert survey.status_code == 201, survey.text
    bell = await api.client.post(
        "/public/units/DINAS/survey", json={"answers": SURVEY, "comment": "Ramah\x07"}
    )
    assert_error(bell, 422, "comment")


async def test_an_import_giving_someone_the_email_of_another_account_is_a_line_error(
    api: Api,
) -> None:
    await api.setup_org()
    names_before = await employee_names(api)
    taken = BUDI_LINE.replace("budi@example.go.id", ADMIN_EMAIL)
    response = await api.import_csv(f"{HEADER}\n{taken}\n")
    body = assert_error(response, 422)
    assert [(error["line"], error["field"]) for error in body["errors"]] == [(2, EMPLOYEE)]
    assert await employee_names(api) == names_before
    assert (await api.login(ADMIN_EMAIL)).status_code == 200


async def test_two_employees_may_swap_their_emails_in_one_import(api: Api) -> None:
    await api.setup_org()
    dewi_line = ORG_CSV.splitlines()[4]
    swapped = (
        BUDI_LINE.replace("budi@", "dewi@") + "\n" + dewi_line.replace("dewi@", "budi@") + "\n"
    )
    response = await api.import_csv(f"{HEADER}\n{swapped}")
    assert response.status_code == 200, response.text
    page = (await api.get("/api/v1/employees", "admin", params={"q": "199"})).json()
    emails = {item["nip"]: item["email"] for item in page["items"]}
    assert emails[EMPLOYEE] == "dewi@example.go.id"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"code": 5, "name": "Sekretariat"}, "code"),
        ({"code": "SEKRE", "name": ["Sekretariat"]}, "name"),
    ],
)
async def test_json_types_are_strict(api: Api, body: dict[str, Any], field: str) -> None:
    await api.create_admin()
    assert_error(await api.post("/api/v1/units", "admin", body), 422, field)
    assert await count(api, Unit) == 0


async def test_a_number_sent_as_text_is_not_a_version(api: Api) -> None:
    appraisal = await world(api)
    response = await api.put(
        f"/api/v1/appraisals/{appraisal['id']}/approach",
        EMPLOYEE,
        {"version": str(appraisal["version"]), "approach": "kualitatif"},
    )
    assert_error(response, 422, "version")
    assert (await api.appraisal_of(EMPLOYEE, EMPLOYEE))["approach"] == "kuantitatif"


async def test_signing_in_with_the_longest_unknown_username_is_401(api: Api) -> None:
    await api.create_admin()
    for _attempt in range(2):
        response = await api.login("0" * 320, "wrong password")
        assert_error(response, 401)
