"""A follow-up item from proposal to verification: who may act, what each step records and
whom it emails; rejection, cancellation and sending back with their reasons."""

from __future__ import annotations

from datetime import timedelta

from tests.support.api import AUDITOR, EMPLOYEE, EVALUATOR, HEAD, HR, PEER, Api
from tests.support.followups import ITEMS, act, acted, proposed, trail, upload_certificate
from tests.support.mailserver import MailServer
from tests.test_email import set_locale

BUDI, SITI, DEWI = "budi@example.go.id", "siti@example.go.id", "dewi@example.go.id"


async def staff(api: Api) -> None:
    await api.setup_org()
    await api.sign_in_staff(EMPLOYEE, EVALUATOR, HEAD, HR, PEER, AUDITOR)


async def mail_kinds(api: Api) -> list[tuple[str, str]]:
    """Deliver what is queued; (recipient, kind) of each message sent."""
    await api.deliver()
    return sorted(
        (row.to_address, row.kind) for row in await api.outbox() if row.kind.startswith("followup")
    )


async def test_a_training_the_employee_proposes_goes_to_verified(api: Api) -> None:
    await staff(api)
    item = await proposed(api, EMPLOYEE, EMPLOYEE)
    assert (item["state"], item["kind"], item["owner"]) == ("proposed", "training", "employee")
    assert item["evaluator"]["nip"] == EVALUATOR
    assert item["source"] == {"rules": [], "added_by": BUDI}
    assert item["details"] == {
        "kind": "training",
        "provider": "LAN RI",
        "hours": 24,
        "start": None,
        "end": None,
    }
    assert item["due"] == "2026-04-05"  # 90 days on
    assert item["allowed_actions"] == []
    assert await mail_kinds(api) == [(SITI, "followup_proposed")]

    refused = await act(api, item, "approve", EMPLOYEE)
    assert refused.status_code == 403, refused.text
    item = await acted(api, item, "approve", EVALUATOR)
    assert item["state"] == "approved"
    item = await acted(api, item, "start", EMPLOYEE)
    early = await act(api, item, "complete", EMPLOYEE)
    assert early.status_code == 422
    assert [e["field"] for e in early.json()["errors"]] == ["certificate"]
    uploaded = await upload_certificate(api, item, EMPLOYEE)
    assert uploaded.status_code == 201, uploaded.text
    item = uploaded.json()
    assert item["certificate"]["filename"] == "sertifikat.pdf"
    item = await acted(api, item, "complete", EMPLOYEE)
    assert item["state"] == "completed"
    assert item["completed_at"] is not None
    assert (await act(api, item, "verify", EVALUATOR)).status_code == 403
    item = await acted(api, item, "verify", HR)
    assert (item["state"], item["allowed_actions"]) == ("verified", [])

    assert await mail_kinds(api) == [
        (BUDI, "followup_approved"),
        (BUDI, "followup_verified"),
        (SITI, "followup_completed"),
        (SITI, "followup_proposed"),
        (SITI, "followup_started"),
        (SITI, "followup_verified"),
    ]
    events = await trail(api, item, AUDITOR)
    assert [(e["action"], e["actor"], e["to_state"]) for e in events] == [
        ("followup.proposed", BUDI, "proposed"),
        ("followup.approve", SITI, "approved"),
        ("followup.start", BUDI, "in_progress"),
        ("followup.certificate_uploaded", BUDI, None),
        ("followup.complete", BUDI, "completed"),
        ("followup.verify", "rina@example.go.id", "verified"),
    ]
    assert events[4]["data"] == {"hours": 24}
    assert (await api.get("/api/v1/audit/verify", AUDITOR)).json()["ok"] is True


