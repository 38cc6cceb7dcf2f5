"""Account lifecycle for HR: deactivate, reactivate, invite again; who may, and what it does."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from sqlalchemy import func, select

from kinerja_flow.audit.models import AuditEvent
from tests.support.api import (
    ADMIN_EMAIL,
    AUDITOR,
    EMPLOYEE,
    EVALUATOR,
    HEAD,
    HR,
    PASSWORD,
    PEER,
    Api,
)
from tests.support.cli import CliResult, run_cli
from tests.support.concurrency import overlapping_client
from tests.support.flow import world

BUDI, SITI, DEWI = "budi@example.go.id", "siti@example.go.id", "dewi@example.go.id"
EN = {"Accept-Language": "en"}


async def account_id(api: Api, username: str) -> int:
    page = (await api.get("/api/v1/accounts", "admin", params={"q": username})).json()
    (found,) = page["items"]
    result: int = found["id"]
    return result


async def deactivate(api: Api, target: int, who: str = "admin", reason: str = "Pensiun") -> Any:
    return await api.post(f"/api/v1/accounts/{target}/deactivate", who, {"reason": reason})


async def reactivate(api: Api, target: int, who: str = "admin", reason: str = "Kembali") -> Any:
    return await api.post(f"/api/v1/accounts/{target}/reactivate", who, {"reason": reason})


async def audit_events(api: Api, action: str) -> list[AuditEvent]:
    async with api.ctx.sessions() as session:
        rows = await session.scalars(
            select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.seq)
        )
        return list(rows.all())


async def audit_count(api: Api) -> int:
    async with api.ctx.sessions() as session:
        return await session.scalar(select(func.count()).select_from(AuditEvent)) or 0


async def test_hr_finds_accounts_by_nip_email_or_name_active_or_not(api: Api) -> None:
    await api.setup_org()

    everyone = (await api.get("/api/v1/accounts", "admin")).json()
    assert everyone["total"] == 7  # six employees and the admin without an employee record
    names = [item["name"] for item in everyone["items"]]
    assert names[:2] == ["Agus Pratama", "Budi Santoso"]  # by name; the admin by email
    by_nip = (await api.get("/api/v1/accounts", "admin", params={"q": EMPLOYEE[:12]})).json()
    assert [item["email"] for item in by_nip["items"]] == [BUDI]
    by_name = (await api.get("/api/v1/accounts", "admin", params={"q": "rahmaWATI"})).json()
    assert [item["nip"] for item in by_name["items"]] == [EVALUATOR]
    by_email = (await api.get("/api/v1/accounts", "admin", params={"q": "bkpsdm"})).json()
    [admin] = by_email["items"]
    assert (admin["email"], admin["nip"], admin["roles"], admin["activated"]) == (
        ADMIN_EMAIL,
        None,
        ["hr"],
        True,
    )
    assert (await api.get("/api/v1/accounts", "admin", params={"q": "%"})).json()["total"] == 0

    await deactivate(api, await account_id(api, BUDI))
    inactive = (await api.get("/api/v1/accounts", "admin", params={"active": "false"})).json()
    assert [(item["email"], item["active"]) for item in inactive["items"]] == [(BUDI, False)]
    active = (await api.get("/api/v1/accounts", "admin", params={"active": "true"})).json()
    assert active["total"] == 6
    pages = [
        (await api.get("/api/v1/accounts", "admin", params={"limit": 3, "offset": o})).json()
        for o in (0, 3, 6)
    ]
    assert [len(page["items"]) for page in pages] == [3, 3, 1]
    assert len({item["id"] for page in pages for item in page["items"]}) == 7


async def test_a_deactivated_person_cannot_sign_in_and_every_token_dies(api: Api) -> None:
    await world(api)
    budi = await account_id(api, BUDI)

    response = await deactivate(api, budi, reason="Mutasi ke instansi lain")

    assert response.status_code == 200, response.text
    assert (response.json()["active"], response.json()["email"]) == (False, BUDI)
    assert (await api.get("/api/v1/auth/me", EMPLOYEE)).status_code == 401
    assert (await api.login(EMPLOYEE)).status_code == 401
    assert (await api.login(BUDI)).status_code == 401
    [event] = await audit_events(api, "account.deactivated")
    assert (event.actor, event.reason, event.subject_id) == (
        ADMIN_EMAIL,
        "Mutasi ke instansi lain",
        str(budi),
    )
    [notice] = await api.outbox(to=BUDI, kind="account_deactivated")
    assert "dinonaktifkan" in notice.subject
    # His appraisal and its trail stay, for HR and auditors.
    for who in ("admin", AUDITOR):
        appraisal = await api.appraisal_of(EMPLOYEE, who)
        assert appraisal["state"] == "planning"
        assert (
            await api.get(f"/api/v1/appraisals/{appraisal['id']}/audit", who)
        ).status_code == 200
    people = (await api.get("/api/v1/employees", "admin", params={"q": "Budi"})).json()["items"]
    assert [person["active"] for person in people] == [False]


async def test_a_deactivated_person_gets_no_reset_link_and_old_links_die(api: Api) -> None:
    await world(api)
    forgot = {"username": EMPLOYEE}
    assert (await api.client.post("/api/v1/auth/forgot-password", json=forgot)).status_code == 202
    [before] = await api.outbox(to=BUDI, kind="password_reset")
    link = before.body_text.split("/reset-password?token=")[1].split()[0]
    await deactivate(api, await account_id(api, BUDI))

    answer = await api.client.post("/api/v1/auth/forgot-password", json=forgot)
    unknown = await api.client.post("/api/v1/auth/forgot-password", json={"username": "x@y.id"})
    reset = await api.client.post(
        "/api/v1/auth/reset-password", json={"token": link, "password": PASSWORD + "-baru"}
    )

    assert (answer.status_code, answer.content) == (unknown.status_code, unknown.content)
    assert len(await api.outbox(to=BUDI, kind="password_reset")) == 1  # no new link
    assert reset.status_code == 422, reset.text  # the link sent before is void


async def test_deactivation_lists_open_work_and_reassigns_nothing(api: Api) -> None:
    await world(api)

    response = await deactivate(api, await account_id(api, SITI), reason="Pensiun")

    work = response.json()["open_appraisals"]
    assert sorted((row["employee_nip"], row["part"]) for row in work) == [
        (EVALUATOR, "employee"),
        (EMPLOYEE, "evaluator"),
        (PEER, "evaluator"),
    ]
    assert {row["nip"] for row in work} == {EVALUATOR}
    assert all(row["state"] == "planning" and row["cycle_name"] for row in work)
    budi = await api.appraisal_of(EMPLOYEE, "admin")
    assert budi["evaluator"]["nip"] == EVALUATOR  # not silently moved
    moved = await api.post(
        f"/api/v1/appraisals/{budi['id']}/reassign",
        "admin",
        {"version": budi["version"], "evaluator_nip": HR, "reason": "Penilai pensiun"},
    )
    assert moved.status_code == 200, moved.text
    siti = await account_id(api, SITI)
    left = (await api.get(f"/api/v1/accounts/{siti}", "admin")).json()["open_appraisals"]
    assert sorted(row["employee_nip"] for row in left) == [EVALUATOR, PEER]
    # She may not be chosen again: inactive people are refused as evaluators.
    dewi = await api.appraisal_of(PEER, "admin")
    back = await api.post(
        f"/api/v1/appraisals/{dewi['id']}/reassign",
        "admin",
        {"version": dewi["version"], "evaluator_nip": EVALUATOR, "reason": "x"},
    )
    assert back.status_code == 422, back.text


async def test_reactivation_lets_them_sign_in_again_with_new_tokens_only(api: Api) -> None:
    await world(api)
    old_token = api.tokens[EMPLOYEE]
    budi = await account_id(api, BUDI)
    await deactivate(api, budi)

    response = await reactivate(api, budi, reason="Salah input")

    assert response.status_code == 200, response.text
    assert response.json()["active"] is True
    who = await api.client.get("/api/v1/auth/me", headers={"Authorization": f"Bearer {old_token}"})
    assert who.status_code == 401  # tokens from before the deactivation stay dead
    await api.sign_in(EMPLOYEE, EMPLOYEE)
    assert (await api.get("/api/v1/auth/me", EMPLOYEE)).status_code == 200
    [notice] = await api.outbox(to=BUDI, kind="account_reactivated")
    assert "aktif kembali" in notice.subject
    [event] = await audit_events(api, "account.reactivated")
    assert event.reason == "Salah input"


async def test_reactivating_someone_never_activated_sends_a_new_invitation(api: Api) -> None:
    await api.setup_org()
    first_link = await api.invitation_token(DEWI)
    dewi = await account_id(api, DEWI)
    await deactivate(api, dewi)
    refused = await api.client.post(
        "/api/v1/auth/set-password", json={"token": first_link, "password": PASSWORD}
    )
    assert refused.status_code == 422, refused.text  # deactivation voided the invitation

    await reactivate(api, dewi)

    assert await api.invitation_token(DEWI) != first_link
    assert (await api.accept_invitation(DEWI)).status_code == 204
    assert (await api.login(PEER)).status_code == 200


async def test_hr_sends_a_new_invitation_and_the_old_link_stops_working(api: Api) -> None:
    """What the README's "ask HR for a new invitation" means."""
    await api.setup_org()
    old_link = await api.invitation_token(BUDI)
    budi = await account_id(api, BUDI)

    response = await api.post(f"/api/v1/accounts/{budi}/reinvite", "admin")

    assert response.status_code == 200, response.text
    new_link = await api.invitation_token(BUDI)
    assert new_link != old_link
    old = await api.client.post(
        "/api/v1/auth/set-password", json={"token": old_link, "password": PASSWORD}
    )
    assert old.status_code == 422, old.text
    assert (await api.accept_invitation(BUDI)).status_code == 204
    assert [e.subject_id for e in await audit_events(api, "account.invited")].count(str(budi)) == 2
    again = await api.client.post(
        f"/api/v1/accounts/{budi}/reinvite", headers={**api.auth("admin"), **EN}
    )
    assert again.status_code == 409, again.text
    assert "forgot password" in again.json()["detail"]
    dewi = await account_id(api, DEWI)
    await deactivate(api, dewi)
    assert (await api.post(f"/api/v1/accounts/{dewi}/reinvite", "admin")).status_code == 409


