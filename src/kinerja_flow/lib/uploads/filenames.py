"""Safe names for evidence files, and the ``Content-Disposition`` that serves them (RFC 6266)."""

from __future__ import annotations

import re
import unicodedata
from urllib.parse import quote

from kinerja_flow.lib.uploads.sniff import FileType

MAX_LENGTH = 255
DEFAULT_STEM = "bukti-dukung"
_RESERVED = re.compile(r'[<>:"|?*]')


def safe_filename(given: str | None, kind: FileType) -> str:
    """The client's file name without directories, control or direction characters.

    The name ends with an extension of the type found by content (``foto.pdf`` holding a PNG
    becomes ``foto.pdf.png``), so whoever downloads it opens it with the right program.
    """
    name = unicodedata.normalize("NFC", given or "")
    name = re.split(r"[/\\]", name)[-1]
    name = "".join(ch for ch in name if not unicodedata.category(ch).startswith("C"))
    name = _RESERVED.sub("_", name).strip().strip(".").strip()
    if not name.lower().endswith(kind.extensions):
        name = f"{name or DEFAULT_STEM}{kind.extensions[0]}"
    stem, dot, extension = name.rpartition(".")
    return f"{stem or DEFAULT_STEM}"[: MAX_LENGTH - len(dot + extension)] + dot + extension


def _ascii(name: str) -> str:
    """A plain-ASCII stand-in for ``name``, for clients that ignore ``filename*``."""
    letters = []
    for ch in name:
        plain = [c for c in unicodedata.normalize("NFKD", ch) if c.isascii() and c not in '"\\%']
        letters.append("".join(plain) or "_")
    return "".join(letters)


def content_disposition(filename: str) -> str:
    """``attachment`` with an ASCII ``filename`` and the exact UTF-8 ``filename*``."""
    encoded = quote(filename, safe="")
    return f"attachment; filename=\"{_ascii(filename)}\"; filename*=UTF-8''{encoded}"
