"""Every user-facing message (in the code and in the web pages' templates) has an Indonesian
translation with the same placeholders."""

from __future__ import annotations

import re
from pathlib import Path

from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

from kinerja_flow.i18n import CATALOGUES as I18N_CATALOGUES
from kinerja_flow.i18n import pick_locale, translate

ROOT = Path(__file__).resolve().parents[1]
SOURCE = ROOT / "src" / "kinerja_flow"
PAGES = ROOT / "templates" / "web"
CATALOGUES = [SOURCE / "locales" / "id" / "LC_MESSAGES" / name for name in I18N_CATALOGUES]
PLACEHOLDER = re.compile(r"\{(\w+)\}")


def test_every_marked_message_is_translated_to_indonesian() -> None:
    marked = {
        message
        for folder, method in ((SOURCE, ("**.py", "python")), (PAGES, ("**.html", "jinja2")))
        for _file, _line, message, _comments, _context in extract_from_dir(
            folder, method_map=[method], keywords={"_": None}
        )
        if isinstance(message, str)
    }
    catalogue = {}
    for path in CATALOGUES:
        with path.open("rb") as handle:
            catalogue.update({m.id: m.string for m in read_po(handle) if m.id})
    missing = sorted(marked - {msgid for msgid, text in catalogue.items() if text})
    assert missing == []
    for msgid, text in catalogue.items():
        assert isinstance(msgid, str)
        assert set(PLACEHOLDER.findall(msgid)) == set(PLACEHOLDER.findall(str(text))), msgid


def test_language_follows_accept_language() -> None:
    assert pick_locale(None) == "id"
    assert pick_locale("en-US,en;q=0.9") == "en"
    assert pick_locale("fr-FR, en;q=0.5, id;q=0.8") == "id"
    assert translate("Wrong username or password.", "en") == "Wrong username or password."
    assert translate("Wrong username or password.", "id") != "Wrong username or password."
