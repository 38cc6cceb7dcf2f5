"""Inviting peers, answering as a signed-in peer, and reading the results of an appraisal."""

from __future__ import annotations

import secrets
from datetime import datetime

from sqlalchemy import select

from kinerja_flow.accounts.links import token_digest
from kinerja_flow.accounts.models import Account
from kinerja_flow.appraisals.access import AppraisalAccess
from kinerja_flow.appraisals.cycle_models import Cycle
from kinerja_flow.appraisals.models import Appraisal
from kinerja_flow.appraisals.read_model import AppraisalHead
from kinerja_flow.audit.service import AuditEntry
from kinerja_flow.i18n import _
from kinerja_flow.lib.db import begin_write, column_values, reading
from kinerja_flow.lib.errors import FieldError, Invalid, NotFound
from kinerja_flow.notifications.outbox import Email, Recipient
from kinerja_flow.org.models import Employee
from kinerja_flow.peers import results
from kinerja_flow.peers.answering import find, record
from kinerja_flow.peers.models import PeerAnswer, PeerRequest
from kinerja_flow.peers.schemas import (
    PeerAnswers,
    PeerFeedbackOut,
    PeerInvite,
    PeerReceipt,
    PeerRequestOut,
)

MESSAGE = "peer_feedback_requested"