async def test_hr_cannot_deactivate_themselves(api: Api) -> None:
    await world(api)
    rina = (await api.get("/api/v1/auth/me", HR)).json()["account_id"]
    admin = (await api.get("/api/v1/auth/me", "admin")).json()["account_id"]

    own = await deactivate(api, rina, who=HR)
    admins_own = await deactivate(api, admin, who="admin")

    assert (own.status_code, admins_own.status_code) == (403, 403)
    assert (await api.get("/api/v1/auth/me", HR)).status_code == 200
    assert (await deactivate(api, admin, who=HR)).status_code == 200  # another HR officer may


async def test_only_hr_acts_auditors_read_and_others_are_refused(api: Api) -> None:
    await world(api)
    budi = await account_id(api, BUDI)
    before = await audit_count(api)
    for who in (EMPLOYEE, EVALUATOR, HEAD):
        assert (await api.get("/api/v1/accounts", who)).status_code == 403
        assert (await api.get(f"/api/v1/accounts/{budi}", who)).status_code == 403
        assert (await deactivate(api, budi, who=who)).status_code == 403
        assert (await api.post(f"/api/v1/accounts/{budi}/reinvite", who)).status_code == 403
    assert (await api.get("/api/v1/accounts", AUDITOR)).status_code == 200
    assert (await api.get(f"/api/v1/accounts/{budi}", AUDITOR)).status_code == 200
    assert (await deactivate(api, budi, who=AUDITOR)).status_code == 403
    assert (await reactivate(api, budi, who=AUDITOR)).status_code == 403
    assert await audit_count(api) == before
    assert (await api.get("/api/v1/accounts/987654", "admin")).status_code == 404
    assert (await deactivate(api, 987654)).status_code == 404
    assert (await deactivate(api, budi)).status_code == 200
    assert (await deactivate(api, budi)).status_code == 409  # already inactive
    assert (await reactivate(api, budi)).status_code == 200
    assert (await reactivate(api, budi)).status_code == 409  # already active


