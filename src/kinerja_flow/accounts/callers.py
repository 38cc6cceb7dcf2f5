"""The caller of each request: the principal behind a token, kept in memory while every change
to accounts is heard (on PostgreSQL), read from the database otherwise."""

from __future__ import annotations

from itertools import chain

from sqlalchemy import event
from sqlalchemy.orm import ORMExecuteState, Session, SessionTransaction

from kinerja_flow.accounts.models import Account
from kinerja_flow.accounts.service import read_caller
from kinerja_flow.lib.listened_cache import ListenedCache
from kinerja_flow.lib.principal import KnownCaller, Principal
from kinerja_flow.runtime.context import AppContext

CHANNEL = "kinerja_accounts"
"""Notified by the trigger ``accounts_changed`` (migration 0018) whenever a statement inserts or
deletes accounts or updates what a principal is made of, in any process."""
CALLERS = "kinerja_callers"
"""The key of the cache in the ``info`` of the application's sessions."""
_CHANGED = "kinerja_accounts_changed"


BEAT = "UPDATE accounts SET locale = locale WHERE false"
"""A heartbeat through the trigger: it fires once per statement, even for no row."""


def caller_cache() -> ListenedCache[int, KnownCaller]:
    return ListenedCache(CHANNEL, BEAT)


async def caller(ctx: AppContext, account_id: int, epoch: int) -> Principal | None:
    """The principal behind a token of account ``account_id`` and credential ``epoch``; None
    once revoked. From memory when the cache answers, else one indexed row."""
    known = ctx.callers.get(account_id)
    if known is None:
        ticket = ctx.callers.ticket()
        async with ctx.autocommit() as database:
            known = await read_caller(database, account_id)
        ctx.callers.keep(ticket, account_id, known)
    return known.signed_in_with(epoch)


# A change committed by this process is forgotten as the commit returns, before the request
# that made it is answered; the notification (which every process hears) comes a moment later.


@event.listens_for(Session, "do_orm_execute")
def _note_statement(state: ORMExecuteState) -> None:
    if CALLERS not in state.session.info or state.is_select:
        return
    table = getattr(state.statement, "table", None)
    if table is not None and table.name == Account.__tablename__:
        state.session.info[_CHANGED] = True


@event.listens_for(Session, "after_flush")
def _note_flush(session: Session, _context: object) -> None:
    if CALLERS not in session.info:
        return
    if any(isinstance(row, Account) for row in chain(session.new, session.dirty, session.deleted)):
        session.info[_CHANGED] = True


@event.listens_for(Session, "after_transaction_end")
def _forget_changed(session: Session, transaction: SessionTransaction) -> None:
    if transaction.parent is None and session.info.pop(_CHANGED, False):
        cache: ListenedCache[int, KnownCaller] = session.info[CALLERS]
        cache.forget()
