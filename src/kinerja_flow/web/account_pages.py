"""Signing in and out, the emailed links (invitation, password reset), the language switch."""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Controller, Request, Response, get, post
from litestar.background_tasks import BackgroundTask
from litestar.datastructures import Cookie
from litestar.di import NamedDependency, Provide
from litestar.params import FromQuery, QueryParameter
from litestar.response import Redirect, Template
from sqlalchemy.ext.asyncio import AsyncSession

from kinerja_flow.accounts.schemas import (
    ForgotPassword,
    Preferences,
    ResetPassword,
    SetPassword,
    TokenRequest,
)
from kinerja_flow.accounts.service import AccountService, send_reset_link
from kinerja_flow.i18n import _, translate
from kinerja_flow.lib.errors import AppError, FieldError, Invalid, TooManyRequests
from kinerja_flow.lib.http import client_address
from kinerja_flow.lib.principal import AUDITOR, HR
from kinerja_flow.runtime.context import AppContext
from kinerja_flow.web.forms import convert, form_data, problem, safe_next
from kinerja_flow.web.render import LANGUAGE_COOKIE, page, page_locale, signed_in
from kinerja_flow.web.sessions import SESSION_COOKIE, WebSessions, session_cookie

NOTICES = {
    "password_set": _("Your password is set. Sign in with your NIP or email."),
    "signed_out": _("You are signed out."),
}
"""Fixed messages a redirect may ask the sign-in page to show (never text from the URL)."""
YEAR = 365 * 24 * 3600


def provide_accounts(
    db_session: NamedDependency[AsyncSession], ctx: NamedDependency[AppContext]
) -> AccountService:
    return AccountService(db_session, ctx)


def home_of(request: Request[Any, Any, Any]) -> str:
    """Where a person starts: their tasks, or the HR overview for those without appraisals."""
    principal = signed_in(request)
    if principal is None:
        return "/sign-in"
    if principal.employee_id is None and principal.roles & {HR, AUDITOR}:
        return "/hr"
    return "/tasks"


