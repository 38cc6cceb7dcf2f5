"""Wire schemas of evidence: a link (JSON) or the fields sent with an uploaded file (form)."""

from __future__ import annotations

from typing import Annotated

import msgspec

from kinerja_flow.lib.text import MULTILINE

Note = Annotated[str, MULTILINE, msgspec.Meta(max_length=2000)]


class LinkCreate(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """A link as evidence: an ``http`` or ``https`` address."""

    url: Annotated[str, msgspec.Meta(min_length=1, max_length=2000)]
    note: Note | None = None
    version: int | None = None


class FileFields(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """The form fields that go with an uploaded file (the ``file`` field itself aside)."""

    note: Note | None = None
    version: int | None = None
