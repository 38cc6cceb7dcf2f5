"""Answering by the emailed link, without an account: the token is the peer's proof."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from kinerja_flow.accounts.links import token_digest
from kinerja_flow.accounts.models import Account
from kinerja_flow.i18n import _
from kinerja_flow.lib.actor import Actor
from kinerja_flow.lib.db import begin_write
from kinerja_flow.lib.errors import NotFound
from kinerja_flow.org.models import Employee
from kinerja_flow.peers.answering import Asked, find, record
from kinerja_flow.peers.models import PeerRequest
from kinerja_flow.peers.schemas import PeerAnswers, PeerReceipt, PeerRequestOut
from kinerja_flow.runtime.context import AppContext


class PeerLinkService:
    """The public side: no principal; the peer is whoever holds the link."""

    def __init__(self, session: AsyncSession, ctx: AppContext) -> None:
        self.session = session
        self.ctx = ctx

    async def _asked(self, token: str) -> Asked:
        asked = await find(
            self.session, self.ctx.workflows, PeerRequest.token_hash == token_digest(token)
        )
        if not asked:
            raise NotFound(_("This peer feedback link is not valid."))
        return asked[0]

    async def describe(self, token: str, locale: str) -> PeerRequestOut:
        return (await self._asked(token)).describe(locale, self.ctx.clock.now())

    async def answer(self, token: str, data: PeerAnswers, locale: str) -> PeerReceipt:
        await begin_write(self.session)
        asked = await self._asked(token)
        peer = await self.session.get_one(Employee, asked.request.peer_id)
        account_id = await self.session.scalar(
            select(Account.id).where(Account.employee_id == peer.id)
        )
        actor = Actor(account_id=account_id, label=peer.email)
        now = self.ctx.clock.now()
        return await record(self.session, self.ctx.audit_key, asked, data, actor, now, locale)
