"""HTTP endpoints for signing in, redeeming emailed links and asking for a password reset."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import msgspec
from litestar import Controller, Request, Response, get, patch, post
from litestar.background_tasks import BackgroundTask
from litestar.di import NamedDependency, Provide
from litestar.params import JSONBody
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from kinerja_flow.accounts.models import Account
from kinerja_flow.accounts.schemas import (
    Accepted,
    ForgotPassword,
    Me,
    PreferencesUpdate,
    ResetPassword,
    SetPassword,
    TokenRequest,
    TokenResponse,
)
from kinerja_flow.accounts.service import AccountService, send_reset_link
from kinerja_flow.i18n import _, translate
from kinerja_flow.lib.http import client_address, request_locale
from kinerja_flow.lib.openapi import error_responses
from kinerja_flow.lib.principal import Principal
from kinerja_flow.org.models import Employee
from kinerja_flow.runtime.context import AppContext


def provide_account_service(
    db_session: NamedDependency[AsyncSession], ctx: NamedDependency[AppContext]
) -> AccountService:
    return AccountService(db_session, ctx)


class AuthController(Controller):
    path = "/api/v1/auth"
    tags = ["auth"]
    dependencies = {"account_service": Provide(provide_account_service, sync_to_thread=False)}

    @post("/set-password", status_code=204, summary="Set a password with an invitation token")
    async def set_password(
        self, account_service: NamedDependency[AccountService], data: JSONBody[SetPassword]
    ) -> None:
        await account_service.set_password(data)

    @post("/reset-password", status_code=204, summary="Set a new password with a reset token")
    async def reset_password(
        self, account_service: NamedDependency[AccountService], data: JSONBody[ResetPassword]
    ) -> None:
        await account_service.reset_password(data)

    @post(
        "/forgot-password",
        status_code=202,
        summary="Email a password-reset link; the same answer whether or not the name exists",
    )
    async def forgot_password(
        self,
        account_service: NamedDependency[AccountService],
        data: JSONBody[ForgotPassword],
        request: Request[Any, Any, Any],
        ctx: NamedDependency[AppContext],
    ) -> Response[Accepted]:
        await account_service.forgot_password(data.username, client_address(request, ctx.settings))
        detail = _(
            "If an active account has this name, a link to set a new password is on its way."
        )
        return Response(
            Accepted(detail=translate(detail, request_locale(request))),
            status_code=202,
            background=BackgroundTask(send_reset_link, ctx, data.username),
        )

    @post(
        "/token",
        status_code=200,
        summary="Exchange NIP or email and password for a bearer token",
        responses=error_responses(401, 429),
    )
    async def token(
        self,
        account_service: NamedDependency[AccountService],
        data: JSONBody[TokenRequest],
        request: Request[Any, Any, Any],
        ctx: NamedDependency[AppContext],
    ) -> TokenResponse:
        return await account_service.login(data, client_address(request, ctx.settings))

    @get("/me", summary="Who am I")
    async def me(
        self, principal: NamedDependency[Principal], db_session: NamedDependency[AsyncSession]
    ) -> Me:
        return await _me(principal, db_session)

    @patch(
        "/me",
        summary="Change my preferences: the language (id or en), the daily digest (true or false)",
    )
    async def set_preferences(
        self,
        principal: NamedDependency[Principal],
        db_session: NamedDependency[AsyncSession],
        account_service: NamedDependency[AccountService],
        data: JSONBody[PreferencesUpdate],
    ) -> Me:
        locale = None if data.locale is msgspec.UNSET else data.locale
        digest = None if data.digest is msgspec.UNSET else data.digest
        await account_service.set_preferences(principal.person, locale=locale, digest=digest)
        return await _me(replace(principal, locale=locale or principal.locale), db_session)


async def _me(principal: Principal, db_session: AsyncSession) -> Me:
    """The caller as ``GET /auth/me`` describes them."""
    employee = None
    if principal.employee_id is not None:
        employee = await db_session.scalar(
            select(Employee).where(Employee.id == principal.employee_id)
        )
    digest = await db_session.scalar(select(Account.digest).where(Account.id == principal.person))
    return Me(
        account_id=principal.person,
        email=principal.email,
        roles=sorted(principal.roles),
        employee_id=principal.employee_id,
        nip=employee.nip if employee else None,
        name=employee.name if employee else None,
        locale=principal.locale,
        digest=bool(digest),
    )
