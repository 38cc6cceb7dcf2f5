"""Render a document's content to HTML from ``templates/documents/`` (autoescaped Jinja2)."""

from __future__ import annotations

from datetime import date, datetime
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

from babel.dates import format_date
from babel.numbers import format_decimal, format_percent
from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from kinerja_flow.berakhlak import CoreValue
from kinerja_flow.documents.text import CODES, guidance, texts
from kinerja_flow.i18n import translate
from kinerja_flow.labels import label

if TYPE_CHECKING:
    from kinerja_flow.appraisals.schemas import IndicatorOut
    from kinerja_flow.documents.content import DocumentContent


@cache
def _environment(templates_dir: Path) -> Environment:
    return Environment(
        loader=FileSystemLoader(templates_dir),
        autoescape=select_autoescape(enabled_extensions=("html",), default_for_string=True),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )


class Formatter:
    """Words, numbers and dates in the reader's language, for the templates."""

    def __init__(self, locale: str) -> None:
        self.locale = locale
        self.t = texts(locale)

    def say(self, key: str, **params: object) -> str:
        """A wording of :data:`kinerja_flow.documents.text.TEXT` with its placeholders filled."""
        return self.t[key].format(**params)

    def label(self, code: str | None) -> str:
        """A rating, predikat, decision or other coded value."""
        if code in CODES:
            return translate(CODES[code], self.locale)
        return label(code, self.locale)

    def number(self, value: float | None) -> str:
        return "-" if value is None else format_decimal(value, locale=self.locale)

    def percent(self, share: float) -> str:
        return format_percent(share, "#,##0.#%", locale=self.locale)

    def day(self, value: date | datetime | None) -> str:
        if value is None:
            return "-"
        day = value.date() if isinstance(value, datetime) else value
        return format_date(day, "long", locale=self.locale)

    def target(self, indicator: IndicatorOut) -> str:
        if indicator.target_value is not None:
            return f"{self.number(indicator.target_value)} {indicator.target_unit or ''}".strip()
        return indicator.target_text or "-"

    def realisation(self, indicator: IndicatorOut) -> str:
        if indicator.realisation_value is not None:
            unit = indicator.target_unit or ""
            return f"{self.number(indicator.realisation_value)} {unit}".strip()
        return indicator.realisation_text or "-"

    def guidance(self, value: CoreValue) -> list[str]:
        return guidance(value, self.locale)

    def page_counter(self) -> str:
        """The CSS ``content`` of the page footer: "Page 1 of 3" with live counters."""
        before, _sep, rest = self.t["page"].partition("{page}")
        middle, _sep, after = rest.partition("{pages}")
        parts = [_css_string(before), "counter(page)", _css_string(middle), "counter(pages)"]
        return " ".join([*parts, _css_string(after)])


def _css_string(text: str) -> str:
    """A CSS string literal; anything but letters, digits and plain punctuation is escaped."""
    escaped = (c if c.isalnum() or c in " .,:/-" else f"\\{ord(c):x} " for c in text)
    return '"' + "".join(escaped) + '"'


def render_html(templates_dir: Path, content: DocumentContent) -> str:
    template = _environment(templates_dir).get_template(f"documents/{content.kind}.html")
    return template.render(doc=content, a=content.appraisal, fmt=Formatter(content.locale))
