"""The audit trail: every change is an event, people see their cases' trails, tampering shows."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, cast

import msgspec
import pytest
from sqlalchemy import Table, delete, insert, select, text, update

from kinerja_flow.audit.chain import HASHED, Hasher
from kinerja_flow.audit.models import AuditEvent
from kinerja_flow.audit.verify import verify as verify_chain
from tests.support.api import ADMIN_EMAIL, AUDITOR, EMPLOYEE, EVALUATOR, HEAD, HR, PEER, Api
from tests.support.concurrency import overlapping_client
from tests.support.flow import (
    APPEAL,
    PATH,
    REVIEW,
    add_target,
    advance,
    evaluate,
    indicator_path,
    realise_all,
    world,
)

STEP = timedelta(hours=5)
EVENTS = cast("Table", AuditEvent.__table__)


async def trail(api: Api, appraisal_id: int, who: str = HR) -> list[dict[str, Any]]:
    response = await api.get(f"/api/v1/appraisals/{appraisal_id}/audit", who)
    assert response.status_code == 200, response.text
    events: list[dict[str, Any]] = response.json()
    return events


async def verify(api: Api, who: str = AUDITOR) -> dict[str, Any]:
    response = await api.get("/api/v1/audit/verify", who)
    assert response.status_code == 200, response.text
    result: dict[str, Any] = response.json()
    return result


@dataclass(frozen=True)
class Stored:
    seq: int
    action: str
    actor: str
    appraisal_id: int | None
    data: dict[str, Any]
    reason: str | None
    hash: str


async def stored_events(api: Api) -> list[Stored]:
    """The whole chain as it sits in the database."""
    async with api.ctx.sessions() as session:
        rows = await session.execute(
            text(
                "SELECT seq, action, actor, appraisal_id, data, reason, hash"
                " FROM audit_events ORDER BY seq"
            )
        )
        return [
            Stored(
                seq=row.seq,
                action=row.action,
                actor=row.actor,
                appraisal_id=row.appraisal_id,
                data=msgspec.json.decode(row.data),
                reason=row.reason,
                hash=row.hash,
            )
            for row in rows
        ]


async def execute(api: Api, statement: Any, params: dict[str, Any] | None = None) -> None:
    """Change the database behind the application's back, as an intruder with SQL would."""
    async with api.ctx.sessions() as session:
        await session.execute(statement, params or {})
        await session.commit()


def at_of(event: dict[str, Any]) -> datetime:
    return datetime.fromisoformat(event["at"])


async def outbox_size(api: Api) -> int:
    return len(await api.outbox())


# -- every change is an event -------------------------------------------------------------


