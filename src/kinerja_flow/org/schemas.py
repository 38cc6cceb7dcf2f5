"""Wire schemas of the organisation API."""

from __future__ import annotations

from typing import Annotated

import msgspec

UnitCode = Annotated[str, msgspec.Meta(min_length=1, max_length=50, pattern=r"^[A-Za-z0-9._-]+$")]
Name = Annotated[str, msgspec.Meta(min_length=1, max_length=255)]


class UnitCreate(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    code: UnitCode
    name: Name
    parent_code: UnitCode | None = None


class UnitOut(msgspec.Struct):
    id: int
    code: str
    name: str
    parent_code: str | None
