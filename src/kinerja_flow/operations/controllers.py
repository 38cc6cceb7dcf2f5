"""HTTP endpoint to verify the whole audit chain."""

from __future__ import annotations

from litestar import Controller, get
from litestar.di import NamedDependency
from sqlalchemy.ext.asyncio import AsyncSession

from kinerja_flow.audit.service import VerifyResult, verify
from kinerja_flow.lib.principal import Principal, require
from kinerja_flow.runtime.context import AppContext


class AuditController(Controller):
    path = "/api/v1/audit"
    tags = ["audit"]

    @get("/verify", summary="Check every event of the hash chain (HR, auditor)")
    async def verify_chain(
        self,
        principal: NamedDependency[Principal],
        db_session: NamedDependency[AsyncSession],
        ctx: NamedDependency[AppContext],
    ) -> VerifyResult:
        require(principal, "hr", "auditor")
        return await verify(db_session, ctx.audit_key)
