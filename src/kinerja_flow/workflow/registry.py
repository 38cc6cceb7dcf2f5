"""Allow-lists of named guards and effects: a workflow file can only name what is here."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

from kinerja_flow.lib.errors import FieldError

FactsT = TypeVar("FactsT")
Guard = Callable[[FactsT], FieldError | Sequence[FieldError] | None]
"""A guard answers ``None`` when it passes, else the problem (or every problem) it found."""
Effect = Callable[..., Any]
Gatherer = Callable[[Any, Any], Awaitable[Any]]
"""Reads what one guard needs beyond the case itself (with I/O, before the decision); called
with the service and the case, only when the transition being fired checks that guard."""


@dataclass(frozen=True)
class Capability:
    """Something a state may allow besides triggers, with the refusals a person reads.

    ``forbidden`` answers a role that may never use it (403); ``not_now`` a role that may, but
    not in this state (409; ``{state}`` names the state).
    """

    description: str
    forbidden: str
    not_now: str


@dataclass
class Registry(Generic[FactsT]):
    """What a workflow file of one kind of case may name: roles, recipients, capabilities,
    deadlines, and the allow-listed guards (pure checks over a facts snapshot) and effects.

    ``deadlines`` are the dates of a case a state's deadline may name; ``deadline_recipients``
    are the roles a reminder or an escalation may address besides ``recipients`` (such as HR
    as a whole).
    """

    kind: str
    roles: frozenset[str]
    recipients: frozenset[str]
    capabilities: dict[str, Capability] = field(default_factory=dict)
    deadlines: frozenset[str] = frozenset()
    deadline_recipients: frozenset[str] = frozenset()
    guards: dict[str, Guard[FactsT]] = field(default_factory=dict)
    effects: dict[str, Effect] = field(default_factory=dict)
    gatherers: dict[str, Gatherer] = field(default_factory=dict)

    def guard(
        self, name: str, *, gather: Gatherer | None = None
    ) -> Callable[[Guard[FactsT]], Guard[FactsT]]:
        """Register a guard; ``gather`` reads what it needs (see :data:`Gatherer`)."""

        def register(fn: Guard[FactsT]) -> Guard[FactsT]:
            self.guards[name] = fn
            if gather is not None:
                self.gatherers[name] = gather
            return fn

        return register

    def effect(self, name: str) -> Callable[[Effect], Effect]:
        def register(fn: Effect) -> Effect:
            self.effects[name] = fn
            return fn

        return register
