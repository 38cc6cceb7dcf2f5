"""Leavers marked by the employee import: no more sign-in, nothing deleted, open work listed."""

from __future__ import annotations

from typing import Any

from tests.support.api import EMPLOYEE, EVALUATOR, HEAD, HR, ORG_CSV, PASSWORD, PEER, Api
from tests.support.flow import world

HEADER = "nip,name,email,unit_code,position,supervisor_nip,roles,active"
LINES = {line.split(",")[0]: line for line in ORG_CSV.strip().splitlines()[1:]}
NEW_PNS = "199507072020121005"
EN = {"Accept-Language": "en"}


def with_status(status: dict[str, str]) -> str:
    """The standard agency with an ``active`` column; ``status`` maps a NIP to its value."""
    body = [f"{line},{status.get(nip, 'yes')}" for nip, line in LINES.items()]
    return "\n".join((HEADER, *body)) + "\n"


async def people(api: Api) -> dict[str, dict[str, Any]]:
    page = (await api.get("/api/v1/employees", "admin", params={"limit": 1000})).json()
    return {item["nip"]: item for item in page["items"]}


async def test_a_leaver_is_deactivated_and_their_open_work_listed(api: Api) -> None:
    await world(api)
    old_token = api.tokens[EVALUATOR]

    response = await api.import_csv(with_status({EVALUATOR: "no"}))

    assert response.status_code == 200, response.text
    result = response.json()
    assert (result["deactivated"], result["reactivated"], result["updated"]) == (1, 0, 1)
    assert sorted((row["employee_nip"], row["part"]) for row in result["open_appraisals"]) == [
        (EVALUATOR, "employee"),
        (EMPLOYEE, "evaluator"),
        (PEER, "evaluator"),
    ]
    assert {row["nip"] for row in result["open_appraisals"]} == {EVALUATOR}
    me = await api.client.get("/api/v1/auth/me", headers={"Authorization": f"Bearer {old_token}"})
    assert me.status_code == 401
    assert (await api.login(EVALUATOR)).status_code == 401
    staff = await people(api)
    assert staff[EVALUATOR]["active"] is False  # kept, marked inactive
    assert len(staff) == 6
    assert (await api.appraisal_of(EMPLOYEE, HR))["evaluator"]["nip"] == EVALUATOR
    assert len(await api.outbox(to="siti@example.go.id", kind="account_deactivated")) == 1
    trail = (await api.get("/api/v1/accounts", "admin", params={"active": "false"})).json()
    assert [item["nip"] for item in trail["items"]] == [EVALUATOR]


async def test_the_same_file_again_changes_nothing(api: Api) -> None:
    await world(api)
    leaver = with_status({EVALUATOR: "tidak"})
    assert (await api.import_csv(leaver)).json()["deactivated"] == 1
    mails = len(await api.outbox())

    again = (await api.import_csv(leaver)).json()

    assert (again["deactivated"], again["updated"], again["unchanged"]) == (0, 0, 6)
    assert again["open_appraisals"] == []
    assert len(await api.outbox()) == mails
    # A file without the column changes nobody's status.
    plain = (await api.import_csv(ORG_CSV)).json()
    assert (plain["reactivated"], plain["unchanged"]) == (0, 6)
    assert (await people(api))[EVALUATOR]["active"] is False


async def test_a_returner_is_reactivated_by_the_file(api: Api) -> None:
    await world(api)
    await api.import_csv(with_status({PEER: "no"}))

    back = await api.import_csv(with_status({PEER: ""}))  # empty means active

    assert back.status_code == 200, back.text
    assert (back.json()["reactivated"], back.json()["deactivated"]) == (1, 0)
    assert (await people(api))[PEER]["active"] is True
    assert (await api.login(PEER, PASSWORD)).status_code == 200
    assert len(await api.outbox(to="dewi@example.go.id", kind="account_reactivated")) == 1


async def test_a_new_employee_marked_inactive_is_not_invited(api: Api) -> None:
    await api.setup_org()
    line = f"{NEW_PNS},Yusuf Maulana,yusuf@example.go.id,BID1,Pranata Komputer,{EVALUATOR},,no"

    response = await api.import_csv(f"{HEADER}\n{line}\n")

    assert response.status_code == 200, response.text
    assert (response.json()["created"], response.json()["invited"]) == (1, 0)
    assert (await people(api))[NEW_PNS]["active"] is False
    assert await api.outbox(to="yusuf@example.go.id") == []


async def test_a_bad_status_refuses_the_file(api: Api) -> None:
    await api.setup_org()
    before = await people(api)
    bad = with_status({HEAD: "maybe"})

    response = await api.import_csv(bad, headers=EN)

    assert response.status_code == 422, response.text
    [error] = response.json()["errors"]
    assert (error["line"], error["field"]) == (2, HEAD)
    assert "yes or no" in error["message"]
    assert await people(api) == before
    header = await api.import_csv("nip,name,active\n", headers=EN)
    assert "active" in header.json()["errors"][0]["message"]


async def test_hr_cannot_mark_themself_inactive(api: Api) -> None:
    await world(api)
    before = await people(api)

    response = await api.import_csv(with_status({HR: "no"}), who=HR)

    assert response.status_code == 422, response.text
    [error] = response.json()["errors"]
    assert (error["line"], error["field"]) == (6, HR)
    assert await people(api) == before
    assert (await api.import_csv(with_status({HR: "no"}))).status_code == 200  # another may


async def test_a_new_cycle_does_not_make_a_leaver_evaluate(api: Api) -> None:
    await world(api)
    assert (await api.import_csv(with_status({EVALUATOR: "no"}))).status_code == 200
    opened = await api.open_cycle(name="SKP Semester II")
    # The leaver's reports wait for HR to name an evaluator; nobody is reviewed by the leaver.
    assert sorted(opened["without_evaluator"]) == sorted([HEAD, EMPLOYEE, PEER])  # head: none
    page = await api.get(
        "/api/v1/appraisals", "admin", params={"cycle_id": opened["cycle"]["id"], "limit": 100}
    )
    mine = [a for a in page.json()["items"] if a["employee"]["nip"] == EMPLOYEE]
    detail = (await api.get(f"/api/v1/appraisals/{mine[0]['id']}", "admin")).json()
    assert detail["evaluator"] is None
    assert detail["reviewer"] is None
    leaver_rows = [a for a in page.json()["items"] if a["employee"]["nip"] == EVALUATOR]
    assert leaver_rows == []  # an inactive employee gets no appraisal either