async def test_each_step_of_an_appraisal_is_one_event_with_who_when_and_what(api: Api) -> None:
    appraisal = await world(api)
    seen_at: dict[str, datetime] = {}

    api.clock.advance(STEP)
    appraisal = await add_target(api, appraisal)
    seen_at["target.added"] = api.clock.now()
    extra = await api.post(
        f"/api/v1/appraisals/{appraisal['id']}/targets",
        EMPLOYEE,
        {
            "title": "Draf yang dibuang",
            "indicators": [{"description": "Dokumen", "target_text": "1 dokumen"}],
        },
    )
    assert extra.status_code == 201, extra.text
    dropped = next(t for t in extra.json()["targets"] if t["title"] == "Draf yang dibuang")
    api.clock.advance(STEP)
    removed = await api.client.delete(
        f"/api/v1/appraisals/{appraisal['id']}/targets/{dropped['id']}", headers=api.auth(EMPLOYEE)
    )
    assert removed.status_code == 200, removed.text
    seen_at["target.removed"] = api.clock.now()
    appraisal = removed.json()
    api.clock.advance(STEP)
    changed = await api.patch(
        indicator_path(appraisal), EMPLOYEE, {"description": "Layanan terintegrasi daring"}
    )
    assert changed.status_code == 200, changed.text
    seen_at["target.updated"] = api.clock.now()
    appraisal = changed.json()

    for state, trigger, who, payload in PATH[:-1]:  # up to and including decide_appeal
        assert appraisal["state"] == state
        if trigger == "submit_self_assessment":
            appraisal = await realise_all(api, appraisal)
        if trigger == "submit_review":
            appraisal = await evaluate(api, appraisal)
        api.clock.advance(STEP)
        response = await api.act(appraisal, trigger, who, **payload)
        assert response.status_code == 200, (trigger, response.text)
        appraisal = response.json()
        seen_at[f"appraisal.{trigger}"] = api.clock.now()

    events = await trail(api, appraisal["id"])
    assert [event["action"] for event in events] == [
        "appraisal.opened",
        "target.added",
        "target.added",
        "target.removed",
        "indicator.updated",
        "appraisal.submit_targets",
        "appraisal.approve_targets",
        "appraisal.start_self_assessment",
        "indicator.updated",
        "appraisal.submit_self_assessment",
        "evaluation.saved",
        "appraisal.submit_review",
        "appraisal.file_appeal",
        "appraisal.decide_appeal",
        "followup.proposed",  # fewer than 20 JP of training this year: the rules propose some
    ]
    by_action = {event["action"]: event for event in events}
    for event in events:
        assert set(event) >= {"actor", "at", "action", "from_state", "to_state", "data", "reason"}
    assert by_action["appraisal.opened"]["actor"] == ADMIN_EMAIL
    assert by_action["appraisal.opened"]["to_state"] == "planning"

    emails = {EMPLOYEE: "budi", EVALUATOR: "siti", HEAD: "hendra", HR: "rina"}
    for state, trigger, who, _payload in PATH[:-1]:
        event = by_action[f"appraisal.{trigger}"]
        assert event["actor"] == f"{emails[who]}@example.go.id", trigger
        assert (event["from_state"], event["to_state"]) == (state, PATH_DEST[trigger]), trigger
        assert at_of(event) == seen_at[f"appraisal.{trigger}"], trigger

    assert by_action["target.removed"]["data"]["title"] == "Draf yang dibuang"
    assert at_of(by_action["target.removed"]) == seen_at["target.removed"]
    planned = next(e for e in events if e["action"] == "indicator.updated")
    assert planned["actor"] == "budi@example.go.id"
    assert planned["data"]["before"] == {"description": "Jumlah layanan terintegrasi"}
    assert planned["data"]["after"] == {"description": "Layanan terintegrasi daring"}
    assert at_of(planned) == seen_at["target.updated"]
    review = by_action["appraisal.submit_review"]
    assert review["data"]["results_rating"] == REVIEW["results_rating"]
    assert review["data"]["behaviour_rating"] == REVIEW["behaviour_rating"]
    assert review["data"]["predikat"] == "baik"
    assert by_action["appraisal.file_appeal"]["reason"] == APPEAL["reason"]
    assert by_action["appraisal.decide_appeal"]["reason"] == "Penilaian sudah sesuai bukti."

    seqs = [event["seq"] for event in events]
    assert seqs == sorted(seqs)
    assert (await verify(api))["ok"] is True


PATH_DEST = {
    "submit_targets": "targets_submitted",
    "approve_targets": "in_progress",
    "start_self_assessment": "self_assessment",
    "submit_self_assessment": "under_review",
    "submit_review": "reviewed",
    "file_appeal": "appealed",
    "decide_appeal": "follow_up",
    "close": "closed",
}


async def test_return_and_cancel_record_their_comment_and_reason(api: Api) -> None:
    appraisal = await advance(api, await world(api), "targets_submitted")
    returned = await api.act(appraisal, "return_targets", EVALUATOR, comment="Indikator kabur.")
    assert returned.status_code == 200, returned.text
    cancelled = await api.act(returned.json(), "cancel", HR, reason="Pegawai pindah instansi.")
    assert cancelled.status_code == 200, cancelled.text
    last_two = (await trail(api, appraisal["id"]))[-2:]
    assert [(e["action"], e["actor"], e["from_state"], e["to_state"]) for e in last_two] == [
        ("appraisal.return_targets", "siti@example.go.id", "targets_submitted", "planning"),
        ("appraisal.cancel", "rina@example.go.id", "planning", "cancelled"),
    ]
    assert last_two[0]["reason"] == "Indikator kabur."
    assert last_two[0]["data"]["comment"] == "Indikator kabur."
    assert last_two[1]["reason"] == "Pegawai pindah instansi."