async def test_the_emails_name_the_item_in_both_languages(api: Api, mail: MailServer) -> None:
    await staff(api)
    await proposed(api, EMPLOYEE, EMPLOYEE, title="Diklat Kepemimpinan")
    await set_locale(api, SITI, "en")
    await proposed(api, EMPLOYEE, EMPLOYEE, title="Leadership training")
    await api.deliver()
    messages = [m for m in mail.to(SITI) if "/followups/" in MailServer.text_of(m)]
    assert [str(m["Subject"]) for m in messages] == [
        "Usulan tindak lanjut untuk Budi Santoso: Diklat Kepemimpinan",
        "Follow-up proposed for Budi Santoso: Leadership training",
    ]
    indonesian, english = (MailServer.text_of(m) for m in messages)
    assert "Jenis               : Pelatihan" in indonesian
    assert "Kind               : Training" in english
    assert "Done by            : Employee" in english
    assert "https://kinerja.example.go.id/followups/" in english


async def test_reject_and_cancel_need_a_reason_that_is_kept_and_emailed(api: Api) -> None:
    await staff(api)
    item = await proposed(api, EVALUATOR, EMPLOYEE)
    assert item["source"]["added_by"] == SITI
    for payload in ({}, {"reason": "  "}):
        refused = await act(api, item, "reject", EVALUATOR, **payload)
        assert refused.status_code == 422, refused.text
        assert refused.json()["errors"][0]["field"] == "reason"
    rejected = await acted(api, item, "reject", HR, reason="Sudah mengikuti pelatihan serupa.")
    assert (rejected["state"], rejected["end_reason"]) == (
        "rejected",
        "Sudah mengikuti pelatihan serupa.",
    )
    assert (await act(api, rejected, "approve", HR)).status_code == 409

    other = await proposed(api, EVALUATOR, EMPLOYEE, title="Coaching penulisan")
    assert (await act(api, other, "cancel", EVALUATOR, reason="x")).status_code == 409
    other = await acted(api, other, "approve", EVALUATOR)
    other = await acted(api, other, "start", EMPLOYEE)
    cancelled = await acted(api, other, "cancel", EVALUATOR, reason="Pegawai mutasi.")
    assert cancelled["state"] == "cancelled"
    await api.deliver()
    rows = [
        row
        for row in await api.outbox(to=BUDI)
        if row.kind in ("followup_rejected", "followup_cancelled")
    ]
    assert [row.kind for row in rows] == ["followup_rejected", "followup_cancelled"]
    assert "Sudah mengikuti pelatihan serupa." in rows[0].body_text
    events = await trail(api, rejected, EMPLOYEE)
    assert events[-1]["reason"] == "Sudah mengikuti pelatihan serupa."


async def test_hr_sends_a_completed_item_back_with_a_reason(api: Api) -> None:
    await staff(api)
    item = await proposed(
        api, HR, EMPLOYEE, title="Coaching", details={"kind": "coaching"}, owner="evaluator"
    )
    item = await acted(api, item, "approve", HR)
    item = await acted(api, item, "start", EVALUATOR)
    logged = await api.post(
        f"{ITEMS}/{item['id']}/sessions",
        EVALUATOR,
        {"held_on": "2026-01-05", "notes": "Membahas target triwulan."},
    )
    assert logged.status_code == 201, logged.text
    item = await acted(api, logged.json(), "complete", EVALUATOR)
    assert (await act(api, item, "send_back", HR)).status_code == 422
    item = await acted(api, item, "send_back", HR, reason="Catatan sesi belum lengkap.")
    assert (item["state"], item["end_reason"]) == ("in_progress", "Catatan sesi belum lengkap.")


async def test_stale_versions_and_unknown_triggers_are_refused(api: Api) -> None:
    await staff(api)
    item = await proposed(api, EMPLOYEE, EMPLOYEE)
    stale = await act(api, {**item, "version": item["version"] - 1}, "approve", EVALUATOR)
    assert stale.status_code == 409, stale.text
    assert (await act(api, item, "fly", EVALUATOR)).status_code == 404
    assert (await act(api, item, "approve", PEER)).status_code == 404  # a stranger
    assert (await act(api, item, "approve", AUDITOR)).status_code == 403
    fresh = (await api.get(f"{ITEMS}/{item['id']}", EVALUATOR)).json()
    assert (fresh["state"], fresh["version"]) == ("proposed", item["version"])
    assert fresh["allowed_actions"] == ["approve", "reject"]


