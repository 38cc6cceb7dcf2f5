"""Email: who is told what, in which language, and delivery that survives a mail outage."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email import message_from_bytes, policy
from email.message import EmailMessage
from typing import Any

import aiosmtplib
import msgspec
import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session
from sqlalchemy import text

from kinerja_flow.config import Settings, SmtpTls, load_settings
from kinerja_flow.lib.sockets import free_port
from kinerja_flow.notifications.models import OutboxMessage
from kinerja_flow.notifications.render import RenderedEmail
from kinerja_flow.notifications.smtp import build_message, envelope_sender, smtp_client
from kinerja_flow.notifications.worker import OutboxWorker
from tests.support.api import EMPLOYEE, EVALUATOR, HEAD, HR, PEER, Api, Mail
from tests.support.flow import add_target, advance, evaluate, realise_all, world
from tests.support.followups import end_followups
from tests.support.mailserver import MailServer

BUDI, SITI, HENDRA, DEWI = (
    "budi@example.go.id",
    "siti@example.go.id",
    "hendra@example.go.id",
    "dewi@example.go.id",
)
EVERYONE = {
    "hendra@example.go.id": "Hendra Wijaya",
    "siti@example.go.id": "Siti Rahmawati",
    "budi@example.go.id": "Budi Santoso",
    "dewi@example.go.id": "Dewi Lestari",
    "rina@example.go.id": "Rina Hartati",
    "agus@example.go.id": "Agus Pratama",
}
BACKOFF = timedelta(seconds=30)  # the first retry delay the worker promises


def message_id(message: EmailMessage) -> str:
    return str(message["Message-ID"]).strip()


def html_of(message: EmailMessage) -> str:
    part: Any = message.get_body(preferencelist=("html",))
    return str(part.get_content()) if part is not None else ""


def lines(body: str) -> list[str]:
    """The lines of a body, whatever line endings the transport used."""
    return [line.rstrip() for line in body.strip().splitlines()]


def recipient(message: EmailMessage) -> str:
    found = re.search(r"[\w.+-]+@[\w.-]+", str(message["To"]))
    assert found, message["To"]
    return found.group(0).lower()


@dataclass
class Inbox:
    """What the real SMTP server received since a point in time, matched to the outbox."""

    api: Api
    start: int = 0
    rows: dict[str, Mail] = field(default_factory=dict)

    def mark(self) -> None:
        self.start = len(self.api.mail.messages)

    async def new(self) -> list[EmailMessage]:
        self.rows = {row.message_id: row for row in await self.api.outbox()}
        return self.api.mail.messages[self.start :]

    def kind(self, message: EmailMessage) -> str:
        return self.rows[message_id(message)].row.kind


async def settle(api: Api) -> Inbox:
    """Deliver everything queued so far; return an inbox that only shows what comes next."""
    await api.deliver()
    inbox = Inbox(api)
    inbox.mark()
    return inbox


async def set_locale(api: Api, email: str, locale: str) -> None:
    async with api.ctx.sessions() as session:
        await session.execute(
            text("UPDATE accounts SET locale = :locale WHERE email = :email"),
            {"locale": locale, "email": email},
        )
        await session.commit()


async def row_of(api: Api, row_id: int) -> OutboxMessage:
    async with api.ctx.sessions() as session:
        row = await session.get(OutboxMessage, row_id)
        assert row is not None
        return row


# -- who is told what ---------------------------------------------------------------------


@dataclass(frozen=True)
class Notice:
    trigger: str
    source: str
    who: str
    message: str
    to: frozenset[str]
    payload: dict[str, Any] = field(default_factory=dict)


NOTICES = [
    Notice("submit_targets", "planning", EMPLOYEE, "targets_submitted", frozenset({SITI})),
    Notice(
        "return_targets",
        "targets_submitted",
        EVALUATOR,
        "targets_returned",
        frozenset({BUDI}),
        {"comment": "Indikator belum terukur."},
    ),
    Notice(
        "approve_targets", "targets_submitted", EVALUATOR, "targets_approved", frozenset({BUDI})
    ),
    Notice("start_self_assessment", "in_progress", HR, "self_assessment_open", frozenset({BUDI})),
    Notice(
        "submit_self_assessment", "self_assessment", EMPLOYEE, "review_requested", frozenset({SITI})
    ),
    Notice(
        "submit_review",
        "under_review",
        EVALUATOR,
        "review_released",
        frozenset({BUDI}),
        {"results_rating": "di_atas_ekspektasi", "behaviour_rating": "sesuai_ekspektasi"},
    ),
    Notice("acknowledge", "reviewed", EMPLOYEE, "result_acknowledged", frozenset({SITI})),
    Notice(
        "file_appeal",
        "reviewed",
        EMPLOYEE,
        "appeal_filed",
        frozenset({HENDRA, SITI}),
        {"reason": "Bukti dukung tidak dipertimbangkan."},
    ),
    Notice(
        "decide_appeal",
        "appealed",
        HEAD,
        "appeal_decided",
        frozenset({BUDI, SITI}),
        {"decision": "upheld", "reason": "Penilaian sesuai bukti."},
    ),
    Notice("close", "follow_up", HR, "appraisal_closed", frozenset({BUDI})),
    Notice(
        "cancel",
        "in_progress",
        HR,
        "appraisal_cancelled",
        frozenset({BUDI, SITI}),
        {"reason": "Pegawai pindah instansi."},
    ),
]


@pytest.mark.parametrize("notice", NOTICES, ids=lambda notice: notice.trigger)
async def test_each_step_emails_the_people_concerned(api: Api, notice: Notice) -> None:
    appraisal = await advance(api, await world(api), notice.source)
    if notice.trigger == "submit_targets":
        appraisal = await add_target(api, appraisal)
    if notice.trigger == "submit_self_assessment":
        appraisal = await realise_all(api, appraisal)
    if notice.trigger == "submit_review":
        appraisal = await evaluate(api, appraisal)
    if notice.trigger == "close":
        await end_followups(api, appraisal, HR)
    inbox = await settle(api)
    done = await api.act(appraisal, notice.trigger, notice.who, **notice.payload)
    assert done.status_code == 200, done.text
    await api.deliver()

    # the follow-ups proposed on the way into follow_up email too (test_followups_rules.py)
    received = [m for m in await inbox.new() if not inbox.kind(m).startswith("followup_")]
    assert len(received) == len(notice.to)
    assert sorted(recipient(m) for m in received) == sorted(notice.to)
    link = f"https://kinerja.example.go.id/appraisals/{appraisal['id']}"
    for message in received:
        assert inbox.kind(message) == notice.message
        assert str(message["Subject"]).strip()
        body = MailServer.text_of(message)
        assert "Budi Santoso" in f"{message['Subject']}\n{body}", (notice.trigger, body)
        assert link in body, (notice.trigger, body)
        assert link in html_of(message)
    assert await api.deliver() == 0


async def test_submitted_targets_tell_the_evaluator_whose_they_are(api: Api) -> None:
    appraisal = await add_target(api, await world(api))
    inbox = await settle(api)
    submitted = await api.act(appraisal, "submit_targets", EMPLOYEE)
    assert submitted.status_code == 200, submitted.text
    await api.deliver()
    received = await inbox.new()
    assert [recipient(m) for m in received] == [SITI]
    message = received[0]
    assert "Siti Rahmawati" in str(message["To"])
    assert "Budi Santoso" in str(message["Subject"])
    assert "Budi Santoso" in MailServer.text_of(message)
    assert all(inbox.kind(m) != "targets_submitted" for m in api.mail.to(BUDI))


async def test_the_released_review_tells_the_employee_the_predikat(api: Api) -> None:
    appraisal = await evaluate(api, await advance(api, await world(api), "under_review"))
    inbox = await settle(api)
    reviewed = await api.act(
        appraisal,
        "submit_review",
        EVALUATOR,
        results_rating="di_atas_ekspektasi",
        behaviour_rating="di_atas_ekspektasi",
    )
    assert reviewed.status_code == 200, reviewed.text
    assert reviewed.json()["predikat"] == "sangat_baik"
    await api.deliver()
    (message,) = await inbox.new()
    assert recipient(message) == BUDI
    assert "sangat baik" in MailServer.text_of(message).lower()
    assert "sangat baik" in html_of(message).lower()


async def test_an_appeal_goes_to_the_reviewer_and_the_evaluator(api: Api) -> None:
    appraisal = await advance(api, await world(api), "reviewed")
    inbox = await settle(api)
    reason = "Realisasi melebihi target tetapi tidak dipertimbangkan."
    filed = await api.act(appraisal, "file_appeal", EMPLOYEE, reason=reason)
    assert filed.status_code == 200, filed.text
    await api.deliver()
    received = {recipient(m): m for m in await inbox.new()}
    assert set(received) == {HENDRA, SITI}
    for message in received.values():
        assert "Budi Santoso" in f"{message['Subject']}\n{MailServer.text_of(message)}"
    assert "Hendra Wijaya" in str(received[HENDRA]["To"])


async def test_opening_a_cycle_sends_every_employee_the_skp_open_email(api: Api) -> None:
    await api.setup_org()
    inbox = await settle(api)  # the invitations
    opened = await api.open_cycle()
    assert opened["created"] == 6
    await api.deliver()
    received = await inbox.new()
    assert sorted(recipient(m) for m in received) == sorted(EVERYONE)
    appraisals = (await api.get("/api/v1/appraisals", "admin", params={"limit": 100})).json()
    appraisal_of = {item["employee"]["name"]: item["id"] for item in appraisals["items"]}
    for message in received:
        assert inbox.kind(message) == "skp_open"
        name = EVERYONE[recipient(message)]
        assert "SKP" in str(message["Subject"])
        body = MailServer.text_of(message)
        assert name in body
        assert "SKP Tahunan 2026" in body
        assert f"https://kinerja.example.go.id/appraisals/{appraisal_of[name]}" in body


# -- the shape of a message ---------------------------------------------------------------


async def test_messages_are_multipart_text_and_html_with_the_outbox_message_id(api: Api) -> None:
    appraisal = await add_target(api, await world(api))
    submitted = await api.act(appraisal, "submit_targets", EMPLOYEE)
    assert submitted.status_code == 200, submitted.text
    await api.deliver()
    rows = {row.message_id: row for row in await api.outbox()}
    received = api.mail.messages
    assert len(received) == len(rows)  # invitations, SKP open, targets submitted
    assert len({message_id(m) for m in received}) == len(received)
    for message in received:
        row = rows[message_id(message)]
        assert row.status == "sent"
        assert re.fullmatch(r"<[^<>@\s]+@[^<>@\s]+>", row.message_id)
        assert message.get_content_type() == "multipart/alternative"
        parts = [part.get_content_type() for part in message.iter_parts()]
        assert parts == ["text/plain", "text/html"]
        assert str(message["Subject"]) == row.subject
        assert recipient(message) == row.to_address
        assert row.locale == "id"
        assert message["Date"] is not None
        assert lines(MailServer.text_of(message)) == lines(row.body_text)
        assert lines(html_of(message)) == lines(row.body_html)
    siti = [m for m in received if rows[message_id(m)].kind == "targets_submitted"]
    assert "<" in html_of(siti[0])
    assert "Budi Santoso" in html_of(siti[0])


async def test_messages_declare_their_language(api: Api) -> None:
    await api.setup_org()
    await set_locale(api, BUDI, "en")
    await api.open_cycle()
    await api.deliver()
    rows = {row.message_id: row for row in await api.outbox(kind="skp_open")}
    received = [m for m in api.mail.messages if message_id(m) in rows]
    assert len(received) == 6
    for message in received:
        assert str(message["Content-Language"]) == rows[message_id(message)].locale


async def test_html_escapes_what_people_typed(api: Api) -> None:
    appraisal = await advance(api, await world(api), "targets_submitted")
    inbox = await settle(api)
    comment = "Target <b>harus</b> terukur & jelas"
    returned = await api.act(appraisal, "return_targets", EVALUATOR, comment=comment)
    assert returned.status_code == 200, returned.text
    await api.deliver()
    (message,) = await inbox.new()
    html = html_of(message)
    assert "<b>harus</b>" not in html
    assert "&lt;b&gt;harus&lt;/b&gt; terukur &amp; jelas" in html  # quoted, escaped


async def test_an_english_account_gets_english_email(api: Api) -> None:
    appraisal = await add_target(api, await world(api))
    peer = await api.appraisal_of(PEER, PEER)
    peer_target = await api.post(
        f"/api/v1/appraisals/{peer['id']}/targets",
        PEER,
        {
            "title": "Jaringan kantor",
            "indicators": [{"description": "Uptime", "target_value": 99, "target_unit": "unit"}],
        },
    )
    assert peer_target.status_code == 201, peer_target.text
    inbox = await settle(api)

    assert (await api.act(peer_target.json(), "submit_targets", PEER)).status_code == 200
    await set_locale(api, SITI, "en")
    assert (await api.act(appraisal, "submit_targets", EMPLOYEE)).status_code == 200
    await api.deliver()
    indonesian, english = await inbox.new()
    assert (recipient(indonesian), recipient(english)) == (SITI, SITI)
    rows = inbox.rows
    assert (rows[message_id(indonesian)].locale, rows[message_id(english)].locale) == ("id", "en")
    id_subject = str(indonesian["Subject"]).replace("Dewi Lestari", "{name}")
    en_subject = str(english["Subject"]).replace("Budi Santoso", "{name}")
    assert "{name}" in id_subject
    assert "{name}" in en_subject
    assert id_subject != en_subject
    assert MailServer.text_of(indonesian) != MailServer.text_of(english)


async def test_the_skp_open_email_follows_each_persons_language(api: Api) -> None:
    await api.setup_org()
    await set_locale(api, BUDI, "en")
    inbox = await settle(api)
    await api.open_cycle()
    await api.deliver()
    by_person = {recipient(m): m for m in await inbox.new()}
    locale_of = {recipient(m): inbox.rows[message_id(m)].locale for m in by_person.values()}
    assert locale_of == {**{email: "id" for email in EVERYONE}, BUDI: "en"}
    assert str(by_person[BUDI]["Subject"]) != str(by_person[DEWI]["Subject"])
    assert "Dewi Lestari" in MailServer.text_of(by_person[DEWI])
    assert "Budi Santoso" in MailServer.text_of(by_person[BUDI])


# -- delivery -----------------------------------------------------------------------------


async def test_a_message_survives_a_mail_outage_and_arrives_once(api: Api) -> None:
    appraisal = await add_target(api, await world(api))
    inbox = await settle(api)
    api.mail.stop()
    submitted = await api.act(appraisal, "submit_targets", EMPLOYEE)
    assert submitted.status_code == 200, submitted.text  # the outage does not block the work

    assert await api.deliver() == 0
    (row,) = await api.outbox(to=SITI, kind="targets_submitted")
    assert row.status == "pending"
    assert row.attempts == 1
    assert row.last_error
    assert row.next_attempt_at > api.clock.now()
    assert row.sent_at is None

    api.mail.start()
    assert await api.deliver() == 0  # still backing off
    assert (await row_of(api, row.id)).attempts == 1
    assert await inbox.new() == []

    api.clock.advance(BACKOFF + timedelta(seconds=1))
    assert await api.deliver() == 1
    assert await api.deliver() == 0
    received = await inbox.new()
    assert [message_id(m) for m in received] == [row.message_id]
    assert recipient(received[0]) == SITI
    sent = await row_of(api, row.id)
    assert sent.status == "sent"
    assert sent.sent_at == api.clock.now()
    assert sent.last_error is None

    api.clock.advance(timedelta(days=1))
    assert await api.deliver() == 0
    assert [message_id(m) for m in await inbox.new()] == [row.message_id]  # never twice


async def test_nothing_is_lost_when_many_messages_wait_through_an_outage(api: Api) -> None:
    appraisal = await world(api)
    peer = await api.appraisal_of(PEER, PEER)
    inbox = await settle(api)
    api.mail.stop()

    appraisal = await advance(api, appraisal, "in_progress")  # to Siti, then to Budi
    assert await api.deliver() == 0
    api.clock.advance(timedelta(minutes=10))
    assert await api.deliver() == 0  # the first two fail a second time
    target = await api.post(
        f"/api/v1/appraisals/{peer['id']}/targets",
        PEER,
        {
            "title": "Jaringan",
            "indicators": [{"description": "Uptime", "target_value": 99, "target_unit": "unit"}],
        },
    )
    assert target.status_code == 201, target.text
    assert (await api.act(target.json(), "submit_targets", PEER)).status_code == 200
    cancelled = await api.act(appraisal, "cancel", HR, reason="Mutasi.")
    assert cancelled.status_code == 200, cancelled.text  # to Budi and Siti
    assert await api.deliver() == 0

    waiting = [row for row in await api.outbox() if row.status != "sent"]
    assert len(waiting) == 5
    assert {row.attempts for row in waiting} == {1, 2}
    assert all(row.status == "pending" and row.last_error for row in waiting)

    api.mail.start()
    api.clock.advance(timedelta(hours=1, seconds=1))  # past the longest backoff
    assert await api.deliver() == 5
    received = await inbox.new()
    assert sorted(message_id(m) for m in received) == sorted(row.message_id for row in waiting)
    assert all(row.status == "sent" for row in await api.outbox())
    api.clock.advance(timedelta(hours=2))
    assert await api.deliver() == 0
    assert len(await inbox.new()) == 5


async def test_the_outbox_never_holds_two_rows_for_one_dedupe_key(api: Api) -> None:
    await api.setup_org()
    opened = await api.open_cycle()
    cycle_id = opened["cycle"]["id"]
    await api.deliver()
    again = await api.run(f"/api/v1/cycles/{cycle_id}/open", "admin")
    assert again.status_code == 200, again.text
    assert len(await api.outbox(kind="skp_open")) == 6
    assert await api.deliver() == 0

    newcomer = (
        "199205052017031007,Eko Saputra,eko@example.go.id,BID1,Analis Data,198002022005012002,\n"
    )
    header = "nip,name,email,unit_code,position,supervisor_nip,roles\n"
    imported = await api.import_csv(header + newcomer)
    assert imported.status_code == 200, imported.text
    inbox = await settle(api)  # Eko's invitation
    reopened = await api.run(f"/api/v1/cycles/{cycle_id}/open", "admin")
    assert reopened.json()["created"] == 1
    await api.deliver()
    received = await inbox.new()
    assert [(recipient(m), inbox.kind(m)) for m in received] == [("eko@example.go.id", "skp_open")]
    assert len(api.mail.to(BUDI)) == 2  # the invitation and one SKP-open email, never a second

    async with api.ctx.sessions() as session:
        duplicates = (
            await session.execute(
                text(
                    "SELECT dedupe_key FROM outbox_messages GROUP BY dedupe_key HAVING COUNT(*) > 1"
                )
            )
        ).all()
    assert duplicates == []


async def test_targets_resubmitted_after_a_return_notify_the_evaluator_again(api: Api) -> None:
    appraisal = await advance(api, await world(api), "targets_submitted")
    returned = await api.act(appraisal, "return_targets", EVALUATOR, comment="Perjelas target.")
    assert returned.status_code == 200, returned.text
    again = await api.act(returned.json(), "submit_targets", EMPLOYEE)
    assert again.status_code == 200, again.text
    await api.deliver()
    rows = await api.outbox(to=SITI, kind="targets_submitted")
    assert len(rows) == 2
    assert len({row.dedupe_key for row in rows}) == 2
    delivered = {message_id(m) for m in api.mail.to(SITI)}
    assert {row.message_id for row in rows} <= delivered


# -- TLS is explicit ----------------------------------------------------------------------


def with_smtp(api: Api, **changes: Any) -> Settings:
    return msgspec.structs.replace(api.settings, **changes)


def test_smtp_client_uses_exactly_the_configured_tls_mode() -> None:
    base = Settings(smtp_host="mail.example.go.id", smtp_port=587)
    for mode, use_tls, start_tls in (
        (SmtpTls.NONE, False, False),
        (SmtpTls.STARTTLS, False, True),
        (SmtpTls.TLS, True, False),
    ):
        client = smtp_client(msgspec.structs.replace(base, smtp_tls=mode))
        assert client.use_tls is use_tls, mode
        # ``None`` would mean "upgrade if the server offers it": never wanted here
        assert client._start_tls_on_connect is start_tls, mode


class _OffersStartTls:
    """A plain-text server that advertises STARTTLS but cannot actually do it."""

    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []

    async def handle_EHLO(  # noqa: N802
        self,
        server: SMTP,
        session: Session,
        envelope: Envelope,
        hostname: str,
        responses: list[str],
    ) -> list[str]:
        session.host_name = hostname
        return [*responses[:-1], "250-STARTTLS", responses[-1]]

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:  # noqa: N802
        message = message_from_bytes(envelope.original_content or b"", policy=policy.default)
        assert isinstance(message, EmailMessage)
        self.messages.append(message)
        return "250 Message accepted for delivery"


async def deliver_with(api: Api, settings: Settings) -> int:
    worker = OutboxWorker(api.ctx.sessions, settings, api.clock, api.ctx.outbox)
    total = 0
    while sent := await worker.deliver_once():
        total += sent
    return total


async def test_without_tls_the_worker_never_upgrades_even_when_offered(api: Api) -> None:
    await api.setup_org()  # six invitations wait in the outbox
    handler = _OffersStartTls()
    port = free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        # the server is a fair trap: a client that upgrades when offered fails on it
        opportunistic = aiosmtplib.SMTP(hostname="127.0.0.1", port=port, timeout=5)
        with pytest.raises(aiosmtplib.SMTPResponseException, match="TLS"):
            async with opportunistic:
                await opportunistic.noop()
        settings = with_smtp(api, smtp_port=port, smtp_tls=SmtpTls.NONE)
        assert await deliver_with(api, settings) == 6
    finally:
        controller.stop()
    assert sorted(recipient(m) for m in handler.messages) == sorted(EVERYONE)
    assert all(row.status == "sent" for row in await api.outbox())


async def test_starttls_mode_refuses_a_server_without_tls_instead_of_sending_plain(
    api: Api,
) -> None:
    await api.setup_org()
    settings = with_smtp(api, smtp_tls=SmtpTls.STARTTLS)
    assert await deliver_with(api, settings) == 0
    assert api.mail.messages == []
    rows = await api.outbox()
    assert len(rows) == 6
    for row in rows:
        assert (row.status, row.attempts) == ("pending", 1)
        assert row.last_error
        assert "tls" in row.last_error.lower()
    # the same queue goes out once the configuration is right
    api.clock.advance(BACKOFF + timedelta(seconds=1))
    assert await api.deliver() == 6
    assert len(api.mail.messages) == 6


async def test_tls_mode_refuses_a_plain_server(api: Api) -> None:
    await api.setup_org()
    settings = with_smtp(api, smtp_tls=SmtpTls.TLS, smtp_timeout=3.0)
    assert await deliver_with(api, settings) == 0
    assert api.mail.messages == []
    assert {(row.status, row.attempts) for row in await api.outbox()} == {("pending", 1)}


@pytest.mark.parametrize(
    ("name", "subject"),
    [
        ("Budi Santoso, S.Kom.", "SKP Anda telah disetujui \u2013 SKP Tahunan 2026"),
        ("Dr. Ir. Raden Ayu Kusumawardhani Purbaningrum Soerjosoemarno, M.Sc.", "A" * 150),
        ("Zoë Ñúñez Müller-Lüdenscheidt von Hohenzollern-Sigmaringen", "é" * 200),
        ('Siti "HR" <admin>; =?utf-8?q?x?=', "=?utf-8?b?SGk=?= is not a word to decode"),
    ],
)
def test_a_mail_reader_shows_the_name_and_subject_exactly_as_stored(
    name: str, subject: str
) -> None:
    row = OutboxMessage(
        to_address="budi@example.go.id",
        to_name=name,
        created_at=datetime(2026, 1, 5, tzinfo=UTC),
        message_id="<one@example.go.id>",
        locale="id",
    )
    content = RenderedEmail(subject, "Yth. Bapak/Ibu,\n", "<p>Yth. Bapak/Ibu,</p>")
    raw = build_message(row, content, "BKPSDM Kota Bogór <noreply@example.go.id>")
    assert max(len(line) for line in raw.splitlines()) <= 998
    # RFC 2047 section 2: an encoded word of the subject is at most 75 characters
    subject_lines = re.search(rb"^Subject:.*?(?=^\S)", raw, re.MULTILINE | re.DOTALL)
    assert subject_lines
    assert max(map(len, re.findall(rb"=\?utf-8\?b\?[^?]*\?=", subject_lines[0])), default=0) <= 75
    parsed = message_from_bytes(raw, policy=policy.default)
    assert str(parsed["Subject"]) == subject
    (to,) = parsed["To"].addresses
    assert (to.display_name, to.addr_spec) == (name, "budi@example.go.id")
    (sender,) = parsed["From"].addresses
    assert (sender.display_name, sender.addr_spec) == ("BKPSDM Kota Bogór", "noreply@example.go.id")


@pytest.mark.parametrize(
    "mail_from", ["BKPSDM <büro@example.go.id>", "BKPSDM", "BKPSDM <noreply@bögor.go.id>"]
)
def test_a_sender_address_smtp_cannot_carry_is_refused_at_start_up(mail_from: str) -> None:
    with pytest.raises(SystemExit, match=r"mail_from.*plain ASCII address"):
        load_settings({"KINERJA_MAIL_FROM": mail_from})


def test_a_sender_name_in_any_script_is_accepted() -> None:
    settings = load_settings({"KINERJA_MAIL_FROM": "BKPSDM Kota Bogór <noreply@example.go.id>"})
    assert envelope_sender(settings.mail_from) == "noreply@example.go.id"