class PeerService(AppraisalAccess):
    async def invite(self, appraisal_id: int, data: PeerInvite, locale: str) -> PeerFeedbackOut:
        """Ask peers for feedback: all or none, one emailed single-use link each."""
        await begin_write(self.session)
        appraisal = await self._load(appraisal_id, lock=True, parts=frozenset())
        self.permit(appraisal, "peer_requests")
        cycle = await self.session.get_one(Cycle, appraisal.cycle_id)
        now = self.ctx.clock.now()
        peers = await self._checked_peers(appraisal, cycle, data, now)
        employee = await self.session.get_one(Employee, appraisal.employee_id)
        locales = dict(
            (
                await self.session.execute(
                    select(Account.employee_id, Account.locale).where(
                        Account.employee_id.in_([peer.id for peer in peers])
                    )
                )
            ).all()
        )
        emails: list[Email] = []
        entries: list[AuditEntry] = []
        for peer in peers:
            token = secrets.token_urlsafe(32)
            request = PeerRequest(
                appraisal_id=appraisal.id,
                peer_id=peer.id,
                invited_by_id=self.principal.account_id,
                token_hash=token_digest(token),
                due=data.due,
                created_at=now,
            )
            self.session.add(request)
            await self.session.flush()
            # Not on the appraisal's trail (no appraisal_id): the employee reads that trail.
            entries.append(
                AuditEntry(
                    "peer_feedback.requested",
                    "peer_request",
                    request.id,
                    data={"appraisal_id": appraisal.id, "peer": peer.nip, "due": str(data.due)},
                )
            )
            locale = locales.get(peer.id) or self.ctx.settings.default_locale
            emails.append(
                Email(
                    message=MESSAGE,
                    recipient=Recipient(peer.email, peer.name, locale),
                    context={
                        "name": peer.name,
                        "employee": column_values(employee),
                        "cycle": column_values(cycle),
                        "due": data.due,
                        "link": self.ctx.link(f"/peer-feedback/{token}"),
                    },
                    dedupe_key=f"{MESSAGE}:{request.token_hash}",
                )
            )
        await self.audit(now, *entries)
        await self.ctx.outbox.enqueue(self.session, now, emails)
        out = await self._named(appraisal.id, locale)
        await self.session.commit()
        return out

    async def _checked_peers(
        self, appraisal: Appraisal, cycle: Cycle, data: PeerInvite, now: datetime
    ) -> list[Employee]:
        """The peers named by ``data``, or a 422 listing every problem with it."""
        errors: list[FieldError] = []
        last = cycle.review_due or cycle.period_end
        if data.due < now.date():
            errors.append(FieldError("due", _("The due date is in the past.")))
        elif data.due > last:
            errors.append(
                FieldError(
                    "due",
                    _("The due date must not be after the review deadline, {last}."),
                    params={"last": str(last)},
                )
            )
        found = {
            person.nip: person
            for person in await self.session.scalars(
                select(Employee).where(Employee.nip.in_(set(data.nips)))
            )
        }
        invited = set(
            await self.session.scalars(
                select(PeerRequest.peer_id).where(PeerRequest.appraisal_id == appraisal.id)
            )
        )
        peers: list[Employee] = []
        for position, nip in enumerate(data.nips):
            person = found.get(nip)
            problem: str | None = None
            if nip in data.nips[:position]:
                problem = _("This NIP is listed twice.")
            elif person is None or not person.active:
                problem = _("No active employee has this NIP.")
            elif person.id == appraisal.employee_id:
                problem = _("The employee cannot give peer feedback on their own appraisal.")
            elif person.id in invited:
                problem = _("This peer is already invited on this appraisal.")
            else:
                peers.append(person)
            if problem:
                errors.append(FieldError(f"nips[{position}]", problem))
        if errors:
            raise Invalid(_("Nobody was invited; correct the marked fields."), errors=errors)
        return peers

    async def feedback(self, appraisal_id: int, locale: str) -> PeerFeedbackOut:
        async with reading(self.session):
            return await self.feedback_of(await self.head(appraisal_id), locale)

    async def feedback_of(self, appraisal: AppraisalHead, locale: str) -> PeerFeedbackOut:
        """Named for HR, auditors, evaluator and reviewer; anonymous for the employee."""
        min_responses = self.ctx.settings.peer_min_responses
        if "employee" not in self.roles(appraisal):
            return await self._named(appraisal.id, locale)
        requests = await self.session.scalars(
            select(PeerRequest).where(PeerRequest.appraisal_id == appraisal.id)
        )
        return results.anonymous(
            requests.all(),
            await self._answers(appraisal.id),
            accepting=self._engine(appraisal).allows(appraisal.state, "peer_requests"),
            min_responses=min_responses,
            now=self.ctx.clock.now(),
            locale=locale,
        )

    async def _named(self, appraisal_id: int, locale: str) -> PeerFeedbackOut:
        rows = await self.session.execute(
            select(PeerRequest, Employee)
            .join(Employee, PeerRequest.peer_id == Employee.id)
            .where(PeerRequest.appraisal_id == appraisal_id)
            .order_by(PeerRequest.id)
        )
        return results.named(
            [(request, peer) for request, peer in rows.all()],
            await self._answers(appraisal_id),
            self.ctx.settings.peer_min_responses,
            locale,
        )

    async def _answers(self, appraisal_id: int) -> list[PeerAnswer]:
        answers = await self.session.scalars(
            select(PeerAnswer)
            .join(PeerRequest, PeerAnswer.request_id == PeerRequest.id)
            .where(PeerRequest.appraisal_id == appraisal_id)
        )
        return list(answers.all())

    async def mine(self, locale: str) -> list[PeerRequestOut]:
        """The caller's own requests, answered or not, the soonest due first."""
        if self.principal.employee_id is None:
            return []
        now = self.ctx.clock.now()
        asked = await find(
            self.session, self.ctx.workflows, PeerRequest.peer_id == self.principal.employee_id
        )
        return [one.describe(locale, now) for one in asked]

    async def answer(self, request_id: int, data: PeerAnswers, locale: str) -> PeerReceipt:
        await begin_write(self.session)
        me = self.principal.employee_id
        asked = (
            await find(
                self.session,
                self.ctx.workflows,
                PeerRequest.id == request_id,
                PeerRequest.peer_id == me,
            )
            if me is not None
            else []
        )
        if not asked:
            raise NotFound(_("Peer feedback request {id} is not one of yours."), id=request_id)
        now = self.ctx.clock.now()
        return await record(
            self.session, self.ctx.audit_key, asked[0], data, self.principal.actor, now, locale
        )
