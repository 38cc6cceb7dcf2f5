"""The domain services a signed-in page calls, for its reader, and the one way a page handles
a form: read the fields, call the service, then go on (303) or show the refusal by the form;
a form that starts a background job goes on to the job's page."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace
from typing import Any, TypeVar

from litestar import Request, Response
from litestar.di import NamedDependency
from litestar.response import Redirect, Template
from sqlalchemy.ext.asyncio import AsyncSession

from kinerja_flow.jobs.models import Job
from kinerja_flow.lib.principal import Principal
from kinerja_flow.runtime.context import AppContext
from kinerja_flow.web.forms import Problem, attempt, fields_in, form_data
from kinerja_flow.web.render import page, page_locale

T = TypeVar("T")
Fields = dict[str, Any]
"""A form's fields by name (the last value of each; files as ``UploadFile``)."""


@dataclass
class Services:
    """The services a page uses, for the reader, in the request's database session."""

    session: AsyncSession
    ctx: AppContext
    principal: Principal
    request: Request[Any, Any, Any]
    """The request being answered (its form, and the page drawn for it)."""

    def __call__(self, kind: type[Any]) -> Any:
        return kind(self.session, self.ctx, self.principal)

    @property
    def locale(self) -> str:
        return self.principal.locale

    def page(self, template: str, **context: Any) -> Template:
        """``template`` drawn for the reader (see :func:`kinerja_flow.web.render.page`)."""
        return page(self.request, template, **context)

    async def attempt(self, work: Callable[[], Awaitable[T]]) -> T | Problem:
        """``work``'s answer, or its refusal (see :func:`kinerja_flow.web.forms.attempt`)."""
        return await attempt(self.session, self.locale, work)


def provide_services(
    db_session: NamedDependency[AsyncSession],
    ctx: NamedDependency[AppContext],
    request: Request[Any, Any, Any],
) -> Services:
    principal: Principal = request.user
    return Services(db_session, ctx, replace(principal, locale=page_locale(request)), request)


async def submit(
    services: Services,
    work: Callable[[Fields], Awaitable[Any]],
    *,
    done: str,
    refused: Callable[[Problem, Fields], Awaitable[Response[Any]]],
) -> Response[Any]:
    """Handle a page's form: ``work`` with its fields, then to ``done`` (303), or the page
    ``refused`` draws with the problem beside the form (and the fields as they were sent).
    Uploaded files are closed after."""
    form = await services.request.form()
    try:
        fields = fields_in(form)
        outcome = await services.attempt(lambda: work(fields))
    finally:
        await form.close()
    if isinstance(outcome, Problem):
        return await refused(outcome, fields)
    return Redirect(done, status_code=303)


async def answer_form(
    services: Services,
    work: Callable[[Fields], Awaitable[dict[str, Any]]],
    show: Callable[..., Awaitable[Template]],
) -> Template:
    """Handle a form answered on its own page (a dashboard): ``show`` the page again with
    what ``work`` answers (what to tell the reader), or with the refusal (``problem``)."""
    fields = await form_data(services.request)
    outcome = await services.attempt(lambda: work(fields))
    if isinstance(outcome, Problem):
        return await show(problem=outcome)
    return await show(**outcome)


async def start_job(
    services: Services,
    start: Callable[[Fields], Awaitable[Job]],
    refused: Callable[[Problem], Awaitable[Response[Any]]],
) -> Response[Any]:
    """Handle a form that starts long work: ``start`` the job with the form's fields and follow
    it on its page (303), or the page ``refused`` draws with the problem."""
    fields = await form_data(services.request)
    outcome = await services.attempt(lambda: start(fields))
    if isinstance(outcome, Problem):
        return await refused(outcome)
    return Redirect(f"/hr/jobs/{outcome.id}", status_code=303)
