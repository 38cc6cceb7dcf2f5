"""Rendering pages: the Jinja2 environment, the reader's language and the page response."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from babel.dates import format_date, format_datetime
from babel.numbers import format_decimal
from jinja2 import Environment, pass_context
from jinja2.runtime import Context
from litestar import Request
from litestar.plugins.jinja import JinjaTemplateEngine
from litestar.response import Template
from litestar.template.base import csrf_token
from litestar.template.config import TemplateConfig
from markupsafe import Markup

from kinerja_flow.config import Settings
from kinerja_flow.i18n import DEFAULT_LOCALE, LOCALES, _, pick_locale, translate
from kinerja_flow.labels import label
from kinerja_flow.lib.principal import AUDITOR, HR, Principal

LANGUAGE_COOKIE = "kinerja_lang"
"""The language chosen by someone not signed in (a signed-in person's is on their account)."""
DISPLAY_ZONE = ZoneInfo("Asia/Jakarta")
"""Times are stored in UTC and shown in Western Indonesian Time (WIB)."""
PAGE_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "object-src 'none'; base-uri 'none'; form-action 'self'"
)
PAGE_HEADERS = {"Content-Security-Policy": PAGE_POLICY}


def page_locale(request: Request[Any, Any, Any]) -> str:
    """The signed-in person's language, else the one chosen on this browser, else the
    browser's preference, else Indonesian."""
    principal = signed_in(request)
    if principal is not None and principal.locale in LOCALES:
        return principal.locale
    chosen = request.cookies.get(LANGUAGE_COOKIE)
    if chosen in LOCALES:
        return chosen
    return pick_locale(request.headers.get("accept-language"), DEFAULT_LOCALE)


EVENTS: dict[str, str] = {
    "appraisal.opened": _("Appraisal opened"),
    "appraisal.reassigned": _("Evaluator or reviewer reassigned"),
    "skp.approach_set": _("Approach changed"),
    "skp.expectations_set": _("Expectations set"),
    "target.added": _("RHK added"),
    "target.updated": _("RHK changed"),
    "target.removed": _("RHK removed"),
    "indicator.added": _("Indicator added"),
    "indicator.updated": _("Indicator or realisation changed"),
    "indicator.removed": _("Indicator removed"),
    "evidence.added": _("Evidence added"),
    "evidence.removed": _("Evidence removed"),
    "evaluation.saved": _("Evaluation draft saved"),
    "feedback.added": _("Feedback note added"),
    "coaching.recorded": _("Coaching session recorded"),
}
"""How the audit timeline names an event; a workflow step is named after its trigger."""


def signed_in(request: Request[Any, Any, Any]) -> Principal | None:
    """The person signed in on this browser (None on routes outside the web pages too)."""
    principal: Principal | None = request.scope.get("user")
    return principal


@pass_context
def _gettext(context: Context, message: str, **params: object) -> str:
    return translate(message, context.get("locale", DEFAULT_LOCALE), **params)


@pass_context
def _label(context: Context, value: str | None) -> str:
    return label(value, context.get("locale", DEFAULT_LOCALE))


@pass_context
def _event(context: Context, action: str) -> str:
    locale = context.get("locale", DEFAULT_LOCALE)
    if action in EVENTS:
        return translate(EVENTS[action], locale)
    return label(action.rsplit(".", 1)[-1], locale)


@pass_context
def _date(context: Context, value: date | datetime | None, style: str = "medium") -> str:
    if value is None:
        return "-"
    if isinstance(value, datetime):
        value = value.astimezone(DISPLAY_ZONE).date()
    return format_date(value, format=style, locale=context.get("locale", DEFAULT_LOCALE))


@pass_context
def _datetime(context: Context, value: datetime | None) -> str:
    if value is None:
        return "-"
    return format_datetime(
        value.astimezone(DISPLAY_ZONE),
        format="d MMM y HH:mm",
        locale=context.get("locale", DEFAULT_LOCALE),
    )


@pass_context
def _number(context: Context, value: float | None, digits: int = 2) -> str:
    if value is None:
        return "-"
    pattern = "#,##0." + "#" * digits if digits else "#,##0"
    return format_decimal(value, format=pattern, locale=context.get("locale", DEFAULT_LOCALE))


def _days_left(until: datetime | date | None, now: datetime) -> int | None:
    if until is None:
        return None
    if isinstance(until, datetime):
        return max(0, (until.astimezone(UTC).date() - now.astimezone(UTC).date()).days)
    return (until - now.astimezone(DISPLAY_ZONE).date()).days


@pass_context
def _csrf_field(context: Context) -> Markup:
    """The hidden field that carries the CSRF token in every form."""
    return Markup('<input type="hidden" name="_csrf_token" value="{}">').format(
        csrf_token(dict(context.get_all()))
    )


def _setup(engine: JinjaTemplateEngine) -> None:
    environment: Environment = engine.engine
    environment.globals.update(
        _=_gettext,
        label=_label,
        event=_event,
        days_left=_days_left,
        csrf_field=_csrf_field,
    )
    environment.filters.update(day=_date, moment=_datetime, number=_number)
    environment.trim_blocks = True
    environment.lstrip_blocks = True


def template_config(settings: Settings) -> TemplateConfig[JinjaTemplateEngine]:
    return TemplateConfig(
        directory=settings.templates_path / "web",
        engine=JinjaTemplateEngine,
        engine_callback=_setup,
    )


def page(
    request: Request[Any, Any, Any],
    template: str,
    *,
    status_code: int | None = None,
    **context: Any,
) -> Template:
    """A page for the reader: their language, who they are, the clock's now. A page showing
    a ``problem`` (a refused form) answers with the problem's status and headers."""
    principal = signed_in(request)
    problem = context.get("problem")
    status = status_code or (problem.status_code if problem is not None else 200)
    extra = problem.headers if problem is not None else {}
    return Template(
        template_name=template,
        context={
            "me": principal,
            "is_hr": principal is not None and HR in principal.roles,
            "is_auditor": principal is not None and AUDITOR in principal.roles,
            "locale": page_locale(request),
            "now": request.app.state.ctx.clock.now(),
            "path": request.url.path,
            **context,
        },
        status_code=status,
        # A page answering a form stays at the address of the page the form was on (htmx
        # would otherwise show the form's action, which cannot be opened again).
        headers=PAGE_HEADERS
        | extra
        | ({"HX-Push-Url": "false"} if request.method == "POST" else {}),
    )
