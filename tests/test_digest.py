"""The daily digest: a person may choose one summary a day instead of an email per reminder
or escalation; it lists what awaits them, most urgent first, with links and deadlines."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from kinerja_flow.scheduler import Scheduler
from tests.support.api import EMPLOYEE, EVALUATOR, HR, ORG_CSV, PEER, Api
from tests.support.flow import add_target, advance, world
from tests.support.mailserver import MailServer

WIB = timezone(timedelta(hours=7))
BUDI, SITI, DEWI = "budi@example.go.id", "siti@example.go.id", "dewi@example.go.id"
ME = "/api/v1/auth/me"


def wib(month: int, day: int, hour: int = 0) -> datetime:
    return datetime(2026, month, day, hour, tzinfo=WIB)


async def at(api: Api, moment: datetime) -> None:
    api.clock.advance(moment - api.clock.now())


async def tick(api: Api) -> int:
    report = await Scheduler(api.ctx).run_once()
    assert not report.failed, report
    return report.digests


async def test_the_digest_is_a_preference_of_ones_own_account(api: Api) -> None:
    await world(api)
    mine = await api.get(ME, EMPLOYEE)
    assert (mine.json()["digest"], mine.json()["locale"]) == (False, "id")
    changed = await api.patch(ME, EMPLOYEE, {"digest": True})
    assert changed.status_code == 200, changed.text
    assert (changed.json()["digest"], changed.json()["locale"]) == (True, "id")
    assert (await api.get(ME, EMPLOYEE)).json()["digest"] is True
    assert (await api.get(ME, EVALUATOR)).json()["digest"] is False  # only mine
    both = await api.patch(ME, EMPLOYEE, {"digest": False, "locale": "en"})
    assert (both.json()["digest"], both.json()["locale"]) == (False, "en")
    bad_bodies: list[object] = [
        {"digest": "yes"},
        {"digest": 1},
        {"digest": None},
        {"locale": "fr"},
        {"locale": "id\u0000"},
        {"colour": "red"},
        [],
    ]
    for bad in bad_bodies:
        refused = await api.patch(ME, EMPLOYEE, bad)
        assert refused.status_code == 422, (bad, refused.text)
    assert (await api.get(ME, EMPLOYEE)).json()["digest"] is False
    assert (await api.client.patch(ME, json={"digest": True})).status_code == 401
    trail = await api.get("/api/v1/audit/verify", HR)
    assert trail.json()["ok"] is True


async def test_a_digest_replaces_reminders_and_lists_what_awaits_most_urgent_first(
    api: Api,
) -> None:
    budi = await advance(api, await world(api), "under_review")  # Siti rates by 31-12-2026
    dewi = await add_target(api, await api.appraisal_of(PEER, PEER), who=PEER)
    submitted = await api.act(dewi, "submit_targets", PEER)  # Siti approves by 31-01-2026
    assert submitted.status_code == 200, submitted.text
    for who in (EVALUATOR, EMPLOYEE):
        assert (await api.patch(ME, who, {"digest": True})).status_code == 200

    # The reminders of 24 January reach the others; Siti gets none, nor a digest at midnight.
    await at(api, wib(1, 24))
    assert await tick(api) == 0
    assert await api.outbox(to=SITI, kind="deadline_reminder") == []
    assert await api.outbox(to="hendra@example.go.id", kind="deadline_reminder")

    # At 07:00 (KINERJA_DIGEST_HOUR) one summary, the most urgent first.
    await at(api, wib(1, 24, 7))
    assert await tick(api) == 1  # Budi's own SKP waits for nobody but Siti now
    assert await tick(api) == 0  # one a day
    (digest,) = await api.outbox(to=SITI, kind="daily_digest")
    assert "3 hal" in digest.subject
    text = digest.body_text
    own, dewis, budis = (
        text.index("Siti Rahmawati"),
        text.index("Dewi Lestari"),
        text.index("Budi Santoso (NIP"),
    )
    assert budis > max(own, dewis)  # due 31-12-2026, after the two due 31-01-2026
    assert text.count("31-01-2026") == 2
    assert "31-12-2026" in text
    assert f"https://kinerja.example.go.id/appraisals/{budi['id']}" in text
    assert f"https://kinerja.example.go.id/appraisals/{dewi['id']}" in text
    await api.deliver()
    (received,) = [m for m in api.mail.to(SITI) if "Ringkasan harian" in str(m["Subject"])]
    assert "Menyetujui SKP" in MailServer.text_of(received)

    # The next day: another one; once overdue, an item says so.
    await at(api, wib(2, 1, 7))
    assert await tick(api) == 1
    latest = (await api.outbox(to=SITI, kind="daily_digest"))[-1]
    assert "TERLAMBAT" in latest.body_text
    assert latest.body_text.index("TERLAMBAT") < latest.body_text.index("31-12-2026")
    assert len(await api.outbox(to=SITI, kind="daily_digest")) == 2
    assert await api.outbox(to=SITI, kind="deadline_escalation") == []


async def test_a_digest_also_replaces_the_emails_of_workflow_steps(api: Api) -> None:
    budi = await add_target(api, await world(api))
    assert (await api.patch(ME, EMPLOYEE, {"digest": True})).status_code == 200
    submitted = await api.act(budi, "submit_targets", EMPLOYEE)
    approved = await api.act(submitted.json(), "approve_targets", EVALUATOR)
    assert approved.status_code == 200, approved.text
    await api.deliver()

    def subjects(address: str) -> list[str]:
        return [str(m["Subject"]) for m in api.mail.to(address)]

    # Siti, without a digest, was told of the submission at once; Budi's approval email waits.
    assert any("menunggu persetujuan Anda" in s for s in subjects(SITI))
    assert not any("SKP Anda telah disetujui" in s for s in subjects(BUDI))
    (held,) = await api.outbox(to=BUDI, kind="targets_approved")
    assert held.status == "held"
    listed = (await api.get("/api/v1/outbox?state=held", HR)).json()["items"]
    assert [(m["to_address"], m["kind"]) for m in listed] == [(BUDI, "targets_approved")]

    # The next morning's digest tells what happened, with the link, instead of the email.
    await at(api, wib(1, 6, 7))
    await tick(api)
    (digest,) = await api.outbox(to=BUDI, kind="daily_digest")
    assert "1 kabar baru" in digest.subject
    events = digest.body_text[digest.body_text.index("Kabar sejak ringkasan sebelumnya") :]
    assert "SKP Anda telah disetujui" in events
    assert f"https://kinerja.example.go.id/appraisals/{budi['id']}" in events
    await api.deliver()
    assert not any("SKP Anda telah disetujui" in s for s in subjects(BUDI))
    assert sum("Ringkasan harian" in s for s in subjects(BUDI)) == 1
    (listed_once,) = await api.outbox(to=BUDI, kind="targets_approved")
    assert listed_once.status == "digested"

    # Nothing new happened: no later digest repeats the news.
    await at(api, wib(1, 7, 7))
    await tick(api)
    digests = await api.outbox(to=BUDI, kind="daily_digest")
    assert sum("kabar baru" in d.subject for d in digests) == 1

    # Turned off, what is still held goes out at once, and later steps are emailed as before.
    reopened = await api.act(approved.json(), "reopen_planning", EVALUATOR, comment="Tambah RHK")
    assert reopened.status_code == 200, reopened.text
    assert (await api.outbox(to=BUDI, kind="planning_reopened"))[0].status == "held"
    assert (await api.patch(ME, EMPLOYEE, {"digest": False})).status_code == 200
    await api.deliver()
    assert any("dibuka kembali" in s.lower() for s in subjects(BUDI)), subjects(BUDI)
    assert (await api.outbox(to=BUDI, kind="planning_reopened"))[0].status == "sent"


async def test_news_held_for_a_digest_follows_a_changed_email_address(api: Api) -> None:
    """The import gives Budi and Dewi each other's address: what waits for each one's digest
    goes to the address that is theirs now, and turning the digest off sends it there."""
    budi = await add_target(api, await world(api))
    for who in (EMPLOYEE, PEER):
        assert (await api.patch(ME, who, {"digest": True})).status_code == 200
    submitted = await api.act(budi, "submit_targets", EMPLOYEE)
    approved = await api.act(submitted.json(), "approve_targets", EVALUATOR)
    assert approved.status_code == 200, approved.text
    (held,) = await api.outbox(to=BUDI, kind="targets_approved")
    assert held.status == "held"
    assert not await api.outbox(to=DEWI, kind="targets_approved")

    swapped = ORG_CSV.replace(BUDI, "swap@example.go.id").replace(DEWI, BUDI)
    imported = await api.import_csv(swapped.replace("swap@example.go.id", DEWI), "admin")
    assert imported.status_code == 200, imported.text
    assert (await api.get(ME, EMPLOYEE)).json()["email"] == DEWI

    # Budi (now at Dewi's old address) gets his news in his digest; Dewi's has none of it.
    await at(api, wib(1, 6, 7))
    await tick(api)
    (budis,) = await api.outbox(to=DEWI, kind="daily_digest")
    assert "SKP Anda telah disetujui" in budis.body_text
    assert budis.row.to_name == "Budi Santoso"
    for dewis in await api.outbox(to=BUDI, kind="daily_digest"):
        assert "SKP Anda telah disetujui" not in dewis.body_text

    # What is held later, at the new address, goes out there when he turns the digest off.
    reopened = await api.act(approved.json(), "reopen_planning", EVALUATOR, comment="Tambah RHK")
    assert reopened.status_code == 200, reopened.text
    assert (await api.patch(ME, EMPLOYEE, {"digest": False})).status_code == 200
    await api.deliver()
    assert any("dibuka kembali" in str(m["Subject"]).lower() for m in api.mail.to(DEWI))
    assert not any("dibuka kembali" in str(m["Subject"]).lower() for m in api.mail.to(BUDI))
