"""Render an email from ``templates/email/<locale>/<message>/{subject.txt,body.txt,body.html}``.

The context is plain data as the outbox stores it (JSON): dates and times arrive as ISO
strings, which the ``date`` and ``datetime`` filters show as ``31-12-2026`` and
``31-12-2026 23:59``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from kinerja_flow.i18n import DEFAULT_LOCALE, LOCALES
from kinerja_flow.labels import label


@dataclass(frozen=True)
class RenderedEmail:
    subject: str
    text: str
    html: str


def _date(value: str) -> str:
    return f"{datetime.fromisoformat(value):%d-%m-%Y}"


def _datetime(value: str) -> str:
    return f"{datetime.fromisoformat(value):%d-%m-%Y %H:%M}"


class EmailRenderer:
    def __init__(self, templates_dir: Path) -> None:
        self.templates_dir = templates_dir
        self._env = Environment(
            loader=FileSystemLoader(templates_dir),
            autoescape=select_autoescape(enabled_extensions=("html",), default_for_string=False),
            undefined=StrictUndefined,
            trim_blocks=True,
            lstrip_blocks=True,
            keep_trailing_newline=True,
            auto_reload=False,  # templates ship with the package: no stat() per email
        )
        self._env.filters.update(date=_date, datetime=_datetime)

    def _values(self, locale: str, context: dict[str, Any]) -> tuple[str, dict[str, Any]]:
        locale = locale if locale in LOCALES else DEFAULT_LOCALE
        return locale, {**context, "locale": locale, "label": lambda value: label(value, locale)}

    def subject(self, message: str, locale: str, context: dict[str, Any]) -> str:
        """The subject alone, on one line (the outbox keeps it for listings and digests)."""
        locale, values = self._values(locale, context)
        text = self._env.get_template(f"email/{locale}/{message}/subject.txt").render(values)
        return " ".join(text.split())

    def render(self, message: str, locale: str, context: dict[str, Any]) -> RenderedEmail:
        locale, values = self._values(locale, context)
        base = f"email/{locale}/{message}"
        return RenderedEmail(
            subject=self.subject(message, locale, context),
            text=self._env.get_template(f"{base}/body.txt").render(values),
            html=self._env.get_template(f"{base}/body.html").render(values),
        )