async def test_organisation_import_and_account_events_are_recorded(api: Api) -> None:
    await api.setup_org()
    await api.sign_in_staff(EMPLOYEE, HR)
    await api.open_cycle()
    actions = Counter(event.action for event in await stored_events(api))
    assert actions == Counter(
        {
            "account.admin_created": 1,
            "unit.created": 2,
            "employee.created": 6,
            "account.invited": 6,
            "employees.imported": 1,
            "account.password_set": 2,
            "account.login": 3,  # the admin, the employee and HR signed in once each
            "cycle.created": 1,
            "appraisal.opened": 6,
        }
    )
    events = await stored_events(api)
    assert [e.seq for e in events] == list(range(1, len(events) + 1))
    admin = next(e for e in events if e.action == "account.admin_created")
    assert admin.actor == "system"
    assert admin.data["email"] == ADMIN_EMAIL
    budi_set = next(e for e in events if e.action == "account.password_set")
    assert budi_set.actor == "budi@example.go.id"
    created = [e for e in events if e.action == "employee.created"]
    assert {e.data["name"] for e in created} >= {"Budi Santoso", "Siti Rahmawati"}
    assert all(e.actor == ADMIN_EMAIL for e in created)

    before = len(events)
    same_again = await api.import_csv(ORG_LINES)
    assert same_again.status_code == 200, same_again.text
    assert len(await stored_events(api)) == before  # nothing changed, nothing to record

    bad = await api.import_csv(ORG_LINES + "123,No NIP,x@example.go.id,BID1,Staf,,\n")
    assert bad.status_code == 422, bad.text
    assert len(await stored_events(api)) == before

    moved = await api.import_csv(ORG_LINES.replace("Analis Kebijakan", "Analis Kebijakan Ahli"))
    assert moved.status_code == 200, moved.text
    new = (await stored_events(api))[before:]
    assert [e.action for e in new] == ["employee.updated", "employees.imported"]
    assert new[0].data["before"] == {"position": "Analis Kebijakan"}
    assert new[0].data["after"] == {"position": "Analis Kebijakan Ahli"}
    assert new[0].actor == ADMIN_EMAIL
    assert (await verify(api, HR))["ok"] is True


async def test_a_transaction_with_many_events_chains_them_like_single_ones(api: Api) -> None:
    """An import batch writes its hundreds of events in one statement (a request's few go in
    one round trip with the head's update): the chain stays whole and in order either way."""
    await api.setup_org()
    await api.sign_in_staff(HR)
    before = len(await stored_events(api))
    lines = "".join(
        f"1990030320150310{n:02d},Pegawai {n},pegawai{n}@example.go.id,BID1,Staf,"
        "198002022005012002,\n"
        for n in range(10, 50)
    )
    imported = await api.import_csv(ORG_LINES + lines)
    assert imported.status_code == 200, imported.text
    events = await stored_events(api)
    assert len(events) == before + 2 * 40 + 1  # created and invited each, and the summary
    assert [e.seq for e in events] == list(range(1, len(events) + 1))
    assert await verify(api, HR) == {"ok": True, "events": len(events), "first_bad_event": None}


ORG_LINES = """nip,name,email,unit_code,position,supervisor_nip,roles
197001011995031001,Hendra Wijaya,hendra@example.go.id,DINAS,Kepala Dinas,,
198002022005012002,Siti Rahmawati,siti@example.go.id,BID1,Kepala Bidang,197001011995031001,
199003032015031003,Budi Santoso,budi@example.go.id,BID1,Analis Kebijakan,198002022005012002,
199104042016022004,Dewi Lestari,dewi@example.go.id,BID1,Pranata Komputer,198002022005012002,
198505052010011005,Rina Hartati,rina@example.go.id,DINAS,Analis SDM,197001011995031001,hr
198606062011061006,Agus Pratama,agus@example.go.id,DINAS,Auditor,197001011995031001,auditor
"""


