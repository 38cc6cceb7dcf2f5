"""The employee CSV import: all-or-nothing, every bad line reported, idempotent, HR only."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest
from sqlalchemy import func, select

from kinerja_flow.audit.models import AuditEvent
from tests.support.api import (
    ADMIN_EMAIL,
    AUDITOR,
    EMPLOYEE,
    EVALUATOR,
    HEAD,
    HR,
    ORG_CSV,
    PEER,
    Api,
    Outcome,
)

HEADER = "nip,name,email,unit_code,position,supervisor_nip,roles"
EN = {"Accept-Language": "en"}

# Valid numbers that are not in the standard agency.
NEW_PNS = "199507072020121005"  # born 1995-07-07, appointed 2020-12, male, serial 005
NEW_PPPK = "198808082022211007"  # born 1988-08-08, PPPK 2022, 1st contract, male, serial 007
NEW_PPPK_2 = "199209092023232011"  # born 1992-09-09, PPPK 2023, 3rd contract, female, serial 011
OTHER_A = "199610102021011006"
OTHER_B = "199711112022101008"
NOBODY = "196001011985031009"  # well-formed, but nobody has it


def csv_line(
    nip: str,
    name: str,
    email: str,
    unit: str = "BID1",
    position: str = "Pranata Komputer",
    supervisor: str = EVALUATOR,
    roles: str = "",
) -> str:
    return ",".join((nip, name, email, unit, position, supervisor, roles))


def csv_file(*lines: str) -> str:
    return "\n".join((HEADER, *lines)) + "\n"


GOOD_NEW = csv_line(NEW_PNS, "Yusuf Maulana", "yusuf@example.go.id")
# Dewi's line with a new position: a valid update that must not be applied when the file fails.
GOOD_CHANGE = csv_line(PEER, "Dewi Lestari", "dewi@example.go.id", position="Pranata Komputer Ahli")


@dataclass(frozen=True)
class Snapshot:
    employees: list[dict[str, Any]]
    outbox: int
    audit_events: int


async def employees(api: Api, who: str = "admin", **params: Any) -> dict[str, Any]:
    response = await api.get("/api/v1/employees", who, params={"limit": 1000, **params})
    assert response.status_code == 200, response.text
    page: dict[str, Any] = response.json()
    return page


async def nips(api: Api, who: str = "admin", **params: Any) -> set[str]:
    return {item["nip"] for item in (await employees(api, who, **params))["items"]}


async def by_nip(api: Api) -> dict[str, dict[str, Any]]:
    return {item["nip"]: item for item in (await employees(api))["items"]}


async def audit_count(api: Api) -> int:
    async with api.ctx.sessions() as session:
        count = await session.scalar(select(func.count()).select_from(AuditEvent))
    return count or 0


async def snapshot(api: Api) -> Snapshot:
    return Snapshot(
        employees=(await employees(api))["items"],
        outbox=len(await api.outbox()),
        audit_events=await audit_count(api),
    )


def lines_of(response: Outcome) -> dict[int, list[str]]:
    """The reported problems of a refused import, by line number."""
    assert response.status_code == 422, response.text
    found: dict[int, list[str]] = {}
    for error in response.json()["errors"]:
        found.setdefault(error["line"], []).append(error["message"])
    return found


async def import_en(api: Api, csv_text: str, who: str = "admin") -> Outcome:
    return await api.import_csv(csv_text, who, headers=EN)


async def test_import_creates_the_organisation_and_invites_everyone(api: Api) -> None:
    await api.create_admin()
    for code, parent in (("DINAS", None), ("BID1", "DINAS")):
        response = await api.post(
            "/api/v1/units", "admin", {"code": code, "name": code, "parent_code": parent}
        )
        assert response.status_code == 201, response.text

    imported = await api.import_csv(ORG_CSV)

    assert imported.status_code == 200, imported.text
    assert imported.json() == {
        "created": 6,
        "updated": 0,
        "unchanged": 0,
        "invited": 6,
        "deactivated": 0,
        "reactivated": 0,
        "open_appraisals": [],
        "reassigned": [],
    }
    people = await by_nip(api)
    assert set(people) == {HEAD, EVALUATOR, EMPLOYEE, PEER, HR, AUDITOR}
    budi = people[EMPLOYEE]
    assert (budi["name"], budi["email"], budi["unit_code"], budi["position"]) == (
        "Budi Santoso",
        "budi@example.go.id",
        "BID1",
        "Analis Kebijakan",
    )
    assert budi["supervisor_nip"] == EVALUATOR
    assert budi["kind"] == "pns"
    assert people[HEAD]["supervisor_nip"] is None
    assert people[HR]["roles"] == ["hr"]
    assert people[AUDITOR]["roles"] == ["auditor"]
    assert budi["roles"] == []
    invited = {row.to_address for row in await api.outbox(kind="invitation")}
    assert invited == {item["email"] for item in people.values()}
    assert ADMIN_EMAIL not in invited


async def test_pppk_numbers_are_accepted(api: Api) -> None:
    await api.setup_org()
    response = await api.import_csv(
        csv_file(
            csv_line(NEW_PPPK, "Fajar Nugroho", "fajar@example.go.id"),
            csv_line(NEW_PPPK_2, "Intan Permata", "intan@example.go.id", supervisor=NEW_PPPK),
        )
    )
    assert response.status_code == 200, response.text
    assert response.json() == {
        "created": 2,
        "updated": 0,
        "unchanged": 0,
        "invited": 2,
        "deactivated": 0,
        "reactivated": 0,
        "open_appraisals": [],
        "reassigned": [],
    }
    people = await by_nip(api)
    assert people[NEW_PPPK]["kind"] == "pppk"
    assert people[NEW_PPPK_2]["kind"] == "pppk"
    assert people[NEW_PPPK_2]["supervisor_nip"] == NEW_PPPK
    assert people[EMPLOYEE]["kind"] == "pns"
    assert len(await api.outbox(to="intan@example.go.id", kind="invitation")) == 1


@dataclass(frozen=True)
class BadCase:
    name: str
    lines: tuple[str, ...]  # inserted after GOOD_NEW (line 2), so they start on line 3
    expected: dict[int, str]  # line -> a phrase of the English reason


BAD_CASES = [
    BadCase(
        "nip_wrong_length",
        (csv_line("19950707202012100", "Andi", "andi@example.go.id"),),
        {3: "exactly 18 digits"},
    ),
    BadCase(
        "nip_letters",
        (csv_line("19950707202012100A", "Andi", "andi@example.go.id"),),
        {3: "exactly 18 digits"},
    ),
    BadCase(
        "nip_bad_birth_date",
        (csv_line("199502302020121005", "Andi", "andi@example.go.id"),),
        {3: "valid birth date"},
    ),
    BadCase(
        "nip_bad_appointment_month",
        (csv_line("199507072020131005", "Andi", "andi@example.go.id"),),
        {3: "appointment year and month"},
    ),
    BadCase(
        "nip_bad_gender_digit",
        (csv_line("199507072020123005", "Andi", "andi@example.go.id"),),
        {3: "1 (male) or 2 (female)"},
    ),
    BadCase(
        "nip_serial_000",
        (csv_line("199507072020121000", "Andi", "andi@example.go.id"),),
        {3: "cannot be 000"},
    ),
    BadCase(
        "pppk_contract_count_0",
        (csv_line("198808082022201007", "Andi", "andi@example.go.id"),),
        {3: "contract count"},
    ),
    BadCase(
        "unknown_unit",
        (csv_line(OTHER_A, "Andi", "andi@example.go.id", unit="GHOST"),),
        {3: "Unknown unit code 'GHOST'"},
    ),
    BadCase(
        "unknown_supervisor",
        (csv_line(OTHER_A, "Andi", "andi@example.go.id", supervisor=NOBODY),),
        {3: f"Unknown supervisor NIP '{NOBODY}'"},
    ),
    BadCase(
        "duplicate_nip_in_file",
        (csv_line(NEW_PNS, "Yusuf Lain", "yusuf.lain@example.go.id"),),
        {3: "Duplicate NIP; first seen on line 2"},
    ),
    BadCase(
        "duplicate_email_in_file",
        (csv_line(OTHER_A, "Andi", "Yusuf@Example.go.id"),),
        {3: "Duplicate email; first seen on line 2"},
    ),
    BadCase(
        "email_of_existing_employee",
        (csv_line(OTHER_A, "Andi", "BUDI@example.go.id"),),
        {3: f"already belongs to employee {EMPLOYEE}"},
    ),
    BadCase(
        "supervisor_cycle_in_file",
        (
            csv_line(OTHER_A, "Andi", "andi@example.go.id", supervisor=OTHER_B),
            csv_line(OTHER_B, "Bayu", "bayu@example.go.id", supervisor=OTHER_A),
        ),
        {3: "cycle", 4: "cycle"},
    ),
    BadCase(
        "supervisor_cycle_through_database",
        # the head would report to Budi, who reports (in the database) to Siti, who reports
        # to the head
        (
            csv_line(
                HEAD, "Hendra Wijaya", "hendra@example.go.id", "DINAS", "Kepala Dinas", EMPLOYEE
            ),
        ),
        {3: "cycle"},
    ),
    BadCase(
        "supervises_themselves",
        (csv_line(OTHER_A, "Andi", "andi@example.go.id", supervisor=OTHER_A),),
        {3: "cannot supervise themselves"},
    ),
    BadCase(
        "unknown_role",
        (csv_line(OTHER_A, "Andi", "andi@example.go.id", roles="hr;superuser"),),
        {3: "Unknown role 'superuser'"},
    ),
]


@pytest.mark.parametrize("case", BAD_CASES, ids=lambda case: case.name)
async def test_one_bad_line_refuses_the_whole_file(api: Api, case: BadCase) -> None:
    await api.setup_org()
    before = await snapshot(api)

    response = await import_en(api, csv_file(GOOD_NEW, *case.lines, GOOD_CHANGE))

    found = lines_of(response)
    assert set(found) == set(case.expected), found
    for line, phrase in case.expected.items():
        assert any(phrase in message for message in found[line]), (line, found[line])
    assert f"{len(case.expected)} line(s)" in response.json()["detail"]
    assert await snapshot(api) == before
    assert NEW_PNS not in await nips(api)
    assert (await by_nip(api))[PEER]["position"] == "Pranata Komputer"
    assert await api.outbox(to="yusuf@example.go.id") == []


async def test_every_bad_line_is_listed_with_its_number(api: Api) -> None:
    await api.setup_org()
    before = await snapshot(api)
    bad_file = csv_file(
        GOOD_NEW,  # 2
        csv_line("19950707202012100", "Andi", "andi@example.go.id"),  # 3
        csv_line(NEW_PPPK, "Fajar Nugroho", "fajar@example.go.id"),  # 4 (good)
        csv_line("199507072020121000", "Citra", "citra@example.go.id"),  # 5
        csv_line(OTHER_A, "Dodi", "dodi@example.go.id", unit="GHOST"),  # 6
        csv_line(NEW_PNS, "Yusuf Lain", "yusuf.lain@example.go.id"),  # 7
        csv_line(OTHER_B, "Eka", "siti@example.go.id", roles="admin"),  # 8 (two problems)
        GOOD_CHANGE,  # 9 (good)
        csv_line("199812122023011009", "Gita", "gita@example.go.id", supervisor=NOBODY),  # 10
    )

    response = await import_en(api, bad_file)

    found = lines_of(response)
    assert sorted(found) == [3, 5, 6, 7, 8, 10]
    assert any("already belongs to employee" in message for message in found[8])
    assert any("Unknown role 'admin'" in message for message in found[8])
    assert "6 line(s)" in response.json()["detail"]
    assert all(error["field"] for error in response.json()["errors"])
    assert await snapshot(api) == before


async def test_wrong_header_is_reported_on_line_1(api: Api) -> None:
    await api.setup_org()
    before = await snapshot(api)
    response = await import_en(api, "nip,name,email\n" + NEW_PNS + ",Yusuf,yusuf@example.go.id\n")
    found = lines_of(response)
    assert list(found) == [1]
    assert HEADER in found[1][0]
    assert await snapshot(api) == before


async def test_reimporting_the_same_file_changes_nothing(api: Api) -> None:
    await api.setup_org()
    await api.sign_in_staff(EMPLOYEE)  # one invitation already redeemed, five still open
    before = await snapshot(api)

    response = await api.import_csv(ORG_CSV)

    assert response.status_code == 200, response.text
    assert response.json() == {
        "created": 0,
        "updated": 0,
        "unchanged": 6,
        "invited": 0,
        "deactivated": 0,
        "reactivated": 0,
        "open_appraisals": [],
        "reassigned": [],
    }
    assert await snapshot(api) == before


async def test_a_file_longer_than_a_batch_is_checked_and_imported_whole(api: Api) -> None:
    """1,200 lines: read, checked and written in several batches; a supervisor listed after
    the people reporting to them, a duplicate email far apart, a second run finds it all."""
    await api.setup_org()
    nips = [
        f"1990{month:02d}{day:02d}201503{sex}{serial:03d}"
        for month in range(1, 13)
        for day in range(1, 29)
        for sex in (1, 2)
        for serial in (1, 2)
    ][:1200]
    boss = nips[-1]  # named by the first lines, listed last
    lines = [
        f"{nip},Pegawai {n},pegawai{n}@example.go.id,BID1,Staf,"
        f"{boss if n < 1199 else '198002022005012002'},"
        for n, nip in enumerate(nips)
    ]
    header = ORG_CSV.splitlines()[0]
    duplicate = [*lines[:-1], lines[-1].replace("pegawai1199@", "pegawai3@")]
    refused = await api.import_csv("\n".join([header, *duplicate, ""]))
    assert refused.status_code == 422, refused.text
    assert [e["line"] for e in refused.json()["errors"]] == [1201]  # its email is line 5's

    whole = "\n".join([header, *lines, ""])
    imported = await api.import_csv(whole)
    assert imported.status_code == 200, imported.text
    assert (imported.json()["created"], imported.json()["invited"]) == (1200, 1200)
    again = await api.import_csv(whole)
    assert (again.json()["unchanged"], again.json()["created"]) == (1200, 0)
    found = await api.get("/api/v1/employees", "admin", params={"q": nips[0]})
    assert found.json()["items"][0]["supervisor_nip"] == boss


async def test_changed_lines_update_those_employees(api: Api) -> None:
    await api.setup_org()
    await api.sign_in_staff(EMPLOYEE, EVALUATOR, HEAD)
    assert await nips(api, EMPLOYEE) == {EMPLOYEE}
    assert await nips(api, EVALUATOR) == {EVALUATOR, EMPLOYEE, PEER}
    invitations = len(await api.outbox(kind="invitation"))
    budi_line = f"{EMPLOYEE},Budi Santoso,budi@example.go.id,BID1,Analis Kebijakan,{EVALUATOR},\n"
    dewi_line = f"{PEER},Dewi Lestari,dewi@example.go.id,BID1,Pranata Komputer,{EVALUATOR},\n"
    assert budi_line in ORG_CSV
    assert dewi_line in ORG_CSV
    changed = ORG_CSV.replace(
        budi_line,
        csv_line(
            EMPLOYEE,
            "Budi Santoso",
            "budi@example.go.id",
            position="Ahli Kebijakan",
            roles="auditor",
        )
        + "\n",
    ).replace(
        dewi_line,
        csv_line(PEER, "Dewi Lestari", "dewi.lestari@example.go.id", "DINAS", supervisor=HEAD)
        + "\n",
    ) + (GOOD_NEW + "\n")
    assert changed.count("\n") == ORG_CSV.count("\n") + 1, changed

    response = await api.import_csv(changed)

    assert response.status_code == 200, response.text
    assert response.json() == {
        "created": 1,
        "updated": 2,
        "unchanged": 4,
        "invited": 1,
        "deactivated": 0,
        "reactivated": 0,
        "open_appraisals": [],
        "reassigned": [],
    }
    people = await by_nip(api)
    assert people[EMPLOYEE]["position"] == "Ahli Kebijakan"
    assert people[EMPLOYEE]["roles"] == ["auditor"]
    assert people[PEER]["supervisor_nip"] == HEAD
    assert people[PEER]["unit_code"] == "DINAS"
    assert people[PEER]["email"] == "dewi.lestari@example.go.id"
    assert people[NEW_PNS]["supervisor_nip"] == EVALUATOR
    # What the people concerned notice: Budi the auditor now sees everyone, Siti lost Dewi,
    # Hendra gained her; only the newcomer got an invitation.
    assert len(await nips(api, EMPLOYEE)) == 7
    assert await nips(api, EVALUATOR) == {EVALUATOR, EMPLOYEE, NEW_PNS}
    assert PEER in await nips(api, HEAD)
    me = await api.get("/api/v1/auth/me", EMPLOYEE)
    assert me.json()["roles"] == ["auditor"]
    new_invitations = await api.outbox(kind="invitation")
    assert [row.to_address for row in new_invitations[invitations:]] == ["yusuf@example.go.id"]


async def test_admin_listed_in_the_file_keeps_hr_role_across_reimports(api: Api) -> None:
    await api.setup_org()
    admin_line = csv_line(
        "198909092014021007", "Nur Admin", ADMIN_EMAIL, "DINAS", "Analis SDM", HEAD
    )
    first = await api.import_csv(csv_file(admin_line))
    assert first.status_code == 200, first.text
    assert first.json()["invited"] == 0  # the admin already has a password
    assert (await api.get("/api/v1/auth/me", "admin")).json()["roles"] == ["hr"]

    again = await api.import_csv(csv_file(admin_line))

    assert again.status_code == 200, again.text
    assert (await api.get("/api/v1/auth/me", "admin")).json()["roles"] == ["hr"]
    assert (await api.import_csv(csv_file(GOOD_NEW))).status_code == 200
    assert again.json() == {
        "created": 0,
        "updated": 0,
        "unchanged": 1,
        "invited": 0,
        "deactivated": 0,
        "reactivated": 0,
        "open_appraisals": [],
        "reassigned": [],
    }


async def test_only_hr_may_import(api: Api) -> None:
    await api.setup_org()
    await api.sign_in_staff(EMPLOYEE, AUDITOR, HR)
    before = await snapshot(api)
    for who in (EMPLOYEE, AUDITOR):
        refused = await api.import_csv(csv_file(GOOD_NEW, GOOD_CHANGE), who)
        assert refused.status_code == 403, refused.text
    assert await snapshot(api) == before

    accepted = await api.import_csv(csv_file(GOOD_NEW, GOOD_CHANGE), HR)
    assert accepted.status_code == 200, accepted.text
    assert accepted.json() == {
        "created": 1,
        "updated": 1,
        "unchanged": 0,
        "invited": 1,
        "deactivated": 0,
        "reactivated": 0,
        "open_appraisals": [],
        "reassigned": [],
    }


async def test_import_needs_a_csv_content_type(api: Api) -> None:
    await api.setup_org()
    before = await snapshot(api)
    body = csv_file(GOOD_NEW).encode()
    for content_type in ("application/json", "text/plain", "application/x-www-form-urlencoded"):
        response = await api.client.post(
            "/api/v1/employees/import",
            content=body,
            headers={**api.auth("admin"), "Content-Type": content_type},
        )
        assert response.status_code == 415, (content_type, response.text)
    assert await snapshot(api) == before

    with_charset = await api.import_file(body, "text/csv; charset=utf-8")
    assert with_charset.status_code == 200, with_charset.text
    assert NEW_PNS in await nips(api)


async def test_employee_list_paginates_and_filters(api: Api) -> None:
    await api.setup_org()
    everyone = sorted([HEAD, EVALUATOR, EMPLOYEE, PEER, HR, AUDITOR])

    first = await employees(api, limit=4, offset=0)
    rest = await employees(api, limit=4, offset=4)
    assert (first["total"], first["limit"], first["offset"]) == (6, 4, 0)
    assert rest["total"] == 6
    assert [item["nip"] for item in first["items"] + rest["items"]] == everyone
    assert (await employees(api, limit=4, offset=8))["items"] == []

    in_bid1 = await employees(api, unit_code="BID1")
    assert in_bid1["total"] == 3
    assert {item["nip"] for item in in_bid1["items"]} == {EVALUATOR, EMPLOYEE, PEER}
    assert await nips(api, unit_code="DINAS") == {HEAD, HR, AUDITOR}
    assert (await employees(api, unit_code="GHOST"))["total"] == 0
    assert await nips(api, q="santoso") == {EMPLOYEE}
    assert await nips(api, q="SITI") == {EVALUATOR}
    assert await nips(api, q="198505") == {HR}
    assert await nips(api, q="a", unit_code="DINAS") == {HEAD, HR, AUDITOR}
    assert await nips(api, q="budi", unit_code="DINAS") == set()

    for bad in ({"limit": 0}, {"limit": 1001}, {"offset": -1}):
        response = await api.get("/api/v1/employees", "admin", params=bad)
        assert response.status_code == 422, (bad, response.text)


async def test_others_see_only_themselves_and_their_direct_reports(api: Api) -> None:
    await api.setup_org()
    await api.sign_in_staff(EMPLOYEE, EVALUATOR, HEAD, HR, AUDITOR)
    everyone = {HEAD, EVALUATOR, EMPLOYEE, PEER, HR, AUDITOR}

    assert await nips(api, EMPLOYEE) == {EMPLOYEE}
    assert await nips(api, EVALUATOR) == {EVALUATOR, EMPLOYEE, PEER}
    assert await nips(api, HEAD) == {HEAD, EVALUATOR, HR, AUDITOR}
    assert await nips(api, HR) == everyone
    assert await nips(api, AUDITOR) == everyone
    assert (await employees(api, EVALUATOR))["total"] == 3
    assert await nips(api, EVALUATOR, q="dewi") == {PEER}
    assert await nips(api, EMPLOYEE, q="dewi") == set()
    assert await nips(api, EMPLOYEE, unit_code="BID1") == {EMPLOYEE}


async def test_problems_are_in_indonesian_by_default_and_english_on_request(api: Api) -> None:
    await api.setup_org()
    bad_file = csv_file(csv_line(OTHER_A, "Andi", "andi@example.go.id", unit="GHOST"))

    english = await import_en(api, bad_file)
    default = await api.import_csv(bad_file)
    indonesian = await api.import_csv(bad_file, headers={"Accept-Language": "id-ID"})

    assert english.status_code == default.status_code == indonesian.status_code == 422
    en_error = english.json()["errors"][0]
    id_error = default.json()["errors"][0]
    assert en_error["message"] == "Unknown unit code 'GHOST'."
    assert english.json()["detail"].startswith("The file was not imported")
    assert (
        (id_error["line"], id_error["field"])
        == (en_error["line"], en_error["field"])
        == (
            2,
            OTHER_A,
        )
    )
    assert "GHOST" in id_error["message"]
    assert id_error["message"] != en_error["message"]
    assert default.json()["detail"] != english.json()["detail"]
    same = {key: value for key, value in indonesian.json().items() if key != "request_id"}
    assert same == {key: value for key, value in default.json().items() if key != "request_id"}
