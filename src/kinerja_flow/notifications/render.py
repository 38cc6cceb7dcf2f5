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

import msgspec
from jinja2 import Environment, FileSystemLoader, StrictUndefined, meta, select_autoescape

from kinerja_flow.i18n import DEFAULT_LOCALE, LOCALES
from kinerja_flow.labels import label


@dataclass(frozen=True)
class RenderedEmail:
    subject: str
    text: str
    html: str


_PROVIDED = frozenset({"locale", "label"})
"""Names every template gets from the renderer rather than from the email's context."""
_KEY = msgspec.json.Encoder(order="sorted")
_SUBJECTS_KEPT = 1024


def _date(value: str) -> str:
    return f"{datetime.fromisoformat(value):%d-%m-%Y}"


def _datetime(value: str) -> str:
    return f"{datetime.fromisoformat(value):%d-%m-%Y %H:%M}"


class EmailRenderer:
    def __init__(self, templates_dir: Path) -> None:
        self.templates_dir = templates_dir
        self._loader = FileSystemLoader(templates_dir)
        self._env = Environment(
            loader=self._loader,
            autoescape=select_autoescape(enabled_extensions=("html",), default_for_string=False),
            undefined=StrictUndefined,
            trim_blocks=True,
            lstrip_blocks=True,
            keep_trailing_newline=True,
            auto_reload=False,  # templates ship with the package: no stat() per email
        )
        self._env.filters.update(date=_date, datetime=_datetime)
        self._subject_names: dict[str, tuple[str, ...]] = {}
        self._subjects: dict[tuple[str, bytes], str] = {}

    def _values(self, locale: str, context: dict[str, Any]) -> tuple[str, dict[str, Any]]:
        locale = locale if locale in LOCALES else DEFAULT_LOCALE
        return locale, {**context, "locale": locale, "label": lambda value: label(value, locale)}

    def subject(self, message: str, locale: str, context: dict[str, Any]) -> str:
        """The subject alone, on one line (the outbox keeps it for listings and digests).

        A subject depends on the few values its template names (a cycle opening's, on the
        cycle alone): rendered once for those values, then taken from a small cache, which
        spares a Jinja render per email when thousands are queued at once."""
        locale = locale if locale in LOCALES else DEFAULT_LOCALE
        name = f"email/{locale}/{message}/subject.txt"
        names = self._subject_names.get(name)
        if names is None:
            source = self._loader.get_source(self._env, name)[0]
            used = meta.find_undeclared_variables(self._env.parse(source)) - _PROVIDED
            self._subject_names[name] = names = tuple(sorted(used))
        if not all(key in context for key in names):
            return self._render_subject(name, locale, context)  # let Jinja say what is missing
        key = (name, _KEY.encode([context[key] for key in names]))
        subject = self._subjects.get(key)
        if subject is None:
            if len(self._subjects) >= _SUBJECTS_KEPT:
                self._subjects.clear()
            subject = self._subjects[key] = self._render_subject(name, locale, context)
        return subject

    def _render_subject(self, name: str, locale: str, context: dict[str, Any]) -> str:
        locale, values = self._values(locale, context)
        return " ".join(self._env.get_template(name).render(values).split())

    def render(self, message: str, locale: str, context: dict[str, Any]) -> RenderedEmail:
        locale, values = self._values(locale, context)
        base = f"email/{locale}/{message}"
        return RenderedEmail(
            subject=self.subject(message, locale, context),
            text=self._env.get_template(f"{base}/body.txt").render(values),
            html=self._env.get_template(f"{base}/body.html").render(values),
        )