async def test_refused_actions_write_no_event_and_no_email(api: Api) -> None:
    appraisal = await world(api)
    base = f"/api/v1/appraisals/{appraisal['id']}"
    count = (await verify(api))["events"]
    mails = await outbox_size(api)

    refusals: list[tuple[int, Callable[[], Awaitable[Any]]]] = [
        (404, lambda: api.act(appraisal, "submit_targets", PEER)),
        (403, lambda: api.act(appraisal, "submit_targets", EVALUATOR)),
        (409, lambda: api.act(appraisal, "approve_targets", EVALUATOR)),
        (422, lambda: api.act(appraisal, "submit_targets", EMPLOYEE)),  # no targets yet
        (404, lambda: api.act(appraisal, "promote_to_minister", EMPLOYEE)),
        (403, lambda: api.post(f"{base}/targets", EVALUATOR, TARGET)),
        (404, lambda: api.post(f"{base}/targets", PEER, TARGET)),
        (422, lambda: api.post(f"{base}/targets", EMPLOYEE, {"title": "tanpa indikator"})),
        (403, lambda: api.post("/api/v1/cycles", EMPLOYEE, CYCLE)),
        (403, lambda: api.import_csv(ORG_LINES, who=EMPLOYEE)),
    ]
    for status, call in refusals:
        response = await call()
        assert response.status_code == status, response.text
    appraisal = await add_target(api, appraisal)
    count += 1
    stale = await api.act(
        {**appraisal, "version": appraisal["version"] - 1}, "submit_targets", EMPLOYEE
    )
    assert stale.status_code == 409, stale.text

    result = await verify(api)
    assert result == {"ok": True, "events": count, "first_bad_event": None}
    assert await outbox_size(api) == mails
    actions = [e["action"] for e in await trail(api, appraisal["id"])]
    assert actions == ["appraisal.opened", "target.added"]
    submitted = await api.act(appraisal, "submit_targets", EMPLOYEE)
    assert submitted.status_code == 200, submitted.text
    last = (await stored_events(api))[-1]
    assert (last.seq, last.action) == (count + 1, "appraisal.submit_targets")


TARGET = {
    "title": "Layanan",
    "indicators": [{"description": "Jumlah", "target_value": 1, "target_unit": "dokumen"}],
}
CYCLE = {"name": "X", "period_start": "2026-01-01", "period_end": "2026-06-30", "kind": "semester"}


async def test_of_two_racing_submissions_one_wins_and_only_it_is_recorded(api: Api) -> None:
    appraisal = await add_target(api, await world(api))
    count = (await verify(api))["events"]
    first, second = await asyncio.gather(
        api.act(appraisal, "submit_targets", EMPLOYEE),
        api.act(appraisal, "submit_targets", EMPLOYEE),
    )
    assert sorted([first.status_code, second.status_code]) == [200, 409], (first.text, second.text)
    assert (await verify(api)) == {"ok": True, "events": count + 1, "first_bad_event": None}
    submitted = [
        e for e in await trail(api, appraisal["id"]) if e["to_state"] == "targets_submitted"
    ]
    assert len(submitted) == 1
    assert len(await api.outbox(kind="targets_submitted")) == 1


# -- who sees a trail ---------------------------------------------------------------------