async def test_bad_input_is_refused_with_a_4xx_and_writes_nothing(api: Api) -> None:
    await api.setup_org()
    budi = await account_id(api, BUDI)
    before = await audit_count(api)
    bodies: list[Any] = [
        {},
        {"reason": ""},
        {"reason": "   "},
        {"reason": "ada\u0000nul"},
        {"reason": 42},
        {"reason": "x" * 2001},
        {"reason": "Pensiun", "extra": 1},
        "Pensiun",
    ]
    for body in bodies:
        response = await api.post(f"/api/v1/accounts/{budi}/deactivate", "admin", body)
        assert response.status_code == 422, (body, response.text)
        assert response.json()["errors"], body
    for ident in (2**63, 2**64 + 1, 0, -1, "budi", "1%00", "1.5"):
        read = await api.get(f"/api/v1/accounts/{ident}", "admin")
        act = await api.post(f"/api/v1/accounts/{ident}/deactivate", "admin", {"reason": "x"})
        for response in (read, act):
            assert 400 <= response.status_code < 500, (ident, response.text)
    for params in ({"q": "bu\u0000di"}, {"offset": 2**64}, {"limit": 0}, {"active": "maybe"}):
        response = await api.get("/api/v1/accounts", "admin", params=params)
        assert response.status_code == 422, (params, response.text)
    assert await audit_count(api) == before
    assert (await api.get(f"/api/v1/accounts/{budi}", "admin")).json()["active"] is True


