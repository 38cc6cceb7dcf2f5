"""Wire schemas of the audit API."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import msgspec

from kinerja_flow.audit.models import AuditEvent


class AuditEventOut(msgspec.Struct):
    seq: int
    at: datetime
    actor: str
    action: str
    from_state: str | None
    to_state: str | None
    data: dict[str, Any]
    reason: str | None
    hash: str

    @classmethod
    def of(cls, event: AuditEvent) -> AuditEventOut:
        return cls(
            seq=event.seq,
            at=event.at,
            actor=event.actor,
            action=event.action,
            from_state=event.from_state,
            to_state=event.to_state,
            data=msgspec.json.decode(event.data),
            reason=event.reason,
            hash=event.hash,
        )