async def test_parties_hr_and_auditor_see_the_trail_a_stranger_does_not(api: Api) -> None:
    appraisal = await advance(api, await world(api), "appealed")
    expected = await trail(api, appraisal["id"], HR)
    assert expected[-1]["action"] == "appraisal.file_appeal"
    for who in (EMPLOYEE, EVALUATOR, HEAD, HR, AUDITOR, "admin"):
        assert await trail(api, appraisal["id"], who) == expected, who

    stranger = await api.get(f"/api/v1/appraisals/{appraisal['id']}/audit", PEER)
    assert stranger.status_code == 404, stranger.text
    assert "Budi" not in stranger.text
    nobody = await api.client.get(f"/api/v1/appraisals/{appraisal['id']}/audit")
    assert nobody.status_code == 401
    missing = await api.get("/api/v1/appraisals/999999/audit", HR)
    assert missing.status_code == 404

    peer_own = await api.appraisal_of(PEER, PEER)
    own_trail = await trail(api, peer_own["id"], PEER)
    assert [e["action"] for e in own_trail] == ["appraisal.opened"]
    assert all(e["action"] != "appraisal.file_appeal" for e in own_trail)


async def test_an_appeal_keeps_the_original_result_in_the_trail(api: Api) -> None:
    appraisal = await advance(api, await world(api), "appealed")
    decided = await api.act(
        appraisal,
        "decide_appeal",
        HEAD,
        decision="changed",
        reason="Bukti dukung membuktikan perilaku di atas ekspektasi.",
        results_rating="di_atas_ekspektasi",
        behaviour_rating="di_atas_ekspektasi",
    )
    assert decided.status_code == 200, decided.text
    assert decided.json()["predikat"] == "sangat_baik"
    assert decided.json()["appeal"]["original_predikat"] == "baik"

    events = {e["action"]: e for e in await trail(api, appraisal["id"], EMPLOYEE)}
    assert events["appraisal.submit_review"]["data"]["predikat"] == "baik"
    filed = events["appraisal.file_appeal"]
    assert (filed["actor"], filed["from_state"], filed["to_state"]) == (
        "budi@example.go.id",
        "reviewed",
        "appealed",
    )
    assert filed["reason"] == APPEAL["reason"]
    decision = events["appraisal.decide_appeal"]
    assert decision["actor"] == "hendra@example.go.id"
    assert decision["data"]["decision"] == "changed"
    assert decision["data"]["before"]["predikat"] == "baik"
    assert decision["data"]["predikat"] == "sangat_baik"
    assert decision["data"]["behaviour_rating"] == "di_atas_ekspektasi"
    assert decision["reason"] == "Bukti dukung membuktikan perilaku di atas ekspektasi."


async def test_an_upheld_appeal_records_the_same_result_before_and_after(api: Api) -> None:
    appraisal = await advance(api, await world(api), "follow_up")  # decided "upheld"
    steps = [e for e in await trail(api, appraisal["id"]) if e["action"].startswith("appraisal.")]
    decision = steps[-1]
    assert decision["action"] == "appraisal.decide_appeal"
    assert decision["data"]["decision"] == "upheld"
    assert decision["data"]["before"]["predikat"] == decision["data"]["predikat"] == "baik"


# -- verifying the chain ------------------------------------------------------------------


async def test_a_verification_in_the_background_gives_the_same_verdict(api: Api) -> None:
    """``POST /audit/verify`` runs the check as a job whose result is what ``GET`` answers,
    for HR and auditors; a changed event is named the same way."""
    await advance(api, await world(api), "in_progress")
    total = len(await stored_events(api))
    for who in (HR, AUDITOR):
        outcome = await api.run("/api/v1/audit/verify", who)
        assert outcome.status_code == 200, outcome
        assert outcome.body == {"ok": True, "events": total, "first_bad_event": None}
    for who in (EMPLOYEE, EVALUATOR):
        refused = await api.post("/api/v1/audit/verify", who)
        assert refused.status_code == 403, (who, refused.text)
    await execute(api, text("UPDATE audit_events SET reason = 'diubah' WHERE seq = 3"))
    outcome = await api.run("/api/v1/audit/verify", AUDITOR)
    assert (outcome.body["ok"], outcome.body["first_bad_event"]) == (False, 3)
    assert outcome.body == await verify(api)


async def test_verify_is_for_hr_and_auditors_only(api: Api) -> None:
    await advance(api, await world(api), "in_progress")
    total = len(await stored_events(api))
    for who in (HR, AUDITOR, "admin"):
        assert await verify(api, who) == {"ok": True, "events": total, "first_bad_event": None}
    for who in (EMPLOYEE, EVALUATOR, HEAD):
        refused = await api.get("/api/v1/audit/verify", who)
        assert refused.status_code == 403, (who, refused.text)
    assert (await api.client.get("/api/v1/audit/verify")).status_code == 401


