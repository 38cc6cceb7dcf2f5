"""Render an email from ``templates/email/<locale>/<message>/{subject.txt,body.txt,body.html}``."""

from __future__ import annotations

from dataclasses import dataclass
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

    def render(self, message: str, locale: str, context: dict[str, Any]) -> RenderedEmail:
        locale = locale if locale in LOCALES else DEFAULT_LOCALE
        values = {**context, "locale": locale, "label": lambda value: label(value, locale)}
        base = f"email/{locale}/{message}"
        subject = self._env.get_template(f"{base}/subject.txt").render(values)
        return RenderedEmail(
            subject=" ".join(subject.split()),
            text=self._env.get_template(f"{base}/body.txt").render(values),
            html=self._env.get_template(f"{base}/body.html").render(values),
        )
