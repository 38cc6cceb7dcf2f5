"""Wire schemas of the operations API: the outbox as HR and auditors see it."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

import msgspec

OutboxState = Literal["pending", "held", "sent", "digested", "failed"]
"""``pending``: waiting or due again; ``held``: kept for its recipient's daily digest;
``sent``: accepted by the mail server; ``digested``: listed in a daily digest instead;
``failed``: it cannot be built or the server refused it for good, and waits for HR to retry it."""


class OutboxMessageOut(msgspec.Struct):
    """One queued email, without its body (an invitation's body holds a sign-in link)."""

    id: int
    kind: str
    to_address: str
    to_name: str
    subject: str
    state: OutboxState
    attempts: int
    last_error: str | None
    next_attempt_at: datetime
    created_at: datetime
    sent_at: datetime | None


class OutboxPage(msgspec.Struct):
    items: list[OutboxMessageOut]
    total: int
    limit: int
    offset: int
