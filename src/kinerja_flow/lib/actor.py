"""Who is acting: a signed-in account or the system itself."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Actor:
    account_id: int | None
    label: str


SYSTEM = Actor(account_id=None, label="system")