@dataclass(frozen=True)
class Scene:
    """A busy chain: Budi's appraisal under appeal, then Dewi's later work after it."""

    appraisal_id: int
    seq: dict[str, int]  # action of Budi's appraisal -> its event's seq
    events: list[Stored]

    @property
    def last(self) -> Stored:
        return self.events[-1]


async def busy_chain(api: Api) -> Scene:
    appraisal = await advance(api, await world(api), "appealed")
    peer = await api.appraisal_of(PEER, PEER)
    response = await api.post(f"/api/v1/appraisals/{peer['id']}/targets", PEER, TARGET)
    assert response.status_code == 201, response.text
    submitted = await api.act(response.json(), "submit_targets", PEER)
    assert submitted.status_code == 200, submitted.text
    events = await stored_events(api)
    seq = {e.action: e.seq for e in events if e.appraisal_id == appraisal["id"]}
    assert await verify(api) == {"ok": True, "events": len(events), "first_bad_event": None}
    assert seq["appraisal.file_appeal"] < events[-1].seq - 1  # the appeal is mid-chain
    return Scene(appraisal["id"], seq, events)


async def forge_after_last(api: Api, scene: Scene, *, proper_hash: bool) -> int:
    """Append a made-up decision to Budi's appraisal behind the application's back."""
    last = scene.last
    forged = AuditEvent(
        seq=last.seq + 1,
        at=api.clock.now(),
        actor_id=None,
        actor="hendra@example.go.id",
        action="appraisal.decide_appeal",
        subject_type="appraisal",
        subject_id=str(scene.appraisal_id),
        appraisal_id=scene.appraisal_id,
        from_state="appealed",
        to_state="follow_up",
        data='{"decision":"changed","predikat":"sangat_baik"}',
        reason="Dikabulkan.",
        prev_hash=last.hash,
    )
    if proper_hash:  # an intruder who knows the hashing scheme
        forged.hash = Hasher(api.ctx.audit_key).of(forged)
    else:  # something that looks like a SHA-256 of the content
        forged.hash = hashlib.sha256(f"{last.hash}{forged.data}".encode()).hexdigest()
    values = {c.key: getattr(forged, c.key) for c in EVENTS.columns}
    await execute(api, insert(EVENTS).values(**values))
    return forged.seq


async def tamper_data(api: Api, scene: Scene) -> int:
    k = scene.seq["appraisal.submit_review"]
    forged = {**next(e for e in scene.events if e.seq == k).data, "predikat": "sangat_baik"}
    await execute(
        api,
        text("UPDATE audit_events SET data = :data WHERE seq = :k"),
        {"data": msgspec.json.encode(forged, order="sorted").decode(), "k": k},
    )
    return k


async def tamper_reason(api: Api, scene: Scene) -> int:
    k = scene.seq["appraisal.file_appeal"]
    await execute(
        api,
        text("UPDATE audit_events SET reason = :reason WHERE seq = :k"),
        {"reason": "Saya menerima hasilnya.", "k": k},
    )
    return k


async def delete_middle(api: Api, scene: Scene) -> int:
    k = scene.seq["appraisal.submit_targets"]
    await execute(api, text("DELETE FROM audit_events WHERE seq = :k"), {"k": k})
    return k


async def delete_last(api: Api, scene: Scene) -> int:
    await execute(api, delete(EVENTS).where(AuditEvent.seq == scene.last.seq))
    return scene.last.seq


async def change_time(api: Api, scene: Scene) -> int:
    k = scene.seq["appraisal.approve_targets"]
    await execute(
        api,
        update(EVENTS).where(AuditEvent.seq == k).values(at=api.clock.now() - timedelta(days=30)),
    )
    return k


async def forge_looking_hash(api: Api, scene: Scene) -> int:
    return await forge_after_last(api, scene, proper_hash=False)