async def test_hr_does_not_approve_their_own_item(api: Api) -> None:
    await staff(api)
    own = await proposed(api, HR, HR, title="Pelatihan manajemen SDM")
    refused = await act(api, own, "approve", HR)
    assert refused.status_code == 403
    assert (
        "another HR officer"
        in (
            await api.client.post(
                f"{ITEMS}/{own['id']}/actions/approve",
                headers={**api.auth(HR), "Accept-Language": "en"},
                json={"version": own["version"]},
            )
        ).json()["detail"]
    )
    approved = await acted(api, own, "approve", "admin")
    assert approved["state"] == "approved"
    assert approved["evaluator"]["nip"] == HEAD  # Rina's supervisor


async def test_a_mentor_sees_the_item_and_logs_sessions(api: Api) -> None:
    await staff(api)
    item = await proposed(
        api,
        EVALUATOR,
        EMPLOYEE,
        title="Mentoring pengembangan aplikasi",
        details={"kind": "mentoring", "mentor_nip": PEER},
    )
    assert item["mentor"]["nip"] == PEER
    assert (await api.get(f"{ITEMS}/{item['id']}", PEER)).status_code == 200
    item = await acted(api, item, "approve", EVALUATOR)
    early = await api.post(
        f"{ITEMS}/{item['id']}/sessions", PEER, {"held_on": "2026-01-05", "notes": "Awal."}
    )
    assert early.status_code == 409  # not in progress yet
    item = await acted(api, item, "start", EMPLOYEE)
    assert (await act(api, item, "complete", EMPLOYEE)).json()["errors"][0]["field"] == "sessions"
    future = await api.post(
        f"{ITEMS}/{item['id']}/sessions", PEER, {"held_on": "2026-02-01", "notes": "Nanti."}
    )
    assert future.status_code == 422
    logged = await api.post(
        f"{ITEMS}/{item['id']}/sessions",
        PEER,
        {
            "held_on": "2026-01-05",
            "notes": "Review kode\nmodul perizinan.",
            "version": item["version"],
        },
    )
    assert logged.status_code == 201, logged.text
    item = logged.json()
    assert [(s["held_on"], s["recorded_by"]) for s in item["sessions"]] == [("2026-01-05", DEWI)]
    item = await acted(api, item, "complete", EMPLOYEE)
    assert item["state"] == "completed"


async def test_an_improvement_plan_runs_six_months_with_checkpoints_and_an_outcome(
    api: Api,
) -> None:
    await staff(api)
    item = await proposed(
        api,
        EVALUATOR,
        EMPLOYEE,
        title="Rencana perbaikan kinerja",
        details={"kind": "improvement_plan"},
    )
    assert item["details"] == {
        "kind": "improvement_plan",
        "start": "2026-01-05",
        "end": "2026-07-05",
    }
    assert (item["due"], item["owner"]) == ("2026-07-05", "employee")
    path = f"{ITEMS}/{item['id']}/checkpoints"
    assert (
        await api.post(path, EMPLOYEE, {"due_on": "2026-03-01", "description": "x"})
    ).status_code == 403
    for due_on in ("2026-03-01", "2026-06-01"):
        response = await api.post(
            path, EVALUATOR, {"due_on": due_on, "description": "Tinjau capaian bulanan."}
        )
        assert response.status_code == 201, response.text
    item = response.json()
    first = item["checkpoints"][0]
    item = await acted(api, item, "approve", EVALUATOR)
    item = await acted(api, item, "start", EMPLOYEE)
    api.clock.advance(timedelta(days=60))
    reviewed = await api.patch(
        f"{path}/{first['id']}",
        EVALUATOR,
        {"reviewed_on": "2026-03-02", "note": "Capaian naik 20%."},
    )
    assert reviewed.status_code == 200, reviewed.text
    item = reviewed.json()
    assert item["checkpoints"][0]["reviewed_on"] == "2026-03-02"
    missing = await act(api, item, "complete", EMPLOYEE)
    assert missing.json()["errors"][0]["field"] == "outcome"
    done = await acted(api, item, "complete", EMPLOYEE, outcome="improved")
    assert (done["state"], done["outcome"]) == ("completed", "improved")
