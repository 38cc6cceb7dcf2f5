"""Write emails to the outbox in the caller's transaction, once per dedupe key.

A message is stored as what its templates need: the message name (``kind``), the locale and
its context as JSON (plain values: text, numbers, dates, lists, dicts, structs; never ORM
rows). Only the subject is rendered here (listings and the daily digest show it); the bodies
are rendered by the worker at delivery (``Outbox.content``), which keeps writes that queue
thousands of emails (an import, a cycle opening) cheap. The recipient's ``name`` and the
message's ``link`` are in the context of every email that has them; the stored context may
leave them to the row's ``to_name`` and ``link`` (``enqueue_select``: one INSERT ... SELECT
queues a message to thousands, with one context for all).
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from datetime import datetime
from email.utils import parseaddr
from typing import Any, cast

import msgspec
from sqlalchemy import (
    Select,
    String,
    Table,
    case,
    func,
    literal,
    literal_column,
    select,
    true,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from kinerja_flow.i18n import DEFAULT_LOCALE, LOCALES
from kinerja_flow.lib.db import is_postgres
from kinerja_flow.notifications.models import OutboxMessage
from kinerja_flow.notifications.render import EmailRenderer, RenderedEmail

_JSON = msgspec.json.Encoder()
OUTBOX = cast("Table", OutboxMessage.__table__)
"""Written through Core: no ORM bookkeeping per message."""

HELD, DIGESTED = "held", "digested"
IS_HELD = OutboxMessage.status == literal_column(f"'{HELD}'")
"""``status`` is ``held``, written out as a constant: only then may SQLite (and PostgreSQL's
generic plans) use the partial index ``ix_outbox_held``."""
"""The states of an email kept for its recipient's daily digest, and listed in it."""
RECIPIENT_COLUMNS = ("to_address", "to_name", "locale", "digest", "dedupe_key", "link")
"""What each row of ``Outbox.enqueue_select``'s query answers, in this order."""


class Recipient(msgspec.Struct, frozen=True):
    email: str
    name: str
    locale: str
    digest: bool = False
    """They chose the daily digest: the email waits for it instead of being sent."""


class Email(msgspec.Struct, frozen=True):
    """One email to queue: the template, who gets it, what it says, and its dedupe key
    (Structs: a cycle opening makes one per appraisal)."""

    message: str
    recipient: Recipient
    context: dict[str, Any]
    """Plain values only (stored as JSON; dates and times become ISO strings)."""
    dedupe_key: str


class Outbox:
    def __init__(self, renderer: EmailRenderer, mail_from: str) -> None:
        self.renderer = renderer
        domain = parseaddr(mail_from)[1].rpartition("@")[2] or "kinerja-flow.local"
        self.message_id_domain = domain

    def content(self, row: OutboxMessage) -> RenderedEmail:
        """What ``row`` says, rendered now from its stored context."""
        if row.body_text is not None:  # queued already rendered, before migration 0016
            return RenderedEmail(row.subject, row.body_text, row.body_html or "")
        context = {"name": row.to_name, **({"link": row.link} if row.link else {})}
        context.update(msgspec.json.decode(row.context))
        return self.renderer.render(row.kind, row.locale, context)

    async def enqueue(self, session: AsyncSession, now: datetime, emails: Sequence[Email]) -> None:
        if not emails:
            return
        rows = []
        # The Message-IDs of one call: one random token, numbered. Neighbours in the unique
        # index, so a batch writes a few of its pages rather than one per email.
        token = uuid.uuid4().hex
        for number, email in enumerate(emails, 1):
            locale = email.recipient.locale
            rows.append(
                {
                    "kind": email.message,
                    "dedupe_key": email.dedupe_key,
                    "message_id": f"<{token}.{number}@{self.message_id_domain}>",
                    "to_address": email.recipient.email,
                    "to_name": email.recipient.name,
                    "locale": locale,
                    "subject": self.renderer.subject(email.message, locale, email.context),
                    "context": _JSON.encode(email.context).decode(),
                    "link": email.context.get("link"),
                    "status": HELD if email.recipient.digest else "pending",
                    "attempts": 0,
                    "next_attempt_at": now,
                    "created_at": now,
                }
            )
        await session.execute(_new_only(session), rows)

    async def enqueue_select(
        self,
        session: AsyncSession,
        now: datetime,
        message: str,
        context: dict[str, Any],
        recipients: Select[Any],
        parameters: dict[str, Any],
    ) -> None:
        """Queue ``message`` to every row of ``recipients`` in one INSERT ... SELECT, nothing
        built in Python per email (a cycle opening queues one to each of 100,000 people).

        ``recipients`` (run with ``parameters``) answers the :data:`RECIPIENT_COLUMNS`;
        ``context`` is what every one of these emails says, each one's ``name`` and ``link``
        coming from its row. The subject may only depend on ``context`` (it is rendered once
        per locale).
        """
        subjects = {locale: self.renderer.subject(message, locale, context) for locale in LOCALES}
        row = dict(zip(RECIPIENT_COLUMNS, recipients.subquery().c, strict=True))
        token = uuid.uuid4().hex
        chosen = {
            "kind": literal(message),
            "dedupe_key": row["dedupe_key"],
            "message_id": literal(f"<{token}.")
            + func.row_number().over().cast(String)
            + literal(f"@{self.message_id_domain}>"),
            "to_address": row["to_address"],
            "to_name": row["to_name"],
            "locale": row["locale"],
            "subject": case(subjects, value=row["locale"], else_=subjects[DEFAULT_LOCALE]),
            "context": literal(_JSON.encode(context).decode()),
            "link": row["link"],
            "status": case((row["digest"].is_(True), HELD), else_="pending"),
            "attempts": literal(0),
            "next_attempt_at": literal(now, OUTBOX.c.next_attempt_at.type),
            "created_at": literal(now, OUTBOX.c.created_at.type),
        }
        # SQLite: an upsert after INSERT ... SELECT needs the SELECT's WHERE
        query = select(*chosen.values()).where(true())
        await session.execute(_new_only(session).from_select(list(chosen), query), parameters)


_NEW_ONLY: dict[bool, postgresql.Insert | sqlite.Insert] = {
    True: postgresql.insert(OUTBOX).on_conflict_do_nothing(index_elements=["dedupe_key"]),
    False: sqlite.insert(OUTBOX).on_conflict_do_nothing(index_elements=["dedupe_key"]),
}
"""Built once (every queued email runs one): by whether the database is PostgreSQL."""


def _new_only(session: AsyncSession) -> postgresql.Insert | sqlite.Insert:
    """An INSERT into the outbox that skips an email whose dedupe key is queued already."""
    return _NEW_ONLY[is_postgres(session)]


async def release_held(session: AsyncSession, address: str, now: datetime) -> None:
    """Send at once what waits for ``address``'s daily digest (they turned it off)."""
    await session.execute(
        update(OutboxMessage)
        .where(IS_HELD, OutboxMessage.to_address == address)
        .values(status="pending", next_attempt_at=now)
    )


async def readdress_held(session: AsyncSession, moves: Mapping[str, str]) -> None:
    """Send what waits for a digest to each person's new address (``moves``: old to new).

    The messages are found first and moved by id, so two people who swap addresses in one
    import each keep their own."""
    if not moves:
        return
    held = (
        await session.execute(
            select(OutboxMessage.id, OutboxMessage.to_address).where(
                IS_HELD, OutboxMessage.to_address.in_(list(moves))
            )
        )
    ).all()
    if held:
        await session.execute(
            update(OutboxMessage),
            [{"id": id_, "to_address": moves[address]} for id_, address in held],
        )