async def forge_recomputed_hash(api: Api, scene: Scene) -> int:
    return await forge_after_last(api, scene, proper_hash=True)


async def rewrite_tail_without_the_key(api: Api, scene: Scene) -> int:
    """An intruder with database access rewrites an event, every later hash and the head,
    using the published scheme but a key of their own: only the server's key tells."""
    k = scene.seq["appraisal.submit_review"]
    stolen_key = hashlib.sha256(b"the intruder's guess").digest()
    previous = next(e.hash for e in scene.events if e.seq == k - 1)
    async with api.ctx.sessions() as session:
        query = select(AuditEvent).where(AuditEvent.seq >= k).order_by(AuditEvent.seq)
        rows = list((await session.scalars(query)).all())
    for event in rows:
        if event.seq == k:
            event.data = event.data.replace("di_atas_ekspektasi", "di_bawah_ekspektasi")
        event.prev_hash = previous
        event.hash = Hasher(stolen_key).of(event)
        previous = event.hash
        await execute(
            api,
            text("UPDATE audit_events SET data = :d, prev_hash = :p, hash = :h WHERE seq = :s"),
            {"d": event.data, "p": event.prev_hash, "h": event.hash, "s": event.seq},
        )
    await execute(api, text("UPDATE audit_head SET last_hash = :h"), {"h": previous})
    return k


TAMPERINGS: list[Callable[[Api, Scene], Awaitable[int]]] = [
    rewrite_tail_without_the_key,
    tamper_data,
    tamper_reason,
    delete_middle,
    delete_last,
    change_time,
    forge_looking_hash,
    forge_recomputed_hash,
]


@pytest.mark.parametrize("tamper", TAMPERINGS, ids=lambda tamper: tamper.__name__)
async def test_tampering_is_detected_at_the_first_bad_event(
    api: Api, tamper: Callable[[Api, Scene], Awaitable[int]]
) -> None:
    scene = await busy_chain(api)
    first_bad = await tamper(api, scene)
    for who in (AUDITOR, HR):
        result = await verify(api, who)
        assert result["ok"] is False, result
        assert result["first_bad_event"] == first_bad, result
    # A big chain is checked in stretches by several processes: they find the same.
    async with api.ctx.sessions() as session:
        split = await verify_chain(session, api.ctx.audit_key, workers=3)
    assert msgspec.to_builtins(split) == result, split


async def test_each_stored_hash_is_the_documented_hmac_of_the_event(api: Api) -> None:
    """The chain's format is a promise to anyone checking it with their own tools (and to
    chains written by earlier versions): HMAC-SHA256, keyed with the audit key, over the
    canonical JSON of the stored fields in order, ``at`` as UTC ISO text with microseconds."""
    await busy_chain(api)
    async with api.ctx.sessions() as session:
        events = (await session.scalars(select(AuditEvent).order_by(AuditEvent.seq))).all()
    assert len(events) > 10
    for event in events:
        fields = [getattr(event, name) for name in HASHED]
        fields[1] = event.at.astimezone(UTC).isoformat(timespec="microseconds")
        content = msgspec.json.encode(fields, order="sorted")
        expected = hmac.new(api.ctx.audit_key, content, hashlib.sha256).hexdigest()
        assert event.hash == expected, event.seq
        assert Hasher(api.ctx.audit_key).of(event) == expected


async def test_a_chain_checked_in_stretches_by_several_processes_is_whole(api: Api) -> None:
    scene = await busy_chain(api)
    whole = await verify(api)
    assert whole["ok"] is True
    assert whole["events"] == scene.last.seq
    for workers in (2, 4):
        async with api.ctx.sessions() as session:
            split = await verify_chain(session, api.ctx.audit_key, workers=workers)
        assert msgspec.to_builtins(split) == whole, (workers, split)


@dataclass(frozen=True)
class Check:
    """One verify run while targets were being added: its answer, and how many of the writes
    had been answered before it began (``done_before``) and after it ended (``done_after``),
    and how many sent by then (``begun_after``)."""

    path: str
    result: dict[str, Any]
    done_before: int
    done_after: int
    begun_after: int