async def test_two_hr_officers_deactivating_at_once_do_it_once(api: Api) -> None:
    await world(api)
    budi = await account_id(api, BUDI)

    async with overlapping_client(api.app) as client:
        responses = await asyncio.gather(
            *(
                client.post(
                    f"/api/v1/accounts/{budi}/deactivate",
                    json={"reason": f"Pensiun {who}"},
                    headers=api.auth(who),
                )
                for who in ("admin", HR, "admin", HR)
            )
        )

    assert sorted(r.status_code for r in responses) == [200, 409, 409, 409]
    assert len(await audit_events(api, "account.deactivated")) == 1
    assert len(await api.outbox(to=BUDI, kind="account_deactivated")) == 1


async def test_an_operator_deactivates_and_reactivates_on_the_command_line(
    api: Api, tmp_path: Path
) -> None:
    await world(api)

    def cli(*args: str) -> CliResult:
        return run_cli(
            "accounts",
            *args,
            database_url=api.settings.database_url,
            cwd=tmp_path,
            env={"KINERJA_SECRET_KEY": api.settings.secret_key},
        )

    done = cli("deactivate", EVALUATOR, "--reason", "Pensiun")

    assert done.code == 0, done.err
    assert f"{EVALUATOR}: deactivated" in done.out
    assert "evaluator of Budi Santoso" in done.out  # her open work, left for HR
    assert (await api.get("/api/v1/auth/me", EVALUATOR)).status_code == 401
    assert (await api.login(EVALUATOR)).status_code == 401
    [event] = await audit_events(api, "account.deactivated")
    assert (event.actor, event.actor_id, event.reason) == ("system", None, "Pensiun")
    again = cli("deactivate", SITI, "--reason", "Pensiun")
    assert (again.code, again.problems) == (1, ["Error: This account is already inactive."])
    unknown = cli("reactivate", "nobody@example.go.id", "--reason", "x")
    assert unknown.code == 1
    assert "nobody@example.go.id" in unknown.err
    assert cli("deactivate", EMPLOYEE).code == 2  # the reason is required
    assert cli("deactivate", EMPLOYEE, "--reason", " ").code == 1

    back = cli("reactivate", SITI.upper(), "--reason", "Batal pensiun")

    assert back.code == 0, back.err
    assert (await api.login(EVALUATOR)).status_code == 200
    already = cli("reinvite", SITI)
    assert already.code == 1
    assert "forgot password" in already.err
    verified = (await api.get("/api/v1/audit/verify", "admin")).json()
    assert verified["ok"] is True
