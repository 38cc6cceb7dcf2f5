"""Recognise an uploaded file's type by its content (magic bytes), never by its name.

Allowed: PDF, PNG, JPEG, and office documents: Office Open XML (DOCX, XLSX, PPTX) and
OpenDocument (ODT, ODS, ODP). Office documents are ZIP archives; they are opened with
:mod:`zipfile` and recognised by their main part: the part ``[Content_Types].xml`` declares
with the document's main content type (OOXML), or the ``mimetype`` entry that an OpenDocument
file stores first. Anything else is refused: other archives, macro-enabled or template
variants of office documents, a ZIP hidden behind other bytes (a self-extracting program),
HTML, scripts, executables.

A small hand-written check, rather than a library: the list is short, and the office formats
need a look inside the archive that magic-number libraries only guess at.
"""

from __future__ import annotations

import re
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class FileType:
    name: str
    content_type: str
    extensions: tuple[str, ...]


PDF = FileType("PDF", "application/pdf", (".pdf",))
PNG = FileType("PNG", "image/png", (".png",))
JPEG = FileType("JPEG", "image/jpeg", (".jpg", ".jpeg"))
_OOXML = "application/vnd.openxmlformats-officedocument"
DOCX = FileType("DOCX", f"{_OOXML}.wordprocessingml.document", (".docx",))
XLSX = FileType("XLSX", f"{_OOXML}.spreadsheetml.sheet", (".xlsx",))
PPTX = FileType("PPTX", f"{_OOXML}.presentationml.presentation", (".pptx",))
_ODF = "application/vnd.oasis.opendocument"
ODT = FileType("ODT", f"{_ODF}.text", (".odt",))
ODS = FileType("ODS", f"{_ODF}.spreadsheet", (".ods",))
ODP = FileType("ODP", f"{_ODF}.presentation", (".odp",))

ALLOWED = (PDF, PNG, JPEG, DOCX, XLSX, PPTX, ODT, ODS, ODP)
ALLOWED_NAMES = ", ".join(kind.name for kind in ALLOWED)

_MAGIC = ((b"%PDF-", PDF), (b"\x89PNG\r\n\x1a\n", PNG), (b"\xff\xd8\xff", JPEG))
_ZIP = b"PK\x03\x04"
_MAIN_PARTS = {f"{kind.content_type}.main+xml": kind for kind in (DOCX, XLSX, PPTX)}
_BY_MIMETYPE = {kind.content_type: kind for kind in (ODT, ODS, ODP)}
_CONTENT_TYPES = "[Content_Types].xml"
_MAX_CONTENT_TYPES = 1024 * 1024
"""Read at most this much of ``[Content_Types].xml``: enough for any real document."""
_OVERRIDE = re.compile(rb"<(?:\w+:)?Override\b([^>]*)>")
_ATTRIBUTE = re.compile(rb"""(\w+)\s*=\s*(?:"([^"]*)"|'([^']*)')""")
_BROKEN = (zipfile.BadZipFile, OSError, EOFError, RuntimeError, NotImplementedError, ValueError)


def sniff(path: Path) -> FileType | None:
    """The allowed type of the file at ``path``, or None if it is not one of them."""
    with path.open("rb") as handle:
        head = handle.read(16)
    for magic, kind in _MAGIC:
        if head.startswith(magic):
            return kind
    if head.startswith(_ZIP):
        try:
            with zipfile.ZipFile(path) as archive:
                return _office(archive)
        except (*_BROKEN, zlib.error):
            return None
    return None


def _office(archive: zipfile.ZipFile) -> FileType | None:
    entries = archive.infolist()
    by_name = {entry.filename.lower(): entry for entry in entries}
    if entries and entries[0].filename == "mimetype":
        with archive.open(entries[0]) as member:
            return _BY_MIMETYPE.get(member.read(100).decode("ascii", "replace").strip())
    content_types = by_name.get(_CONTENT_TYPES.lower())
    if content_types is None:
        return None
    with archive.open(content_types) as member:
        declared = member.read(_MAX_CONTENT_TYPES)
    for found in _OVERRIDE.finditer(declared):
        attributes = {
            key.decode(): (double or single).decode("utf-8", "replace")
            for key, double, single in _ATTRIBUTE.findall(found.group(1))
        }
        kind = _MAIN_PARTS.get(attributes.get("ContentType", ""))
        part = attributes.get("PartName", "").lstrip("/").lower()
        if kind is not None and part in by_name:
            return kind
    return None