async def test_verifying_while_events_are_appended_finds_the_chain_whole(api: Api) -> None:
    """Verify reads the head and the highest event in one snapshot and walks up to the head:
    events committed meanwhile, by requests running alongside, are neither counted nor taken
    for forgeries, whether one process walks the chain or several check stretches of it."""
    appraisals = [await world(api), await api.appraisal_of(PEER, PEER)]
    base = (await verify(api))["events"]
    writes = {"begun": 0, "done": 0}
    checks: list[Check] = []
    paths = ("api", "stretches")

    def writing() -> bool:
        """Until each writer added a few targets and each way verified a few times."""
        runs = Counter(check.path for check in checks)
        return writes["done"] < 16 or any(runs[path] < 3 for path in paths)

    async with overlapping_client(api.app) as client:

        async def add_targets(appraisal: dict[str, Any], who: str) -> None:
            while writing():
                writes["begun"] += 1
                response = await client.post(
                    f"/api/v1/appraisals/{appraisal['id']}/targets",
                    headers=api.auth(who),
                    json={**TARGET, "title": f"Layanan {writes['begun']}"},
                )
                assert response.status_code == 201, response.text
                writes["done"] += 1  # its event was committed before the answer

        async def through_the_api() -> dict[str, Any]:
            response = await client.get("/api/v1/audit/verify", headers=api.auth(AUDITOR))
            assert response.status_code == 200, response.text
            result: dict[str, Any] = response.json()
            return result

        async def in_stretches() -> dict[str, Any]:
            async with api.ctx.sessions() as session:
                result = await verify_chain(session, api.ctx.audit_key, workers=2)
            return cast("dict[str, Any]", msgspec.to_builtins(result))

        async def keep_verifying(path: str, run: Callable[[], Awaitable[dict[str, Any]]]) -> None:
            while writes["done"] < writes["begun"] or writing():
                done_before = writes["done"]
                result = await run()
                checks.append(Check(path, result, done_before, writes["done"], writes["begun"]))

        await asyncio.gather(
            add_targets(appraisals[0], EMPLOYEE),
            add_targets(appraisals[1], PEER),
            keep_verifying(paths[0], through_the_api),
            keep_verifying(paths[1], in_stretches),
        )

    for check in checks:
        assert check.result["ok"] is True, check
        assert check.result["first_bad_event"] is None, check
        # Every event committed before it began is counted, none not yet sent is.
        assert base + check.done_before <= check.result["events"] <= base + check.begun_after, check
    for path in paths:
        mine = [check for check in checks if check.path == path]
        # Not vacuous: a write in flight when a verify began was answered before it ended ...
        assert any(check.done_after > check.done_before for check in mine), (path, mine)
        # ... and the verifies saw the chain grow.
        assert len({check.result["events"] for check in mine}) > 1, (path, mine)
    total = base + writes["done"]
    assert await verify(api) == {"ok": True, "events": total, "first_bad_event": None}
    assert len(await stored_events(api)) == total
    async with api.ctx.sessions() as session:
        split = await verify_chain(session, api.ctx.audit_key, workers=2)
    assert msgspec.to_builtins(split) == {"ok": True, "events": total, "first_bad_event": None}


async def test_a_tampered_event_shows_in_the_trail_and_the_chain_stays_broken(api: Api) -> None:
    scene = await busy_chain(api)
    k = await tamper_data(api, scene)
    review = next(e for e in await trail(api, scene.appraisal_id) if e["seq"] == k)
    assert review["data"]["predikat"] == "sangat_baik"  # the forgery is visible ...
    assert (await verify(api))["first_bad_event"] == k  # ... and so is the break
    # later, legitimate activity does not paper over the break
    peer = await api.appraisal_of(PEER, PEER)
    approved = await api.act(peer, "approve_targets", EVALUATOR)
    assert approved.status_code == 200, approved.text
    result = await verify(api)
    assert (result["ok"], result["first_bad_event"]) == (False, k)
