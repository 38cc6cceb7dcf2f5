"""Gettext-style catalogues for user-facing text; Indonesian by default, English available.

Message ids are English. ``_`` only marks a string for extraction; translation happens when
the text reaches a person, in the locale that person reads.
"""

from __future__ import annotations

import gettext
import io
from functools import cache
from pathlib import Path

from babel.core import negotiate_locale
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

LOCALES = ("id", "en")
DEFAULT_LOCALE = "id"
_LOCALE_DIR = Path(__file__).resolve().parent / "locales"


def _(message: str) -> str:
    """Mark ``message`` for translation; the catalogue lookup happens in :func:`translate`."""
    return message


CATALOGUES = ("messages.po", "web.po")
"""The catalogues of a locale, looked up in this order: the service's messages, then the web
pages' texts (kept apart so each part's translations are edited in one place)."""


def _read(po_file: Path, locale: str) -> gettext.GNUTranslations:
    with po_file.open("rb") as handle:
        catalog = read_po(handle, locale=locale)
    buffer = io.BytesIO()
    write_mo(buffer, catalog)
    buffer.seek(0)
    return gettext.GNUTranslations(buffer)


@cache
def translations(locale: str) -> gettext.NullTranslations:
    found = [
        _read(path, locale)
        for name in CATALOGUES
        if (path := _LOCALE_DIR / locale / "LC_MESSAGES" / name).exists()
    ]
    if not found:
        return gettext.NullTranslations()
    first, *rest = found
    for other in rest:
        first.add_fallback(other)
    return first


def translate(message: str, locale: str, **params: object) -> str:
    text = translations(locale if locale in LOCALES else DEFAULT_LOCALE).gettext(message)
    return text.format(**params) if params else text


def pick_locale(accept_language: str | None, default: str = DEFAULT_LOCALE) -> str:
    """Choose ``id`` or ``en`` from an Accept-Language header."""
    if not accept_language:
        return default
    weighted: list[tuple[float, str]] = []
    for part in accept_language.split(","):
        tag, _sep, quality = part.strip().partition(";q=")
        try:
            weight = float(quality) if quality else 1.0
        except ValueError:
            continue
        weighted.append((weight, tag.strip().replace("-", "_")))
    preferred = [tag for _w, tag in sorted(weighted, key=lambda item: -item[0])]
    return negotiate_locale(preferred, LOCALES, sep="_") or default