class AccountPages(Controller):
    dependencies = {"accounts": Provide(provide_accounts, sync_to_thread=False)}

    @get("/")
    async def home(self, request: Request[Any, Any, Any]) -> Redirect:
        return Redirect(home_of(request), status_code=303)

    @get("/sign-in")
    async def sign_in_form(
        self,
        request: Request[Any, Any, Any],
        next_path: Annotated[str | None, QueryParameter(name="next")] = None,
        notice: FromQuery[str | None] = None,
    ) -> Template | Redirect:
        if signed_in(request) is not None:
            return Redirect(safe_next(next_path, home_of(request)), status_code=303)
        return page(
            request,
            "sign_in.html",
            next=safe_next(next_path, ""),
            notice=NOTICES.get(notice or ""),
        )

    @post("/sign-in", status_code=303)
    async def sign_in(
        self,
        request: Request[Any, Any, Any],
        accounts: NamedDependency[AccountService],
        ctx: NamedDependency[AppContext],
    ) -> Response[Any]:
        fields = await form_data(request)
        target = safe_next(fields.get("next"), "")
        try:
            credentials = convert(
                {"username": fields.get("username", ""), "password": fields.get("password", "")},
                TokenRequest,
            )
            account_id, epoch = await accounts.authenticate(
                credentials, client_address(request, ctx.settings)
            )
        except AppError as error:
            response = page(
                request,
                "sign_in.html",
                status_code=error.status_code,
                next=target,
                username=fields.get("username", ""),
                problem=problem(error, page_locale(request)),
            )
            if isinstance(error, TooManyRequests):
                response.headers["Retry-After"] = str(error.retry_after)
            return response
        token = await WebSessions(ctx).start(account_id, epoch)
        return Redirect(target or "/", status_code=303, cookies=[session_cookie(ctx, token)])

    @post("/sign-out", status_code=303)
    async def sign_out(
        self, request: Request[Any, Any, Any], ctx: NamedDependency[AppContext]
    ) -> Redirect:
        token = request.cookies.get(SESSION_COOKIE)
        if token:
            await WebSessions(ctx).end(token)
        return Redirect(
            "/sign-in?notice=signed_out", status_code=303, cookies=[session_cookie(ctx, None)]
        )

    @get("/set-password")
    async def set_password_form(
        self, request: Request[Any, Any, Any], token: FromQuery[str] = ""
    ) -> Template:
        return page(request, "set_password.html", token=token, purpose="invitation")

    @post("/set-password", status_code=303)
    async def set_password(
        self, request: Request[Any, Any, Any], accounts: NamedDependency[AccountService]
    ) -> Response[Any]:
        return await self._redeem(request, accounts, "invitation")

    @get("/reset-password")
    async def reset_password_form(
        self, request: Request[Any, Any, Any], token: FromQuery[str] = ""
    ) -> Template:
        return page(request, "set_password.html", token=token, purpose="reset")

    @post("/reset-password", status_code=303)
    async def reset_password(
        self, request: Request[Any, Any, Any], accounts: NamedDependency[AccountService]
    ) -> Response[Any]:
        return await self._redeem(request, accounts, "reset")

    async def _redeem(
        self, request: Request[Any, Any, Any], accounts: AccountService, purpose: str
    ) -> Response[Any]:
        fields = await form_data(request)
        token = str(fields.get("token", ""))
        try:
            if fields.get("password") != fields.get("password_again"):
                raise_mismatch()
            if purpose == "invitation":
                await accounts.set_password(convert(fields_of(fields), SetPassword))
            else:
                await accounts.reset_password(convert(fields_of(fields), ResetPassword))
        except AppError as error:
            return page(
                request,
                "set_password.html",
                status_code=error.status_code,
                token=token,
                purpose=purpose,
                problem=problem(error, page_locale(request)),
            )
        return Redirect("/sign-in?notice=password_set", status_code=303)

    @get("/forgot-password")
    async def forgot_password_form(self, request: Request[Any, Any, Any]) -> Template:
        return page(request, "forgot_password.html")

    @post("/forgot-password", status_code=200)
    async def forgot_password(
        self,
        request: Request[Any, Any, Any],
        accounts: NamedDependency[AccountService],
        ctx: NamedDependency[AppContext],
    ) -> Response[Any]:
        fields = await form_data(request)
        try:
            data = convert({"username": fields.get("username", "")}, ForgotPassword)
            await accounts.forgot_password(data.username, client_address(request, ctx.settings))
        except AppError as error:
            response = page(
                request,
                "forgot_password.html",
                status_code=error.status_code,
                problem=problem(error, page_locale(request)),
            )
            if isinstance(error, TooManyRequests):
                response.headers["Retry-After"] = str(error.retry_after)
            return response
        sent = translate(
            _("If an active account has this name, a link to set a new password is on its way."),
            page_locale(request),
        )
        response = page(request, "forgot_password.html", sent=sent)
        response.background = BackgroundTask(send_reset_link, ctx, data.username)
        return response

    @post("/language", status_code=303)
    async def language(
        self, request: Request[Any, Any, Any], accounts: NamedDependency[AccountService]
    ) -> Redirect:
        """Switch between Indonesian and English: on the account when signed in, and on this
        browser (a cookie) for the pages before signing in."""
        fields = await form_data(request)
        target = safe_next(fields.get("next"), "/")
        try:
            chosen = convert({"locale": fields.get("locale", "")}, Preferences).locale
        except AppError:
            return Redirect(target, status_code=303)
        principal = signed_in(request)
        if principal is not None:
            await accounts.set_locale(principal.person, chosen)
        cookie = Cookie(
            key=LANGUAGE_COOKIE, value=chosen, path="/", max_age=YEAR, samesite="lax", httponly=True
        )
        return Redirect(target, status_code=303, cookies=[cookie])


def fields_of(fields: dict[str, Any]) -> dict[str, Any]:
    return {"token": fields.get("token", ""), "password": fields.get("password", "")}


def raise_mismatch() -> None:
    raise Invalid(
        _("The two passwords differ."),
        errors=[FieldError("password_again", _("Type the same password twice."))],
    )
